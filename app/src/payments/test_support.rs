//! Stripe calls only the tests make (a server-side confirm with a test card, listing and
//! detaching cards): compiled for tests and behind the `test-support` feature, never into the
//! product.

use stripe_core::customer::{
    ListPaymentMethodsCustomer, ListPaymentMethodsCustomerType, RetrieveCustomer,
};
use stripe_core::setup_intent::ConfirmSetupIntent;
use stripe_payment::payment_method::DetachPaymentMethod;

use super::operations::{CardSummary, SetupIntentSummary, card_summary, setup_summary};
use super::transport::Key;
use super::{PaymentsError, StripeAccount};

impl StripeAccount {
    /// True when the customer exists (and is not deleted) in this account.
    pub async fn customer_exists(&self, customer_id: &str) -> Result<bool, PaymentsError> {
        let request = RetrieveCustomer::new(customer_id);
        match self
            .transport
            .send("retrieve customer", &request, None)
            .await
        {
            Ok(_) => Ok(true),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// Server-side confirmation with a known payment method (the merchant's own entry, tests).
    pub async fn confirm_setup_intent(
        &self,
        id: &str,
        payment_method_id: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        let request = ConfirmSetupIntent::new(id).payment_method(payment_method_id);
        Ok(setup_summary(
            self.transport
                .send("confirm setup intent", &request, Some(Key::PerCall))
                .await?,
        ))
    }

    pub async fn list_cards(&self, customer_id: &str) -> Result<Vec<CardSummary>, PaymentsError> {
        let request = ListPaymentMethodsCustomer::new(customer_id)
            .type_(ListPaymentMethodsCustomerType::Card);
        let list = self
            .transport
            .send("list payment methods", &request, None)
            .await?;
        Ok(list.data.iter().filter_map(card_summary).collect())
    }

    pub async fn detach_card(&self, payment_method_id: &str) -> Result<(), PaymentsError> {
        let request = DetachPaymentMethod::new(payment_method_id);
        self.transport
            .send("detach payment method", &request, Some(Key::PerCall))
            .await?;
        Ok(())
    }
}

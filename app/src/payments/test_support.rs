//! Stripe calls only the tests make (a server-side confirm with a test card, listing and
//! detaching cards): compiled for tests and behind the `test-support` feature, never into the
//! product.

use stripe_core::customer::{
    ListPaymentMethodsCustomer, ListPaymentMethodsCustomerType, RetrieveCustomer,
};
use stripe_core::setup_intent::ConfirmSetupIntent;
use stripe_payment::payment_method::DetachPaymentMethod;

use super::operations::{CardSummary, SetupIntentSummary, card_summary, setup_summary};
use super::{PaymentsError, StripeAccount};

impl StripeAccount {
    /// True when the customer exists (and is not deleted) in this account.
    pub async fn customer_exists(&self, customer_id: &str) -> Result<bool, PaymentsError> {
        match RetrieveCustomer::new(customer_id).send(self.client()).await {
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
        Ok(setup_summary(
            ConfirmSetupIntent::new(id)
                .payment_method(payment_method_id)
                .send(self.client())
                .await?,
        ))
    }

    pub async fn list_cards(&self, customer_id: &str) -> Result<Vec<CardSummary>, PaymentsError> {
        let list = ListPaymentMethodsCustomer::new(customer_id)
            .type_(ListPaymentMethodsCustomerType::Card)
            .send(self.client())
            .await?;
        Ok(list.data.iter().filter_map(card_summary).collect())
    }

    pub async fn detach_card(&self, payment_method_id: &str) -> Result<(), PaymentsError> {
        DetachPaymentMethod::new(payment_method_id)
            .send(self.client())
            .await?;
        Ok(())
    }
}

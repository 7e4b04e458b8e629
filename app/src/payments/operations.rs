//! The Stripe calls the product makes, returning our own small types so that no Stripe type leaks
//! past this module. Every call that creates something takes an idempotency key: a retry after a
//! lost response gets Stripe's saved answer instead of a second object.

use stripe_core::customer::CreateCustomer;
use stripe_core::setup_intent::{CreateSetupIntent, CreateSetupIntentUsage, RetrieveSetupIntent};
use stripe_payment::payment_method::{DetachPaymentMethod, RetrievePaymentMethod};
use stripe_shared::{SetupIntentAllowedPaymentMethodTypes, SetupIntentStatus};

pub use super::charging::{ChargeOutcome, OffSessionCharge, RefundSummary};
use super::transport::Key;
use super::{PaymentsError, StripeAccount};

/// A saved card as we keep it: ids plus what a person recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    pub payment_method_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

pub(super) fn card_summary(pm: &stripe_shared::PaymentMethod) -> Option<CardSummary> {
    pm.card.as_ref().map(|card| CardSummary {
        payment_method_id: pm.id.to_string(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupState {
    /// The browser still has to collect or confirm the card.
    Pending,
    /// 3-D Secure or similar is waiting for the customer.
    RequiresAction,
    Succeeded {
        payment_method_id: String,
    },
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupIntentSummary {
    pub id: String,
    pub client_secret: String,
    pub state: SetupState,
}

pub(super) fn setup_summary(si: stripe_shared::SetupIntent) -> SetupIntentSummary {
    let state = match si.status {
        SetupIntentStatus::Succeeded => match si.payment_method.as_ref() {
            Some(pm) => SetupState::Succeeded {
                payment_method_id: pm.id().to_string(),
            },
            None => SetupState::Pending,
        },
        SetupIntentStatus::RequiresAction => SetupState::RequiresAction,
        SetupIntentStatus::Canceled => SetupState::Canceled,
        _ => SetupState::Pending,
    };
    SetupIntentSummary {
        id: si.id.to_string(),
        client_secret: si.client_secret.unwrap_or_default(),
        state,
    }
}

impl StripeAccount {
    /// Creates the Stripe customer for one of our customers; `our_id` goes into metadata so the
    /// two can be matched in Stripe's dashboard.
    pub async fn create_customer(
        &self,
        name: &str,
        email: Option<&str>,
        our_id: &str,
        idempotency_key: &str,
    ) -> Result<String, PaymentsError> {
        let mut request = CreateCustomer::new()
            .name(name)
            .metadata([("customer_id".to_owned(), our_id.to_owned())]);
        if let Some(email) = email {
            request = request.email(email);
        }
        let customer = self
            .transport
            .send(
                "create customer",
                &request,
                Some(Key::Caller(idempotency_key)),
            )
            .await?;
        Ok(customer.id.to_string())
    }

    /// A SetupIntent that saves a card for later off-session charges.
    pub async fn create_setup_intent(
        &self,
        customer_id: &str,
        idempotency_key: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        let request = CreateSetupIntent::new()
            .customer(customer_id)
            .usage(CreateSetupIntentUsage::OffSession)
            // Cards only (`payment_method_types=[card]`): the Payment Element then offers
            // neither Link nor a bank account, whose saved method would not be a card we can
            // show and charge, and no method that redirects.
            .allowed_payment_method_types(vec![SetupIntentAllowedPaymentMethodTypes::Card]);
        let intent = self
            .transport
            .send(
                "create setup intent",
                &request,
                Some(Key::Caller(idempotency_key)),
            )
            .await?;
        Ok(setup_summary(intent))
    }

    pub async fn retrieve_setup_intent(
        &self,
        id: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        let request = RetrieveSetupIntent::new(id);
        Ok(setup_summary(
            self.transport
                .send("retrieve setup intent", &request, None)
                .await?,
        ))
    }

    pub async fn retrieve_card(
        &self,
        payment_method_id: &str,
    ) -> Result<Option<CardSummary>, PaymentsError> {
        let request = RetrievePaymentMethod::new(payment_method_id);
        let pm = self
            .transport
            .send("retrieve payment method", &request, None)
            .await?;
        Ok(card_summary(&pm))
    }
}

// ---------------------------------------------------------------------------------------------
// Create Payment Option (a card entered by staff) and Remove

/// A SetupIntent read back before its card is recorded: whose it is and where it got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedSetupIntent {
    /// The Stripe customer the card is saved to.
    pub customer_id: Option<String>,
    pub metadata: std::collections::HashMap<String, String>,
    pub state: SetupState,
}

/// How a detach ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// Stripe detached the card now.
    Now,
    /// The card was no longer attached (removed in Stripe's dashboard, or an earlier attempt
    /// whose answer was lost) or no longer exists.
    AlreadyGone,
}

impl StripeAccount {
    /// A SetupIntent for a card that a staff member enters in the app; `metadata` records who
    /// and for which of our customers, for Stripe's dashboard.
    pub async fn create_setup_intent_with_metadata(
        &self,
        customer_id: &str,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        let request = CreateSetupIntent::new()
            .customer(customer_id)
            .usage(CreateSetupIntentUsage::OffSession)
            // Cards only (`payment_method_types=[card]`): the Payment Element then offers
            // neither Link nor a bank account, whose saved method would not be a card we can
            // show and charge, and no method that redirects.
            .allowed_payment_method_types(vec![SetupIntentAllowedPaymentMethodTypes::Card])
            .metadata(
                metadata
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<std::collections::HashMap<_, _>>(),
            );
        let intent = self
            .transport
            .send(
                "create setup intent",
                &request,
                Some(Key::Caller(idempotency_key)),
            )
            .await?;
        Ok(setup_summary(intent))
    }

    /// The SetupIntent with its customer, or `None` when this account has no such SetupIntent.
    pub async fn find_setup_intent(
        &self,
        id: &str,
    ) -> Result<Option<OwnedSetupIntent>, PaymentsError> {
        let request = RetrieveSetupIntent::new(id);
        match self
            .transport
            .send("retrieve setup intent", &request, None)
            .await
        {
            Ok(si) => Ok(Some(OwnedSetupIntent {
                customer_id: si.customer.as_ref().map(|c| c.id().to_string()),
                metadata: si.metadata.clone().unwrap_or_default(),
                state: setup_summary(si).state,
            })),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Detaches a saved card; a card Stripe no longer holds attached counts as done, so a retry
    /// after a lost answer (or a removal made in Stripe's dashboard) succeeds.
    pub async fn detach_card_if_attached(
        &self,
        payment_method_id: &str,
    ) -> Result<Detached, PaymentsError> {
        let detach = DetachPaymentMethod::new(payment_method_id);
        match self
            .transport
            .send("detach payment method", &detach, Some(Key::PerCall))
            .await
        {
            Ok(_) => Ok(Detached::Now),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(Detached::AlreadyGone),
            // Stripe refuses to detach a card that is not attached; ask it whether that is the
            // reason rather than trusting the wording of the error.
            Err(stripe::StripeError::Stripe(api, 400)) => {
                let request = RetrievePaymentMethod::new(payment_method_id);
                match self
                    .transport
                    .send("retrieve payment method", &request, None)
                    .await
                {
                    Ok(pm) if pm.customer.is_none() => Ok(Detached::AlreadyGone),
                    Err(stripe::StripeError::Stripe(_, 404)) => Ok(Detached::AlreadyGone),
                    Ok(_) => Err(stripe::StripeError::Stripe(api, 400).into()),
                    Err(other) => Err(other.into()),
                }
            }
            Err(other) => Err(other.into()),
        }
    }
}

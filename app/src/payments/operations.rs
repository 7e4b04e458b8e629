//! The Stripe calls the product makes, returning our own small types so that no Stripe type leaks
//! past this module. Every call that creates something takes an idempotency key: a retry after a
//! lost response gets Stripe's saved answer instead of a second object.

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::customer::{
    CreateCustomer, ListPaymentMethodsCustomer, ListPaymentMethodsCustomerType, RetrieveCustomer,
};
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
    CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects, CreatePaymentIntentOffSession,
    RetrievePaymentIntent,
};
use stripe_core::refund::CreateRefund;
use stripe_core::setup_intent::{
    ConfirmSetupIntent, CreateSetupIntent, CreateSetupIntentAutomaticPaymentMethods,
    CreateSetupIntentAutomaticPaymentMethodsAllowRedirects, CreateSetupIntentUsage,
    RetrieveSetupIntent,
};
use stripe_payment::payment_method::{DetachPaymentMethod, RetrievePaymentMethod};
use stripe_shared::{PaymentIntentStatus, SetupIntentStatus};

use super::{PaymentsError, StripeAccount};

fn idempotent(key: &str) -> Result<RequestStrategy, PaymentsError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentsError::Unavailable(format!("bad idempotency key: {e}")))
}

/// A saved card as we keep it: ids plus what a person recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    pub payment_method_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

fn card_summary(pm: &stripe_shared::PaymentMethod) -> Option<CardSummary> {
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

fn setup_summary(si: stripe_shared::SetupIntent) -> SetupIntentSummary {
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

/// The result of an off-session charge attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        payment_intent_id: String,
    },
    /// The bank wants the customer present (3-D Secure): send them a link to confirm.
    AuthenticationRequired {
        payment_intent_id: String,
        client_secret: String,
    },
    Declined {
        payment_intent_id: Option<String>,
        code: String,
        decline_code: Option<String>,
        message: String,
    },
    /// Stripe is still working on it (e.g. `processing`); settle later from the webhook.
    Pending {
        payment_intent_id: String,
        status: String,
    },
}

pub struct OffSessionCharge<'a> {
    pub customer_id: &'a str,
    pub payment_method_id: &'a str,
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217, lower case (`usd`).
    pub currency: &'a str,
    pub description: &'a str,
    pub idempotency_key: &'a str,
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
        let customer = request
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(self.client())
            .await?;
        Ok(customer.id.to_string())
    }

    /// True when the customer exists (and is not deleted) in this account.
    pub async fn customer_exists(&self, customer_id: &str) -> Result<bool, PaymentsError> {
        match RetrieveCustomer::new(customer_id).send(self.client()).await {
            Ok(_) => Ok(true),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// A SetupIntent that saves a card for later off-session charges.
    pub async fn create_setup_intent(
        &self,
        customer_id: &str,
        idempotency_key: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        let intent = CreateSetupIntent::new()
            .customer(customer_id)
            .usage(CreateSetupIntentUsage::OffSession)
            // Cards only, never a redirect: a server-side confirm then needs no return_url.
            .automatic_payment_methods(CreateSetupIntentAutomaticPaymentMethods {
                enabled: true,
                allow_redirects: Some(
                    CreateSetupIntentAutomaticPaymentMethodsAllowRedirects::Never,
                ),
            })
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(self.client())
            .await?;
        Ok(setup_summary(intent))
    }

    pub async fn retrieve_setup_intent(
        &self,
        id: &str,
    ) -> Result<SetupIntentSummary, PaymentsError> {
        Ok(setup_summary(
            RetrieveSetupIntent::new(id).send(self.client()).await?,
        ))
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

    pub async fn retrieve_card(
        &self,
        payment_method_id: &str,
    ) -> Result<Option<CardSummary>, PaymentsError> {
        let pm = RetrievePaymentMethod::new(payment_method_id)
            .send(self.client())
            .await?;
        Ok(card_summary(&pm))
    }

    pub async fn detach_card(&self, payment_method_id: &str) -> Result<(), PaymentsError> {
        DetachPaymentMethod::new(payment_method_id)
            .send(self.client())
            .await?;
        Ok(())
    }

    /// Charges a saved card with the customer absent (`off_session=true, confirm=true`).
    pub async fn charge_off_session(
        &self,
        charge: OffSessionCharge<'_>,
    ) -> Result<ChargeOutcome, PaymentsError> {
        let currency: stripe_types::Currency = charge.currency.parse().map_err(|_| {
            PaymentsError::Unavailable(format!("unknown currency {}", charge.currency))
        })?;
        let result = CreatePaymentIntent::new(charge.amount, currency)
            .customer(charge.customer_id)
            .payment_method(charge.payment_method_id)
            .description(charge.description)
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods {
                enabled: true,
                allow_redirects: Some(
                    CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never,
                ),
            })
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
            .customize()
            .request_strategy(idempotent(charge.idempotency_key)?)
            .send(self.client())
            .await;
        match result {
            Ok(pi) => Ok(payment_outcome(pi)),
            Err(stripe::StripeError::Stripe(api, 402)) => Ok(declined(*api)),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn retrieve_payment(
        &self,
        payment_intent_id: &str,
    ) -> Result<ChargeOutcome, PaymentsError> {
        Ok(payment_outcome(
            RetrievePaymentIntent::new(payment_intent_id)
                .send(self.client())
                .await?,
        ))
    }

    /// Refunds all (`amount: None`) or part of a payment; returns the refund id.
    pub async fn refund(
        &self,
        payment_intent_id: &str,
        amount: Option<i64>,
        idempotency_key: &str,
    ) -> Result<String, PaymentsError> {
        let mut request = CreateRefund::new().payment_intent(payment_intent_id);
        if let Some(amount) = amount {
            request = request.amount(amount);
        }
        let refund = request
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(self.client())
            .await?;
        Ok(refund.id.to_string())
    }
}

fn payment_outcome(pi: stripe_shared::PaymentIntent) -> ChargeOutcome {
    let id = pi.id.to_string();
    match pi.status {
        PaymentIntentStatus::Succeeded => ChargeOutcome::Succeeded {
            payment_intent_id: id,
        },
        PaymentIntentStatus::RequiresAction => ChargeOutcome::AuthenticationRequired {
            payment_intent_id: id,
            client_secret: pi.client_secret.unwrap_or_default(),
        },
        PaymentIntentStatus::RequiresPaymentMethod => {
            let error = pi.last_payment_error.as_deref();
            ChargeOutcome::Declined {
                payment_intent_id: Some(id),
                code: error
                    .and_then(|e| e.code.as_ref())
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "card_declined".to_owned()),
                decline_code: error.and_then(|e| e.decline_code.clone()),
                message: error.and_then(|e| e.message.clone()).unwrap_or_default(),
            }
        }
        other => ChargeOutcome::Pending {
            payment_intent_id: id,
            status: other.to_string(),
        },
    }
}

fn declined(api: stripe::ApiErrors) -> ChargeOutcome {
    let code = api
        .code
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "card_declined".to_owned());
    let payment_intent_id = api.payment_intent.as_ref().map(|pi| pi.id.to_string());
    // Stripe answers 402 for authentication_required too; the intent then waits for the customer.
    if code == "authentication_required"
        && let Some(pi) = api.payment_intent
    {
        return ChargeOutcome::AuthenticationRequired {
            payment_intent_id: pi.id.to_string(),
            client_secret: pi.client_secret.unwrap_or_default(),
        };
    }
    ChargeOutcome::Declined {
        payment_intent_id,
        code,
        decline_code: api.decline_code,
        message: api.message.unwrap_or_default(),
    }
}

//! The Stripe calls the product makes, returning our own small types so that no Stripe type leaks
//! past this module. Every call that creates something takes an idempotency key: a retry after a
//! lost response gets Stripe's saved answer instead of a second object.

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::customer::{
    CreateCustomer, ListPaymentMethodsCustomer, ListPaymentMethodsCustomerType, RetrieveCustomer,
};
use stripe_core::payment_intent::{
    CancelPaymentIntent, CancelPaymentIntentCancellationReason, CreatePaymentIntent,
    CreatePaymentIntentAutomaticPaymentMethods,
    CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects, CreatePaymentIntentOffSession,
    RetrievePaymentIntent,
};
use stripe_core::refund::{CreateRefund, ListRefund};
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
        /// The PaymentIntent sits in `requires_action` (`handleNextAction`); otherwise it waits in
        /// `requires_payment_method` for an on-session confirm with the same card.
        requires_action: bool,
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
    /// Ours; goes into the PaymentIntent's metadata.
    pub charge_id: &'a str,
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

    /// Charges a saved card with the customer absent (`off_session=true, confirm=true`), retried
    /// under the account's policy with the charge's own idempotency key: however often it is sent,
    /// Stripe makes one PaymentIntent. Our charge id goes into metadata for the dashboard.
    pub async fn charge_off_session(
        &self,
        charge: OffSessionCharge<'_>,
    ) -> Result<ChargeOutcome, PaymentsError> {
        let currency: stripe_types::Currency = charge.currency.parse().map_err(|_| {
            PaymentsError::Unavailable(format!("unknown currency {}", charge.currency))
        })?;
        let strategy = idempotent(charge.idempotency_key)?;
        let client = self.client();
        let result = self
            .with_retries("create payment intent", || {
                let request = CreatePaymentIntent::new(charge.amount, currency.clone())
                    .customer(charge.customer_id)
                    .payment_method(charge.payment_method_id)
                    .description(charge.description)
                    .metadata([("charge_id".to_owned(), charge.charge_id.to_owned())])
                    .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods {
                        enabled: true,
                        allow_redirects: Some(
                            CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never,
                        ),
                    })
                    .off_session(CreatePaymentIntentOffSession::Bool(true))
                    .confirm(true);
                let strategy = strategy.clone();
                async move {
                    request
                        .customize()
                        .request_strategy(strategy)
                        .send(client)
                        .await
                }
            })
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
        let client = self.client();
        let pi = self
            .with_retries("retrieve payment intent", || {
                let request = RetrievePaymentIntent::new(payment_intent_id);
                async move { request.send(client).await }
            })
            .await?;
        Ok(payment_outcome(pi))
    }

    /// Cancels a PaymentIntent the customer abandoned (`cancellation_reason=abandoned`), so it can
    /// no longer be confirmed. Stripe refuses (400) an intent that already succeeded: the caller
    /// then reads its state instead.
    pub async fn cancel_abandoned_payment(
        &self,
        payment_intent_id: &str,
    ) -> Result<(), PaymentsError> {
        let client = self.client();
        self.with_retries("cancel payment intent", || {
            let request = CancelPaymentIntent::new(payment_intent_id)
                .cancellation_reason(CancelPaymentIntentCancellationReason::Abandoned);
            async move { request.send(client).await }
        })
        .await?;
        Ok(())
    }

    /// Refunds all (`amount: None`) or part of a payment, retried with the refund's own
    /// idempotency key; `refund_id` (ours) goes into metadata so a `charge.refunded` webhook can
    /// tell our refunds from ones made in Stripe's dashboard.
    pub async fn refund(
        &self,
        payment_intent_id: &str,
        amount: Option<i64>,
        refund_id: &str,
        idempotency_key: &str,
    ) -> Result<RefundSummary, PaymentsError> {
        let strategy = idempotent(idempotency_key)?;
        let client = self.client();
        let refund = self
            .with_retries("create refund", || {
                let mut request = CreateRefund::new()
                    .payment_intent(payment_intent_id)
                    .metadata([("refund_id".to_owned(), refund_id.to_owned())]);
                if let Some(amount) = amount {
                    request = request.amount(amount);
                }
                let strategy = strategy.clone();
                async move {
                    request
                        .customize()
                        .request_strategy(strategy)
                        .send(client)
                        .await
                }
            })
            .await?;
        Ok(refund_summary(&refund))
    }

    /// Every refund of a payment, however it was made (ours, Stripe's dashboard).
    pub async fn list_refunds(
        &self,
        payment_intent_id: &str,
    ) -> Result<Vec<RefundSummary>, PaymentsError> {
        let client = self.client();
        let list = self
            .with_retries("list refunds", || {
                let request = ListRefund::new()
                    .payment_intent(payment_intent_id)
                    .limit(100);
                async move { request.send(client).await }
            })
            .await?;
        Ok(list.data.iter().map(refund_summary).collect())
    }
}

/// A refund as we keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSummary {
    pub id: String,
    pub amount: i64,
    /// `pending`, `succeeded`, `failed`, `canceled`, `requires_action`.
    pub status: String,
    pub failure_reason: Option<String>,
    /// Our refund id, for refunds we made.
    pub our_refund_id: Option<String>,
}

fn refund_summary(refund: &stripe_shared::Refund) -> RefundSummary {
    RefundSummary {
        id: refund.id.to_string(),
        amount: refund.amount,
        status: refund
            .status
            .clone()
            .unwrap_or_else(|| "pending".to_owned()),
        failure_reason: refund.failure_reason.clone(),
        our_refund_id: refund
            .metadata
            .as_ref()
            .and_then(|m| m.get("refund_id").cloned()),
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
            requires_action: true,
        },
        // An off-session attempt the bank refused without the customer, or a challenge the
        // customer failed on the confirm page: either way it waits for them to confirm
        // on-session with the same card (they may try again while their link is valid).
        PaymentIntentStatus::RequiresPaymentMethod
            if pi
                .last_payment_error
                .as_deref()
                .and_then(|e| e.code.as_ref())
                .is_some_and(|c| {
                    matches!(
                        c.to_string().as_str(),
                        "authentication_required" | "payment_intent_authentication_failure"
                    )
                }) =>
        {
            ChargeOutcome::AuthenticationRequired {
                payment_intent_id: id,
                client_secret: pi.client_secret.unwrap_or_default(),
                requires_action: false,
            }
        }
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
            requires_action: false,
        };
    }
    ChargeOutcome::Declined {
        payment_intent_id,
        code,
        decline_code: api.decline_code,
        message: api.message.unwrap_or_default(),
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
        let intent = CreateSetupIntent::new()
            .customer(customer_id)
            .usage(CreateSetupIntentUsage::OffSession)
            .automatic_payment_methods(CreateSetupIntentAutomaticPaymentMethods {
                enabled: true,
                allow_redirects: Some(
                    CreateSetupIntentAutomaticPaymentMethodsAllowRedirects::Never,
                ),
            })
            .metadata(
                metadata
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<std::collections::HashMap<_, _>>(),
            )
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(self.client())
            .await?;
        Ok(setup_summary(intent))
    }

    /// The SetupIntent with its customer, or `None` when this account has no such SetupIntent.
    pub async fn find_setup_intent(
        &self,
        id: &str,
    ) -> Result<Option<OwnedSetupIntent>, PaymentsError> {
        match RetrieveSetupIntent::new(id).send(self.client()).await {
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
        match DetachPaymentMethod::new(payment_method_id)
            .send(self.client())
            .await
        {
            Ok(_) => Ok(Detached::Now),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(Detached::AlreadyGone),
            // Stripe refuses to detach a card that is not attached; ask it whether that is the
            // reason rather than trusting the wording of the error.
            Err(stripe::StripeError::Stripe(api, 400)) => {
                match RetrievePaymentMethod::new(payment_method_id)
                    .send(self.client())
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

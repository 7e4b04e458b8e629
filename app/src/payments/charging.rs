//! Charges and refunds at Stripe: a PaymentIntent confirmed off-session with the charge's own
//! idempotency key, its outcome in our terms, and refunds read back by our own id.

use stripe_core::payment_intent::{
    CancelPaymentIntent, CancelPaymentIntentCancellationReason, CreatePaymentIntent,
    CreatePaymentIntentOffSession, ListPaymentIntent, RetrievePaymentIntent,
};
use stripe_core::refund::{CreateRefund, ListRefund, RetrieveRefund};
use stripe_shared::{PaymentIntentAllowedPaymentMethodTypes, PaymentIntentStatus};

use super::transport::{Key, Plain};
use super::{PaymentsError, StripeAccount};

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
        let request = CreatePaymentIntent::new(charge.amount, currency)
            .customer(charge.customer_id)
            .payment_method(charge.payment_method_id)
            .description(charge.description)
            .metadata([("charge_id".to_owned(), charge.charge_id.to_owned())])
            // Cards only, like the SetupIntents that saved them (and the confirm page's
            // Payment Element then offers nothing else).
            .allowed_payment_method_types(vec![PaymentIntentAllowedPaymentMethodTypes::Card])
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true);
        let result = self
            .transport
            .send(
                "create payment intent",
                &request,
                Some(Key::Caller(charge.idempotency_key)),
            )
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
        let request = RetrievePaymentIntent::new(payment_intent_id);
        let pi = self
            .transport
            .send("retrieve payment intent", &request, None)
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
        let request = CancelPaymentIntent::new(payment_intent_id)
            .cancellation_reason(CancelPaymentIntentCancellationReason::Abandoned);
        self.transport
            .send("cancel payment intent", &request, Some(Key::PerCall))
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
        let mut request = CreateRefund::new()
            .payment_intent(payment_intent_id)
            .metadata([("refund_id".to_owned(), refund_id.to_owned())]);
        if let Some(amount) = amount {
            request = request.amount(amount);
        }
        let refund = self
            .transport
            .send(
                "create refund",
                &request,
                Some(Key::Caller(idempotency_key)),
            )
            .await?;
        Ok(refund_summary(&refund))
    }

    /// One refund as Stripe has it now.
    pub async fn retrieve_refund(&self, refund_id: &str) -> Result<RefundSummary, PaymentsError> {
        let request = RetrieveRefund::new(refund_id);
        let refund = self
            .transport
            .send("retrieve refund", &request, None)
            .await?;
        Ok(refund_summary(&refund))
    }

    /// The PaymentIntent Stripe made for our charge `charge_id` (its metadata), looked up among
    /// the customer's PaymentIntents created since `since` (Unix seconds), newest first and page
    /// by page. `None`: Stripe made none, so the charge never reached it. The list endpoint,
    /// unlike Search, is never behind.
    pub async fn find_payment_by_charge_id(
        &self,
        customer_id: &str,
        charge_id: &str,
        since: i64,
    ) -> Result<Option<ChargeOutcome>, PaymentsError> {
        let mut after: Option<String> = None;
        loop {
            let mut request = ListPaymentIntent::new()
                .customer(customer_id)
                .created(stripe_types::RangeQueryTs::gte(since))
                .limit(100);
            if let Some(after) = &after {
                request = request.starting_after(after.as_str());
            }
            let page = self
                .transport
                .send("list payment intents", &request, None)
                .await?;
            let ours = page.data.iter().find(|pi| {
                pi.metadata
                    .get("charge_id")
                    .is_some_and(|id| id == charge_id)
            });
            if let Some(pi) = ours {
                return Ok(Some(payment_outcome(pi.clone())));
            }
            match page.data.last() {
                Some(last) if page.has_more => after = Some(last.id.to_string()),
                _ => return Ok(None),
            }
        }
    }

    /// Whether this account still has the customer (not deleted): an empty list of its
    /// PaymentIntents proves nothing otherwise.
    pub async fn still_has_customer(&self, customer_id: &str) -> Result<bool, PaymentsError> {
        let request = Plain::<CustomerHead>::get(format!("/customers/{customer_id}"));
        let found = self
            .transport
            .send("retrieve customer", &request, None)
            .await;
        match found {
            Ok(head) => Ok(head.deleted != Some(true)),
            Err(stripe::StripeError::Stripe(_, 404)) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// Every refund of a payment, however it was made (ours, Stripe's dashboard).
    pub async fn list_refunds(
        &self,
        payment_intent_id: &str,
    ) -> Result<Vec<RefundSummary>, PaymentsError> {
        let request = ListRefund::new()
            .payment_intent(payment_intent_id)
            .limit(100);
        let list = self.transport.send("list refunds", &request, None).await?;
        Ok(list.data.iter().map(refund_summary).collect())
    }
}

/// The part of a (possibly deleted) Customer the lookup needs.
#[derive(Debug, Clone, miniserde::Deserialize)]
struct CustomerHead {
    deleted: Option<bool>,
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

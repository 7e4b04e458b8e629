//! Refunds (`re_…`): create (from `payment_intent` or `charge`, full or partial), retrieve,
//! update (metadata), list. Card refunds succeed at once, as in Stripe's test mode; each emits
//! `refund.created` and `charge.refunded`.
//!
//! A refund of a charge to 4000 0000 0000 7726 (`pm_card_pendingRefund`) starts `pending`
//! (`pending_reason: processing`), as Stripe's "Asynchronous success" test card does, and counts
//! in the charge's `amount_refunded` at once, as at Stripe. It succeeds when a test (standing in
//! for "some time later") calls `POST /emulator/refunds/{id}/settle` with the account's secret
//! key, which emits `refund.updated`.

use serde_json::{Value, json};

use crate::common::{LIST_PARAMS, Metadata, apply_metadata, format_amount, list, metadata_json};
use crate::errors::ApiError;
use crate::events::created_filter;
use crate::form::Params;
use crate::payment_methods::{changed, first};
use crate::state::{Ctx, new_id, random_alnum};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Refund {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) charge: String,
    pub(crate) payment_intent: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: Metadata,
    pub(crate) reference: String,
    /// `pending` or `succeeded`.
    #[serde(with = "crate::persist::static_str")]
    pub(crate) status: crate::persist::StaticStr,
}

impl Refund {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": null,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "destination_details": {
                "card": {
                    "reference": self.reference,
                    "reference_status": "available",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": metadata_json(&self.metadata),
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "receipt_number": null,
            "pending_reason": if self.status == "pending" { json!("processing") } else { Value::Null },
            "source_transfer_reversal": null,
            "status": self.status,
            "transfer_reversal": null,
        })
    }
}

/// `POST /v1/refunds`
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    params.only(&[
        "payment_intent",
        "charge",
        "amount",
        "reason",
        "metadata",
        "instructions_email",
        "refund_application_fee",
        "reverse_transfer",
        "origin",
        "currency",
        "customer",
        "expand",
    ])?;
    let reason = params
        .one_of(
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?
        .map(str::to_string);
    let charge_id = match (
        params.non_empty("payment_intent")?,
        params.non_empty("charge")?,
    ) {
        (None, None) => {
            return Err(ApiError::param_error(
                "One of the following params should be provided for this request: payment_intent or charge.",
                "payment_intent",
            ));
        }
        (Some(pi), charge) => {
            let intent = ctx
                .payment_intent(pi)
                .map_err(|_| ApiError::no_such("payment_intent", pi, "payment_intent"))?;
            let latest = intent
                .latest_charge
                .clone()
                .filter(|_| intent.status == "succeeded");
            let Some(latest) = latest else {
                return Err(ApiError::invalid(format!(
                    "This PaymentIntent ({pi}) does not have a successful charge to refund."
                ))
                .with_param("payment_intent"));
            };
            if charge.is_some_and(|c| c != latest) {
                return Err(ApiError::param_error(
                    "The charge provided does not belong to the PaymentIntent provided.",
                    "charge",
                ));
            }
            latest
        }
        (None, Some(c)) => c.to_string(),
    };
    let charge = ctx
        .acct
        .charges
        .get(&charge_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("charge", &charge_id, "charge"))?;
    if !charge.succeeded() {
        return Err(ApiError::invalid(format!(
            "Charge {charge_id} cannot be refunded because it did not succeed."
        ))
        .with_param("charge"));
    }
    let remaining = charge.amount - charge.amount_refunded;
    if remaining <= 0 {
        return Err(
            ApiError::invalid(format!("Charge {charge_id} has already been refunded."))
                .with_code("charge_already_refunded")
                .with_param("charge"),
        );
    }
    let amount = params.i64("amount")?.unwrap_or(remaining);
    if amount < 1 {
        return Err(ApiError::param_error("Invalid positive integer", "amount")
            .with_code("parameter_invalid_integer"));
    }
    if amount > remaining {
        return Err(ApiError::invalid(format!(
            "Refund amount ({}) is greater than unrefunded amount on charge ({})",
            format_amount(amount, &charge.currency),
            format_amount(remaining, &charge.currency)
        ))
        .with_param("amount"));
    }
    let mut metadata = Metadata::new();
    apply_metadata(&mut metadata, &params)?;
    let seq = ctx.acct.next_seq();
    let refund = Refund {
        id: new_id("re"),
        seq,
        created: ctx.now,
        amount,
        currency: charge.currency.clone(),
        charge: charge_id.clone(),
        payment_intent: charge.payment_intent.clone(),
        reason,
        metadata,
        reference: random_alnum(23).to_ascii_uppercase(),
        status: if charge.payment_method.card.refunds_start_pending() {
            "pending"
        } else {
            "succeeded"
        },
    };
    let refund_json = refund.to_json();
    ctx.acct.refunds.insert(refund.id.clone(), refund);
    let before = charge.to_json();
    let after = match ctx.acct.charges.get_mut(&charge_id) {
        Some(c) => {
            c.amount_refunded += amount;
            c.to_json()
        }
        None => before.clone(),
    };
    ctx.emit("refund.created", refund_json.clone(), None);
    ctx.emit(
        "charge.refunded",
        after.clone(),
        Some(changed(&before, &after)),
    );
    Ok(refund_json)
}

/// `GET /v1/refunds/{id}`
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = first(ids);
    ctx.acct
        .refunds
        .get(id)
        .map(Refund::to_json)
        .ok_or_else(|| ApiError::no_such("refund", id, "id"))
}

/// `POST /v1/refunds/{id}` (metadata only, as at Stripe).
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["metadata", "expand"])?;
    let id = first(ids);
    let refund = ctx
        .acct
        .refunds
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such("refund", id, "id"))?;
    let before = refund.to_json();
    apply_metadata(&mut refund.metadata, &params)?;
    let after = refund.to_json();
    if before != after {
        ctx.emit(
            "refund.updated",
            after.clone(),
            Some(changed(&before, &after)),
        );
    }
    Ok(after)
}

/// `POST /emulator/refunds/{id}/settle`: the money of a pending refund has reached the card, so
/// the refund succeeds and `refund.updated` is emitted (without an API request, as Stripe's own
/// change). A refund that is not pending is refused, so a test can't settle one twice.
pub(crate) fn settle(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&[])?;
    let id = first(ids);
    let refund = ctx
        .acct
        .refunds
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such("refund", id, "id"))?;
    if refund.status != "pending" {
        return Err(ApiError::invalid(format!(
            "Refund {id} is {}, not pending: only a pending refund can settle.",
            refund.status
        )));
    }
    let before = refund.to_json();
    refund.status = "succeeded";
    let after = refund.to_json();
    ctx.emit(
        "refund.updated",
        after.clone(),
        Some(changed(&before, &after)),
    );
    Ok(after)
}

/// `GET /v1/refunds` (filters `charge`, `payment_intent`, `created`).
pub(crate) fn list_refunds(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["charge", "payment_intent", "created"]);
    params.only(&allowed)?;
    let charge = params.non_empty("charge")?;
    let pi = params.non_empty("payment_intent")?;
    let created = created_filter(&params)?;
    let items = ctx
        .acct
        .refunds
        .values()
        .filter(|r| charge.is_none_or(|c| r.charge == c))
        .filter(|r| pi.is_none_or(|p| r.payment_intent.as_deref() == Some(p)))
        .filter(|r| created(r.created))
        .map(|r| (r.seq, r.id.clone(), r.to_json()))
        .collect();
    list(items, &params, "/v1/refunds")
}

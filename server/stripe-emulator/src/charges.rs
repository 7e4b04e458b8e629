//! Charges (`ch_…`): created by PaymentIntent confirmations (succeeded or failed), refunded by
//! refunds; `GET /v1/charges/{id}` and `GET /v1/charges` read them (and `expand[]=latest_charge`
//! renders them inside a PaymentIntent).

use serde_json::{Value, json};

use crate::common::{LIST_PARAMS, Metadata, list, metadata_json};
use crate::errors::{ApiError, Decline};
use crate::events::created_filter;
use crate::form::Params;
use crate::payment_methods::{PaymentMethod, first};
use crate::state::{Ctx, new_id, random_alnum};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Charge {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) amount: i64,
    pub(crate) amount_refunded: i64,
    pub(crate) currency: String,
    pub(crate) customer: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Metadata,
    pub(crate) payment_intent: Option<String>,
    /// The card as it was when charged.
    pub(crate) payment_method: PaymentMethod,
    pub(crate) receipt_email: Option<String>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
    /// `None` when the charge succeeded.
    pub(crate) failure: Option<Decline>,
    pub(crate) authorization_code: String,
    pub(crate) network_transaction_id: String,
    /// Whether the card went through 3-D Secure for this charge.
    pub(crate) authenticated: bool,
}

impl Charge {
    pub(crate) fn succeeded(&self) -> bool {
        self.failure.is_none()
    }

    pub(crate) fn to_json(&self) -> Value {
        let pm = &self.payment_method;
        let card = pm.card;
        let ok = self.succeeded();
        let outcome = match self.failure {
            None => json!({
                "advice_code": null,
                "network_advice_code": null,
                "network_decline_code": null,
                "network_status": "approved_by_network",
                "reason": null,
                "risk_level": "normal",
                "risk_score": 32,
                "seller_message": "Payment complete.",
                "type": "authorized",
            }),
            Some(d) => json!({
                "advice_code": if d.decline_code == "authentication_required" { json!("try_again_later") } else { json!("do_not_try_again") },
                "network_advice_code": null,
                "network_decline_code": null,
                "network_status": "declined_by_network",
                "reason": d.decline_code,
                "risk_level": "normal",
                "risk_score": 32,
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            }),
        };
        let three_d_secure = if self.authenticated {
            json!({
                "authentication_flow": "challenge",
                "electronic_commerce_indicator": "05",
                "exemption_indicator": null,
                "result": "authenticated",
                "result_reason": null,
                "transaction_id": format!("{}-emulated", self.network_transaction_id),
                "version": "2.2.0",
            })
        } else {
            Value::Null
        };
        json!({
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": if ok { self.amount } else { 0 },
            "amount_refunded": self.amount_refunded,
            "application": null,
            "application_fee": null,
            "application_fee_amount": null,
            // No balance transactions are emulated: null rather than an id that cannot be
            // retrieved or expanded.
            "balance_transaction": null,
            "billing_details": pm.billing_details,
            "calculated_statement_descriptor": self.statement_descriptor.clone().unwrap_or_else(|| "STRIPE EMULATOR".to_string()),
            "captured": ok,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "disputed": false,
            "failure_balance_transaction": null,
            "failure_code": self.failure.map(|d| d.code),
            "failure_message": self.failure.map(|d| d.message),
            "fraud_details": {},
            "livemode": false,
            "metadata": metadata_json(&self.metadata),
            "on_behalf_of": null,
            "outcome": outcome,
            "paid": ok,
            "payment_intent": self.payment_intent,
            "payment_method": pm.id,
            "payment_method_details": {
                "card": {
                    "amount_authorized": if ok { json!(self.amount) } else { Value::Null },
                    "authorization_code": if ok { json!(self.authorization_code) } else { Value::Null },
                    "brand": card.brand,
                    "checks": {
                        "address_line1_check": null,
                        "address_postal_code_check": null,
                        "cvc_check": pm.cvc_check.map(|_| "pass"),
                    },
                    "country": card.country,
                    "exp_month": pm.exp_month,
                    "exp_year": pm.exp_year,
                    "extended_authorization": { "status": "disabled" },
                    "fingerprint": pm.fingerprint,
                    "funding": card.funding,
                    "incremental_authorization": { "status": "unavailable" },
                    "installments": null,
                    "last4": pm.last4(),
                    "mandate": null,
                    "multicapture": { "status": "unavailable" },
                    "network": card.brand,
                    "network_token": { "used": false },
                    "network_transaction_id": self.network_transaction_id,
                    "overcapture": { "maximum_amount_capturable": self.amount, "status": "unavailable" },
                    "regulated_status": "unregulated",
                    "three_d_secure": three_d_secure,
                    "wallet": null,
                },
                "type": "card",
            },
            "radar_options": {},
            "receipt_email": self.receipt_email,
            "receipt_number": null,
            "receipt_url": if ok { json!(format!("https://pay.stripe.com/receipts/emulated/{}", self.id)) } else { Value::Null },
            "refunded": ok && self.amount_refunded >= self.amount,
            "review": null,
            "shipping": null,
            "source": null,
            "source_transfer": null,
            "statement_descriptor": self.statement_descriptor,
            "statement_descriptor_suffix": self.statement_descriptor_suffix,
            "status": if ok { "succeeded" } else { "failed" },
            "transfer_data": null,
            "transfer_group": null,
        })
    }
}

/// What a PaymentIntent passes to create its charge.
pub(crate) struct NewCharge<'a> {
    pub(crate) amount: i64,
    pub(crate) currency: &'a str,
    pub(crate) customer: Option<&'a str>,
    pub(crate) description: Option<&'a str>,
    pub(crate) metadata: &'a Metadata,
    pub(crate) payment_intent: &'a str,
    pub(crate) payment_method: &'a str,
    pub(crate) receipt_email: Option<&'a str>,
    pub(crate) statement_descriptor: Option<&'a str>,
    pub(crate) statement_descriptor_suffix: Option<&'a str>,
    pub(crate) failure: Option<Decline>,
    pub(crate) authenticated: bool,
}

impl Ctx<'_> {
    /// Records a charge and emits `charge.succeeded` or `charge.failed`; returns its id.
    pub(crate) fn create_charge(&mut self, c: NewCharge<'_>) -> Result<String, ApiError> {
        let pm = self.payment_method(c.payment_method)?.clone();
        let seq = self.acct.next_seq();
        let charge = Charge {
            id: new_id("ch"),
            seq,
            created: self.now,
            amount: c.amount,
            amount_refunded: 0,
            currency: c.currency.to_string(),
            customer: c.customer.map(str::to_string),
            description: c.description.map(str::to_string),
            metadata: c.metadata.clone(),
            payment_intent: Some(c.payment_intent.to_string()),
            payment_method: pm,
            receipt_email: c.receipt_email.map(str::to_string),
            statement_descriptor: c.statement_descriptor.map(str::to_string),
            statement_descriptor_suffix: c.statement_descriptor_suffix.map(str::to_string),
            failure: c.failure,
            authorization_code: random_alnum(6).to_ascii_uppercase(),
            network_transaction_id: random_alnum(15),
            authenticated: c.authenticated,
        };
        let id = charge.id.clone();
        let json = charge.to_json();
        let type_ = if charge.succeeded() {
            "charge.succeeded"
        } else {
            "charge.failed"
        };
        self.acct.charges.insert(id.clone(), charge);
        self.emit(type_, json, None);
        Ok(id)
    }
}

/// `GET /v1/charges/{id}`
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = first(ids);
    ctx.acct
        .charges
        .get(id)
        .map(Charge::to_json)
        .ok_or_else(|| ApiError::no_such("charge", id, "id"))
}

/// `GET /v1/charges` (filters `customer`, `payment_intent`, `created`).
pub(crate) fn list_charges(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["customer", "payment_intent", "created", "transfer_group"]);
    params.only(&allowed)?;
    let customer = params.non_empty("customer")?;
    let pi = params.non_empty("payment_intent")?;
    let created = created_filter(&params)?;
    let items = ctx
        .acct
        .charges
        .values()
        .filter(|c| customer.is_none_or(|x| c.customer.as_deref() == Some(x)))
        .filter(|c| pi.is_none_or(|x| c.payment_intent.as_deref() == Some(x)))
        .filter(|c| created(c.created))
        .map(|c| (c.seq, c.id.clone(), c.to_json()))
        .collect();
    list(items, &params, "/v1/charges")
}

//! PaymentIntents (`pi_…`): create (optionally `confirm=true`, `off_session=true`), retrieve,
//! update, confirm (secret key, or publishable key with `client_secret`), cancel, list.
//!
//! A confirmation charges the card at once (cards are synchronous): success creates a succeeded
//! Charge; a decline creates a failed Charge, moves the PaymentIntent back to
//! `requires_payment_method` with `last_payment_error`, and answers 402 with the PaymentIntent
//! embedded; an on-session 3-D Secure card moves it to `requires_action`.

use serde_json::{Value, json};

use crate::cards::{AUTHENTICATION_REQUIRED, Outcome, Purpose};
use crate::charges::NewCharge;
use crate::common::{
    LIST_PARAMS, Metadata, apply_metadata, currency, list, metadata_json, validate_amount,
};
use crate::errors::{ApiError, Decline};
use crate::events::created_filter;
use crate::form::Params;
use crate::intents::{
    CONFIRM_PARAMS, Confirm, Types, check_client_secret, client_secret, parse_types,
    publishable_view, request_three_d_secure, return_url_required, three_d_secure_action,
};
use crate::payment_methods::{STRIPE_JS_PARAMS, changed, first};
use crate::state::{Ctx, new_id};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PaymentIntent {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) client_secret: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) customer: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Metadata,
    #[serde(with = "crate::persist::static_str")]
    pub(crate) status: crate::persist::StaticStr,
    pub(crate) payment_method: Option<String>,
    pub(crate) types: Types,
    pub(crate) capture_method: String,
    pub(crate) confirmation_method: String,
    pub(crate) last_payment_error: Option<Value>,
    pub(crate) next_action: Option<Value>,
    pub(crate) latest_charge: Option<String>,
    pub(crate) canceled_at: Option<i64>,
    pub(crate) cancellation_reason: Option<String>,
    pub(crate) receipt_email: Option<String>,
    pub(crate) setup_future_usage: Option<String>,
    pub(crate) statement_descriptor: Option<String>,
    pub(crate) statement_descriptor_suffix: Option<String>,
    pub(crate) shipping: Option<Value>,
    pub(crate) return_url: Option<String>,
    pub(crate) request_three_d_secure: String,
    pub(crate) error_on_requires_action: bool,
    /// 3-D Secure completed for the current attempt (manual confirmation then succeeds).
    pub(crate) authenticated: bool,
}

/// What Stripe returns for a PaymentIntent to a publishable key.
const PUBLISHABLE_FIELDS: &[&str] = &[
    "id",
    "object",
    "amount",
    "amount_details",
    "automatic_payment_methods",
    "canceled_at",
    "cancellation_reason",
    "capture_method",
    "client_secret",
    "confirmation_method",
    "created",
    "currency",
    "description",
    "last_payment_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "processing",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "status",
];

impl PaymentIntent {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "allowed_payment_method_types": self.types.allowed_payment_method_types,
            "amount": self.amount,
            "amount_capturable": 0,
            "amount_details": { "tip": {} },
            "amount_received": if self.status == "succeeded" { self.amount } else { 0 },
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": self.types.automatic_json(),
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": self.confirmation_method,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "customer_account": null,
            "description": self.description,
            "excluded_payment_method_types": null,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": metadata_json(&self.metadata),
            "next_action": self.next_action,
            "on_behalf_of": null,
            "payment_method": self.payment_method,
            "payment_method_configuration_details": null,
            "payment_method_options": {
                "card": {
                    "installments": null,
                    "mandate_options": null,
                    "network": null,
                    "request_three_d_secure": self.request_three_d_secure,
                },
            },
            "payment_method_types": self.types.payment_method_types,
            "processing": null,
            "receipt_email": self.receipt_email,
            "review": null,
            "setup_future_usage": self.setup_future_usage,
            "shipping": self.shipping,
            "source": null,
            "statement_descriptor": self.statement_descriptor,
            "statement_descriptor_suffix": self.statement_descriptor_suffix,
            "status": self.status,
            "transfer_data": null,
            "transfer_group": null,
        })
    }
}

impl Ctx<'_> {
    pub(crate) fn payment_intent(&self, id: &str) -> Result<&PaymentIntent, ApiError> {
        self.acct
            .payment_intents
            .get(id)
            .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))
    }

    /// The PaymentIntent as the caller may see it.
    pub(crate) fn payment_intent_view(&self, id: &str) -> Value {
        let full = self
            .acct
            .payment_intents
            .get(id)
            .map_or(Value::Null, PaymentIntent::to_json);
        if self.is_secret() {
            full
        } else {
            publishable_view(full, PUBLISHABLE_FIELDS)
        }
    }

    fn unexpected_state(&self, id: &str, message: String) -> ApiError {
        ApiError::invalid(message)
            .with_code("payment_intent_unexpected_state")
            .with("payment_intent", self.payment_intent_view(id))
    }

    /// Confirms a PaymentIntent: charges the card, or asks for 3-D Secure, or records the decline
    /// and returns the 402.
    pub(crate) fn confirm_payment(&mut self, id: &str, confirm: Confirm) -> Result<(), ApiError> {
        let pi = self.payment_intent(id)?.clone();
        match pi.status {
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {}
            "succeeded" => {
                return Err(self.unexpected_state(
                    id,
                    "You cannot confirm this PaymentIntent because it has already succeeded after being previously \
                     confirmed."
                        .to_string(),
                ));
            }
            status => {
                return Err(self.unexpected_state(
                    id,
                    format!(
                        "You cannot confirm this PaymentIntent because it has a status of {status}. Only a \
                         PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, \
                         requires_payment_method, requires_action."
                    ),
                ));
            }
        }
        let pm = match (confirm.created_payment_method, confirm.payment_method) {
            (Some(created), _) => Some(created),
            (None, Some(given)) => Some(self.resolve_payment_method(&given, "payment_method")?),
            (None, None) => pi.payment_method.clone(),
        };
        let Some(pm) = pm else {
            let message = match &pi.customer {
                Some(c) => format!(
                    "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the \
                     PaymentIntent with {c}, specify a payment method attached to this customer along with the \
                     customer ID."
                ),
                None => "You cannot confirm this PaymentIntent because it's missing a payment method. You can either \
                         update the PaymentIntent with a payment method and then confirm it again, or confirm it \
                         again directly with a payment method or ConfirmationToken."
                    .to_string(),
            };
            return Err(self.unexpected_state(id, message));
        };
        let return_url = confirm.return_url.or(pi.return_url.clone());
        if self.is_secret() && return_url.is_none() && pi.types.needs_return_url() {
            return Err(return_url_required("PaymentIntent"));
        }
        self.check_usable(&pm, pi.customer.as_deref(), "payment_method")?;
        let request_3ds = confirm
            .request_three_d_secure
            .unwrap_or(pi.request_three_d_secure.clone());
        let off_session = confirm.off_session;
        let mut outcome = self
            .payment_method(&pm)?
            .outcome(Purpose::Payment { off_session });
        let already_authenticated =
            pi.authenticated && pi.payment_method.as_deref() == Some(pm.as_str());
        if already_authenticated && outcome == Outcome::RequiresAction {
            outcome = Outcome::Succeeded;
        }
        if outcome == Outcome::Succeeded
            && !off_session
            && !already_authenticated
            && matches!(request_3ds.as_str(), "any" | "challenge")
        {
            outcome = Outcome::RequiresAction;
        }
        let error_on_requires_action =
            confirm.error_on_requires_action || pi.error_on_requires_action;
        if outcome == Outcome::RequiresAction && error_on_requires_action {
            outcome = Outcome::Declined(AUTHENTICATION_REQUIRED);
        }
        let base_url = self.base_url.to_string();
        let Some(p) = self.acct.payment_intents.get_mut(id) else {
            return Err(ApiError::no_such("payment_intent", id, "intent"));
        };
        p.payment_method = Some(pm.clone());
        p.return_url.clone_from(&return_url);
        p.request_three_d_secure = request_3ds;
        p.error_on_requires_action = error_on_requires_action;
        p.last_payment_error = None;
        match outcome {
            Outcome::Succeeded => self.succeed_payment(id, already_authenticated),
            Outcome::RequiresAction => {
                p.status = "requires_action";
                p.authenticated = false;
                p.next_action = Some(three_d_secure_action(
                    &base_url,
                    id,
                    &p.client_secret,
                    return_url.as_deref(),
                    confirm.use_stripe_sdk,
                ));
                let json = p.to_json();
                self.emit("payment_intent.requires_action", json, None);
                Ok(())
            }
            Outcome::Declined(d) => Err(self.fail_payment(id, d)),
        }
    }

    /// Charges successfully and marks the PaymentIntent succeeded.
    pub(crate) fn succeed_payment(
        &mut self,
        id: &str,
        authenticated: bool,
    ) -> Result<(), ApiError> {
        let pi = self.payment_intent(id)?.clone();
        let Some(pm) = pi.payment_method.clone() else {
            return Err(self.unexpected_state(
                id,
                "This PaymentIntent has no payment method to charge.".to_string(),
            ));
        };
        let charge = self.create_charge(NewCharge {
            amount: pi.amount,
            currency: &pi.currency,
            customer: pi.customer.as_deref(),
            description: pi.description.as_deref(),
            metadata: &pi.metadata,
            payment_intent: id,
            payment_method: &pm,
            receipt_email: pi.receipt_email.as_deref(),
            statement_descriptor: pi.statement_descriptor.as_deref(),
            statement_descriptor_suffix: pi.statement_descriptor_suffix.as_deref(),
            failure: None,
            authenticated,
        })?;
        if let Some(m) = self.acct.payment_methods.get_mut(&pm) {
            if m.cvc_check.is_some() {
                m.cvc_check = Some("pass");
            }
            match (&pi.setup_future_usage, &pi.customer) {
                // Saving the card during payment: attached and set up for later payments.
                (Some(_), Some(_)) => m.set_up = true,
                // Without a customer, a PaymentMethod serves one payment only.
                (_, None) => m.consumed = true,
                _ => {}
            }
        }
        if let (Some(_), Some(customer)) = (&pi.setup_future_usage, &pi.customer) {
            self.attach_payment_method(&pm, customer);
        }
        if let Some(p) = self.acct.payment_intents.get_mut(id) {
            p.status = "succeeded";
            p.next_action = None;
            p.last_payment_error = None;
            p.latest_charge = Some(charge);
            p.authenticated = authenticated;
            let json = p.to_json();
            self.emit("payment_intent.succeeded", json, None);
        }
        Ok(())
    }

    /// Records a declined payment: a failed charge, `last_payment_error`, status back to
    /// `requires_payment_method`; returns the 402 with the PaymentIntent embedded.
    pub(crate) fn fail_payment(&mut self, id: &str, decline: Decline) -> ApiError {
        let Ok(pi) = self.payment_intent(id).cloned() else {
            return ApiError::no_such("payment_intent", id, "intent");
        };
        let pm = pi.payment_method.clone().unwrap_or_default();
        let charge = self
            .create_charge(NewCharge {
                amount: pi.amount,
                currency: &pi.currency,
                customer: pi.customer.as_deref(),
                description: pi.description.as_deref(),
                metadata: &pi.metadata,
                payment_intent: id,
                payment_method: &pm,
                receipt_email: pi.receipt_email.as_deref(),
                statement_descriptor: pi.statement_descriptor.as_deref(),
                statement_descriptor_suffix: pi.statement_descriptor_suffix.as_deref(),
                failure: Some(decline),
                authenticated: false,
            })
            .ok();
        let mut error = decline
            .to_error()
            .with("payment_method", self.payment_method_json(&pm));
        if let Some(ch) = &charge {
            error = error.with("charge", json!(ch));
        }
        self.record_payment_failure(id, &error, charge);
        error.with("payment_intent", self.payment_intent_view(id))
    }

    /// Puts a PaymentIntent back to `requires_payment_method` with `last_payment_error` and
    /// emits `payment_intent.payment_failed`.
    pub(crate) fn record_payment_failure(
        &mut self,
        id: &str,
        error: &ApiError,
        charge: Option<String>,
    ) {
        if let Some(p) = self.acct.payment_intents.get_mut(id) {
            p.status = "requires_payment_method";
            p.payment_method = None;
            p.next_action = None;
            p.authenticated = false;
            p.last_payment_error = Some(error.inner_json());
            if charge.is_some() {
                p.latest_charge = charge;
            }
            let json = p.to_json();
            self.emit("payment_intent.payment_failed", json, None);
        }
    }
}

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "allowed_payment_method_types",
    "payment_method_types",
    "automatic_payment_methods",
    "excluded_payment_method_types",
    "payment_method_configuration",
    "capture_method",
    "confirm",
    "confirmation_method",
    "customer",
    "description",
    "error_on_requires_action",
    "metadata",
    "off_session",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "mandate",
    "radar_options",
    "payment_details",
    "amount_details",
    "hooks",
    "application_fee_amount",
    "on_behalf_of",
    "transfer_data",
    "transfer_group",
    "customer_account",
];

fn refuse_unsupported(params: &Params<'_>) -> Result<(), ApiError> {
    for key in [
        "application_fee_amount",
        "on_behalf_of",
        "transfer_data",
        "customer_account",
        "hooks",
    ] {
        if params.contains(key) {
            return Err(ApiError::param_error(
                format!("`{key}` (Connect and hooks) is not supported by the Stripe emulator."),
                key,
            ));
        }
    }
    Ok(())
}

fn shipping(params: &Params<'_>) -> Result<Option<Value>, ApiError> {
    let Some(s) = params.sub("shipping")? else {
        return Ok(None);
    };
    if s.is_empty() {
        return Ok(None);
    }
    s.only(&["address", "name", "phone", "carrier", "tracking_number"])?;
    let a = s
        .sub("address")?
        .ok_or_else(|| ApiError::missing_param("shipping[address]"))?;
    a.only(&["city", "country", "line1", "line2", "postal_code", "state"])?;
    let mut address = json!({});
    for key in ["city", "country", "line1", "line2", "postal_code", "state"] {
        address[key] = json!(a.non_empty(key)?);
    }
    Ok(Some(json!({
        "address": address,
        "carrier": s.non_empty("carrier")?,
        "name": s.required_str("name")?,
        "phone": s.non_empty("phone")?,
        "tracking_number": s.non_empty("tracking_number")?,
    })))
}

fn suffix(params: &Params<'_>, key: &str) -> Result<Option<String>, ApiError> {
    match params.non_empty(key)? {
        Some(s) if s.chars().count() > 22 => Err(ApiError::param_error(
            format!("The {key} must be at most 22 characters long."),
            key,
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// `off_session`: `true`/`false`, or `one_off`/`recurring` (both mean off-session).
fn off_session(params: &Params<'_>) -> Result<Option<bool>, ApiError> {
    match params.non_empty("off_session")? {
        None => Ok(None),
        Some("true" | "one_off" | "recurring") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::param_error(
            format!("Invalid off_session: {other}. Must be true, false, one_off or recurring."),
            "off_session",
        )),
    }
}

/// `POST /v1/payment_intents`
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    let mut allowed = CREATE_PARAMS.to_vec();
    allowed.extend_from_slice(CONFIRM_PARAMS);
    params.only(&allowed)?;
    refuse_unsupported(&params)?;
    let amount = params
        .i64("amount")?
        .ok_or_else(|| ApiError::missing_param("amount"))?;
    let currency = currency(&params, "currency")?;
    validate_amount(amount, &currency, "amount")?;
    let customer = params.non_empty("customer")?.map(str::to_string);
    if let Some(c) = &customer {
        ctx.customer(c, "customer")?;
    }
    let types = parse_types(&params)?;
    let capture_method = params
        .one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?
        .unwrap_or("automatic_async");
    if capture_method == "manual" {
        return Err(ApiError::param_error(
            "Manual capture (`capture_method=manual`) is not supported by the Stripe emulator.",
            "capture_method",
        ));
    }
    let confirmation_method = params
        .one_of("confirmation_method", &["automatic", "manual"])?
        .unwrap_or("automatic");
    let confirm = params.bool("confirm")?.unwrap_or(false);
    let off = off_session(&params)?;
    if off.is_some() && !confirm {
        return Err(ApiError::param_error(
            "You can only use `off_session` when `confirm` is set to `true`.",
            "off_session",
        ));
    }
    if !confirm {
        for key in [
            "payment_method_data",
            "return_url",
            "mandate_data",
            "error_on_requires_action",
        ] {
            if params.contains(key) {
                return Err(ApiError::param_error(
                    format!("You can only pass `{key}` when `confirm` is `true`."),
                    key,
                ));
            }
        }
    }
    let setup_future_usage = params
        .one_of("setup_future_usage", &["on_session", "off_session"])?
        .map(str::to_string);
    let receipt_email = params.non_empty("receipt_email")?.map(str::to_string);
    let statement_descriptor = suffix(&params, "statement_descriptor")?;
    let statement_descriptor_suffix = suffix(&params, "statement_descriptor_suffix")?;
    let shipping = shipping(&params)?;
    let mut metadata = Metadata::new();
    apply_metadata(&mut metadata, &params)?;
    let request_3ds = request_three_d_secure(&params)?.unwrap_or_else(|| "automatic".to_string());
    let error_on_requires_action = params.bool("error_on_requires_action")?.unwrap_or(false);
    // What would make `confirm=true` fail validation is checked before anything is created,
    // as Stripe does: the request then leaves no PaymentIntent behind.
    if confirm {
        if params.non_empty("payment_method")?.is_none() && !params.contains("payment_method_data")
        {
            return Err(ApiError::param_error(
                "You cannot confirm this PaymentIntent because it's missing a payment method. Pass `payment_method` \
                 (or `payment_method_data`) along with `confirm=true`.",
                "payment_method",
            ));
        }
        if params.non_empty("return_url")?.is_none() && types.needs_return_url() {
            return Err(return_url_required("PaymentIntent"));
        }
    }
    let mut confirm_params = ctx.parse_confirm(&params)?;
    confirm_params.off_session = off.unwrap_or(false);
    let payment_method = match confirm_params.payment_method.take() {
        Some(given) => {
            let id = ctx.resolve_payment_method(&given, "payment_method")?;
            ctx.check_usable(&id, customer.as_deref(), "payment_method")?;
            Some(id)
        }
        None => None,
    };
    let seq = ctx.acct.next_seq();
    let id = new_id("pi");
    let pi = PaymentIntent {
        id: id.clone(),
        seq,
        created: ctx.now,
        client_secret: client_secret(&id),
        amount,
        currency,
        customer,
        description: params.non_empty("description")?.map(str::to_string),
        metadata,
        status: if payment_method.is_some() {
            "requires_confirmation"
        } else {
            "requires_payment_method"
        },
        payment_method,
        types,
        capture_method: capture_method.to_string(),
        confirmation_method: confirmation_method.to_string(),
        last_payment_error: None,
        next_action: None,
        latest_charge: None,
        canceled_at: None,
        cancellation_reason: None,
        receipt_email,
        setup_future_usage,
        statement_descriptor,
        statement_descriptor_suffix,
        shipping,
        return_url: None,
        request_three_d_secure: request_3ds,
        error_on_requires_action,
        authenticated: false,
    };
    let json = pi.to_json();
    ctx.acct.payment_intents.insert(id.clone(), pi);
    ctx.emit("payment_intent.created", json, None);
    if confirm {
        ctx.confirm_payment(&id, confirm_params)?;
    }
    Ok(ctx.payment_intent_view(&id))
}

/// `GET /v1/payment_intents/{id}` (publishable key: with `client_secret`).
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = vec!["expand", "client_secret"];
    allowed.extend_from_slice(STRIPE_JS_PARAMS);
    params.only(&allowed)?;
    let id = first(ids);
    let secret = ctx.payment_intent(id)?.client_secret.clone();
    check_client_secret(ctx, &params, &secret, "PaymentIntent")?;
    Ok(ctx.payment_intent_view(id))
}

/// `POST /v1/payment_intents/{id}`
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&[
        "amount",
        "currency",
        "customer",
        "description",
        "metadata",
        "payment_method",
        "payment_method_data",
        "payment_method_options",
        "allowed_payment_method_types",
        "payment_method_types",
        "excluded_payment_method_types",
        "receipt_email",
        "setup_future_usage",
        "shipping",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "expand",
    ])?;
    let id = first(ids);
    let pi = ctx.payment_intent(id)?.clone();
    let open = matches!(
        pi.status,
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    );
    let after_payment_ok = [
        "description",
        "metadata",
        "receipt_email",
        "shipping",
        "expand",
    ];
    if !open
        && let Some(k) = params
            .keys()
            .find(|k| !after_payment_ok.contains(&k.as_str()))
    {
        return Err(ctx.unexpected_state(
            id,
            format!(
                "You cannot update `{k}` on this PaymentIntent because it has a status of {}.",
                pi.status
            ),
        ));
    }
    let mut updated = pi.clone();
    if let Some(c) = params.str("currency")? {
        updated.currency = if c.is_empty() {
            pi.currency.clone()
        } else {
            currency(&params, "currency")?
        };
    }
    if let Some(a) = params.i64("amount")? {
        updated.amount = a;
    }
    validate_amount(updated.amount, &updated.currency, "amount")?;
    if let Some(c) = params.str("customer")? {
        if pi.customer.as_deref().is_some_and(|old| old != c) {
            return Err(ApiError::param_error(
                "You cannot change the customer of a PaymentIntent once it is set.",
                "customer",
            ));
        }
        if !c.is_empty() {
            ctx.customer(c, "customer")?;
            updated.customer = Some(c.to_string());
        }
    }
    if let Some(d) = params.str("description")? {
        updated.description = (!d.is_empty()).then(|| d.to_string());
    }
    if let Some(e) = params.str("receipt_email")? {
        updated.receipt_email = (!e.is_empty()).then(|| e.to_string());
    }
    if params.contains("setup_future_usage") {
        updated.setup_future_usage = params
            .one_of("setup_future_usage", &["on_session", "off_session"])?
            .map(str::to_string);
    }
    if params.contains("shipping") {
        updated.shipping = shipping(&params)?;
    }
    if params.contains("statement_descriptor") {
        updated.statement_descriptor = suffix(&params, "statement_descriptor")?;
    }
    if params.contains("statement_descriptor_suffix") {
        updated.statement_descriptor_suffix = suffix(&params, "statement_descriptor_suffix")?;
    }
    if params.contains("allowed_payment_method_types") || params.contains("payment_method_types") {
        updated.types = parse_types(&params)?;
    }
    if let Some(r) = request_three_d_secure(&params)? {
        updated.request_three_d_secure = r;
    }
    let pm = match params.non_empty("payment_method")? {
        Some(p) => Some(ctx.resolve_payment_method(p, "payment_method")?),
        None => match params.sub("payment_method_data")? {
            Some(data) => Some(ctx.create_card_payment_method(&data, STRIPE_JS_PARAMS)?),
            None => None,
        },
    };
    if let Some(pm) = pm {
        ctx.check_usable(&pm, updated.customer.as_deref(), "payment_method")?;
        updated.payment_method = Some(pm);
        updated.status = "requires_confirmation";
        updated.next_action = None;
    }
    apply_metadata(&mut updated.metadata, &params)?;
    let (before, after) = (pi.to_json(), updated.to_json());
    ctx.acct.payment_intents.insert(id.to_string(), updated);
    if before != after {
        ctx.emit(
            "payment_intent.updated",
            after.clone(),
            Some(changed(&before, &after)),
        );
    }
    Ok(after)
}

/// `POST /v1/payment_intents/{id}/confirm` (secret key, or publishable key with `client_secret`).
pub(crate) fn confirm(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = CONFIRM_PARAMS.to_vec();
    allowed.extend([
        "off_session",
        "error_on_requires_action",
        "setup_future_usage",
        "receipt_email",
        "shipping",
        "mandate",
        "radar_options",
        "capture_method",
        "payment_details",
    ]);
    allowed.extend_from_slice(STRIPE_JS_PARAMS);
    params.only(&allowed)?;
    let id = first(ids);
    let secret = ctx.payment_intent(id)?.client_secret.clone();
    check_client_secret(ctx, &params, &secret, "PaymentIntent")?;
    if !ctx.is_secret() && ctx.payment_intent(id)?.confirmation_method == "manual" {
        return Err(ApiError::invalid(
            "This PaymentIntent has `confirmation_method=manual`: it can only be confirmed with a secret key.",
        ));
    }
    let mut confirm = ctx.parse_confirm(&params)?;
    confirm.off_session = off_session(&params)?.unwrap_or(false);
    confirm.error_on_requires_action = params.bool("error_on_requires_action")?.unwrap_or(false);
    let sfu = params.one_of("setup_future_usage", &["on_session", "off_session"])?;
    let email = params.non_empty("receipt_email")?;
    let ship = shipping(&params)?;
    if let Some(p) = ctx.acct.payment_intents.get_mut(id) {
        if let Some(s) = sfu {
            p.setup_future_usage = Some(s.to_string());
        }
        if let Some(e) = email {
            p.receipt_email = Some(e.to_string());
        }
        if ship.is_some() {
            p.shipping = ship;
        }
    }
    ctx.confirm_payment(id, confirm)?;
    Ok(ctx.payment_intent_view(id))
}

/// `POST /v1/payment_intents/{id}/cancel`
pub(crate) fn cancel(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["cancellation_reason", "expand"])?;
    let id = first(ids);
    let reason = params.one_of(
        "cancellation_reason",
        &[
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ],
    )?;
    let status = ctx.payment_intent(id)?.status;
    if !matches!(
        status,
        "requires_payment_method"
            | "requires_capture"
            | "requires_confirmation"
            | "requires_action"
            | "processing"
    ) {
        return Err(ctx.unexpected_state(
            id,
            format!(
                "You cannot cancel this PaymentIntent because it has a status of {status}. Only a PaymentIntent with \
                 one of the following statuses may be canceled: requires_payment_method, requires_capture, \
                 requires_confirmation, requires_action, processing."
            ),
        ));
    }
    let now = ctx.now;
    let Some(p) = ctx.acct.payment_intents.get_mut(id) else {
        return Err(ApiError::no_such("payment_intent", id, "intent"));
    };
    p.status = "canceled";
    p.canceled_at = Some(now);
    p.cancellation_reason = reason.map(str::to_string);
    p.next_action = None;
    let json = p.to_json();
    ctx.emit("payment_intent.canceled", json.clone(), None);
    Ok(json)
}

/// `GET /v1/payment_intents` (filters `customer`, `created`).
pub(crate) fn list_payment_intents(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["customer", "created", "customer_account"]);
    params.only(&allowed)?;
    let customer = params.non_empty("customer")?;
    let created = created_filter(&params)?;
    let items = ctx
        .acct
        .payment_intents
        .values()
        .filter(|p| customer.is_none_or(|c| p.customer.as_deref() == Some(c)))
        .filter(|p| created(p.created))
        .map(|p| (p.seq, p.id.clone(), p.to_json()))
        .collect();
    list(items, &params, "/v1/payment_intents")
}

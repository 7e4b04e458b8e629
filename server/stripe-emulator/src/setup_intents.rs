//! SetupIntents (`seti_…`): create (optionally confirming), retrieve, update, confirm (server-side
//! with a secret key, or from the browser with the publishable key and the client secret),
//! cancel, list.
//!
//! Confirming asks the card's issuer: most cards succeed and the PaymentMethod is attached to the
//! SetupIntent's customer; 3-D Secure cards move to `requires_action` until the challenge is
//! completed or failed (`POST /emulator/authenticate/{id}`); declining cards fail with a 402 and
//! `last_setup_error`.

use serde_json::{Value, json};

use crate::cards::{Outcome, Purpose};
use crate::common::{LIST_PARAMS, Metadata, apply_metadata, list, metadata_json};
use crate::errors::ApiError;
use crate::events::created_filter;
use crate::form::Params;
use crate::intents::{
    CONFIRM_PARAMS, Confirm, Types, check_client_secret, client_secret, parse_types,
    publishable_view, request_three_d_secure, return_url_required, three_d_secure_action,
};
use crate::payment_methods::{STRIPE_JS_PARAMS, changed, first};
use crate::state::{Ctx, new_id};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SetupIntent {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) client_secret: String,
    pub(crate) customer: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Metadata,
    pub(crate) usage: String,
    #[serde(with = "crate::persist::static_str")]
    pub(crate) status: crate::persist::StaticStr,
    pub(crate) payment_method: Option<String>,
    pub(crate) types: Types,
    pub(crate) last_setup_error: Option<Value>,
    pub(crate) next_action: Option<Value>,
    pub(crate) cancellation_reason: Option<String>,
    pub(crate) return_url: Option<String>,
    pub(crate) request_three_d_secure: String,
}

/// What Stripe returns for a SetupIntent to a publishable key.
const PUBLISHABLE_FIELDS: &[&str] = &[
    "id",
    "object",
    "automatic_payment_methods",
    "cancellation_reason",
    "client_secret",
    "created",
    "description",
    "last_setup_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "status",
    "usage",
];

impl SetupIntent {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "setup_intent",
            "allowed_payment_method_types": self.types.allowed_payment_method_types,
            "application": null,
            "attach_to_self": false,
            "automatic_payment_methods": self.types.automatic_json(),
            "cancellation_reason": self.cancellation_reason,
            "client_secret": self.client_secret,
            "created": self.created,
            "customer": self.customer,
            "customer_account": null,
            "description": self.description,
            "excluded_payment_method_types": null,
            "flow_directions": null,
            "last_setup_error": self.last_setup_error,
            "latest_attempt": null,
            "livemode": false,
            "mandate": null,
            "metadata": metadata_json(&self.metadata),
            "next_action": self.next_action,
            "on_behalf_of": null,
            "payment_method": self.payment_method,
            "payment_method_configuration_details": null,
            "payment_method_options": {
                "card": {
                    "mandate_options": null,
                    "network": null,
                    "request_three_d_secure": self.request_three_d_secure,
                },
            },
            "payment_method_types": self.types.payment_method_types,
            "single_use_mandate": null,
            "status": self.status,
            "usage": self.usage,
        })
    }
}

impl Ctx<'_> {
    fn setup_intent(&self, id: &str) -> Result<&SetupIntent, ApiError> {
        self.acct
            .setup_intents
            .get(id)
            .ok_or_else(|| ApiError::no_such("setup_intent", id, "intent"))
    }

    fn setup_intent_mut(&mut self, id: &str) -> Result<&mut SetupIntent, ApiError> {
        self.acct
            .setup_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such("setup_intent", id, "intent"))
    }

    /// The SetupIntent as the caller may see it.
    pub(crate) fn setup_intent_view(&self, id: &str) -> Value {
        let full = self
            .acct
            .setup_intents
            .get(id)
            .map_or(Value::Null, SetupIntent::to_json);
        if self.is_secret() {
            full
        } else {
            publishable_view(full, PUBLISHABLE_FIELDS)
        }
    }

    /// Confirms a SetupIntent. A decline returns the 402 with the SetupIntent embedded, after
    /// recording the failure on it.
    pub(crate) fn confirm_setup(&mut self, id: &str, confirm: Confirm) -> Result<(), ApiError> {
        let si = self.setup_intent(id)?.clone();
        match si.status {
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {}
            "succeeded" => {
                return Err(ApiError::invalid(
                    "You cannot confirm this SetupIntent because it has already succeeded after being previously confirmed.",
                )
                .with_code("setup_intent_unexpected_state")
                .with("setup_intent", self.setup_intent_view(id)));
            }
            status => {
                return Err(ApiError::invalid(format!(
                    "You cannot confirm this SetupIntent because it has a status of {status}. Only a SetupIntent with \
                     one of the following statuses may be confirmed: requires_payment_method, requires_confirmation, \
                     requires_action."
                ))
                .with_code("setup_intent_unexpected_state")
                .with("setup_intent", self.setup_intent_view(id)));
            }
        }
        let pm = match (confirm.created_payment_method, confirm.payment_method) {
            (Some(created), _) => Some(created),
            (None, Some(given)) => Some(self.resolve_payment_method(&given, "payment_method")?),
            (None, None) => si.payment_method.clone(),
        };
        let Some(pm) = pm else {
            return Err(ApiError::invalid(
                "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent \
                 with a payment method and then confirm it again, or confirm it again directly with a payment method.",
            )
            .with_code("setup_intent_unexpected_state")
            .with("setup_intent", self.setup_intent_view(id)));
        };
        let return_url = confirm.return_url.or(si.return_url.clone());
        if self.is_secret() && return_url.is_none() && si.types.needs_return_url() {
            return Err(return_url_required("SetupIntent"));
        }
        self.check_usable(&pm, si.customer.as_deref(), "payment_method")?;
        let request_3ds = confirm
            .request_three_d_secure
            .unwrap_or(si.request_three_d_secure.clone());
        let mut outcome = self.payment_method(&pm)?.outcome(Purpose::Setup);
        if outcome == Outcome::Succeeded && matches!(request_3ds.as_str(), "any" | "challenge") {
            outcome = Outcome::RequiresAction;
        }
        let base_url = self.base_url.to_string();
        let s = self.setup_intent_mut(id)?;
        s.payment_method = Some(pm.clone());
        s.return_url.clone_from(&return_url);
        s.request_three_d_secure = request_3ds;
        s.last_setup_error = None;
        match outcome {
            Outcome::Succeeded => {
                self.succeed_setup(id);
                Ok(())
            }
            Outcome::RequiresAction => {
                s.status = "requires_action";
                s.next_action = Some(three_d_secure_action(
                    &base_url,
                    id,
                    &s.client_secret,
                    return_url.as_deref(),
                    confirm.use_stripe_sdk,
                ));
                let json = s.to_json();
                self.emit("setup_intent.requires_action", json, None);
                Ok(())
            }
            Outcome::Declined(d) => Err(self.fail_setup(id, d.to_error())),
        }
    }

    /// Marks a SetupIntent succeeded: its PaymentMethod is set up for future use and attached
    /// to the customer.
    pub(crate) fn succeed_setup(&mut self, id: &str) {
        let Some(s) = self.acct.setup_intents.get_mut(id) else {
            return;
        };
        s.status = "succeeded";
        s.next_action = None;
        s.last_setup_error = None;
        let (pm, customer) = (s.payment_method.clone(), s.customer.clone());
        if let Some(m) = pm
            .as_deref()
            .and_then(|p| self.acct.payment_methods.get_mut(p))
        {
            m.set_up = true;
            if m.cvc_check.is_some() {
                m.cvc_check = Some("pass");
            }
        }
        if let (Some(pm), Some(customer)) = (pm, customer) {
            self.attach_payment_method(&pm, &customer);
        }
        let json = self
            .acct
            .setup_intents
            .get(id)
            .map_or(Value::Null, SetupIntent::to_json);
        self.emit("setup_intent.succeeded", json, None);
    }

    /// Records a failed setup (`last_setup_error`, back to `requires_payment_method`) and
    /// returns the error with the SetupIntent embedded.
    pub(crate) fn fail_setup(&mut self, id: &str, error: ApiError) -> ApiError {
        let pm = self
            .acct
            .setup_intents
            .get(id)
            .and_then(|s| s.payment_method.clone());
        let pm_json = pm
            .as_deref()
            .map_or(Value::Null, |p| self.payment_method_json(p));
        let error = error.with("payment_method", pm_json);
        if let Some(s) = self.acct.setup_intents.get_mut(id) {
            s.status = "requires_payment_method";
            s.payment_method = None;
            s.next_action = None;
            s.last_setup_error = Some(error.inner_json());
            let json = s.to_json();
            self.emit("setup_intent.setup_failed", json, None);
        }
        error.with("setup_intent", self.setup_intent_view(id))
    }
}

const CREATE_PARAMS: &[&str] = &[
    "allowed_payment_method_types",
    "payment_method_types",
    "automatic_payment_methods",
    "excluded_payment_method_types",
    "payment_method_configuration",
    "attach_to_self",
    "confirm",
    "customer",
    "description",
    "flow_directions",
    "metadata",
    "usage",
    "single_use",
    "on_behalf_of",
    "customer_account",
];

fn refuse_unsupported(params: &Params<'_>) -> Result<(), ApiError> {
    for key in ["single_use", "on_behalf_of", "customer_account"] {
        if params.contains(key) {
            return Err(ApiError::param_error(
                format!("`{key}` is not supported by the Stripe emulator."),
                key,
            ));
        }
    }
    Ok(())
}

/// `POST /v1/setup_intents`
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    let mut allowed = CREATE_PARAMS.to_vec();
    allowed.extend_from_slice(CONFIRM_PARAMS);
    params.only(&allowed)?;
    refuse_unsupported(&params)?;
    let customer = params.non_empty("customer")?.map(str::to_string);
    if let Some(c) = &customer {
        ctx.customer(c, "customer")?;
    }
    let types = parse_types(&params)?;
    let usage = params
        .one_of("usage", &["on_session", "off_session"])?
        .unwrap_or("off_session")
        .to_string();
    let confirm = params.bool("confirm")?.unwrap_or(false);
    if !confirm {
        for key in ["payment_method_data", "return_url", "mandate_data"] {
            if params.contains(key) {
                return Err(ApiError::param_error(
                    format!("You can only pass `{key}` when `confirm` is `true`."),
                    key,
                ));
            }
        }
    }
    let mut metadata = Metadata::new();
    apply_metadata(&mut metadata, &params)?;
    let request_3ds = request_three_d_secure(&params)?.unwrap_or_else(|| "automatic".to_string());
    // As for PaymentIntents: a `confirm=true` that would fail validation creates nothing.
    if confirm {
        if params.non_empty("payment_method")?.is_none() && !params.contains("payment_method_data")
        {
            return Err(ApiError::param_error(
                "You cannot confirm this SetupIntent because it's missing a payment method. Pass `payment_method` \
                 (or `payment_method_data`) along with `confirm=true`.",
                "payment_method",
            ));
        }
        if params.non_empty("return_url")?.is_none() && types.needs_return_url() {
            return Err(return_url_required("SetupIntent"));
        }
    }
    let mut confirm_params = ctx.parse_confirm(&params)?;
    // A payment method given on create belongs to the SetupIntent even if it is not confirmed.
    let payment_method = match confirm_params.payment_method.take() {
        Some(given) => {
            let id = ctx.resolve_payment_method(&given, "payment_method")?;
            ctx.check_usable(&id, customer.as_deref(), "payment_method")?;
            Some(id)
        }
        None => None,
    };
    let seq = ctx.acct.next_seq();
    let id = new_id("seti");
    let si = SetupIntent {
        id: id.clone(),
        seq,
        created: ctx.now,
        client_secret: client_secret(&id),
        customer,
        description: params.non_empty("description")?.map(str::to_string),
        metadata,
        usage,
        status: if payment_method.is_some() {
            "requires_confirmation"
        } else {
            "requires_payment_method"
        },
        payment_method,
        types,
        last_setup_error: None,
        next_action: None,
        cancellation_reason: None,
        return_url: None,
        request_three_d_secure: request_3ds,
    };
    let json = si.to_json();
    ctx.acct.setup_intents.insert(id.clone(), si);
    ctx.emit("setup_intent.created", json, None);
    if confirm {
        ctx.confirm_setup(&id, confirm_params)?;
    }
    Ok(ctx.setup_intent_view(&id))
}

/// `GET /v1/setup_intents/{id}` (publishable key: with `client_secret`).
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = vec!["expand", "client_secret"];
    allowed.extend_from_slice(STRIPE_JS_PARAMS);
    params.only(&allowed)?;
    let id = first(ids);
    let secret = ctx.setup_intent(id)?.client_secret.clone();
    check_client_secret(ctx, &params, &secret, "SetupIntent")?;
    Ok(ctx.setup_intent_view(id))
}

/// `POST /v1/setup_intents/{id}`: customer, description, metadata, payment_method, types.
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&[
        "customer",
        "description",
        "metadata",
        "payment_method",
        "payment_method_data",
        "payment_method_options",
        "allowed_payment_method_types",
        "payment_method_types",
        "excluded_payment_method_types",
        "attach_to_self",
        "flow_directions",
        "expand",
    ])?;
    let id = first(ids);
    let si = ctx.setup_intent(id)?.clone();
    if matches!(si.status, "succeeded" | "canceled") {
        return Err(ApiError::invalid(format!(
            "You cannot update this SetupIntent because it has a status of {}.",
            si.status
        ))
        .with_code("setup_intent_unexpected_state")
        .with("setup_intent", si.to_json()));
    }
    let mut updated = si.clone();
    if let Some(c) = params.str("customer")? {
        if si.customer.as_deref().is_some_and(|old| old != c) {
            return Err(ApiError::param_error(
                "You cannot change the customer of a SetupIntent once it is set.",
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
    }
    apply_metadata(&mut updated.metadata, &params)?;
    let (before, after) = (si.to_json(), updated.to_json());
    ctx.acct.setup_intents.insert(id.to_string(), updated);
    if before != after {
        ctx.emit(
            "setup_intent.updated",
            after.clone(),
            Some(changed(&before, &after)),
        );
    }
    Ok(after)
}

/// `POST /v1/setup_intents/{id}/confirm` (secret key, or publishable key with `client_secret`).
pub(crate) fn confirm(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = CONFIRM_PARAMS.to_vec();
    allowed.extend_from_slice(STRIPE_JS_PARAMS);
    params.only(&allowed)?;
    let id = first(ids);
    let secret = ctx.setup_intent(id)?.client_secret.clone();
    check_client_secret(ctx, &params, &secret, "SetupIntent")?;
    let confirm = ctx.parse_confirm(&params)?;
    ctx.confirm_setup(id, confirm)?;
    Ok(ctx.setup_intent_view(id))
}

/// `POST /v1/setup_intents/{id}/cancel`
pub(crate) fn cancel(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["cancellation_reason", "expand"])?;
    let id = first(ids);
    let reason = params.one_of(
        "cancellation_reason",
        &["abandoned", "duplicate", "requested_by_customer"],
    )?;
    let s = ctx.setup_intent_mut(id)?;
    if !matches!(
        s.status,
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    ) {
        let status = s.status;
        let json = s.to_json();
        return Err(ApiError::invalid(format!(
            "You cannot cancel this SetupIntent because it has a status of {status}. Only a SetupIntent with one of \
             the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action."
        ))
        .with_code("setup_intent_unexpected_state")
        .with("setup_intent", json));
    }
    s.status = "canceled";
    s.next_action = None;
    s.cancellation_reason = reason.map(str::to_string);
    let json = s.to_json();
    ctx.emit("setup_intent.canceled", json.clone(), None);
    Ok(json)
}

/// `GET /v1/setup_intents` (filters `customer`, `payment_method`, `created`).
pub(crate) fn list_setup_intents(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["customer", "payment_method", "created", "attach_to_self"]);
    params.only(&allowed)?;
    let customer = params.non_empty("customer")?;
    let pm = params.non_empty("payment_method")?;
    let created = created_filter(&params)?;
    let items = ctx
        .acct
        .setup_intents
        .values()
        .filter(|s| customer.is_none_or(|c| s.customer.as_deref() == Some(c)))
        .filter(|s| pm.is_none_or(|p| s.payment_method.as_deref() == Some(p)))
        .filter(|s| created(s.created))
        .map(|s| (s.seq, s.id.clone(), s.to_json()))
        .collect();
    list(items, &params, "/v1/setup_intents")
}

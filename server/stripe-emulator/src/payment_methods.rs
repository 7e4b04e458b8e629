//! PaymentMethods (`pm_…`, type `card` only): create (from card details; with a publishable key
//! as Stripe.js does, or from a test PaymentMethod id), retrieve, update, attach, detach, list.
//!
//! Reuse rules as Stripe's: a PaymentMethod not attached to a customer can be used for one
//! payment only, a detached one never again, and one attached to a customer only with that
//! customer.

use serde_json::{Value, json};

use crate::cards::{self, Outcome, Purpose, TestCard, ValidCard};
use crate::common::{LIST_PARAMS, Metadata, apply_metadata, list, metadata_json};
use crate::errors::ApiError;
use crate::form::Params;
use crate::state::{Ctx, new_id, stable_alnum};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) customer: Option<String>,
    #[serde(with = "crate::persist::test_card")]
    pub(crate) card: &'static TestCard,
    pub(crate) exp_month: i64,
    pub(crate) exp_year: i64,
    /// `unchecked` when a CVC was given and not yet verified, `pass` once an issuer saw it.
    #[serde(with = "crate::persist::static_str_opt")]
    pub(crate) cvc_check: Option<crate::persist::StaticStr>,
    pub(crate) fingerprint: String,
    pub(crate) billing_details: Value,
    pub(crate) metadata: Metadata,
    pub(crate) allow_redisplay: String,
    /// Set up for future use through a SetupIntent (after authentication when it needed one):
    /// decides whether 4000 0025 0000 3155 may be charged off-session.
    pub(crate) set_up: bool,
    /// Used once without a customer, or detached: Stripe refuses to use it again.
    pub(crate) consumed: bool,
}

impl PaymentMethod {
    pub(crate) fn to_json(&self) -> Value {
        let c = self.card;
        json!({
            "id": self.id,
            "object": "payment_method",
            "allow_redisplay": self.allow_redisplay,
            "billing_details": self.billing_details,
            "card": {
                "brand": c.brand,
                "checks": {
                    "address_line1_check": null,
                    "address_postal_code_check": null,
                    "cvc_check": self.cvc_check,
                },
                "country": c.country,
                "display_brand": c.display_brand,
                "exp_month": self.exp_month,
                "exp_year": self.exp_year,
                "fingerprint": self.fingerprint,
                "funding": c.funding,
                "generated_from": null,
                "last4": self.last4(),
                "networks": { "available": [c.brand], "preferred": null },
                "regulated_status": "unregulated",
                "three_d_secure_usage": { "supported": true },
                "wallet": null,
            },
            "created": self.created,
            "customer": self.customer,
            "customer_account": null,
            "livemode": false,
            "metadata": metadata_json(&self.metadata),
            "radar_options": {},
            "type": "card",
        })
    }

    pub(crate) fn last4(&self) -> &'static str {
        let n = self.card.number;
        &n[n.len().saturating_sub(4)..]
    }

    /// How the card responds to a use.
    pub(crate) fn outcome(&self, purpose: Purpose) -> Outcome {
        cards::outcome(self.card, purpose, self.set_up)
    }
}

/// `billing_details` with every field Stripe renders, filled from `billing_details[...]`.
fn billing_details(params: Option<Params<'_>>) -> Result<Value, ApiError> {
    let mut address = json!({
        "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null
    });
    let mut details =
        json!({ "address": null, "email": null, "name": null, "phone": null, "tax_id": null });
    let Some(p) = params else {
        details["address"] = address;
        return Ok(details);
    };
    p.only(&["address", "email", "name", "phone", "tax_id"])?;
    for key in ["email", "name", "phone", "tax_id"] {
        if let Some(v) = p.non_empty(key)? {
            details[key] = json!(v);
        }
    }
    if let Some(a) = p.sub("address")? {
        a.only(&["city", "country", "line1", "line2", "postal_code", "state"])?;
        for key in ["city", "country", "line1", "line2", "postal_code", "state"] {
            if let Some(v) = a.non_empty(key)? {
                address[key] = json!(v);
            }
        }
    }
    details["address"] = address;
    Ok(details)
}

/// Stripe's answer to raw card numbers sent with a secret key by an account without raw card
/// data access (the default): the server must use Stripe.js or test PaymentMethod ids.
fn raw_card_data_refused() -> ApiError {
    let mut e = ApiError::invalid(
        "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens \
         that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card data \
         APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.",
    );
    e.status = axum::http::StatusCode::PAYMENT_REQUIRED;
    e.saved_for_idempotency = false;
    e
}

/// Parameters Stripe.js adds to its browser calls; accepted and ignored.
pub(crate) const STRIPE_JS_PARAMS: &[&str] = &[
    "key",
    "payment_user_agent",
    "time_on_page",
    "guid",
    "muid",
    "sid",
    "referrer",
    "client_attribution_metadata",
];

impl Ctx<'_> {
    fn insert_payment_method(
        &mut self,
        valid: ValidCard,
        billing: Value,
        metadata: Metadata,
        allow_redisplay: &str,
    ) -> String {
        let seq = self.acct.next_seq();
        let id = new_id("pm");
        // Stripe's fingerprint identifies a card number within one account.
        let fingerprint = stable_alnum(
            format!("{}:{}", self.acct.id, valid.card.number).as_bytes(),
            16,
        );
        let pm = PaymentMethod {
            id: id.clone(),
            seq,
            created: self.now,
            customer: None,
            card: valid.card,
            exp_month: valid.exp_month,
            exp_year: valid.exp_year,
            cvc_check: valid.cvc_provided.then_some("unchecked"),
            fingerprint,
            billing_details: billing,
            metadata,
            allow_redisplay: allow_redisplay.to_string(),
            set_up: false,
            consumed: false,
        };
        self.acct.payment_methods.insert(id.clone(), pm);
        id
    }

    /// Creates a card PaymentMethod from `type=card&card[...]&billing_details[...]` (the
    /// parameters of `POST /v1/payment_methods`, or of `payment_method_data` on a confirm).
    /// Raw card numbers are accepted with a publishable key only, as for a Stripe account
    /// without raw card data access: server code should never hold card numbers.
    pub(crate) fn create_card_payment_method(
        &mut self,
        p: &Params<'_>,
        extra_allowed: &[&str],
    ) -> Result<String, ApiError> {
        let mut allowed = vec![
            "type",
            "card",
            "billing_details",
            "metadata",
            "allow_redisplay",
        ];
        allowed.extend_from_slice(extra_allowed);
        p.only(&allowed)?;
        match p.non_empty("type")? {
            None => return Err(ApiError::missing_param(&p.name("type"))),
            Some("card") => {}
            Some(other) => {
                return Err(ApiError::param_error(
                    format!(
                        "The Stripe emulator only supports PaymentMethods of type `card`, not `{other}`."
                    ),
                    &p.name("type"),
                ));
            }
        }
        let card = p
            .sub("card")?
            .ok_or_else(|| ApiError::missing_param(&p.name("card")))?;
        card.only(&["number", "exp_month", "exp_year", "cvc", "networks"])?;
        if self.is_secret() {
            return Err(raw_card_data_refused());
        }
        let name = |k: &str| card.name(k);
        let valid = cards::validate(
            card.str("number")?,
            card.str("exp_month")?,
            card.str("exp_year")?,
            card.str("cvc")?,
            self.now,
            &name,
        )?;
        let billing = billing_details(p.sub("billing_details")?)?;
        let mut metadata = Metadata::new();
        apply_metadata(&mut metadata, p)?;
        let redisplay = p
            .one_of("allow_redisplay", &["always", "limited", "unspecified"])?
            .unwrap_or("unspecified");
        Ok(self.insert_payment_method(valid, billing, metadata, redisplay))
    }

    /// The id of an existing PaymentMethod, or of a new one when `id` is a test PaymentMethod
    /// (`pm_card_visa`…), which Stripe turns into a fresh `pm_…` on every use.
    pub(crate) fn resolve_payment_method(
        &mut self,
        id: &str,
        param: &str,
    ) -> Result<String, ApiError> {
        if let Some(card) = cards::test_payment_method(id) {
            let (year, month) = cards::year_month(self.now);
            let valid = ValidCard {
                card,
                exp_month: month,
                exp_year: year + 1,
                cvc_provided: true,
            };
            return Ok(self.insert_payment_method(
                valid,
                billing_details(None)?,
                Metadata::new(),
                "unspecified",
            ));
        }
        if self.acct.payment_methods.contains_key(id) {
            Ok(id.to_string())
        } else {
            Err(ApiError::no_such("PaymentMethod", id, param))
        }
    }

    pub(crate) fn payment_method(&self, id: &str) -> Result<&PaymentMethod, ApiError> {
        self.acct
            .payment_methods
            .get(id)
            .ok_or_else(|| ApiError::no_such("PaymentMethod", id, "payment_method"))
    }

    pub(crate) fn payment_method_mut(&mut self, id: &str) -> Result<&mut PaymentMethod, ApiError> {
        self.acct
            .payment_methods
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such("PaymentMethod", id, "payment_method"))
    }

    pub(crate) fn payment_method_json(&self, id: &str) -> Value {
        self.acct
            .payment_methods
            .get(id)
            .map_or(Value::Null, PaymentMethod::to_json)
    }

    /// Refuses a PaymentMethod that cannot be used with `customer` (Stripe's reuse rules).
    pub(crate) fn check_usable(
        &self,
        pm_id: &str,
        customer: Option<&str>,
        param: &str,
    ) -> Result<(), ApiError> {
        let pm = self.payment_method(pm_id)?;
        if pm.consumed {
            return Err(ApiError::invalid(
                "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, \
                 shared with a connected account without Customer attachment, or was detached from a Customer. It may \
                 not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.",
            )
            .with_param(param));
        }
        match (&pm.customer, customer) {
            (Some(owner), Some(c)) if owner != c => Err(ApiError::invalid(format!(
                "The provided PaymentMethod ({pm_id}) is attached to another Customer ({owner}); it cannot be used \
                 with Customer {c}."
            ))
            .with_param(param)),
            (Some(owner), None) => Err(ApiError::invalid(format!(
                "The provided PaymentMethod belongs to a Customer ({owner}), but you did not provide the `customer` \
                 parameter. Pass `customer={owner}` along with the PaymentMethod."
            ))
            .with_param(param)),
            _ => Ok(()),
        }
    }

    /// Attaches after a successful use (SetupIntent success, payment with setup_future_usage):
    /// the issuer has already been contacted. Emits `payment_method.attached` if it changed.
    pub(crate) fn attach_payment_method(&mut self, pm_id: &str, customer: &str) {
        let Some(pm) = self.acct.payment_methods.get_mut(pm_id) else {
            return;
        };
        if pm.customer.as_deref() == Some(customer) {
            return;
        }
        pm.customer = Some(customer.to_string());
        let json = pm.to_json();
        self.emit(
            "payment_method.attached",
            json,
            Some(json!({ "customer": null })),
        );
    }
}

const CREATE_PARAMS: &[&str] = &["expand", "customer", "payment_method", "radar_options"];

/// `POST /v1/payment_methods` (secret or publishable key).
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    let mut extra = CREATE_PARAMS.to_vec();
    extra.extend_from_slice(STRIPE_JS_PARAMS);
    if params.non_empty("customer")?.is_some() || params.non_empty("payment_method")?.is_some() {
        return Err(ApiError::param_error(
            "Cloning PaymentMethods to connected accounts (`customer`/`payment_method`) is not supported by the Stripe emulator.",
            "customer",
        ));
    }
    let id = ctx.create_card_payment_method(&params, &extra)?;
    Ok(ctx.payment_method_json(&id))
}

/// `GET /v1/payment_methods/{id}` (a test id such as `pm_card_visa` returns a fresh PaymentMethod).
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = ctx.resolve_payment_method(first(ids), "payment_method")?;
    Ok(ctx.payment_method_json(&id))
}

/// `POST /v1/payment_methods/{id}`: billing_details, metadata, allow_redisplay, card expiry.
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&[
        "billing_details",
        "metadata",
        "allow_redisplay",
        "card",
        "expand",
    ])?;
    let id = first(ids);
    ctx.payment_method(id)?;
    let billing = match params.sub("billing_details")? {
        Some(b) => Some(billing_details(Some(b))?),
        None => None,
    };
    let redisplay = params.one_of("allow_redisplay", &["always", "limited", "unspecified"])?;
    let (mut exp_month, mut exp_year) = (None, None);
    if let Some(card) = params.sub("card")? {
        card.only(&["exp_month", "exp_year", "networks"])?;
        exp_month = card.i64("exp_month")?;
        exp_year = card.i64("exp_year")?;
        if exp_month.is_some_and(|m| !(1..=12).contains(&m)) {
            return Err(ApiError::card(
                "invalid_expiry_month",
                "Your card's expiration month is invalid.",
            )
            .with_param("card[exp_month]"));
        }
        let (year, _) = cards::year_month(ctx.now);
        if exp_year.is_some_and(|y| y < year || y > year + 50) {
            return Err(ApiError::card(
                "invalid_expiry_year",
                "Your card's expiration year is invalid.",
            )
            .with_param("card[exp_year]"));
        }
    }
    let pm = ctx.payment_method_mut(id)?;
    let before = pm.to_json();
    if let Some(b) = billing {
        pm.billing_details = b;
    }
    if let Some(r) = redisplay {
        pm.allow_redisplay = r.to_string();
    }
    if let Some(m) = exp_month {
        pm.exp_month = m;
    }
    if let Some(y) = exp_year {
        pm.exp_year = y;
    }
    apply_metadata(&mut pm.metadata, &params)?;
    let after = pm.to_json();
    ctx.emit(
        "payment_method.updated",
        after.clone(),
        Some(changed(&before, &after)),
    );
    Ok(after)
}

/// The top-level attributes of `before` that differ in `after` (an event's
/// `previous_attributes`).
pub(crate) fn changed(before: &Value, after: &Value) -> Value {
    let mut prev = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, v) in b {
            if a.get(k) != Some(v) {
                prev.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(prev)
}

/// `POST /v1/payment_methods/{id}/attach` with `customer`. The issuer validates the card, so
/// declining test cards fail here (402), except 4000 0000 0000 0341 which Stripe documents as
/// attaching fine and failing at charge time.
pub(crate) fn attach(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["customer", "expand"])?;
    let customer = params.required_str("customer")?;
    ctx.customer(customer, "customer")?;
    let id = ctx.resolve_payment_method(first(ids), "payment_method")?;
    let pm = ctx.payment_method(&id)?;
    if let Some(owner) = &pm.customer {
        if owner == customer {
            return Ok(pm.to_json());
        }
        return Err(ApiError::invalid(
            "The payment method you provided has already been attached to a customer.",
        )
        .with_code("payment_method_unexpected_state")
        .with_param("payment_method"));
    }
    if pm.consumed {
        ctx.check_usable(&id, Some(customer), "payment_method")?;
    }
    if let Outcome::Declined(d) = pm.outcome(Purpose::Attach) {
        return Err(d.to_error());
    }
    if let Some(pm) = ctx.acct.payment_methods.get_mut(&id)
        && pm.cvc_check.is_some()
    {
        pm.cvc_check = Some("pass");
    }
    ctx.attach_payment_method(&id, customer);
    Ok(ctx.payment_method_json(&id))
}

/// `POST /v1/payment_methods/{id}/detach`. A detached PaymentMethod can never be used again.
pub(crate) fn detach(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = first(ids);
    let pm = ctx.payment_method_mut(id)?;
    let Some(customer) = pm.customer.take() else {
        return Err(ApiError::invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
        )
        .with_code("payment_method_unexpected_state")
        .with_param("payment_method"));
    };
    pm.consumed = true;
    let json = pm.to_json();
    if let Some(c) = ctx.acct.customers.get_mut(&customer)
        && c.default_payment_method.as_deref() == Some(id)
    {
        c.default_payment_method = None;
    }
    ctx.emit(
        "payment_method.detached",
        json.clone(),
        Some(json!({ "customer": customer })),
    );
    Ok(json)
}

/// `GET /v1/payment_methods?customer=…&type=card`
pub(crate) fn list_payment_methods(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["customer", "type", "allow_redisplay"]);
    params.only(&allowed)?;
    let customer = params.non_empty("customer")?;
    if let Some(c) = customer {
        ctx.customer(c, "customer")?;
    }
    list_for(ctx, &params, customer, "/v1/payment_methods")
}

/// The PaymentMethods of a customer (or all, without one), newest first.
pub(crate) fn list_for(
    ctx: &Ctx<'_>,
    params: &Params<'_>,
    customer: Option<&str>,
    url: &str,
) -> Result<Value, ApiError> {
    match params.non_empty("type")? {
        None | Some("card") => {}
        Some(_) => return list(Vec::new(), params, url),
    }
    let redisplay = params.one_of("allow_redisplay", &["always", "limited", "unspecified"])?;
    let items = ctx
        .acct
        .payment_methods
        .values()
        .filter(|pm| customer.is_none_or(|c| pm.customer.as_deref() == Some(c)))
        .filter(|pm| redisplay.is_none_or(|r| pm.allow_redisplay == r))
        .map(|pm| (pm.seq, pm.id.clone(), pm.to_json()))
        .collect();
    list(items, params, url)
}

/// The single id a route captured.
pub(crate) fn first<'a>(ids: &[&'a str]) -> &'a str {
    ids.first().copied().unwrap_or_default()
}

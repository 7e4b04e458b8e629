//! Customers (`cus_…`): create, retrieve, update, delete, list, and their PaymentMethods
//! (`GET /v1/customers/{id}/payment_methods[/{pm}]`).

use serde_json::{Value, json};

use crate::common::{LIST_PARAMS, Metadata, apply_metadata, list, metadata_json};
use crate::errors::ApiError;
use crate::events::created_filter;
use crate::form::Params;
use crate::payment_methods::{changed, first, list_for};
use crate::state::{Ctx, random_alnum};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) address: Option<Value>,
    pub(crate) shipping: Option<Value>,
    pub(crate) metadata: Metadata,
    pub(crate) preferred_locales: Vec<String>,
    pub(crate) invoice_prefix: String,
    /// `invoice_settings.default_payment_method`
    pub(crate) default_payment_method: Option<String>,
    pub(crate) business_name: Option<String>,
    pub(crate) individual_name: Option<String>,
    pub(crate) deleted: bool,
}

impl Customer {
    pub(crate) fn to_json(&self) -> Value {
        if self.deleted {
            return json!({ "id": self.id, "object": "customer", "deleted": true });
        }
        json!({
            "id": self.id,
            "object": "customer",
            "address": self.address,
            "balance": 0,
            "business_name": self.business_name,
            "created": self.created,
            "currency": null,
            "customer_account": null,
            "default_source": null,
            "delinquent": false,
            "description": self.description,
            "discount": null,
            "email": self.email,
            "individual_name": self.individual_name,
            "invoice_prefix": self.invoice_prefix,
            "invoice_settings": {
                "custom_fields": null,
                "default_payment_method": self.default_payment_method,
                "footer": null,
                "rendering_options": null,
            },
            "livemode": false,
            "metadata": metadata_json(&self.metadata),
            "name": self.name,
            "next_invoice_sequence": 1,
            "phone": self.phone,
            "preferred_locales": self.preferred_locales,
            "shipping": self.shipping,
            "tax_exempt": "none",
            "test_clock": null,
        })
    }
}

impl Ctx<'_> {
    /// An existing, not deleted customer; `param` names the parameter in the 404.
    pub(crate) fn customer(&self, id: &str, param: &str) -> Result<&Customer, ApiError> {
        self.acct
            .customers
            .get(id)
            .filter(|c| !c.deleted)
            .ok_or_else(|| ApiError::no_such("customer", id, param))
    }
}

fn address(p: Params<'_>) -> Result<Option<Value>, ApiError> {
    if p.is_empty() {
        return Ok(None);
    }
    p.only(&["city", "country", "line1", "line2", "postal_code", "state"])?;
    let mut a = json!({});
    for key in ["city", "country", "line1", "line2", "postal_code", "state"] {
        a[key] = json!(p.non_empty(key)?);
    }
    Ok(Some(a))
}

fn shipping(p: Params<'_>) -> Result<Option<Value>, ApiError> {
    if p.is_empty() {
        return Ok(None);
    }
    p.only(&["address", "name", "phone"])?;
    let addr = match p.sub("address")? {
        Some(a) => address(a)?,
        None => None,
    };
    Ok(Some(json!({
        "address": addr.ok_or_else(|| ApiError::missing_param("shipping[address]"))?,
        "name": p.required_str("name")?,
        "phone": p.non_empty("phone")?,
    })))
}

fn validate_email(email: &str) -> Result<(), ApiError> {
    let valid = email.len() <= 512
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(())
    } else {
        Err(
            ApiError::param_error(format!("Invalid email address: {email}"), "email")
                .with_code("email_invalid"),
        )
    }
}

const FIELDS: &[&str] = &[
    "address",
    "description",
    "email",
    "invoice_settings",
    "metadata",
    "name",
    "phone",
    "preferred_locales",
    "shipping",
    "business_name",
    "individual_name",
    "expand",
];

/// Applies the writable fields shared by create and update; `Some("")` clears a field.
fn apply(ctx: &mut Ctx<'_>, c: &mut Customer, p: &Params<'_>) -> Result<(), ApiError> {
    let text = |key: &str| -> Result<Option<Option<String>>, ApiError> {
        Ok(p.str(key)?.map(|v| (!v.is_empty()).then(|| v.to_string())))
    };
    if let Some(email) = text("email")? {
        if let Some(e) = &email {
            validate_email(e)?;
        }
        c.email = email;
    }
    if let Some(v) = text("name")? {
        c.name = v;
    }
    if let Some(v) = text("phone")? {
        c.phone = v;
    }
    if let Some(v) = text("description")? {
        c.description = v;
    }
    if let Some(v) = text("business_name")? {
        c.business_name = v;
    }
    if let Some(v) = text("individual_name")? {
        c.individual_name = v;
    }
    if let Some(a) = p.sub("address")? {
        c.address = address(a)?;
    }
    if let Some(s) = p.sub("shipping")? {
        c.shipping = shipping(s)?;
    }
    if let Some(locales) = p.str_list("preferred_locales")? {
        c.preferred_locales = locales;
    }
    if let Some(settings) = p.sub("invoice_settings")? {
        settings.only(&[
            "default_payment_method",
            "custom_fields",
            "footer",
            "rendering_options",
        ])?;
        if let Some(pm) = settings.str("default_payment_method")? {
            if pm.is_empty() {
                c.default_payment_method = None;
            } else {
                let owned = ctx
                    .acct
                    .payment_methods
                    .get(pm)
                    .is_some_and(|m| m.customer.as_deref() == Some(&c.id));
                if !owned {
                    return Err(ApiError::invalid(format!(
                        "The customer does not have a payment method with the ID {pm}. The payment method must be \
                         attached to the customer."
                    ))
                    .with_param("invoice_settings[default_payment_method]"));
                }
                c.default_payment_method = Some(pm.to_string());
            }
        }
    }
    apply_metadata(&mut c.metadata, p)
}

/// `POST /v1/customers`
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    let mut allowed = FIELDS.to_vec();
    allowed.push("payment_method");
    params.only(&allowed)?;
    let seq = ctx.acct.next_seq();
    let mut customer = Customer {
        id: format!("cus_{}", random_alnum(14)),
        seq,
        created: ctx.now,
        email: None,
        name: None,
        phone: None,
        description: None,
        address: None,
        shipping: None,
        metadata: Metadata::new(),
        preferred_locales: Vec::new(),
        invoice_prefix: random_alnum(8).to_ascii_uppercase(),
        default_payment_method: None,
        business_name: None,
        individual_name: None,
        deleted: false,
    };
    // A PaymentMethod given at creation is attached (and validated by the issuer) first, so the
    // customer is not created when the card is declined.
    let pm = match params.non_empty("payment_method")? {
        Some(pm) => Some(ctx.resolve_payment_method(pm, "payment_method")?),
        None => None,
    };
    if let Some(pm) = &pm {
        let method = ctx.payment_method(pm)?;
        if method.customer.is_some() || method.consumed {
            ctx.check_usable(pm, None, "payment_method")?;
        }
        if let crate::cards::Outcome::Declined(d) = method.outcome(crate::cards::Purpose::Attach) {
            return Err(d.to_error());
        }
    }
    apply(ctx, &mut customer, &params)?;
    let id = customer.id.clone();
    let json = customer.to_json();
    ctx.acct.customers.insert(id.clone(), customer);
    ctx.emit("customer.created", json, None);
    if let Some(pm) = pm {
        ctx.attach_payment_method(&pm, &id);
    }
    Ok(ctx
        .acct
        .customers
        .get(&id)
        .map_or(Value::Null, Customer::to_json))
}

/// `GET /v1/customers/{id}` (a deleted customer renders as `{"id", "object", "deleted": true}`).
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = first(ids);
    ctx.acct
        .customers
        .get(id)
        .map(Customer::to_json)
        .ok_or_else(|| ApiError::no_such("customer", id, "id"))
}

/// `POST /v1/customers/{id}`
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(FIELDS)?;
    let id = first(ids);
    let mut customer = ctx.customer(id, "id")?.clone();
    let before = customer.to_json();
    apply(ctx, &mut customer, &params)?;
    let after = customer.to_json();
    ctx.acct.customers.insert(id.to_string(), customer);
    if before != after {
        ctx.emit(
            "customer.updated",
            after.clone(),
            Some(changed(&before, &after)),
        );
    }
    Ok(after)
}

/// `DELETE /v1/customers/{id}`: the customer's PaymentMethods are detached, as at Stripe.
pub(crate) fn delete(
    ctx: &mut Ctx<'_>,
    _params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let id = first(ids);
    let snapshot = ctx.customer(id, "id")?.to_json();
    if let Some(c) = ctx.acct.customers.get_mut(id) {
        c.deleted = true;
    }
    for pm in ctx
        .acct
        .payment_methods
        .values_mut()
        .filter(|pm| pm.customer.as_deref() == Some(id))
    {
        pm.customer = None;
        pm.consumed = true;
    }
    ctx.emit("customer.deleted", snapshot, None);
    Ok(json!({ "id": id, "object": "customer", "deleted": true }))
}

/// `GET /v1/customers` (filters `email`, `created`).
pub(crate) fn list_customers(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["email", "created", "test_clock"]);
    params.only(&allowed)?;
    let email = params.non_empty("email")?;
    let created = created_filter(&params)?;
    let items = ctx
        .acct
        .customers
        .values()
        .filter(|c| !c.deleted && created(c.created))
        .filter(|c| email.is_none_or(|e| c.email.as_deref() == Some(e)))
        .map(|c| (c.seq, c.id.clone(), c.to_json()))
        .collect();
    list(items, &params, "/v1/customers")
}

/// `GET /v1/customers/{id}/payment_methods` (`type` optional, `allow_redisplay`, pagination).
pub(crate) fn list_payment_methods(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["type", "allow_redisplay"]);
    params.only(&allowed)?;
    let id = first(ids);
    ctx.customer(id, "customer")?;
    list_for(
        ctx,
        &params,
        Some(id),
        &format!("/v1/customers/{id}/payment_methods"),
    )
}

/// `GET /v1/customers/{id}/payment_methods/{pm}`
pub(crate) fn retrieve_payment_method(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = first(ids);
    let pm_id = ids.get(1).copied().unwrap_or_default();
    ctx.customer(id, "customer")?;
    ctx.acct
        .payment_methods
        .get(pm_id)
        .filter(|pm| pm.customer.as_deref() == Some(id))
        .map(crate::payment_methods::PaymentMethod::to_json)
        .ok_or_else(|| ApiError::no_such("PaymentMethod", pm_id, "payment_method"))
}

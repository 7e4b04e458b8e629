//! Events: every state change records one (`evt_…`) with a snapshot of the object, and queues
//! its delivery to the account's matching webhook endpoints.
//!
//! `GET /v1/events/{id}` and `GET /v1/events` (filters `type`, `types[]`, `created[…]`, cursor
//! pagination) read them back.

use serde_json::{Value, json};

use crate::common::{LIST_PARAMS, list};
use crate::errors::ApiError;
use crate::form::Params;
use crate::state::{API_VERSION, Ctx, new_id};
use crate::webhooks::Delivery;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) type_: String,
    /// The object as it was when the event happened.
    pub(crate) object: Value,
    /// For `*.updated`-like events: the previous values of the changed attributes.
    pub(crate) previous_attributes: Option<Value>,
    pub(crate) request_id: Option<String>,
    pub(crate) idempotency_key: Option<String>,
    /// Endpoints that have not yet acknowledged the event with a 2xx.
    pub(crate) pending_webhooks: i64,
}

impl Event {
    pub(crate) fn to_json_with_version(&self, api_version: &str) -> Value {
        let mut data = json!({ "object": self.object });
        if let Some(prev) = &self.previous_attributes {
            data["previous_attributes"] = prev.clone();
        }
        json!({
            "id": self.id,
            "object": "event",
            "api_version": api_version,
            "created": self.created,
            "data": data,
            "livemode": false,
            "pending_webhooks": self.pending_webhooks,
            "request": { "id": self.request_id, "idempotency_key": self.idempotency_key },
            "type": self.type_,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        self.to_json_with_version(API_VERSION)
    }
}

/// Whether an endpoint subscribed to `enabled_events` wants an event type.
pub(crate) fn subscribed(enabled_events: &[String], type_: &str) -> bool {
    enabled_events.iter().any(|e| e == "*" || e == type_)
}

impl Ctx<'_> {
    /// Records an event for `object` and queues its webhook deliveries (sent once the request
    /// has finished, in the background).
    pub(crate) fn emit(&mut self, type_: &str, object: Value, previous_attributes: Option<Value>) {
        let seq = self.acct.next_seq();
        let mut event = Event {
            id: new_id("evt"),
            seq,
            created: self.now,
            type_: type_.to_string(),
            object,
            previous_attributes,
            request_id: self.api_request.then(|| self.request_id.clone()),
            idempotency_key: self.idempotency_key.clone().filter(|_| self.api_request),
            pending_webhooks: 0,
        };
        let endpoints: Vec<_> = self
            .acct
            .webhook_endpoints
            .iter()
            .filter(|e| e.status == "enabled" && subscribed(&e.enabled_events, type_))
            .cloned()
            .collect();
        event.pending_webhooks = i64::try_from(endpoints.len()).unwrap_or(i64::MAX);
        for endpoint in endpoints {
            let version = endpoint.api_version.as_deref().unwrap_or(API_VERSION);
            self.outbox.push(Delivery {
                account_id: self.acct.id.clone(),
                endpoint_id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                secret: endpoint.secret.clone(),
                event_id: event.id.clone(),
                event_type: event.type_.clone(),
                payload: event.to_json_with_version(version).to_string(),
            });
        }
        self.acct.events.push(event);
    }
}

/// `GET /v1/events/{id}`
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let id = crate::payment_methods::first(ids);
    ctx.acct
        .events
        .iter()
        .find(|e| e.id == id)
        .map(Event::to_json)
        .ok_or_else(|| ApiError::no_such("event", id, "id"))
}

/// `GET /v1/events`
pub(crate) fn list_events(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend(["type", "types", "created", "delivery_success"]);
    params.only(&allowed)?;
    let single = params.non_empty("type")?;
    let many = params.str_list("types")?;
    if single.is_some() && many.is_some() {
        return Err(ApiError::param_error(
            "You cannot specify both `type` and `types`.",
            "types",
        ));
    }
    let created = created_filter(&params)?;
    let type_matches = |t: &str| match (single, &many) {
        (Some(pattern), _) => type_pattern(pattern, t),
        (None, Some(list)) => list.iter().any(|p| type_pattern(p, t)),
        (None, None) => true,
    };
    let items = ctx
        .acct
        .events
        .iter()
        .filter(|e| type_matches(&e.type_) && created(e.created))
        .map(|e| (e.seq, e.id.clone(), e.to_json()))
        .collect();
    list(items, &params, "/v1/events")
}

/// Stripe's `type` filter accepts `*` as a wildcard (`payment_intent.*`).
fn type_pattern(pattern: &str, type_: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => type_.starts_with(prefix),
        None => pattern == type_,
    }
}

/// `created` as an exact timestamp or `created[gt|gte|lt|lte]`.
pub(crate) fn created_filter(
    params: &Params<'_>,
) -> Result<impl Fn(i64) -> bool + use<>, ApiError> {
    let mut bounds: Vec<(String, i64)> = Vec::new();
    match params.get("created") {
        None => {}
        Some(crate::form::Param::Map(_)) => {
            if let Some(range) = params.sub("created")? {
                range.only(&["gt", "gte", "lt", "lte"])?;
                for op in ["gt", "gte", "lt", "lte"] {
                    if let Some(v) = range.i64(op)? {
                        bounds.push((op.to_string(), v));
                    }
                }
            }
        }
        Some(_) => {
            if let Some(v) = params.i64("created")? {
                bounds.push(("eq".to_string(), v));
            }
        }
    }
    Ok(move |t: i64| {
        bounds.iter().all(|(op, v)| match op.as_str() {
            "gt" => t > *v,
            "gte" => t >= *v,
            "lt" => t < *v,
            "lte" => t <= *v,
            _ => t == *v,
        })
    })
}

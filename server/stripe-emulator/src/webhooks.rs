//! Webhook endpoints (`/v1/webhook_endpoints`) and the delivery of events to them.
//!
//! Deliveries are signed like Stripe's: header
//! `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, body the event JSON.
//! Each (event, endpoint) pair is sent by its own background task so the API call that caused
//! the event returns at once; a non-2xx answer or a connection error is retried with
//! exponential backoff (base delay × 2ⁿ, a bounded number of attempts, both adjustable through
//! [`crate::Emulator::set_webhook_retry`]).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{LIST_PARAMS, Metadata, apply_metadata, list, metadata_json};
use crate::errors::ApiError;
use crate::faults::LOG_CAPACITY;
use crate::form::Params;
use crate::state::{Ctx, Shared, lock, new_id, now, random_alnum};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct WebhookEndpoint {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) created: i64,
    pub(crate) url: String,
    pub(crate) enabled_events: Vec<String>,
    pub(crate) secret: String,
    /// `enabled` or `disabled`.
    pub(crate) status: String,
    pub(crate) api_version: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: Metadata,
}

impl WebhookEndpoint {
    /// The endpoint as Stripe renders it; the signing `secret` only in the creation response.
    fn to_json(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": null,
            "created": self.created,
            "description": self.description,
            "enabled_events": self.enabled_events,
            "livemode": false,
            "metadata": metadata_json(&self.metadata),
            "status": self.status,
            "url": self.url,
        });
        if with_secret {
            v["secret"] = json!(self.secret);
        }
        v
    }
}

/// A delivery waiting to be sent: built while the request holds the state lock, sent after.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) account_id: String,
    pub(crate) endpoint_id: String,
    pub(crate) url: String,
    pub(crate) secret: String,
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) payload: String,
}

/// One delivery attempt, as recorded for inspection by tests
/// ([`crate::Emulator::webhook_deliveries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// `evt_…`
    pub event_id: String,
    /// The event `type`, e.g. `setup_intent.succeeded`.
    pub event_type: String,
    /// `we_…`
    pub endpoint_id: String,
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status the endpoint answered, `None` when the connection failed.
    pub status: Option<u16>,
    /// Whether the endpoint acknowledged the event (2xx).
    pub delivered: bool,
    /// The connection error, if any.
    pub error: Option<String>,
}

/// `t=<unix>,v1=<hex hmac>` for a payload, exactly what Stripe sends in `Stripe-Signature`.
pub(crate) fn signature_header(secret: &str, payload: &str, timestamp: i64) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an unsigned header
    // (which any verifier rejects) rather than panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return format!("t={timestamp}");
    };
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Starts background delivery of queued events. Call after releasing the state lock.
pub(crate) fn dispatch(shared: &Arc<Shared>, outbox: Vec<Delivery>) {
    for delivery in outbox {
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            deliver(&shared, &delivery).await;
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn deliver(shared: &Shared, d: &Delivery) {
    let max_attempts = shared.retry.max_attempts();
    for attempt in 1..=max_attempts {
        // A fresh timestamp per attempt: a retry hours later must still pass the receiver's
        // tolerance check, and Stripe re-signs each attempt the same way.
        let header = signature_header(&d.secret, &d.payload, now());
        let result = shared
            .http
            .post(&d.url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Stripe-Signature", header)
            .header(
                "User-Agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .body(d.payload.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(resp) => (Some(resp.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        record_delivery(
            &shared.deliveries,
            WebhookDelivery {
                event_id: d.event_id.clone(),
                event_type: d.event_type.clone(),
                endpoint_id: d.endpoint_id.clone(),
                url: d.url.clone(),
                attempt,
                status,
                delivered,
                error: error.clone(),
            },
        );
        if delivered {
            let mut store = lock(&shared.store);
            if let Some(event) = store
                .accounts
                .get_mut(&d.account_id)
                .and_then(|a| a.events.iter_mut().find(|e| e.id == d.event_id))
            {
                event.pending_webhooks = (event.pending_webhooks - 1).max(0);
            }
            shared.persist(&store);
            return;
        }
        tracing::debug!(event = %d.event_id, url = %d.url, attempt, ?status, ?error, "webhook delivery failed");
        if attempt < max_attempts {
            let factor = 2u32.saturating_pow(attempt - 1);
            tokio::time::sleep(shared.retry.base_delay().saturating_mul(factor)).await;
        }
    }
    tracing::warn!(event = %d.event_id, url = %d.url, "webhook delivery abandoned after {max_attempts} attempts");
}

/// Stripe accepts `*` or event types; the emulator accepts any `resource.action`-shaped name so
/// endpoints can subscribe to events it does not emit yet.
fn validate_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() {
        return Err(ApiError::missing_param("enabled_events"));
    }
    for e in events {
        let well_formed = e == "*"
            || (e.contains('.')
                && e.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_' || c == '*'));
        if !well_formed {
            return Err(ApiError::param_error(
                format!(
                    "Invalid enabled_events value: '{e}'. Event types look like `payment_intent.succeeded`, or `*` for all."
                ),
                "enabled_events",
            ));
        }
    }
    Ok(())
}

fn validate_url(url: &str) -> Result<(), ApiError> {
    let ok =
        (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len();
    if ok {
        Ok(())
    } else {
        Err(ApiError::param_error(
            format!("Invalid URL: {url}. URLs must begin with http:// or https://"),
            "url",
        ))
    }
}

const ENDPOINT_PARAMS: &[&str] = &[
    "url",
    "enabled_events",
    "description",
    "metadata",
    "api_version",
    "connect",
    "expand",
];

/// `POST /v1/webhook_endpoints`
pub(crate) fn create(ctx: &mut Ctx<'_>, params: Params<'_>, _: &[&str]) -> Result<Value, ApiError> {
    params.only(ENDPOINT_PARAMS)?;
    let url = params.required_str("url")?;
    validate_url(url)?;
    let enabled_events = params
        .str_list("enabled_events")?
        .ok_or_else(|| ApiError::missing_param("enabled_events"))?;
    validate_events(&enabled_events)?;
    if params.bool("connect")? == Some(true) {
        return Err(ApiError::param_error(
            "The emulator has no Connect accounts: `connect=true` is not supported.",
            "connect",
        ));
    }
    let mut metadata = Metadata::new();
    apply_metadata(&mut metadata, &params)?;
    let seq = ctx.acct.next_seq();
    let endpoint = WebhookEndpoint {
        id: new_id("we"),
        seq,
        created: ctx.now,
        url: url.to_string(),
        enabled_events,
        secret: format!("whsec_{}", random_alnum(32)),
        status: "enabled".to_string(),
        api_version: params.non_empty("api_version")?.map(str::to_string),
        description: params.non_empty("description")?.map(str::to_string),
        metadata,
    };
    let json = endpoint.to_json(true);
    ctx.acct.webhook_endpoints.push(endpoint);
    Ok(json)
}

fn find<'a>(ctx: &'a mut Ctx<'_>, id: &str) -> Result<&'a mut WebhookEndpoint, ApiError> {
    ctx.acct
        .webhook_endpoints
        .iter_mut()
        .find(|e| e.id == id)
        .ok_or_else(|| ApiError::no_such("webhook endpoint", id, "id"))
}

/// `GET /v1/webhook_endpoints/{id}`
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let id = crate::payment_methods::first(ids);
    params.only(&["expand"])?;
    Ok(find(ctx, id)?.to_json(false))
}

/// `POST /v1/webhook_endpoints/{id}`: url, enabled_events, description, metadata, disabled.
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let id = crate::payment_methods::first(ids);
    params.only(&[
        "url",
        "enabled_events",
        "description",
        "metadata",
        "disabled",
        "expand",
    ])?;
    let url = params.non_empty("url")?;
    if let Some(u) = url {
        validate_url(u)?;
    }
    let events = params.str_list("enabled_events")?;
    if let Some(ev) = &events {
        validate_events(ev)?;
    }
    let disabled = params.bool("disabled")?;
    let description = params.str("description")?;
    let endpoint = find(ctx, id)?;
    if let Some(u) = url {
        endpoint.url = u.to_string();
    }
    if let Some(ev) = events {
        endpoint.enabled_events = ev;
    }
    if let Some(d) = disabled {
        endpoint.status = if d { "disabled" } else { "enabled" }.to_string();
    }
    if let Some(d) = description {
        endpoint.description = (!d.is_empty()).then(|| d.to_string());
    }
    apply_metadata(&mut endpoint.metadata, &params)?;
    Ok(endpoint.to_json(false))
}

/// `DELETE /v1/webhook_endpoints/{id}`
pub(crate) fn delete(
    ctx: &mut Ctx<'_>,
    _params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    let id = crate::payment_methods::first(ids);
    find(ctx, id)?;
    ctx.acct.webhook_endpoints.retain(|e| e.id != id);
    Ok(json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
}

/// `GET /v1/webhook_endpoints`
pub(crate) fn list_endpoints(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    params.only(LIST_PARAMS)?;
    let items = ctx
        .acct
        .webhook_endpoints
        .iter()
        .map(|e| (e.seq, e.id.clone(), e.to_json(false)))
        .collect();
    list(items, &params, "/v1/webhook_endpoints")
}

/// How long to wait for an endpoint before counting the attempt as failed.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps the last [`LOG_CAPACITY`] attempts, like the request log.
fn record_delivery(deliveries: &Mutex<VecDeque<WebhookDelivery>>, delivery: WebhookDelivery) {
    let mut log = lock(deliveries);
    if log.len() == LOG_CAPACITY {
        log.pop_front();
    }
    log.push_back(delivery);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivery_log_keeps_the_newest_attempts() {
        let deliveries = Mutex::new(VecDeque::new());
        for n in 0..=LOG_CAPACITY {
            record_delivery(
                &deliveries,
                WebhookDelivery {
                    event_id: format!("evt_{n}"),
                    event_type: "setup_intent.succeeded".to_owned(),
                    endpoint_id: "we_1".to_owned(),
                    url: "http://127.0.0.1/hook".to_owned(),
                    attempt: 1,
                    status: Some(200),
                    delivered: true,
                    error: None,
                },
            );
        }
        let kept = lock(&deliveries);
        assert_eq!(kept.len(), LOG_CAPACITY);
        assert_eq!(kept.front().unwrap().event_id, "evt_1");
        assert_eq!(kept.back().unwrap().event_id, format!("evt_{LOG_CAPACITY}"));
    }

    #[test]
    fn signature_matches_stripe_scheme() {
        // Expected value computed independently (Python's hmac module).
        let header = signature_header("whsec_test", "{}", 1_700_000_000);
        assert_eq!(
            header,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn event_names_are_validated() {
        assert!(validate_events(&["*".into()]).is_ok());
        assert!(validate_events(&["setup_intent.succeeded".into()]).is_ok());
        assert!(validate_events(&["bogus".into()]).is_err());
        assert!(validate_events(&[]).is_err());
    }
}

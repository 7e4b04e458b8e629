//! The HTTP front: routing, authentication, parameter decoding, idempotency, expansion, CORS and
//! Stripe's response headers. Resources only see a [`Ctx`] and decoded [`Params`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

use crate::errors::ApiError;
use crate::form::{self, Param, Params};
use crate::idempotency::{self, SavedResponse};
use crate::state::{API_VERSION, Ctx, KeyKind, Shared, lock, now, random_alnum};
use crate::{
    accounts, authenticate, charges, customers, events, expand, faults, payment_intents,
    payment_methods, refunds, setup_intents, webhooks,
};

/// A resource handler: decoded parameters and the ids captured from the path.
type Handler = fn(&mut Ctx<'_>, Params<'_>, &[&str]) -> Result<Value, ApiError>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Secret (or restricted) key only.
    Secret,
    /// Also the publishable key (Stripe.js endpoints).
    Publishable,
    /// The emulator's own endpoints: no API key, the intent's client secret is the credential.
    ClientSecret,
}

/// The route table. Unknown paths and methods get Stripe's "Unrecognized request URL" 404.
fn route<'p>(method: &Method, segments: &[&'p str]) -> Option<(Handler, Access, Vec<&'p str>)> {
    use Access::{ClientSecret, Publishable, Secret};
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let delete = *method == Method::DELETE;
    let found: (Handler, Access, Vec<&'p str>) = match segments {
        ["v1", "account"] if get => (accounts::retrieve, Secret, vec![]),

        ["v1", "customers"] if post => (customers::create, Secret, vec![]),
        ["v1", "customers"] if get => (customers::list_customers, Secret, vec![]),
        ["v1", "customers", id] if get => (customers::retrieve, Secret, vec![*id]),
        ["v1", "customers", id] if post => (customers::update, Secret, vec![*id]),
        ["v1", "customers", id] if delete => (customers::delete, Secret, vec![*id]),
        ["v1", "customers", id, "payment_methods"] if get => {
            (customers::list_payment_methods, Secret, vec![*id])
        }
        ["v1", "customers", id, "payment_methods", pm] if get => {
            (customers::retrieve_payment_method, Secret, vec![*id, *pm])
        }

        ["v1", "setup_intents"] if post => (setup_intents::create, Secret, vec![]),
        ["v1", "setup_intents"] if get => (setup_intents::list_setup_intents, Secret, vec![]),
        ["v1", "setup_intents", id] if get => (setup_intents::retrieve, Publishable, vec![*id]),
        ["v1", "setup_intents", id] if post => (setup_intents::update, Secret, vec![*id]),
        ["v1", "setup_intents", id, "confirm"] if post => {
            (setup_intents::confirm, Publishable, vec![*id])
        }
        ["v1", "setup_intents", id, "cancel"] if post => (setup_intents::cancel, Secret, vec![*id]),

        ["v1", "payment_methods"] if post => (payment_methods::create, Publishable, vec![]),
        ["v1", "payment_methods"] if get => (payment_methods::list_payment_methods, Secret, vec![]),
        ["v1", "payment_methods", id] if get => (payment_methods::retrieve, Secret, vec![*id]),
        ["v1", "payment_methods", id] if post => (payment_methods::update, Secret, vec![*id]),
        ["v1", "payment_methods", id, "attach"] if post => {
            (payment_methods::attach, Secret, vec![*id])
        }
        ["v1", "payment_methods", id, "detach"] if post => {
            (payment_methods::detach, Secret, vec![*id])
        }

        ["v1", "payment_intents"] if post => (payment_intents::create, Secret, vec![]),
        ["v1", "payment_intents"] if get => (payment_intents::list_payment_intents, Secret, vec![]),
        ["v1", "payment_intents", id] if get => (payment_intents::retrieve, Publishable, vec![*id]),
        ["v1", "payment_intents", id] if post => (payment_intents::update, Secret, vec![*id]),
        ["v1", "payment_intents", id, "confirm"] if post => {
            (payment_intents::confirm, Publishable, vec![*id])
        }
        ["v1", "payment_intents", id, "cancel"] if post => {
            (payment_intents::cancel, Secret, vec![*id])
        }

        ["v1", "charges"] if get => (charges::list_charges, Secret, vec![]),
        ["v1", "charges", id] if get => (charges::retrieve, Secret, vec![*id]),

        ["v1", "refunds"] if post => (refunds::create, Secret, vec![]),
        ["v1", "refunds"] if get => (refunds::list_refunds, Secret, vec![]),
        ["v1", "refunds", id] if get => (refunds::retrieve, Secret, vec![*id]),
        ["v1", "refunds", id] if post => (refunds::update, Secret, vec![*id]),

        ["v1", "events"] if get => (events::list_events, Secret, vec![]),
        ["v1", "events", id] if get => (events::retrieve, Secret, vec![*id]),

        ["v1", "webhook_endpoints"] if post => (webhooks::create, Secret, vec![]),
        ["v1", "webhook_endpoints"] if get => (webhooks::list_endpoints, Secret, vec![]),
        ["v1", "webhook_endpoints", id] if get => (webhooks::retrieve, Secret, vec![*id]),
        ["v1", "webhook_endpoints", id] if post => (webhooks::update, Secret, vec![*id]),
        ["v1", "webhook_endpoints", id] if delete => (webhooks::delete, Secret, vec![*id]),

        ["emulator", "refunds", id, "settle"] if post => (refunds::settle, Secret, vec![*id]),

        ["emulator", "authenticate", id] if post => {
            (authenticate::authenticate, ClientSecret, vec![*id])
        }
        _ => return None,
    };
    Some(found)
}

/// The API (every path the route table knows, and Stripe's 404 for the rest) plus the emulated
/// Stripe.js and its frames, all on one origin as at Stripe.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::stripe_js::routes())
        .fallback(handle)
        // Outermost, so that every route is logged and a fault can name any of them.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            faults::intercept,
        ))
        .with_state(shared)
}

/// Masks a key for error messages as Stripe does: its prefix and last four characters.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return key.to_string();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

/// The API key of a request: `Authorization: Bearer <key>`, HTTP basic with the key as user
/// name (as curl's `-u sk_test_…:` sends), or the `key` parameter Stripe.js sends with a
/// publishable key.
fn api_key(headers: &HeaderMap, params: &Params<'_>) -> Result<String, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default().trim();
        if let Some(bearer) = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
        {
            return Ok(bearer.trim().to_string());
        }
        if let Some(basic) = text
            .strip_prefix("Basic ")
            .or_else(|| text.strip_prefix("basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let user = decoded.split(':').next().unwrap_or_default();
            return Ok(user.to_string());
        }
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}. Use `Authorization: Bearer <secret key>`.",
            mask(text)
        )));
    }
    if let Some(key) = params.non_empty("key")? {
        return Ok(key.to_string());
    }
    Err(ApiError::unauthorized(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer \
         auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for \
         details, or we can help at https://support.stripe.com/.",
    ))
}

/// Maps a key to its account suffix and kind. Any `sk_test_`/`rk_test_`/`pk_test_` key with a
/// suffix of letters, digits and underscores is valid; live keys are refused outright so the
/// emulator can never be mistaken for real Stripe.
fn classify(key: &str) -> Result<(String, KeyKind), ApiError> {
    for live in ["sk_live_", "pk_live_", "rk_live_"] {
        if key.starts_with(live) {
            return Err(ApiError::unauthorized(format!(
                "The Stripe emulator refuses live-mode API keys ({}). It only accepts test keys (sk_test_… or \
                 pk_test_…) and never moves real money: use api.stripe.com for live payments.",
                mask(key)
            )));
        }
    }
    let (suffix, kind) = if let Some(s) = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("rk_test_"))
    {
        (s, KeyKind::Secret)
    } else if let Some(s) = key.strip_prefix("pk_test_") {
        (s, KeyKind::Publishable)
    } else {
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask(key)
        )));
    };
    if suffix.is_empty()
        || !suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask(key)
        )));
    }
    Ok((suffix.to_string(), kind))
}

/// The result of processing a request, before it becomes an HTTP response.
struct Reply {
    status: StatusCode,
    body: Value,
    idempotency_key: Option<String>,
    /// Set on a replay: the id of the request whose response is replayed.
    replayed_from: Option<String>,
}

/// Decodes query and form body into one parameter tree (body wins).
fn decode(
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<BTreeMap<String, Param>, ApiError> {
    let mut params = form::parse(uri.query().unwrap_or_default().as_bytes())?;
    if !body.is_empty() {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type.starts_with("application/json") {
            return Err(ApiError::param_error(
                "Invalid request: the Stripe API takes application/x-www-form-urlencoded parameters, not JSON.",
                "body",
            ));
        }
        params.extend(form::parse(body)?);
    }
    Ok(params)
}

fn process(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    request_id: &str,
    now: i64,
) -> Reply {
    let mut reply = Reply {
        status: StatusCode::OK,
        body: Value::Null,
        idempotency_key: None,
        replayed_from: None,
    };
    let result = (|| -> Result<Value, ApiError> {
        let path = uri.path();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (handler, access, ids) = route(method, &segments)
            .ok_or_else(|| ApiError::unrecognized_url(method.as_str(), path))?;
        let tree = decode(uri, headers, body)?;
        let params = Params::new(&tree);
        if headers.contains_key("stripe-account") {
            return Err(ApiError::param_error(
                "The Stripe emulator does not support Connect: remove the Stripe-Account header.",
                "Stripe-Account",
            ));
        }
        let endpoint = format!("{} {path}", method.as_str());
        let idempotency_key = if *method == Method::POST {
            headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        } else {
            None
        };
        if let Some(k) = &idempotency_key {
            idempotency::validate_key(k)?;
        }
        reply.idempotency_key.clone_from(&idempotency_key);

        let mut store = lock(&shared.store);
        let accounts_before = store.accounts.len();
        let (acct, kind) = if access == Access::ClientSecret {
            // Emulator endpoints find the account through the intent they act on.
            let id = ids.first().copied().unwrap_or_default();
            let acct = store
                .accounts
                .values_mut()
                .find(|a| a.setup_intents.contains_key(id) || a.payment_intents.contains_key(id))
                .ok_or_else(|| ApiError::no_such("intent", id, "intent"))?;
            (acct, KeyKind::Publishable)
        } else {
            let (suffix, kind) = classify(&api_key(headers, &params)?)?;
            if kind == KeyKind::Publishable && access == Access::Secret {
                return Err(ApiError::unauthorized(
                    "This API call cannot be made with a publishable API key. Please use a secret API key. You can \
                     find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
                ));
            }
            (store.account(&suffix), kind)
        };

        let fingerprint = params.to_json();
        if let Some(k) = &idempotency_key
            && let Some(saved) = acct.idempotency.get(k)
        {
            idempotency::check(saved, k, &endpoint, &fingerprint)?;
            reply.status = saved.status;
            reply.replayed_from = Some(saved.request_id.clone());
            return Ok(saved.body.clone());
        }

        let mut ctx = Ctx {
            acct,
            key: kind,
            now,
            request_id: request_id.to_string(),
            idempotency_key: idempotency_key.clone(),
            // The emulator's own endpoints stand for Stripe or the customer acting.
            api_request: segments.first() == Some(&"v1"),
            base_url: &shared.base_url,
            outbox: Vec::new(),
        };
        let outcome = handler(&mut ctx, params.clone(), &ids).and_then(|mut value| {
            let paths = params.expand()?;
            expand::expand(ctx.acct, &mut value, &paths)?;
            Ok(value)
        });
        let outbox = std::mem::take(&mut ctx.outbox);
        let acct = ctx.acct;
        let (status, body, saved) = match &outcome {
            Ok(v) => (StatusCode::OK, v.clone(), true),
            Err(e) => (
                e.status,
                e.response_json(request_id, now),
                e.saved_for_idempotency,
            ),
        };
        if let Some(k) = idempotency_key
            && saved
        {
            acct.idempotency.insert(
                k,
                SavedResponse {
                    endpoint,
                    params: fingerprint,
                    status,
                    body: body.clone(),
                    request_id: request_id.to_string(),
                },
            );
        }
        // Reads change nothing, except a key's first use, which creates its account.
        if *method != Method::GET || store.accounts.len() != accounts_before {
            shared.persist(&store);
        }
        drop(store);
        webhooks::dispatch(shared, outbox);
        reply.status = status;
        Ok(body)
    })();
    match result {
        Ok(body) => reply.body = body,
        Err(e) => {
            reply.status = e.status;
            reply.body = e.response_json(request_id, now);
        }
    }
    reply
}

pub(crate) fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// CORS as api.stripe.com answers it: any origin, since browsers call it with publishable keys.
fn cors(headers: &mut HeaderMap) {
    set(headers, "access-control-allow-origin", "*");
    set(
        headers,
        "access-control-allow-methods",
        "GET, HEAD, PUT, PATCH, POST, DELETE",
    );
    set(
        headers,
        "access-control-allow-headers",
        "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account",
    );
    set(
        headers,
        "access-control-expose-headers",
        "Request-Id, Idempotency-Key, Idempotent-Replayed, Original-Request, Stripe-Version",
    );
    set(headers, "access-control-max-age", "300");
}

/// A fresh `req_…` id, as Stripe gives every API request.
pub(crate) fn new_request_id() -> String {
    format!("req_{}", random_alnum(14))
}

/// A JSON response with the headers Stripe puts on every API response (CORS, `Request-Id`,
/// `Stripe-Version` echoing the request's, no caching).
pub(crate) fn api_response(
    status: StatusCode,
    body: Value,
    request_id: &str,
    request_headers: &HeaderMap,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let h = response.headers_mut();
    cors(h);
    set(h, "request-id", request_id);
    let version = request_headers
        .get("stripe-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(API_VERSION);
    set(h, "stripe-version", version);
    set(h, "cache-control", "no-cache, no-store");
    response
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::OPTIONS {
        let mut response = StatusCode::NO_CONTENT.into_response();
        cors(response.headers_mut());
        return response;
    }
    let request_id = new_request_id();
    let reply = process(&shared, &method, &uri, &headers, &body, &request_id, now());
    let mut response = api_response(reply.status, reply.body, &request_id, &headers);
    let h = response.headers_mut();
    if let Some(k) = &reply.idempotency_key {
        set(h, "idempotency-key", k);
        set(
            h,
            "original-request",
            reply.replayed_from.as_deref().unwrap_or(&request_id),
        );
    }
    if reply.replayed_from.is_some() {
        set(h, "idempotent-replayed", "true");
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn keys_are_classified_like_stripe_test_and_live_keys() {
        assert_eq!(
            classify("sk_test_abc").unwrap(),
            ("abc".to_string(), KeyKind::Secret)
        );
        assert_eq!(
            classify("pk_test_abc").unwrap(),
            ("abc".to_string(), KeyKind::Publishable)
        );
        assert!(
            classify("sk_live_abc").unwrap_err().body["message"]
                .as_str()
                .unwrap()
                .contains("refuses live-mode")
        );
        assert!(classify("pk_live_abc").is_err());
        assert!(classify("rk_live_abc").is_err());
        assert!(classify("sk_test_").is_err());
        assert!(classify("nonsense").is_err());
    }

    #[test]
    fn masks_keep_prefix_and_last_four() {
        assert_eq!(mask("sk_test_1234567890abcd"), "sk_test_**********abcd");
    }

    #[test]
    fn routes_capture_ids() {
        let (_, access, ids) =
            route(&Method::POST, &["v1", "setup_intents", "seti_1", "confirm"]).unwrap();
        assert_eq!(access, Access::Publishable);
        assert_eq!(ids, vec!["seti_1"]);
        assert!(route(&Method::PUT, &["v1", "customers"]).is_none());
    }
}

//! Stripe's error envelope: `{"error": {"type", "code", "decline_code", "message", "param",
//! "doc_url", "payment_intent" | "setup_intent" | "payment_method" | "charge", …}}`.
//!
//! Every failure the emulator reports goes through [`ApiError`] so that the shape, the HTTP status
//! and the idempotency rule (which errors are replayed) stay consistent across resources.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// An error as Stripe reports it. Built with the constructors below, then refined with the
/// `with_*` methods (param, decline code, embedded objects).
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    /// The inner object of `{"error": …}`.
    pub(crate) body: Map<String, Value>,
    /// Stripe saves an idempotent result only once the endpoint "began executing": parameter
    /// validation failures and authentication failures are not saved, so retrying them with the
    /// same key after fixing the request works.
    pub(crate) saved_for_idempotency: bool,
}

/// Stripe's documentation URL for an error code (`resource_missing` → `…/resource-missing`).
fn doc_url(code: &str) -> String {
    format!(
        "https://stripe.com/docs/error-codes/{}",
        code.replace('_', "-")
    )
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("type".into(), json!(kind));
        body.insert("message".into(), json!(message.into()));
        Self {
            status,
            body,
            saved_for_idempotency: true,
        }
    }

    /// 400 `invalid_request_error` raised while executing the request (saved for idempotency).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 400 `invalid_request_error` raised while validating parameters (not saved for idempotency).
    pub(crate) fn param_error(message: impl Into<String>, param: &str) -> Self {
        let mut e = Self::invalid(message).with_param(param);
        e.saved_for_idempotency = false;
        e
    }

    /// 400 `parameter_missing`.
    pub(crate) fn missing_param(param: &str) -> Self {
        Self::param_error(format!("Missing required param: {param}."), param)
            .with_code("parameter_missing")
    }

    /// 400 `parameter_unknown`.
    pub(crate) fn unknown_param(param: &str) -> Self {
        Self::param_error(format!("Received unknown parameter: {param}"), param)
            .with_code("parameter_unknown")
    }

    /// 404 `resource_missing`, e.g. "No such customer: 'cus_123'".
    pub(crate) fn no_such(resource: &str, id: &str, param: &str) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("No such {resource}: '{id}'"),
        )
        .with_code("resource_missing")
        .with_param(param);
        // A missing id is a property of the request, like a validation error: Stripe does not
        // pin the 404 to the idempotency key.
        e.saved_for_idempotency = false;
        e
    }

    /// 401 authentication failure (never saved for idempotency: there is no account yet).
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message);
        e.saved_for_idempotency = false;
        e
    }

    /// 400 `idempotency_error`.
    pub(crate) fn idempotency(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "idempotency_error", message);
        e.saved_for_idempotency = false;
        e
    }

    /// 402 `card_error` with its code (and the decline code when the issuer declined).
    pub(crate) fn card(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", message).with_code(code)
    }

    /// 404 for an unknown route, worded like Stripe's.
    pub(crate) fn unrecognized_url(method: &str, path: &str) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs \
                 or we can help at https://support.stripe.com/."
            ),
        );
        e.saved_for_idempotency = false;
        e
    }

    /// 429 as Stripe's rate limiter answers. The limiter runs before the idempotency layer, so
    /// nothing is saved and a retry with the same key is executed afresh.
    pub(crate) fn rate_limited() -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_request_error",
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        )
        .with_code("rate_limit");
        e.saved_for_idempotency = false;
        e
    }

    /// A 5xx `api_error`: a problem on Stripe's side, reported without a code.
    pub(crate) fn server_error(status: StatusCode) -> Self {
        let mut e = Self::new(status, "api_error", "An unknown error occurred");
        e.saved_for_idempotency = false;
        e
    }

    pub(crate) fn with_code(mut self, code: &str) -> Self {
        self.body.insert("code".into(), json!(code));
        self.body.insert("doc_url".into(), json!(doc_url(code)));
        self
    }

    pub(crate) fn with_param(mut self, param: &str) -> Self {
        self.body.insert("param".into(), json!(param));
        self
    }

    pub(crate) fn with_decline_code(mut self, decline_code: &str) -> Self {
        self.body.insert("decline_code".into(), json!(decline_code));
        self
    }

    /// Embeds a related object or id (`payment_intent`, `setup_intent`, `payment_method`,
    /// `charge`), as Stripe does for errors raised while processing an intent.
    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }

    #[cfg(test)]
    pub(crate) fn code(&self) -> Option<&str> {
        self.body.get("code").and_then(Value::as_str)
    }

    /// The inner error object, as stored in `last_payment_error` / `last_setup_error`.
    pub(crate) fn inner_json(&self) -> Value {
        Value::Object(self.body.clone())
    }

    /// The full response body, with the dashboard log URL Stripe adds to every error.
    pub(crate) fn response_json(&self, request_id: &str, now: i64) -> Value {
        let mut body = self.body.clone();
        body.entry("request_log_url").or_insert_with(|| {
            json!(format!(
                "https://dashboard.stripe.com/test/logs/{request_id}?t={now}"
            ))
        });
        json!({ "error": Value::Object(body) })
    }
}

/// Declines and failures a card produces, with the wording Stripe uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Decline {
    /// The error `code` (`card_declined`, `expired_card`, `authentication_required`…).
    #[serde(with = "crate::persist::static_str")]
    pub(crate) code: crate::persist::StaticStr,
    /// The issuer's `decline_code`.
    #[serde(with = "crate::persist::static_str")]
    pub(crate) decline_code: crate::persist::StaticStr,
    #[serde(with = "crate::persist::static_str")]
    pub(crate) message: crate::persist::StaticStr,
    /// The card field the error points at, if any (`cvc`, `exp_month`).
    #[serde(with = "crate::persist::static_str_opt")]
    pub(crate) param: Option<crate::persist::StaticStr>,
}

impl Decline {
    pub(crate) fn to_error(self) -> ApiError {
        let e = ApiError::card(self.code, self.message).with_decline_code(self.decline_code);
        match self.param {
            Some(p) => e.with_param(p),
            None => e,
        }
    }
}

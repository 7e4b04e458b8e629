//! `Idempotency-Key`, as Stripe honours it on POST requests: the first response (success or an
//! error raised while executing) is saved per account and key; the same key with the same
//! endpoint and parameters replays it (header `Idempotent-Replayed: true`), with other
//! parameters or another endpoint it is refused with a 400 `idempotency_error`. Parameter
//! validation and authentication failures are not saved, so a corrected retry with the same key
//! goes through.

use axum::http::StatusCode;
use serde_json::Value;

use crate::errors::ApiError;

/// A response saved under an idempotency key.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedResponse {
    /// `POST /v1/payment_intents`
    pub(crate) endpoint: String,
    /// Canonical JSON of the request parameters.
    pub(crate) params: Value,
    #[serde(with = "crate::persist::status_code")]
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    /// The request that produced it (`Original-Request` header on replays).
    pub(crate) request_id: String,
}

/// The longest key Stripe accepts.
pub(crate) const MAX_KEY_LENGTH: usize = 255;

pub(crate) fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(ApiError::idempotency(format!(
            "Invalid idempotency key: keys must be between 1 and {MAX_KEY_LENGTH} characters long."
        )));
    }
    Ok(())
}

/// Decides what to do with a request carrying a key that was seen before.
pub(crate) fn check(
    saved: &SavedResponse,
    key: &str,
    endpoint: &str,
    params: &Value,
) -> Result<(), ApiError> {
    if saved.endpoint != endpoint {
        return Err(ApiError::idempotency(format!(
            "Keys for idempotent requests can only be used for the same endpoint they were first used for \
             ('{}' vs '{endpoint}'). Try using a key other than '{key}' if you meant to execute a different request.",
            saved.endpoint
        )));
    }
    if &saved.params != params {
        return Err(ApiError::idempotency(format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try \
             using a key other than '{key}' if you meant to execute a different request."
        )));
    }
    Ok(())
}

//! The one error type that crosses the server-function boundary.
//!
//! Each variant has a stable `code` the UI maps to a sentence. Internal failures are logged on the
//! server with their full chain and reach the browser only as a reference.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message about one input field, shown under that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthorized,
    /// Sign-in failed. Deliberately says nothing about which part was wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid input")]
    Validation { errors: Vec<FieldError> },
    #[error("too many attempts")]
    RateLimited,
    /// Too much work at once (password hashing is saturated): nothing was done, try again after
    /// `retry_after_secs` (also sent as `Retry-After`).
    #[error("server busy")]
    Busy { retry_after_secs: u32 },
    /// The merchant has not confirmed their email address yet: nothing goes to customers until
    /// they do (a link was sent to `email`).
    #[error("email address not confirmed")]
    EmailUnconfirmed { email: String },
    /// The merchant has sent today's quota of emails to customers.
    #[error("daily email quota reached")]
    EmailQuotaReached { limit: u32 },
    #[error("forbidden")]
    Forbidden,
    /// A payment action without a MioPay (Stripe) connection.
    #[error("stripe not connected")]
    StripeNotConnected,
    /// Stripe could not be reached or failed; safe to retry.
    #[error("stripe unavailable")]
    StripeUnavailable,
    /// A card link that is unknown, altered, or whose page cookie is gone. Same answer for all
    /// of them: nothing tells a guesser which links exist.
    #[error("link not found")]
    LinkNotFound,
    #[error("link expired")]
    LinkExpired { merchant_name: String },
    /// The link's card has been saved; a link works once.
    #[error("link already used")]
    LinkUsed { merchant_name: String },
    /// A newer link replaced this one (Resend).
    #[error("link revoked")]
    LinkRevoked { merchant_name: String },
    /// The customer confirmed a card on a link that a newer one replaced meanwhile: the card is
    /// not kept (the merchant's latest request is the one that counts).
    #[error("link replaced before the card was saved")]
    LinkReplacedBeforeSaving { merchant_name: String },
    /// The customer confirmed a card after the link's time ran out: the card is not kept.
    #[error("link expired before the card was saved")]
    LinkExpiredBeforeSaving { merchant_name: String },
    /// The merchant has no payment connection any more: the link can't take a card for now.
    #[error("link unavailable")]
    LinkUnavailable { merchant_name: String },
    /// The card page asked the server to record a card that Stripe has not confirmed.
    #[error("card setup not complete")]
    SetupIncomplete,
    /// A charge of the same amount to the same customer is not settled yet: charging again may
    /// charge them twice. The form may confirm it (**Charge anyway**, naming `charge_id`).
    #[error("possible duplicate charge")]
    PossibleDuplicateCharge {
        charge_id: String,
        amount_text: String,
        status_label: String,
        /// `YYYY-MM-DD HH:MM UTC`.
        at: String,
    },
    /// **Retry** on an email that must not go out again; `reason` says why (it was not failed,
    /// or the link it carried was used, replaced or has expired).
    #[error("email cannot be retried")]
    CannotRetry { reason: String },
    #[error("something went wrong (ref {reference})")]
    Internal { reference: String },
    /// The server gave up on a request that took too long (a backstop: Stripe's own calls give
    /// up sooner with [`AppError::StripeUnavailable`]). Nothing is known to be done; retry.
    #[error("request timed out")]
    TimedOut,
    /// The request never reached our code or its reply could not be read (network, bad encoding).
    #[error("request failed")]
    Request { detail: String },
}

impl AppError {
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::Validation { errors }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::Validation { .. } => "VALIDATION",
            Self::RateLimited => "RATE_LIMITED",
            Self::Busy { .. } => "BUSY",
            Self::EmailUnconfirmed { .. } => "EMAIL_UNCONFIRMED",
            Self::EmailQuotaReached { .. } => "EMAIL_QUOTA_REACHED",
            Self::Forbidden => "FORBIDDEN",
            Self::StripeNotConnected => "STRIPE_NOT_CONNECTED",
            Self::StripeUnavailable => "STRIPE_UNAVAILABLE",
            Self::LinkNotFound => "LINK_NOT_FOUND",
            Self::LinkExpired { .. } => "LINK_EXPIRED",
            Self::LinkUsed { .. } => "LINK_USED",
            Self::LinkRevoked { .. } => "LINK_REVOKED",
            Self::LinkReplacedBeforeSaving { .. } => "LINK_REPLACED_BEFORE_SAVING",
            Self::LinkExpiredBeforeSaving { .. } => "LINK_EXPIRED_BEFORE_SAVING",
            Self::LinkUnavailable { .. } => "LINK_UNAVAILABLE",
            Self::SetupIncomplete => "SETUP_INCOMPLETE",
            Self::PossibleDuplicateCharge { .. } => "POSSIBLE_DUPLICATE_CHARGE",
            Self::CannotRetry { .. } => "CANNOT_RETRY",
            Self::Internal { .. } => "INTERNAL",
            Self::TimedOut => "TIMED_OUT",
            Self::Request { .. } => "REQUEST",
        }
    }

    /// The sentence a person sees.
    pub fn user_message(&self) -> String {
        match self {
            Self::NotFound => "Not found.".into(),
            Self::Unauthorized => "Please sign in again.".into(),
            Self::InvalidCredentials => "Email or password is incorrect.".into(),
            Self::Validation { .. } => "Please correct the highlighted fields.".into(),
            Self::RateLimited => "Too many attempts. Please wait 15 minutes and try again.".into(),
            Self::Busy { .. } => {
                "The server is busy right now. Please try again in a few seconds.".into()
            }
            Self::EmailUnconfirmed { email } => {
                format!("Confirm your email address first — we sent a link to {email}.")
            }
            Self::EmailQuotaReached { limit } => format!(
                "You have sent today's limit of {limit} emails to customers. Sending starts \
                 again at midnight UTC."
            ),
            Self::Forbidden => "This request was refused.".into(),
            Self::StripeNotConnected => "Connect MioPay (Stripe) in Settings first.".into(),
            Self::StripeUnavailable => {
                "Stripe could not be reached. Please try again in a moment.".into()
            }
            Self::LinkNotFound => "This link is not valid. Check that you opened the whole link \
                                   from your email, or ask for a new one."
                .into(),
            Self::LinkExpired { merchant_name } => {
                format!("This link has expired — ask {merchant_name} to send a new one.")
            }
            Self::LinkUsed { merchant_name } => {
                format!(
                    "This link has already been used. Your card is on file with {merchant_name}."
                )
            }
            Self::LinkRevoked { merchant_name } => format!(
                "This link has been revoked: {merchant_name} sent you a newer one. Please use the \
                 link in their latest email."
            ),
            Self::LinkReplacedBeforeSaving { merchant_name } => format!(
                "Your card was not saved: {merchant_name} sent you a newer link while this one was \
                 open. Please use the link in their latest email."
            ),
            Self::LinkExpiredBeforeSaving { merchant_name } => format!(
                "Your card was not saved: this link expired while it was open — ask \
                 {merchant_name} to send a new one."
            ),
            Self::LinkUnavailable { merchant_name } => format!(
                "{merchant_name} can't take cards online right now. Please contact them directly."
            ),
            Self::SetupIncomplete => "Your card has not been saved yet. Please try again.".into(),
            Self::PossibleDuplicateCharge {
                amount_text,
                status_label,
                at,
                ..
            } => format!(
                "A charge of {amount_text} to this customer from {at} is not settled yet \
                 ({status_label}). Charging again may charge them twice: check Payments first."
            ),
            Self::CannotRetry { reason } => reason.clone(),
            Self::Internal { reference } => format!("Something went wrong (ref {reference})."),
            Self::TimedOut => "This is taking too long. Please try again in a moment.".into(),
            Self::Request { .. } => {
                "We could not reach the server. Check your connection and try again.".into()
            }
        }
    }

    /// The message for one form field, if this is a validation error about it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { errors } => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// HTTP status for a JSON (non-form) caller.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthorized | Self::InvalidCredentials => 401,
            Self::Validation { .. } => 422,
            Self::RateLimited | Self::EmailQuotaReached { .. } => 429,
            Self::Busy { .. } => 503,
            Self::EmailUnconfirmed { .. } => 403,
            Self::Forbidden => 403,
            Self::StripeNotConnected => 409,
            Self::StripeUnavailable => 502,
            Self::LinkNotFound => 404,
            Self::LinkExpired { .. }
            | Self::LinkUsed { .. }
            | Self::LinkRevoked { .. }
            | Self::LinkReplacedBeforeSaving { .. }
            | Self::LinkExpiredBeforeSaving { .. } => 410,
            Self::SetupIncomplete | Self::LinkUnavailable { .. } => 409,
            Self::PossibleDuplicateCharge { .. } => 409,
            Self::CannotRetry { .. } => 409,
            Self::Internal { .. } => 500,
            Self::TimedOut => 503,
            Self::Request { .. } => 400,
        }
    }

    /// Seconds a client should wait before retrying, for the `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            Self::Busy { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Arguments that do not decode are the caller's fault: say so without echoing internals.
        let detail = match &value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                "the request's fields could not be read".to_owned()
            }
            other => other.to_string(),
        };
        Self::Request { detail }
    }
}

#[cfg(feature = "ssr")]
pub use server::is_unique_violation;

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    impl AppError {
        /// Logs the full error chain with a short reference and returns what the browser may see.
        pub fn internal(err: impl std::fmt::Display) -> Self {
            let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
            tracing::error!(%reference, error = %err, "internal error");
            Self::Internal { reference }
        }
    }

    /// True when the database refused a write because of a unique index: the loser of a race
    /// that our own check could not see.
    pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
        matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        )
    }

    /// Stripe's answer as the browser may see it: a refused key is the key field's error, an
    /// unreachable Stripe is retryable, anything else is internal (logged, never shown).
    impl From<crate::payments::PaymentsError> for AppError {
        fn from(err: crate::payments::PaymentsError) -> Self {
            use crate::payments::PaymentsError;
            match err {
                PaymentsError::InvalidKey => {
                    Self::field("secret_key", "Stripe did not accept this secret key.")
                }
                PaymentsError::Unavailable(detail) => {
                    tracing::warn!(%detail, "stripe unavailable");
                    Self::StripeUnavailable
                }
                other => Self::internal(other),
            }
        }
    }

    /// For the plain axum routes: the error's own status, and the same JSON a server function
    /// answers with (an internal error carries only its reference).
    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let status = http::StatusCode::from_u16(self.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = self.retry_after_secs();
            let mut response = (status, axum::Json(self)).into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            response
        }
    }

    impl From<sea_orm::DbErr> for AppError {
        fn from(err: sea_orm::DbErr) -> Self {
            Self::internal(err)
        }
    }

    impl From<sea_orm::TransactionError<AppError>> for AppError {
        fn from(err: sea_orm::TransactionError<AppError>) -> Self {
            match err {
                sea_orm::TransactionError::Connection(db) => Self::internal(db),
                sea_orm::TransactionError::Transaction(app) => app,
            }
        }
    }
}

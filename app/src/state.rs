//! What every server function can reach: the database and the configuration. Server-only.

use std::sync::Arc;

use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// Seals and opens secrets stored in the database.
    pub secrets: crate::crypto::SecretBox,
    /// Base URL of the in-process Stripe emulator, when it runs (demo mode and tests).
    pub emulator_base: Option<String>,
    /// The bounded gate every password hash goes through.
    pub hashing: crate::password_hashing::PasswordHashing,
}

impl AppState {
    /// Where a connection's Stripe API lives: the emulator for demo connections, otherwise
    /// the configured base (api.stripe.com unless overridden).
    pub fn stripe_endpoint(&self, emulated: bool) -> crate::payments::StripeEndpoint {
        let configured = self.config.stripe.api_base.as_deref();
        let api_base = if emulated || configured == Some(crate::config::EMULATOR_API_BASE) {
            self.emulator_base.clone()
        } else {
            configured.map(ToOwned::to_owned)
        };
        crate::payments::StripeEndpoint {
            api_base,
            retry: self.config.stripe.retry_policy(),
        }
    }

    /// The address of a customer link: always on the configured base URL, never on the request's
    /// `Host` (a forged header must not put someone else's host into an email).
    pub fn pay_url(&self, token: &str) -> Result<String, AppError> {
        self.page_url(&format!("pay/{token}"))
    }

    /// A page of ours on the configured base URL (`customers/<id>` …), for emails.
    pub fn page_url(&self, path: &str) -> Result<String, AppError> {
        Ok(self
            .config
            .base_url
            .join(path)
            .map_err(AppError::internal)?
            .to_string())
    }

    /// The Stripe.js the card page loads: the emulator's for demo connections, Stripe's otherwise.
    pub fn stripe_js_url(&self, emulated: bool) -> String {
        match (&self.emulator_base, emulated) {
            (Some(base), true) => format!("{}/v3/", base.trim_end_matches('/')),
            _ => self.config.stripe.js_url.clone(),
        }
    }
}

/// The state provided to server functions and SSR through Leptos context.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

/// The current request's head (headers, URI), provided by leptos_axum.
pub fn request_parts() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal("request parts missing from context"))
}

/// True when the current server function call is a plain HTML form post (no JavaScript).
pub fn submitted_without_javascript() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| is_form_post(&p))
}

/// True for a plain HTML form post (no JavaScript): the response must be a redirect, not JSON.
fn is_form_post(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Finishes a server function: JSON callers get the error's own status code; plain form posts keep
/// the redirect Leptos sets up (the error travels back in the URL to the form's page).
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result
        && let (false, Some(options), Ok(status)) = (
            submitted_without_javascript(),
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(err.status()),
        )
    {
        options.set_status(status);
        if let Some(secs) = err.retry_after_secs() {
            options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
    }
    result
}

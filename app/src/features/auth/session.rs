//! The session cookie and the guard every merchant server function starts with.

use http::HeaderValue;
use http::header::{COOKIE, SET_COOKIE};
use leptos::prelude::*;

use super::service::{self, Authenticated};
use crate::config::Config;
use crate::error::AppError;
use crate::state::{app_state, request_parts};

/// The client's address, as the server derived it from the connection and the trusted proxies'
/// headers (`crate::client_address`); `None` for a request that came without a connection.
pub fn client_ip(parts: &http::request::Parts) -> Option<String> {
    parts
        .extensions
        .get::<crate::client_address::ClientAddress>()
        .map(|client| client.0.to_string())
}

/// `__Host-` binds the cookie to our exact origin, but browsers only accept it with `Secure`.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        "__Host-cof_session"
    } else {
        "cof_session"
    }
}

pub fn read_token(headers: &http::HeaderMap, config: &Config) -> Option<String> {
    cookie_value(headers, cookie_name(config))
}

/// The value of cookie `name`, if present, non-empty and token-sized (at most 64 characters).
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

fn cookie(config: &Config, value: &str, max_age_seconds: i64) -> String {
    set_cookie_value(config, cookie_name(config), value, max_age_seconds)
}

/// A `Set-Cookie` value for one of our cookies: whole site, HttpOnly, SameSite=Lax (a customer or
/// merchant arriving by a link from their mail app still sends it), Secure on https.
pub fn set_cookie_value(config: &Config, name: &str, value: &str, max_age_seconds: i64) -> String {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

fn set_cookie_header(value: String) -> Result<(), AppError> {
    let options = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| AppError::internal("response options missing from context"))?;
    let header = HeaderValue::from_str(&value).map_err(AppError::internal)?;
    options.append_header(SET_COOKIE, header);
    Ok(())
}

/// Starts a fresh session for `user`, ending any session the browser already had, so a session id
/// planted before sign-in is never promoted (fixation).
pub async fn start_session(user: &crate::entities::staff_user::Model) -> Result<(), AppError> {
    let state = app_state()?;
    let parts = request_parts()?;
    if let Some(old) = read_token(&parts.headers, &state.config) {
        service::delete_session(&state.db, &old).await?;
    }
    let token = service::create_session(&state.db, user, state.config.session.ttl_hours).await?;
    set_cookie_header(cookie(
        &state.config,
        &token,
        state.config.session.ttl_hours * 3600,
    ))
}

/// Ends the session server-side and tells the browser to drop the cookie.
pub async fn end_session() -> Result<(), AppError> {
    let state = app_state()?;
    let parts = request_parts()?;
    if let Some(token) = read_token(&parts.headers, &state.config) {
        service::delete_session(&state.db, &token).await?;
    }
    set_cookie_header(cookie(&state.config, "", 0))
}

/// The signed-in staff member, or `Unauthorized`.
pub async fn require_staff() -> Result<Authenticated, AppError> {
    let state = app_state()?;
    let parts = request_parts()?;
    staff_of(&state, &parts.headers).await
}

/// The signed-in staff member of a request with these headers, or `Unauthorized`: the one check
/// for server functions and the plain axum routes (the profile's event stream).
pub async fn staff_of(
    state: &crate::state::AppState,
    headers: &http::HeaderMap,
) -> Result<Authenticated, AppError> {
    let token = read_token(headers, &state.config).ok_or(AppError::Unauthorized)?;
    service::find_session(&state.db, &token)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Runs a merchant server function: the app state and the signed-in staff member first, then
/// `f`; errors answer with their own status (see [`crate::state::respond`]).
pub async fn as_staff<T, Fut>(
    f: impl FnOnce(crate::state::AppState, Authenticated) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let state = app_state()?;
        let auth = require_staff().await?;
        f(state, auth).await
    }
    .await;
    crate::state::respond(result)
}

//! The card page's cookie: carries the link token from `/pay/<token>` to the page's server
//! functions, so the token is never in a URL the page (or Stripe.js) can see.

use super::token::LinkToken;
use crate::config::Config;
use crate::error::AppError;
use crate::features::auth::session::{cookie_value, set_cookie_value};
use crate::state::{AppState, request_parts};

/// How long the page cookie lives: long enough to find a card, short enough not to linger.
pub const PAGE_COOKIE_SECONDS: i64 = 2 * 60 * 60;

/// `__Host-` pins the cookie to our exact origin; browsers accept it only with `Secure`.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        "__Host-cof_link"
    } else {
        "cof_link"
    }
}

/// The `Set-Cookie` value that carries `token` to the page.
pub fn page_cookie(config: &Config, token: &LinkToken) -> String {
    set_cookie_value(
        config,
        cookie_name(config),
        token.as_str(),
        PAGE_COOKIE_SECONDS,
    )
}

/// The `Set-Cookie` value that removes the page cookie: a malformed link must not show the page
/// of a link the browser opened before.
pub fn no_page_cookie(config: &Config) -> String {
    set_cookie_value(config, cookie_name(config), "", 0)
}

/// The link token of the current request's page cookie; without one (or with one that is not a
/// token) the page cannot tell which link it serves, which to the customer is the same as an
/// invalid link.
pub fn token_from_cookie(state: &AppState) -> Result<LinkToken, AppError> {
    let parts = request_parts()?;
    cookie_value(&parts.headers, cookie_name(&state.config))
        .and_then(|value| LinkToken::parse(&value))
        .ok_or(AppError::LinkNotFound)
}

/// The client address of the current server-function request.
pub fn client_ip() -> Option<String> {
    request_parts()
        .ok()
        .and_then(|parts| crate::features::auth::session::client_ip(&parts))
}

/// The link holder of the current request: the token of its page cookie and its address.
pub struct Holder {
    pub token: LinkToken,
    pub client_ip: Option<String>,
}

/// What every card-page server function starts with.
fn holder(state: &AppState) -> Result<Holder, AppError> {
    Ok(Holder {
        token: token_from_cookie(state)?,
        client_ip: client_ip(),
    })
}

/// Runs a card-page server function for the holder of the current request's link; errors answer
/// with their own status (see [`crate::state::respond`]).
pub async fn as_holder<T, Fut>(f: impl FnOnce(AppState, Holder) -> Fut) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let state = crate::state::app_state()?;
        let holder = holder(&state)?;
        f(state, holder).await
    }
    .await;
    crate::state::respond(result)
}

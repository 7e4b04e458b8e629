//! `GET /pay/{token}`: the emailed link. Trades the token for the card page's cookie and
//! redirects to `/pay`, so the token is gone from the address bar, the history and every Referer
//! before the page (or Stripe.js) loads. Unknown, tampered and valid tokens get the same answer;
//! the page says what is wrong. A segment that is not a token at all is answered like an unknown
//! one, but without a lookup and without a cookie made from it. The token is never logged (the
//! request span logs `/pay/…`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::cookie::{no_page_cookie, page_cookie};
use super::token::LinkToken;
use crate::error::AppError;
use crate::state::AppState;

/// The answer to a visit of `/pay/<segment>` from `client_ip`.
pub async fn exchange(state: &AppState, segment: &str, client_ip: Option<&str>) -> Response {
    let Some(token) = LinkToken::parse(segment) else {
        // No link has this shape: nothing to look up or count, and the segment (`;`, CR LF…)
        // never reaches a header. The page then says "not valid", as for an unknown token.
        return to_the_page(&no_page_cookie(&state.config));
    };
    match super::service::open(state, &token, client_ip).await {
        Ok(()) => {}
        Err(AppError::RateLimited) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::REFERRER_POLICY, "no-referrer")],
                AppError::RateLimited.user_message(),
            )
                .into_response();
        }
        // Opening is only bookkeeping: the page still works, so carry on.
        Err(err) => tracing::warn!(error = %err, "could not record a customer link as opened"),
    }
    to_the_page(&page_cookie(&state.config, &token))
}

/// The redirect to the card page, setting (or clearing) its cookie.
fn to_the_page(cookie: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    // Each exchange gets a `/pay` address of its own (the query means nothing to the page):
    // Chromium was seen answering the `/pay` after a new link's 303 with the page it had shown
    // for the previous link in the same tab — same body, no request, despite `no-store` — so a
    // customer who tapped an old link, then the new one, read "revoked".
    let visit = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(location) = HeaderValue::from_str(&format!("/pay?visit={}", &visit[..12])) {
        headers.insert(header::LOCATION, location);
    }
    // A token is base64url and the rest is ours: always a valid header.
    if let Ok(cookie) = HeaderValue::from_str(cookie) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The request path as logs may show it: a link's token is cut off.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/pay/") {
        "/pay/…"
    } else if path.starts_with("/confirm-email/") {
        // A merchant's email confirmation link carries a token too.
        "/confirm-email/…"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/pay/abcDEF123_-"), "/pay/…");
        assert_eq!(loggable_path("/pay"), "/pay");
        assert_eq!(loggable_path("/confirm-email/abc_-1"), "/confirm-email/…");
        assert_eq!(loggable_path("/customers/1"), "/customers/1");
    }
}

//! `GET /confirm-email/{token}`: the link in the confirmation email. A plain page (no script)
//! saying what opening it did; the token leaves no Referer (`no-referrer`) and is cut from the
//! request log like a card link's.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::confirmation::{self, Outcome};
use crate::state::AppState;

/// The answer to a visit of the confirmation link.
pub async fn confirm_email(state: &AppState, token: &str) -> Response {
    let (status, title, message) = match confirmation::confirm(&state.db, token).await {
        Ok(Outcome::Confirmed) => (
            StatusCode::OK,
            "Email address confirmed",
            "Thank you — your email address is confirmed. You can now send emails to your \
             customers."
                .to_owned(),
        ),
        Ok(Outcome::AlreadyUsed) => (
            StatusCode::GONE,
            "Link already used",
            "This link has already been used: your email address is confirmed.".to_owned(),
        ),
        Ok(Outcome::Expired) => (
            StatusCode::GONE,
            "Link expired",
            "This link has expired. Sign in and choose Resend confirmation link on a customer's \
             profile to get a new one."
                .to_owned(),
        ),
        Ok(Outcome::NotFound) => (
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This link is not valid. Check that you opened the whole link from the latest email \
             we sent you."
                .to_owned(),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            err.user_message(),
        ),
    };
    // Every piece of text above is ours: nothing from the request or the database is echoed.
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — Card on File</title>\
         <link rel=\"stylesheet\" href=\"/pkg/cardonfile.css\"></head>\
         <body><main class=\"auth-page\"><section class=\"auth-card\"><h1>{title}</h1>\
         <p>{message}</p><p><a href=\"/customers\">Go to Customers</a></p>\
         </section></main></body></html>"
    );
    (
        status,
        [
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'",
            ),
        ],
        Html(page),
    )
        .into_response()
}

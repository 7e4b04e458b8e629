//! Server functions for accounts. Thin: parse, call the service, set the cookie, redirect.

use leptos::prelude::*;

use super::dto::SessionInfo;
use crate::error::AppError;

#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    /// The page to come back to (see `return_to`); absent or foreign: the customer list.
    #[server(default)]
    next: Option<String>,
) -> Result<(), AppError> {
    use super::{service, session};
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let client_ip = session::client_ip(&crate::state::request_parts()?);
            let user = service::authenticate(
                &state.db,
                &state.hashing,
                &email,
                &password,
                client_ip.as_deref(),
            )
            .await?;
            session::start_session(&user).await?;
            leptos_axum::redirect(super::return_to::after_sign_in(
                next.as_deref().filter(|next| !next.is_empty()),
            ));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::state::respond(
        async move {
            super::session::end_session().await?;
            leptos_axum::redirect("/sign-in");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "current_session")]
pub async fn current_session() -> Result<SessionInfo, AppError> {
    super::session::as_staff(|state, auth| async move {
        super::service::session_info(&state.db, &auth).await
    })
    .await
}

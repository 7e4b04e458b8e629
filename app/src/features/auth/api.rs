//! Server functions for accounts. Thin: parse, call the service, set the cookie, redirect.

use leptos::prelude::*;

use super::dto::SessionInfo;
use crate::error::AppError;

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    business_name: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use super::{service, session, sign_up_limit};
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let input = service::SignUp::parse(&business_name, &name, &email, &password)?;
            let client_ip = session::client_ip(&crate::state::request_parts()?);
            let limit = state.config.limits.sign_ups_per_client;
            sign_up_limit::admit(&state.db, client_ip.as_deref(), limit).await?;
            let owner = service::sign_up(&state.db, &state.hashing, input).await?;
            tracing::info!(merchant_id = %owner.merchant_id, "merchant signed up");
            session::start_session(&owner).await?;
            leptos_axum::redirect("/customers");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
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
            leptos_axum::redirect("/customers");
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

//! Server functions of onboarding. Thin: parse, limit, call the service, set the cookie.

use leptos::prelude::*;

use crate::error::AppError;

/// Sign-up: the merchant, its owner and the link confirming the owner's email address.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    business_name: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use crate::features::auth::{service, session, sign_up_limit};
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let input = service::SignUp::parse(&business_name, &name, &email, &password)?;
            let client_ip = session::client_ip(&crate::state::request_parts()?);
            let limit = state.config.limits.sign_ups_per_client;
            sign_up_limit::admit(&state.db, client_ip.as_deref(), limit).await?;
            let owner = super::confirmation::sign_up(&state, input).await?;
            tracing::info!(merchant_id = %owner.merchant_id, "merchant signed up");
            session::start_session(&owner).await?;
            leptos_axum::redirect("/customers");
            Ok(())
        }
        .await,
    )
}

/// Sends a new link confirming the merchant's email address (the older ones stop working);
/// answers with the address it went to.
#[server(endpoint = "resend_email_confirmation")]
pub async fn resend_email_confirmation() -> Result<String, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::confirmation::resend(&state, &auth).await
    })
    .await
}

//! Server functions of card requests. Merchant functions resolve the signed-in staff member first;
//! the card page's functions resolve the link from its page cookie (never from the URL).

use leptos::prelude::*;

use super::dto::{CardPage, CardRequestSent, CardView};
use crate::error::AppError;

/// Send Email / Resend: a new link to the customer (a pending one is revoked).
#[server(endpoint = "send_card_request")]
pub async fn send_card_request(
    customer_id: String,
    note: String,
) -> Result<CardRequestSent, AppError> {
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let auth = crate::features::auth::session::require_staff().await?;
            let note = crate::domain::PersonalNote::parse(&note)
                .map_err(|message| AppError::field("note", message))?;
            super::service::send(&state, &auth, &customer_id, note).await
        }
        .await,
    )
}

/// The card page: who asks, for what, and the SetupIntent for Stripe.js.
#[server(endpoint = "load_card_page")]
pub async fn load_card_page() -> Result<CardPage, AppError> {
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let token = super::link::token_from_cookie(&state)?;
            let client_ip = super::link::client_ip();
            super::service::card_page(&state, &token, client_ip.as_deref()).await
        }
        .await,
    )
}

/// Called by the card page after Stripe.js confirmed the SetupIntent: records the card if Stripe
/// says it succeeded (the webhook may have done so already) and returns it.
#[server(endpoint = "complete_card_setup")]
pub async fn complete_card_setup() -> Result<CardView, AppError> {
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let token = super::link::token_from_cookie(&state)?;
            let client_ip = super::link::client_ip();
            super::service::complete_from_page(&state, &token, client_ip.as_deref()).await
        }
        .await,
    )
}

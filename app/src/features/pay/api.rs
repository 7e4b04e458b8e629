//! Server functions of the `/pay` page. They resolve the link from the page cookie (never from
//! the URL) and the client's address, for the guess throttle.

use leptos::prelude::*;

use super::dto::CardPage;
use crate::cards::CardView;
use crate::error::AppError;
use crate::features::charges::dto::PaymentConfirmed;

/// The card page: who asks, for what, and the SetupIntent (or PaymentIntent) for Stripe.js.
#[server(endpoint = "load_card_page")]
pub async fn load_card_page() -> Result<CardPage, AppError> {
    crate::features::links::cookie::as_holder(|state, holder| async move {
        super::service::card_page(&state, &holder.token, holder.client_ip.as_deref()).await
    })
    .await
}

/// Called by the card page after Stripe.js confirmed the SetupIntent: records the card if Stripe
/// says it succeeded (the webhook may have done so already) and returns it.
#[server(endpoint = "complete_card_setup")]
pub async fn complete_card_setup() -> Result<CardView, AppError> {
    crate::features::links::cookie::as_holder(|state, holder| async move {
        crate::features::card_requests::service::complete_from_page(
            &state,
            &holder.token,
            holder.client_ip.as_deref(),
        )
        .await
    })
    .await
}

/// Called by the confirm page after Stripe.js confirmed the payment: settles the charge from
/// Stripe's answer (the webhook may have done so already) and returns what was paid.
#[server(endpoint = "complete_payment_confirmation")]
pub async fn complete_payment_confirmation() -> Result<PaymentConfirmed, AppError> {
    crate::features::links::cookie::as_holder(|state, holder| async move {
        crate::features::charges::confirmation::complete(
            &state,
            &holder.token,
            holder.client_ip.as_deref(),
        )
        .await
    })
    .await
}

//! Server functions of Payment Options. Each resolves the signed-in staff member first; ids of
//! another merchant's customers or cards are "not found".

use leptos::prelude::*;

use super::dto::{PaymentOptionSetup, PaymentOptionView};
use crate::error::AppError;

/// Create Payment Option, step 1: a SetupIntent for this customer (the Stripe customer is created
/// if needed) for the Payment Element in the Actions panel.
#[server(endpoint = "start_payment_option")]
pub async fn start_payment_option(customer_id: String) -> Result<PaymentOptionSetup, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::create::start(&state, &auth, &customer_id).await
    })
    .await
}

/// Create Payment Option, step 2, after Stripe.js confirmed the SetupIntent: records the card as
/// added by the signed-in staff member (once, however often it is called).
#[server(endpoint = "save_payment_option")]
pub async fn save_payment_option(
    customer_id: String,
    setup_intent_id: String,
) -> Result<PaymentOptionView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::create::save(&state, &auth, &customer_id, &setup_intent_id).await
    })
    .await
}

#[server(endpoint = "make_default_payment_option")]
pub async fn make_default_payment_option(payment_option_id: String) -> Result<(), AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::service::make_default(&state, &auth, &payment_option_id).await
    })
    .await
}

/// Remove: detaches the card at Stripe and keeps the row (with the reason) for history. A card
/// meant to pay a booking with a balance due needs a reason.
#[server(endpoint = "remove_payment_option")]
pub async fn remove_payment_option(
    payment_option_id: String,
    reason: String,
) -> Result<(), AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::service::remove(&state, &auth, &payment_option_id, &reason).await
    })
    .await
}

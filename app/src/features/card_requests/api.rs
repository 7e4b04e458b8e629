//! Server functions of card requests. (The customer's side is the `pay` page's.)

use leptos::prelude::*;

use super::dto::CardRequestSent;
use crate::error::AppError;

/// Send Email / Resend: a new link to the customer (a pending one is revoked).
#[server(endpoint = "send_card_request")]
pub async fn send_card_request(
    customer_id: String,
    note: String,
) -> Result<CardRequestSent, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let note = crate::domain::PersonalNote::parse(&note)
            .map_err(|message| AppError::field("note", message))?;
        super::service::send(&state, &auth, &customer_id, note).await
    })
    .await
}

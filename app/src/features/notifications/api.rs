//! Server functions of notifications.

use leptos::prelude::*;

use crate::error::AppError;

/// **Retry** on a failed email in the profile's Notifications.
#[server(endpoint = "retry_email")]
pub async fn retry_email(email_id: String) -> Result<(), AppError> {
    use crate::ids::MerchantId;
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::retry::retry(&state, MerchantId(&auth.merchant_id), &email_id).await
    })
    .await
}

use leptos::prelude::*;

use super::dto::MerchantSettings;
use crate::error::AppError;

#[server(endpoint = "get_settings")]
pub async fn get_settings() -> Result<MerchantSettings, AppError> {
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let auth = crate::features::auth::session::require_staff().await?;
            super::service::get(&state.db, &auth.merchant_id).await
        }
        .await,
    )
}

#[server(endpoint = "update_business_name")]
pub async fn update_business_name(business_name: String) -> Result<MerchantSettings, AppError> {
    crate::state::respond(
        async move {
            let state = crate::state::app_state()?;
            let auth = crate::features::auth::session::require_staff().await?;
            let name = crate::domain::BusinessName::parse(&business_name)
                .map_err(|m| AppError::field("business_name", m))?;
            super::service::rename(&state.db, &auth.merchant_id, name).await
        }
        .await,
    )
}

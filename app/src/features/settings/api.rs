use leptos::prelude::*;

use super::dto::{MerchantSettings, StripeConnectionView};
use crate::error::AppError;

#[server(endpoint = "get_settings")]
pub async fn get_settings() -> Result<MerchantSettings, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::service::get(&state, &auth.merchant_id).await
    })
    .await
}

#[server(endpoint = "update_business_name")]
pub async fn update_business_name(business_name: String) -> Result<MerchantSettings, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let name = crate::domain::BusinessName::parse(&business_name)
            .map_err(|m| AppError::field("business_name", m))?;
        super::service::rename(&state, &auth.merchant_id, name).await
    })
    .await
}

/// How many days new card links stay valid.
#[server(endpoint = "update_card_link_validity")]
pub async fn update_card_link_validity(
    card_link_validity_days: String,
) -> Result<MerchantSettings, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let days = crate::domain::LinkValidityDays::parse(&card_link_validity_days)
            .map_err(|m| AppError::field("card_link_validity_days", m))?;
        super::service::set_link_validity(&state, &auth.merchant_id, days).await
    })
    .await
}

/// The currency of new bookings and charges (an ISO 4217 code from `money::CURRENCIES`).
#[server(endpoint = "update_currency")]
pub async fn update_currency(currency: String) -> Result<MerchantSettings, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let currency =
            crate::money::Currency::parse(&currency).map_err(|m| AppError::field("currency", m))?;
        super::service::set_currency(&state, &auth.merchant_id, currency).await
    })
    .await
}

#[server(endpoint = "connect_stripe")]
pub async fn connect_stripe(
    publishable_key: String,
    secret_key: String,
    webhook_secret: String,
) -> Result<StripeConnectionView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::connection::connect(
            &state,
            &auth.merchant_id,
            &publishable_key,
            &secret_key,
            &webhook_secret,
        )
        .await
    })
    .await
}

#[server(endpoint = "connect_demo_stripe")]
pub async fn connect_demo_stripe() -> Result<StripeConnectionView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::connection::connect_demo(&state, &auth.merchant_id).await
    })
    .await
}

#[server(endpoint = "disconnect_stripe")]
pub async fn disconnect_stripe() -> Result<StripeConnectionView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::connection::disconnect(&state, &auth.merchant_id).await
    })
    .await
}

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::dto::MerchantSettings;
use crate::domain::{BusinessName, LinkValidityDays};
use crate::entities::merchant;
use crate::error::AppError;
use crate::money::Currency;
use crate::state::AppState;

/// The merchant row of a signed-in staff member or of a link: it exists (foreign keys cascade
/// from it), so a missing one is an internal error, not "not found".
pub async fn find_merchant(
    db: &impl ConnectionTrait,
    merchant_id: &str,
) -> Result<merchant::Model, AppError> {
    merchant::Entity::find_by_id(merchant_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("merchant row missing"))
}

pub async fn get(state: &AppState, merchant_id: &str) -> Result<MerchantSettings, AppError> {
    let merchant = find_merchant(&state.db, merchant_id).await?;
    Ok(MerchantSettings {
        business_name: merchant.business_name,
        card_link_validity_days: u32::try_from(merchant.card_link_validity_days).unwrap_or(7),
        currency: merchant.currency,
        stripe: super::connection::view(state, merchant_id).await?,
    })
}

pub async fn rename(
    state: &AppState,
    merchant_id: &str,
    name: BusinessName,
) -> Result<MerchantSettings, AppError> {
    let mut model: merchant::ActiveModel = find_merchant(&state.db, merchant_id).await?.into();
    model.business_name = Set(name.as_str().to_owned());
    model.updated_at = Set(Utc::now());
    model.update(&state.db).await?;
    get(state, merchant_id).await
}

pub async fn set_link_validity(
    state: &AppState,
    merchant_id: &str,
    days: LinkValidityDays,
) -> Result<MerchantSettings, AppError> {
    let mut model: merchant::ActiveModel = find_merchant(&state.db, merchant_id).await?.into();
    model.card_link_validity_days = Set(i32::from(days.days()));
    model.updated_at = Set(Utc::now());
    model.update(&state.db).await?;
    get(state, merchant_id).await
}

/// The currency of bookings and charges made from now on; existing ones keep their own.
pub async fn set_currency(
    state: &AppState,
    merchant_id: &str,
    currency: Currency,
) -> Result<MerchantSettings, AppError> {
    let mut model: merchant::ActiveModel = find_merchant(&state.db, merchant_id).await?.into();
    model.currency = Set(currency.code.to_owned());
    model.updated_at = Set(Utc::now());
    model.update(&state.db).await?;
    tracing::info!(merchant_id, currency = currency.code, "currency changed");
    get(state, merchant_id).await
}

//! May this merchant email its customers now? Only once its owner's email address is confirmed,
//! and within its daily quota (`limits.daily_customer_emails`, counted per UTC day over every
//! email to a customer in the outbox). Send Email and Resend link ask before writing anything;
//! a charge asks for the confirmation before Stripe is called, since its outcome may email the
//! customer. (Two sends racing at the quota's edge may both pass: the quota bounds abuse, it is
//! not a ledger.)

use chrono::{NaiveTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Iterable, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::entities::{email_confirmation, outbox_email, staff_user};
use crate::error::AppError;
use crate::state::AppState;
use crate::states::EmailKind;

/// `Ok` when the merchant may email a customer now; otherwise the refusal to show.
pub async fn may_email_customers(state: &AppState, merchant_id: &str) -> Result<(), AppError> {
    require_confirmed(&state.db, merchant_id).await?;
    let limit = state.config.limits.daily_customer_emails;
    if customer_emails_today(&state.db, merchant_id).await? >= u64::from(limit) {
        return Err(AppError::EmailQuotaReached { limit });
    }
    Ok(())
}

/// The refusal [`may_email_customers`] would give, for a page to show before anyone tries.
pub async fn sending_blocked(
    state: &AppState,
    merchant_id: &str,
) -> Result<Option<AppError>, AppError> {
    match may_email_customers(state, merchant_id).await {
        Ok(()) => Ok(None),
        Err(err @ (AppError::EmailUnconfirmed { .. } | AppError::EmailQuotaReached { .. })) => {
            Ok(Some(err))
        }
        Err(other) => Err(other),
    }
}

/// `EmailUnconfirmed` (naming the address the link went to) until the merchant is confirmed.
pub async fn require_confirmed(
    db: &impl ConnectionTrait,
    merchant_id: &str,
) -> Result<(), AppError> {
    match unconfirmed_address(db, merchant_id).await? {
        None => Ok(()),
        Some(email) => Err(AppError::EmailUnconfirmed { email }),
    }
}

/// `None` once the merchant is confirmed; until then the address its latest link went to.
pub async fn unconfirmed_address(
    db: &impl ConnectionTrait,
    merchant_id: &str,
) -> Result<Option<String>, AppError> {
    let links = email_confirmation::Entity::find()
        .filter(email_confirmation::Column::MerchantId.eq(merchant_id))
        .order_by_desc(email_confirmation::Column::CreatedAt)
        .all(db)
        .await?;
    if links.iter().any(|l| l.confirmed_at.is_some()) {
        return Ok(None);
    }
    match links.into_iter().next() {
        Some(latest) => Ok(Some(latest.email)),
        None => Ok(Some(owner_of(db, merchant_id).await?.email)),
    }
}

/// The merchant's owner: whom the confirmation links go to.
pub async fn owner_of(
    db: &impl ConnectionTrait,
    merchant_id: &str,
) -> Result<staff_user::Model, AppError> {
    staff_user::Entity::find()
        .filter(staff_user::Column::MerchantId.eq(merchant_id))
        .filter(staff_user::Column::Role.eq(staff_user::ROLE_OWNER))
        .order_by_asc(staff_user::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Emails to customers this merchant has written to the outbox since midnight UTC.
pub async fn customer_emails_today(
    db: &impl ConnectionTrait,
    merchant_id: &str,
) -> Result<u64, AppError> {
    let midnight = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let kinds: Vec<EmailKind> = EmailKind::iter().filter(|k| k.is_to_customer()).collect();
    Ok(outbox_email::Entity::find()
        .filter(outbox_email::Column::MerchantId.eq(merchant_id))
        .filter(outbox_email::Column::Kind.is_in(kinds))
        .filter(outbox_email::Column::CreatedAt.gte(midnight))
        .count(db)
        .await?)
}

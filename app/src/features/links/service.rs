//! Issuing, finding and using customer links. Every state change is a conditional UPDATE, so a
//! link is opened, used or revoked once whoever races for it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::guesses;
use super::token::LinkToken;
use crate::entities::{customer_link, merchant, new_id};
use crate::error::AppError;
use crate::features::settings::service::find_merchant;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::state::AppState;
use crate::states::{LinkPurpose, LinkStatus};

pub use customer_link::Model as Link;

/// A link to write, in the caller's transaction (beside the email that carries it).
pub struct NewLink {
    pub purpose: LinkPurpose,
    pub merchant_id: String,
    pub customer_id: String,
    /// From [`token::new_token`]: only the digest is stored.
    pub token_digest: String,
    /// When the link went out: its validity counts from here.
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub sent_by: String,
    pub note: String,
    pub outbox_email_id: Option<String>,
    /// The charge a `ConfirmPayment` link is about.
    pub charge_id: Option<String>,
}

pub async fn issue(db: &impl ConnectionTrait, link: NewLink) -> Result<Link, AppError> {
    let now = link.issued_at;
    let row = customer_link::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(link.merchant_id),
        customer_id: Set(link.customer_id),
        purpose: Set(link.purpose),
        token_hash: Set(link.token_digest),
        status: Set(LinkStatus::Pending),
        expires_at: Set(link.expires_at),
        note: Set(link.note),
        sent_by: Set(link.sent_by),
        outbox_email_id: Set(link.outbox_email_id),
        setup_intent_id: Set(None),
        opened_at: Set(None),
        completed_at: Set(None),
        revoked_at: Set(None),
        payment_option_id: Set(None),
        charge_id: Set(link.charge_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(row.insert(db).await?)
}

/// Revokes the customer's pending card requests (a new one replaces them). Links to confirm a
/// payment are not card requests: they stay usable.
pub async fn revoke_card_requests(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<u64, AppError> {
    let revoked = revoke()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::CustomerId.eq(customer_id))
        .filter(customer_link::Column::Purpose.eq(LinkPurpose::SaveCard))
        .exec(db)
        .await?;
    Ok(revoked.rows_affected)
}

/// Revokes the pending links that ask the customer to confirm `charge_id` (a new one replaces
/// them).
pub async fn revoke_for_charge(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    charge_id: &str,
) -> Result<u64, AppError> {
    let revoked = revoke()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::ChargeId.eq(charge_id))
        .exec(db)
        .await?;
    Ok(revoked.rows_affected)
}

fn revoke() -> sea_orm::UpdateMany<customer_link::Entity> {
    let now = Utc::now();
    customer_link::Entity::update_many()
        .col_expr(
            customer_link::Column::Status,
            Expr::value(LinkStatus::Revoked),
        )
        .col_expr(customer_link::Column::RevokedAt, Expr::value(now))
        .col_expr(customer_link::Column::UpdatedAt, Expr::value(now))
        .filter(customer_link::Column::Status.eq(LinkStatus::Pending))
}

/// The customer's newest card request that can still be used.
pub async fn pending_card_request(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Option<Link>, AppError> {
    Ok(customer_link::Entity::find()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::CustomerId.eq(customer_id))
        .filter(customer_link::Column::Purpose.eq(LinkPurpose::SaveCard))
        .filter(customer_link::Column::Status.eq(LinkStatus::Pending))
        .filter(customer_link::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(customer_link::Column::CreatedAt)
        .one(db)
        .await?)
}

/// The newest link sent to confirm `charge_id`.
pub async fn newest_for_charge(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    charge_id: &str,
) -> Result<Option<Link>, AppError> {
    Ok(customer_link::Entity::find()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::ChargeId.eq(charge_id))
        .order_by_desc(customer_link::Column::CreatedAt)
        .one(db)
        .await?)
}

/// The links that went out in these emails (the profile's Notifications show their progress).
pub async fn carried_by_emails(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    email_ids: Vec<String>,
) -> Result<Vec<Link>, AppError> {
    if email_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(customer_link::Entity::find()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::OutboxEmailId.is_in(email_ids))
        .all(db)
        .await?)
}

/// The card request that owns a SetupIntent, if any.
pub async fn find_by_setup_intent(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    setup_intent_id: &str,
) -> Result<Option<Link>, AppError> {
    Ok(customer_link::Entity::find()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::SetupIntentId.eq(setup_intent_id))
        .one(db)
        .await?)
}

pub async fn reload(db: &impl ConnectionTrait, id: &str) -> Result<Link, AppError> {
    customer_link::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or(AppError::LinkNotFound)
}

/// The link behind a token. Unknown tokens count against the client, and a client over the
/// limit gets `RateLimited` before any lookup.
pub async fn find_by_token(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<Link, AppError> {
    guesses::check_guesses(&state.db, client_ip).await?;
    let found = customer_link::Entity::find()
        .filter(customer_link::Column::TokenHash.eq(token.digest()))
        .one(&state.db)
        .await?;
    match found {
        Some(link) => Ok(link),
        None => {
            guesses::record_guess(&state.db, client_ip).await?;
            Err(AppError::LinkNotFound)
        }
    }
}

/// A link that can still be used, with the merchant it speaks for.
pub struct Usable {
    pub link: Link,
    pub merchant: merchant::Model,
}

/// The link behind a token if it can still be used, or the reason it can't.
pub async fn usable(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<Usable, AppError> {
    let link = find_by_token(state, token, client_ip).await?;
    let merchant = find_merchant(&state.db, &link.merchant_id).await?;
    let merchant_name = merchant.business_name.clone();
    match link.status {
        LinkStatus::Completed => Err(AppError::LinkUsed { merchant_name }),
        LinkStatus::Revoked => Err(AppError::LinkRevoked { merchant_name }),
        LinkStatus::Pending if link.expires_at <= Utc::now() => {
            Err(AppError::LinkExpired { merchant_name })
        }
        LinkStatus::Pending => Ok(Usable { link, merchant }),
    }
}

/// The first visit of `/pay/<token>`: marks the link opened (if it is usable). The caller answers
/// the same whatever the outcome, so every token looks alike — except to a client that has
/// guessed too often (`RateLimited`).
pub async fn open(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    let link = match usable(state, token, client_ip).await {
        Ok(Usable { link, .. }) => link,
        Err(AppError::RateLimited) => return Err(AppError::RateLimited),
        Err(_) => return Ok(()),
    };
    if link.opened_at.is_none() {
        let now = Utc::now();
        let updated = customer_link::Entity::update_many()
            .col_expr(customer_link::Column::OpenedAt, Expr::value(now))
            .col_expr(customer_link::Column::UpdatedAt, Expr::value(now))
            .filter(customer_link::Column::Id.eq(link.id.as_str()))
            .filter(customer_link::Column::OpenedAt.is_null())
            .exec(&state.db)
            .await?;
        if updated.rows_affected > 0 {
            live::publish(MerchantId(&link.merchant_id), CustomerId(&link.customer_id));
        }
    }
    Ok(())
}

/// Records the SetupIntent a card request's page uses, unless another visit replaced `previous`
/// first.
pub async fn attach_setup_intent(
    db: &impl ConnectionTrait,
    link: &Link,
    setup_intent_id: &str,
) -> Result<(), AppError> {
    let update = customer_link::Entity::update_many()
        .col_expr(
            customer_link::Column::SetupIntentId,
            Expr::value(setup_intent_id.to_owned()),
        )
        .col_expr(customer_link::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(customer_link::Column::Id.eq(link.id.as_str()));
    let update = match &link.setup_intent_id {
        None => update.filter(customer_link::Column::SetupIntentId.is_null()),
        Some(old) => update.filter(customer_link::Column::SetupIntentId.eq(old.as_str())),
    };
    update.exec(db).await?;
    Ok(())
}

/// What became of an attempt to use a link up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// This caller used it: record what it was for, in the same transaction.
    Done,
    /// Another caller (a tab, the webhook) used it first.
    AlreadyUsed,
    /// A newer link replaced it before it was used.
    Revoked,
    /// Its time ran out before it was used.
    Expired,
}

/// Uses the link up if it is still pending and unexpired: the first caller gets `Done` (and
/// records the card it saved, if any); everyone after learns why not. Write it first in a
/// transaction: on SQLite that takes the write lock; on Postgres a concurrent caller waits on
/// the row and then finds it used.
pub async fn complete(
    db: &impl ConnectionTrait,
    link_id: &str,
    payment_option_id: Option<&str>,
) -> Result<Completion, AppError> {
    let mut update = mark_completed();
    if let Some(option_id) = payment_option_id {
        update = update.col_expr(
            customer_link::Column::PaymentOptionId,
            Expr::value(option_id.to_owned()),
        );
    }
    let done = update
        .filter(customer_link::Column::Id.eq(link_id))
        .filter(customer_link::Column::Status.eq(LinkStatus::Pending))
        .filter(customer_link::Column::ExpiresAt.gt(Utc::now()))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        return Ok(Completion::Done);
    }
    Ok(match reload(db, link_id).await?.status {
        LinkStatus::Completed => Completion::AlreadyUsed,
        LinkStatus::Revoked => Completion::Revoked,
        LinkStatus::Pending => Completion::Expired,
    })
}

/// The customer answered `charge_id`: its pending links are used up.
pub async fn complete_for_charge(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    charge_id: &str,
) -> Result<(), AppError> {
    mark_completed()
        .filter(customer_link::Column::MerchantId.eq(merchant_id))
        .filter(customer_link::Column::ChargeId.eq(charge_id))
        .filter(customer_link::Column::Status.eq(LinkStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// The columns of a link being used up; callers add which rows (and from which states).
fn mark_completed() -> sea_orm::UpdateMany<customer_link::Entity> {
    let now = Utc::now();
    customer_link::Entity::update_many()
        .col_expr(
            customer_link::Column::Status,
            Expr::value(LinkStatus::Completed),
        )
        .col_expr(customer_link::Column::CompletedAt, Expr::value(now))
        .col_expr(customer_link::Column::UpdatedAt, Expr::value(now))
}

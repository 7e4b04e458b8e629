//! The link that confirms a merchant owner's email address: a 256-bit token (`links::token`)
//! of which only the digest is stored, sent through the outbox in the same transaction that
//! writes it, valid for `limits.email_confirmation_hours`, and working once. A merchant is
//! confirmed as soon as one of its links has been opened.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use super::emails::ConfirmationEmail;
use crate::domain::EmailAddress;
use crate::entities::{email_confirmation, new_id, staff_user};
use crate::error::AppError;
use crate::features::auth::service::{self as auth, Authenticated, SignUp};
use crate::features::links::token;
use crate::features::notifications::outbox;
use crate::features::settings::service::find_merchant;
use crate::state::AppState;
use crate::states::EmailKind;
use crate::time::minute;

/// The path of the confirmation page: `<base URL>/confirm-email/<token>`.
pub const CONFIRM_PATH: &str = "confirm-email";
/// The sender name of the platform's own emails (the merchant's name is for its customers).
pub const PLATFORM_NAME: &str = "Card on File";
/// Links one merchant may have sent within a day: the address typed at sign-up may be someone
/// else's, who must not be flooded with confirmation emails.
pub const MAX_LINKS_PER_DAY: u64 = 5;

/// Sign-up through the form: the merchant, its owner and the confirmation link with its email,
/// in one transaction (a failed email write leaves no account behind).
pub async fn sign_up(state: &AppState, input: SignUp) -> Result<staff_user::Model, AppError> {
    let password_hash = auth::hash_new_password(&state.db, &state.hashing, &input).await?;
    let txn = state.db.begin().await?;
    let owner = auth::create_account(&txn, &input, password_hash).await?;
    send_link(&txn, state, &owner).await?;
    txn.commit().await?;
    outbox::wake_worker();
    Ok(owner)
}

/// Marks the merchant of `owner` confirmed without a link (the seeded demo merchant, whose
/// address is the operator's own).
pub async fn confirm_without_link(
    db: &impl ConnectionTrait,
    owner: &staff_user::Model,
) -> Result<(), AppError> {
    let now = Utc::now();
    email_confirmation::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(owner.merchant_id.clone()),
        staff_user_id: Set(owner.id.clone()),
        email: Set(owner.email.clone()),
        // Not a hex digest: no token ever matches it.
        token_digest: Set(format!("without-link:{}", owner.id)),
        expires_at: Set(now),
        confirmed_at: Set(Some(now)),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes a new link for `owner` and its email to the outbox, inside the caller's transaction.
async fn send_link(
    txn: &DatabaseTransaction,
    state: &AppState,
    owner: &staff_user::Model,
) -> Result<(), AppError> {
    let recipient = EmailAddress::parse(&owner.email).map_err(|m| AppError::field("email", m))?;
    let merchant = find_merchant(txn, &owner.merchant_id).await?;
    let (token, token_digest) = token::new_token();
    let now = Utc::now();
    let expires_at = now + Duration::hours(state.config.limits.email_confirmation_hours);
    let link = state.page_url(&format!("{CONFIRM_PATH}/{token}"))?;
    let expires_text = minute(expires_at);
    let email = ConfirmationEmail {
        name: &owner.name,
        business_name: &merchant.business_name,
        link: &link,
        expires_at: &expires_text,
    };
    let bodies = email.render()?;
    outbox::enqueue(
        txn,
        &state.secrets,
        outbox::NewEmail {
            merchant_id: merchant.id.clone(),
            customer_id: None,
            kind: EmailKind::EmailConfirmation,
            recipient,
            from_name: PLATFORM_NAME.to_owned(),
            reply_to: None,
            subject: email.subject(),
            body_text: bodies.text,
            body_html: bodies.html,
        },
    )
    .await?;
    email_confirmation::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant.id),
        staff_user_id: Set(owner.id.clone()),
        email: Set(owner.email.clone()),
        token_digest: Set(token_digest),
        expires_at: Set(expires_at),
        confirmed_at: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Resend confirmation link: a new link to the merchant's owner; the links sent before stop
/// working. Answers with the address.
pub async fn resend(state: &AppState, auth: &Authenticated) -> Result<String, AppError> {
    let db = &state.db;
    if super::gate::unconfirmed_address(db, &auth.merchant_id)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "email",
            "Your email address is already confirmed.",
        ));
    }
    let sent_today = email_confirmation::Entity::find()
        .filter(email_confirmation::Column::MerchantId.eq(auth.merchant_id.as_str()))
        .filter(email_confirmation::Column::CreatedAt.gt(Utc::now() - Duration::days(1)))
        .count(db)
        .await?;
    if sent_today >= MAX_LINKS_PER_DAY {
        return Err(AppError::RateLimited);
    }
    let owner = super::gate::owner_of(db, &auth.merchant_id).await?;
    let txn = db.begin().await?;
    email_confirmation::Entity::delete_many()
        .filter(email_confirmation::Column::MerchantId.eq(auth.merchant_id.as_str()))
        .filter(email_confirmation::Column::ConfirmedAt.is_null())
        .exec(&txn)
        .await?;
    send_link(&txn, state, &owner).await?;
    txn.commit().await?;
    outbox::wake_worker();
    Ok(owner.email)
}

/// What opening a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Confirmed,
    /// The link was opened before (the address is confirmed).
    AlreadyUsed,
    Expired,
    /// Unknown, altered, or replaced by a newer link.
    NotFound,
}

/// Opens a confirmation link: confirms the merchant, once. Anything not shaped like one of our
/// tokens is "not found" without a database lookup.
pub async fn confirm(db: &impl ConnectionTrait, token: &str) -> Result<Outcome, AppError> {
    let well_formed = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Ok(Outcome::NotFound);
    }
    let Some(link) = email_confirmation::Entity::find()
        .filter(email_confirmation::Column::TokenDigest.eq(token::digest(token)))
        .one(db)
        .await?
    else {
        return Ok(Outcome::NotFound);
    };
    let now = Utc::now();
    if link.confirmed_at.is_some() {
        return Ok(Outcome::AlreadyUsed);
    }
    if link.expires_at <= now {
        return Ok(Outcome::Expired);
    }
    // Conditional: of two tabs opening the link at once, one confirms and one finds it used.
    let updated = email_confirmation::Entity::update_many()
        .col_expr(email_confirmation::Column::ConfirmedAt, Expr::value(now))
        .filter(email_confirmation::Column::Id.eq(link.id.as_str()))
        .filter(email_confirmation::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(Outcome::AlreadyUsed);
    }
    tracing::info!(merchant_id = %link.merchant_id, "merchant email address confirmed");
    Ok(Outcome::Confirmed)
}

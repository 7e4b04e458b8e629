//! Slows password guessing: after too many attempts for one email address, or from one client
//! address, sign-in answers "too many attempts" for a while, without checking the password.
//! Every attempt is a row (`sign_in_failures`: an attempt counts as a failure until it succeeds,
//! which clears them); counts live in the database so every server instance agrees.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::entities::{new_id, sign_in_failure};
use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_FAILURES_PER_EMAIL: u64 = 10;
pub const MAX_FAILURES_PER_CLIENT: u64 = 50;

fn email_digest(email: &str) -> String {
    super::service::token_digest(&email.trim().to_lowercase())
}

/// Records this sign-in attempt, then counts: `RateLimited` when this email or client has made
/// more attempts than its budget within the window (this one included), before any password is
/// checked. Recording first is what makes the budget hold under parallel requests: of any set of
/// attempts let through, the one that counted last saw all the others' rows, so no more than the
/// budget ever reach the password check. (Counting first and recording after a failed check let
/// every attempt of a parallel burst count the same old total.) A success then clears the email's
/// attempts ([`clear`]).
pub async fn admit(
    db: &DatabaseConnection,
    email: &str,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    let now = Utc::now();
    sign_in_failure::ActiveModel {
        id: Set(new_id()),
        email_digest: Set(email_digest(email)),
        client_ip: Set(client_ip.map(ToOwned::to_owned)),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let for_email = sign_in_failure::Entity::find()
        .filter(sign_in_failure::Column::EmailDigest.eq(email_digest(email)))
        .filter(sign_in_failure::Column::CreatedAt.gt(since))
        .count(db)
        .await?;
    if for_email > MAX_FAILURES_PER_EMAIL {
        return Err(AppError::RateLimited);
    }
    if let Some(ip) = client_ip {
        let for_client = sign_in_failure::Entity::find()
            .filter(sign_in_failure::Column::ClientIp.eq(ip))
            .filter(sign_in_failure::Column::CreatedAt.gt(since))
            .count(db)
            .await?;
        if for_client > MAX_FAILURES_PER_CLIENT {
            return Err(AppError::RateLimited);
        }
    }
    Ok(())
}

/// A successful sign-in clears that email's failures (not the client's: one right password must
/// not reset the count of an address guessing at many accounts).
pub async fn clear(db: &DatabaseConnection, email: &str) -> Result<(), AppError> {
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::EmailDigest.eq(email_digest(email)))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn purge_old(db: &DatabaseConnection) -> Result<u64, AppError> {
    let result = sign_in_failure::Entity::delete_many()
        .filter(
            sign_in_failure::Column::CreatedAt.lte(Utc::now() - Duration::minutes(WINDOW_MINUTES)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

//! Slows password guessing without handing an attacker a way to lock people out. Every attempt is
//! a row (`sign_in_failures`: an attempt counts as a failure until it succeeds, which clears the
//! email's); counts live in the database so every server instance agrees. The client address is
//! the one derived through the trusted proxies (`crate::client_address`), so clients behind one
//! proxy are told apart.
//!
//! - One client guessing one account: after [`MAX_FAILURES_PER_EMAIL`] failures for that email
//!   from that address, that address gets "too many attempts" for that account for a while,
//!   without the password being checked.
//! - One client guessing many accounts: after [`MAX_FAILURES_PER_CLIENT`] failures from that
//!   address, it gets "too many attempts" for every account.
//! - An account guessed from elsewhere (many addresses, or one we can't tell apart): once it has
//!   [`MAX_FAILURES_PER_EMAIL`] failures from anywhere, every attempt for it waits
//!   [`GUESSED_ACCOUNT_DELAY`] before the password is checked. It is slowed, never locked: the
//!   owner signing in from their own address still gets in, a little later. (A lock keyed on the
//!   email alone let anyone lock any merchant out by typing wrong passwords for them.)

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::entities::{new_id, sign_in_failure};
use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
/// Failures for one email from one client address (or, when the address is unknown, from
/// anywhere) before that client is refused for that account; from anywhere, before the account's
/// attempts are slowed.
pub const MAX_FAILURES_PER_EMAIL: u64 = 10;
pub const MAX_FAILURES_PER_CLIENT: u64 = 50;
/// The wait before checking a password of an account that is being guessed.
pub const GUESSED_ACCOUNT_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

fn email_digest(email: &str) -> String {
    super::service::token_digest(&email.trim().to_lowercase())
}

/// Records this sign-in attempt, then counts — this one included — before any password is
/// checked: `RateLimited` when this client is over its budget for this email or for all emails;
/// a wait first when the email is being guessed from anywhere. Recording first is what makes the
/// budget hold under parallel requests: of any set of attempts let through, the one that counted
/// last saw all the others' rows, so no more than the budget ever reach the password check.
/// (Counting first and recording after a failed check let every attempt of a parallel burst count
/// the same old total.) A success then clears the email's attempts ([`clear`]).
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
    let attempts =
        || sign_in_failure::Entity::find().filter(sign_in_failure::Column::CreatedAt.gt(since));
    let for_email = attempts()
        .filter(sign_in_failure::Column::EmailDigest.eq(email_digest(email)))
        .count(db)
        .await?;
    let from_this_client_for_email = match client_ip {
        Some(ip) => {
            let from_client = attempts()
                .filter(sign_in_failure::Column::ClientIp.eq(ip))
                .count(db)
                .await?;
            if from_client > MAX_FAILURES_PER_CLIENT {
                return Err(AppError::RateLimited);
            }
            attempts()
                .filter(sign_in_failure::Column::EmailDigest.eq(email_digest(email)))
                .filter(sign_in_failure::Column::ClientIp.eq(ip))
                .count(db)
                .await?
        }
        None => for_email,
    };
    if from_this_client_for_email > MAX_FAILURES_PER_EMAIL {
        return Err(AppError::RateLimited);
    }
    if for_email > MAX_FAILURES_PER_EMAIL {
        tokio::time::sleep(GUESSED_ACCOUNT_DELAY).await;
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

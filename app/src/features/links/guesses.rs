//! Unknown link tokens per client, kept briefly: a client guessing tokens is refused before any
//! lookup, while a person mistyping a link stays far below the limit.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::entities::{link_guess, new_id};
use crate::error::AppError;

/// Unknown tokens one client may try within [`GUESS_WINDOW_MINUTES`] before every link lookup
/// from it is refused. A person mistyping a link stays far below; a guesser is stopped long before
/// 256 bits could matter.
pub const MAX_GUESSES_PER_CLIENT: u64 = 30;
pub const GUESS_WINDOW_MINUTES: i64 = 15;

/// `RateLimited` once this client has tried too many unknown tokens.
pub async fn check_guesses(
    db: &DatabaseConnection,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    let Some(ip) = client_ip else {
        return Ok(());
    };
    let since = Utc::now() - Duration::minutes(GUESS_WINDOW_MINUTES);
    let guesses = link_guess::Entity::find()
        .filter(link_guess::Column::ClientIp.eq(ip))
        .filter(link_guess::Column::CreatedAt.gt(since))
        .count(db)
        .await?;
    if guesses >= MAX_GUESSES_PER_CLIENT {
        tracing::warn!(
            client_ip = ip,
            "card link lookups refused: too many unknown tokens"
        );
        return Err(AppError::RateLimited);
    }
    Ok(())
}

pub async fn record_guess(
    db: &DatabaseConnection,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    if let Some(ip) = client_ip {
        link_guess::ActiveModel {
            id: Set(new_id()),
            client_ip: Set(ip.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub async fn purge_old_guesses(db: &DatabaseConnection) -> Result<u64, AppError> {
    let result = link_guess::Entity::delete_many()
        .filter(
            link_guess::Column::CreatedAt.lte(Utc::now() - Duration::minutes(GUESS_WINDOW_MINUTES)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

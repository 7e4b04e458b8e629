//! Limits sign-ups per client address: each sign-up hashes a password and creates a merchant, so
//! an open form is otherwise a lever on the server's CPU and on the merchant table. Like the
//! sign-in throttle, an attempt is recorded before it is counted, so a parallel burst gets no
//! more through than the budget; counts live in the database so every server instance agrees.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::entities::{new_id, sign_up_attempt};
use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;

/// Records a sign-up attempt from `client_ip`; `RateLimited` when this client has made more than
/// `limit` within the window, this one included. A request without a known address (no socket
/// peer: never in production) is not counted.
pub async fn admit(
    db: &DatabaseConnection,
    client_ip: Option<&str>,
    limit: u64,
) -> Result<(), AppError> {
    let Some(ip) = client_ip else {
        return Ok(());
    };
    let now = Utc::now();
    sign_up_attempt::ActiveModel {
        id: Set(new_id()),
        client_ip: Set(ip.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let recent = sign_up_attempt::Entity::find()
        .filter(sign_up_attempt::Column::ClientIp.eq(ip))
        .filter(sign_up_attempt::Column::CreatedAt.gt(now - Duration::minutes(WINDOW_MINUTES)))
        .count(db)
        .await?;
    if recent > limit {
        return Err(AppError::RateLimited);
    }
    Ok(())
}

pub async fn purge_old(db: &DatabaseConnection) -> Result<u64, AppError> {
    let result = sign_up_attempt::Entity::delete_many()
        .filter(
            sign_up_attempt::Column::CreatedAt.lte(Utc::now() - Duration::minutes(WINDOW_MINUTES)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

//! The card link's token: 256 bits from the OS CSPRNG, base64url in the emailed URL, only its
//! SHA-256 in the database. The first GET of `/pay/<token>` trades the token for a short-lived,
//! HttpOnly page cookie and redirects to `/pay`, so the token leaves the address bar, the history
//! and any Referer at once; the page's server functions read the cookie.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::config::Config;
use crate::entities::{link_guess, new_id};
use crate::error::AppError;
use crate::state::{AppState, request_parts};

/// How long the page cookie lives: long enough to find a card, short enough not to linger.
pub const PAGE_COOKIE_SECONDS: i64 = 2 * 60 * 60;

/// A new link token and the digest to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    (token, digest)
}

/// Hex SHA-256 of a token. Any input hashes, so an unknown and a tampered token take the same
/// path (one indexed lookup that finds nothing).
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `__Host-` pins the cookie to our exact origin; browsers accept it only with `Secure`.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        "__Host-cof_link"
    } else {
        "cof_link"
    }
}

/// The `Set-Cookie` value that carries `token` to the page.
pub fn page_cookie(config: &Config, token: &str) -> String {
    crate::features::auth::session::set_cookie_value(
        config,
        cookie_name(config),
        token,
        PAGE_COOKIE_SECONDS,
    )
}

/// The link token of the current request's page cookie; without one the page cannot tell which
/// link it serves, which to the customer is the same as an invalid link.
pub fn token_from_cookie(state: &AppState) -> Result<String, AppError> {
    let parts = request_parts()?;
    crate::features::auth::session::cookie_value(&parts.headers, cookie_name(&state.config))
        .ok_or(AppError::LinkNotFound)
}

/// Unknown tokens one client may try within [`GUESS_WINDOW_MINUTES`] before every link lookup
/// from it is refused. A person mistyping a link stays far below; a guesser is stopped long before
/// 256 bits could matter.
pub const MAX_GUESSES_PER_CLIENT: u64 = 30;
pub const GUESS_WINDOW_MINUTES: i64 = 15;

/// The client address of the current server-function request.
pub fn client_ip() -> Option<String> {
    request_parts()
        .ok()
        .and_then(|parts| crate::features::auth::session::client_ip(&parts))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url_and_only_their_digest_is_kept() {
        let (token, digest_hex) = new_token();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).map(|b| b.len()), Ok(32));
        assert_eq!(digest_hex, digest(&token));
        assert_eq!(digest_hex.len(), 64);
        assert!(!digest_hex.contains(&token));
        let (other, _) = new_token();
        assert_ne!(token, other);
    }

    #[test]
    fn one_changed_character_is_another_digest() {
        let (token, digest_hex) = new_token();
        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_ne!(digest(&tampered), digest_hex);
    }
}

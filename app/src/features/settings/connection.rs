//! The MioPay (Stripe) connection of a merchant: keys validated against Stripe, secrets sealed at
//! rest, one row per merchant.

use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};

use super::dto::StripeConnectionView;
use crate::config::Mode;
use crate::entities::stripe_connection;
use crate::error::{AppError, FieldError};
use crate::payments::StripeAccount;
use crate::payments::keys::{self, KeyMode};
use crate::state::AppState;

/// An opened connection, ready for Stripe calls. Lives only for the request that needs it.
pub struct StripeConnection {
    pub account_id: String,
    pub livemode: bool,
    pub publishable_key: String,
    pub secret_key: SecretString,
    pub webhook_secret: SecretString,
    pub emulated: bool,
}

impl StripeConnection {
    pub fn account(&self, state: &AppState) -> Result<StripeAccount, AppError> {
        StripeAccount::new(&self.secret_key, &state.stripe_endpoint(self.emulated))
            .map_err(AppError::from)
    }

    pub fn scope(&self) -> StripeScope {
        StripeScope {
            account_id: self.account_id.clone(),
            livemode: self.livemode,
        }
    }
}

/// Where Stripe ids live: one account, in one mode. An id made in one scope means nothing in
/// another (a test→live switch, or another account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeScope {
    pub account_id: String,
    pub livemode: bool,
}

impl StripeScope {
    /// Whether an id recorded with this account and mode belongs here. An id whose account was
    /// never recorded (saved before accounts were, while the merchant was not connected) is
    /// taken as the current account's: the best guess, and what it was before.
    pub fn holds(&self, account_id: Option<&str>, livemode: Option<bool>) -> bool {
        match account_id {
            None => true,
            Some(id) => id == self.account_id && livemode.unwrap_or(self.livemode) == self.livemode,
        }
    }
}

/// The account and mode of the merchant's connection, without opening its secrets; `None`
/// when not connected.
pub async fn scope_of(
    db: &impl sea_orm::ConnectionTrait,
    merchant_id: &str,
) -> Result<Option<StripeScope>, AppError> {
    Ok(
        stripe_connection::Entity::find_by_id(merchant_id.to_owned())
            .one(db)
            .await?
            .map(|row| StripeScope {
                account_id: row.account_id,
                livemode: row.livemode,
            }),
    )
}

fn secret_context(merchant_id: &str) -> String {
    format!("stripe_connections.secret_key:{merchant_id}")
}

fn webhook_context(merchant_id: &str) -> String {
    format!("stripe_connections.webhook_secret:{merchant_id}")
}

pub async fn load(
    state: &AppState,
    merchant_id: &str,
) -> Result<Option<StripeConnection>, AppError> {
    let Some(row) = stripe_connection::Entity::find_by_id(merchant_id.to_owned())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let open = |sealed: &str, context: String| {
        state
            .secrets
            .open(sealed, &context)
            .map_err(AppError::internal)
    };
    Ok(Some(StripeConnection {
        secret_key: open(&row.secret_key_sealed, secret_context(merchant_id))?,
        webhook_secret: open(&row.webhook_secret_sealed, webhook_context(merchant_id))?,
        account_id: row.account_id,
        livemode: row.livemode,
        publishable_key: row.publishable_key,
        emulated: row.emulated,
    }))
}

/// The connection, or the error every payment action gives without one.
pub async fn require(state: &AppState, merchant_id: &str) -> Result<StripeConnection, AppError> {
    load(state, merchant_id)
        .await?
        .ok_or(AppError::StripeNotConnected)
}

pub async fn view(state: &AppState, merchant_id: &str) -> Result<StripeConnectionView, AppError> {
    let row = stripe_connection::Entity::find_by_id(merchant_id.to_owned())
        .one(&state.db)
        .await?;
    let demo_available = state.config.mode == Mode::Demo && state.emulator_base.is_some();
    Ok(match row {
        Some(row) => StripeConnectionView {
            connected: true,
            account_id: Some(row.account_id),
            mode: Some(if row.livemode { "live" } else { "test" }.to_owned()),
            publishable_key: Some(row.publishable_key),
            emulated: row.emulated,
            demo_available,
        },
        None => StripeConnectionView {
            connected: false,
            account_id: None,
            mode: None,
            publishable_key: None,
            emulated: false,
            demo_available,
        },
    })
}

struct NewConnection<'a> {
    account_id: String,
    publishable_key: &'a str,
    secret_key: &'a SecretString,
    webhook_secret: &'a SecretString,
    livemode: bool,
    emulated: bool,
}

async fn save(state: &AppState, merchant_id: &str, new: NewConnection<'_>) -> Result<(), AppError> {
    let seal = |value: &SecretString, context: String| {
        state
            .secrets
            .seal(value.expose_secret(), &context)
            .map_err(AppError::internal)
    };
    let row = stripe_connection::ActiveModel {
        merchant_id: Set(merchant_id.to_owned()),
        account_id: Set(new.account_id),
        publishable_key: Set(new.publishable_key.to_owned()),
        secret_key_sealed: Set(seal(new.secret_key, secret_context(merchant_id))?),
        webhook_secret_sealed: Set(seal(new.webhook_secret, webhook_context(merchant_id))?),
        livemode: Set(new.livemode),
        emulated: Set(new.emulated),
        connected_at: Set(Utc::now()),
    };
    let merchant_id = merchant_id.to_owned();
    state
        .db
        .transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                stripe_connection::Entity::delete_by_id(merchant_id)
                    .exec(txn)
                    .await?;
                row.insert(txn).await?;
                Ok(())
            })
        })
        .await?;
    Ok(())
}

/// Connects with keys the merchant pasted from Stripe's dashboard, after Stripe confirms them.
pub async fn connect(
    state: &AppState,
    merchant_id: &str,
    publishable_key: &str,
    secret_key: &str,
    webhook_secret: &str,
) -> Result<StripeConnectionView, AppError> {
    let parsed = keys::parse(publishable_key, secret_key, webhook_secret).map_err(|errors| {
        AppError::validation(
            errors
                .into_iter()
                .map(|(f, m)| FieldError::new(f, m))
                .collect(),
        )
    })?;
    if state.config.mode == Mode::Demo && parsed.mode == KeyMode::Live {
        return Err(AppError::field(
            "secret_key",
            "Demo mode accepts Stripe test keys only.",
        ));
    }
    let account = StripeAccount::new(&parsed.secret, &state.stripe_endpoint(false))?
        .account()
        .await?;
    save(
        state,
        merchant_id,
        NewConnection {
            account_id: account.id,
            publishable_key: &parsed.publishable,
            secret_key: &parsed.secret,
            webhook_secret: &parsed.webhook_secret,
            livemode: parsed.mode == KeyMode::Live,
            emulated: false,
        },
    )
    .await?;
    tracing::info!(merchant_id, "stripe connected");
    view(state, merchant_id).await
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .replace(['-', '_'], "x")
}

/// Demo mode: a fresh emulator account for this merchant, with our webhook URL registered.
pub async fn connect_demo(
    state: &AppState,
    merchant_id: &str,
) -> Result<StripeConnectionView, AppError> {
    if state.config.mode != Mode::Demo || state.emulator_base.is_none() {
        return Err(AppError::Forbidden);
    }
    let suffix = random_suffix();
    let secret_key = SecretString::from(format!("sk_test_{suffix}"));
    let publishable_key = format!("pk_test_{suffix}");
    let account = StripeAccount::new(&secret_key, &state.stripe_endpoint(true))?;
    let summary = account.account().await?;
    let webhook_url = webhook_url(state, merchant_id)?;
    let endpoint = account
        .create_webhook_endpoint(webhook_url.as_str())
        .await?;
    let webhook_secret = SecretString::from(
        endpoint
            .secret
            .ok_or_else(|| AppError::internal("webhook endpoint without a secret"))?,
    );
    save(
        state,
        merchant_id,
        NewConnection {
            account_id: summary.id,
            publishable_key: &publishable_key,
            secret_key: &secret_key,
            webhook_secret: &webhook_secret,
            livemode: false,
            emulated: true,
        },
    )
    .await?;
    tracing::info!(merchant_id, "demo stripe connected");
    view(state, merchant_id).await
}

pub async fn disconnect(
    state: &AppState,
    merchant_id: &str,
) -> Result<StripeConnectionView, AppError> {
    stripe_connection::Entity::delete_by_id(merchant_id.to_owned())
        .exec(&state.db)
        .await?;
    tracing::info!(merchant_id, "stripe disconnected");
    view(state, merchant_id).await
}

/// Where Stripe sends a merchant's events.
fn webhook_url(state: &AppState, merchant_id: &str) -> Result<url::Url, AppError> {
    state
        .config
        .base_url
        .join(&format!("webhooks/stripe/{merchant_id}"))
        .map_err(AppError::internal)
}

/// At start, for every demo connection: an emulator that kept its state
/// (`stripe.emulator_state_file`) still has the merchant's account, cards and webhook endpoint,
/// so the connection is kept (its endpoint pointed at this run's address); an emulator that
/// forgot them gets the merchant a fresh account. Returns how many were renewed.
pub async fn renew_demo_connections(state: &AppState) -> Result<usize, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let emulated = stripe_connection::Entity::find()
        .filter(stripe_connection::Column::Emulated.eq(true))
        .all(&state.db)
        .await?;
    let mut renewed = 0;
    for row in &emulated {
        if !keep_demo_connection(state, &row.merchant_id).await? {
            connect_demo(state, &row.merchant_id).await?;
            renewed += 1;
        }
    }
    Ok(renewed)
}

/// Whether the emulator still knows the merchant's demo account: it has our webhook endpoint
/// (created with the account, so an emulator that lost its state has none).
async fn keep_demo_connection(state: &AppState, merchant_id: &str) -> Result<bool, AppError> {
    let account = require(state, merchant_id).await?.account(state)?;
    let url = webhook_url(state, merchant_id)?;
    let path = url.path();
    let endpoints = account.webhook_endpoints().await?;
    let Some(ours) = endpoints
        .iter()
        .find(|e| url::Url::parse(&e.url).is_ok_and(|u| u.path() == path))
    else {
        return Ok(false);
    };
    if ours.url != url.as_str() {
        account
            .move_webhook_endpoint(&ours.id, url.as_str())
            .await?;
    }
    tracing::info!(merchant_id, "demo stripe connection kept");
    Ok(true)
}

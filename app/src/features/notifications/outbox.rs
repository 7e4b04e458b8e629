//! The email outbox: reliable sending through SMTP (lettre).
//!
//! Callers [`enqueue`] a row inside their own transaction, so an email exists if and only if what
//! it announces was committed. A worker ([`spawn_worker`], one per server instance) claims due rows
//! with a lease — `FOR UPDATE SKIP LOCKED` on Postgres, a conditional `UPDATE` on SQLite — so two
//! instances never send the same row at the same time, sends each, and records the outcome:
//! `sent`, back to `queued` with exponential backoff (capped at 15 min) and jitter after a
//! transient failure, or `failed` after a permanent one (SMTP 5xx) or once the retry time
//! ([`RETRY_FOR`], 48 h) is over — an SMTP outage of hours loses no email. The merchant can put a
//! failed email back in the queue ([`requeue_failed`]), with the whole retry time again. A worker
//! that dies mid-send leaves its lease to expire and another takes the row over: at-least-once,
//! with the Message-ID fixed at enqueue so the resend is recognisably the same message.
//!
//! The bodies are sealed at rest (they carry live links) and deleted once the email is long done
//! with ([`purge_bodies`]; both in `bodies`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tokio::sync::Notify;

use super::template::Bodies;
use crate::crypto::SecretBox;
use crate::domain::EmailAddress;
use crate::entities::new_id;
use crate::entities::{merchant, outbox_email};
use crate::error::AppError;
use crate::ids::{CustomerId, MerchantId};
use crate::states::{EmailKind, EmailState};

use super::bodies::seal_body;
pub use super::bodies::{BodyPart, has_body, open_body, purge_bodies};
pub use super::mailer::{Mailer, SendError};

/// How long an email failing for a transient reason is retried, from its creation, before it is
/// marked `failed` (unless configured otherwise: `smtp.retry_for_hours`).
pub const RETRY_FOR: Duration = Duration::from_secs(48 * 3600);
/// How long a claim lasts; a worker that has not finished by then loses the row to another.
pub const LEASE: Duration = Duration::from_secs(60);
/// Each SMTP operation (connect, command, data) gives up after this.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);
/// At most this many emails per [`run_once`], so a long queue does not starve the shutdown check.
const BATCH: usize = 20;
const POLL_INTERVAL: Duration = Duration::from_secs(1);
const MESSAGE_ID_DOMAIN: &str = "cardonfile.local";

/// An email to send on a merchant's behalf.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub merchant_id: String,
    pub customer_id: Option<String>,
    pub kind: EmailKind,
    pub recipient: EmailAddress,
    /// The merchant's display name, shown in From.
    pub from_name: String,
    pub reply_to: Option<EmailAddress>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

impl NewEmail {
    /// An email about one of the merchant's customers, sent in the merchant's name; set
    /// `reply_to` on the result where a person should get the answers.
    pub fn about_customer(
        merchant: &merchant::Model,
        customer_id: &str,
        kind: EmailKind,
        recipient: EmailAddress,
        subject: String,
        bodies: Bodies,
    ) -> Self {
        Self {
            merchant_id: merchant.id.clone(),
            customer_id: Some(customer_id.to_owned()),
            kind,
            recipient,
            from_name: merchant.business_name.clone(),
            reply_to: None,
            subject,
            body_text: bodies.text,
            body_html: bodies.html,
        }
    }
}

/// Writes the email to the outbox (inside the caller's transaction when `conn` is one) and returns
/// its id. Poke [`wake_worker`] after the commit to send it without waiting for the next poll.
///
/// The bodies are sealed with `secrets` (bound to the row): they carry live links, and only a
/// token's digest may be at rest. The mailer opens them to send.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    secrets: &SecretBox,
    email: NewEmail,
) -> Result<String, AppError> {
    reject_header_breaks("from_name", &email.from_name)?;
    reject_header_breaks("subject", &email.subject)?;
    if email.from_name.trim().is_empty() {
        return Err(AppError::field("from_name", "A sender name is required."));
    }
    if email.subject.trim().is_empty() {
        return Err(AppError::field("subject", "A subject is required."));
    }
    // Milliseconds, like the worker's clock, so a row is due at the very next run.
    let now = Utc::now().trunc_subsecs(3);
    let id = new_id();
    let message_id = format!("<{}@{MESSAGE_ID_DOMAIN}>", uuid::Uuid::new_v4().simple());
    outbox_email::ActiveModel {
        id: Set(id.clone()),
        merchant_id: Set(email.merchant_id),
        customer_id: Set(email.customer_id),
        kind: Set(email.kind),
        recipient: Set(email.recipient.as_str().to_owned()),
        from_name: Set(email.from_name.trim().to_owned()),
        reply_to: Set(email.reply_to.map(|a| a.as_str().to_owned())),
        subject: Set(email.subject.trim().to_owned()),
        body_text: Set(seal_body(secrets, &id, BodyPart::Text, &email.body_text)?),
        body_html: Set(seal_body(secrets, &id, BodyPart::Html, &email.body_html)?),
        message_id: Set(message_id),
        state: Set(EmailState::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        requeued_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// A header value must stay on one line: CR or LF would let it start headers of its own.
fn reject_header_breaks(field: &str, value: &str) -> Result<(), AppError> {
    if value
        .chars()
        .any(|c| matches!(c, '\r' | '\n') || c.is_control())
    {
        return Err(AppError::field(
            field,
            "Line breaks and control characters are not allowed here.",
        ));
    }
    Ok(())
}

static WAKE: Notify = Notify::const_new();

/// Wakes the worker now instead of at its next poll (call after committing an [`enqueue`]).
pub fn wake_worker() {
    WAKE.notify_one();
}

/// The wait before attempt `attempts + 1`: 2 s doubling per attempt, ±20 % jitter, at most 15 min.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    let base = 2.0_f64 * 2.0_f64.powi(exponent);
    let jittered = base * rand::thread_rng().gen_range(0.8..=1.2);
    Duration::from_secs_f64(jittered.min(15.0 * 60.0))
}

fn plus(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero())
}

/// Sends what is due at `now`; returns how many emails this call handled (sent, rescheduled or
/// failed). `now` is injectable so tests can step over backoff without sleeping.
pub async fn run_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let started = Instant::now();
    let mut handled = 0;
    while handled < BATCH {
        // The lease counts from the moment of the claim, not from the start of the batch.
        let at = plus(now, started.elapsed()).trunc_subsecs(3);
        let Some(row) = claim_one(db, at).await? else {
            break;
        };
        let lease = plus(at, LEASE);
        let outcome = mailer.send(&row).await;
        let done = plus(now, started.elapsed()).trunc_subsecs(3);
        let give_up_at = plus(retrying_since(&row), mailer.retry_for());
        record(db, &row, (lease, give_up_at), outcome, done).await?;
        handled += 1;
    }
    Ok(handled)
}

/// Where the retry time of an email starts: its creation, or the merchant's last Retry.
fn retrying_since(row: &outbox_email::Model) -> DateTime<Utc> {
    row.requeued_at.unwrap_or(row.created_at)
}

/// Puts a failed email back in the queue, due now and with the whole retry time again (the
/// merchant's **Retry**). Only a `failed` row of this merchant moves: `false` means there was none
/// (another click, or a worker, got there first). Poke [`wake_worker`] after it.
pub async fn requeue_failed<C: ConnectionTrait>(
    conn: &C,
    merchant_id: MerchantId<'_>,
    email_id: &str,
) -> Result<bool, AppError> {
    use outbox_email::Column as C;
    let now = Utc::now().trunc_subsecs(3);
    let moved = outbox_email::Entity::update_many()
        .col_expr(C::State, Expr::value(EmailState::Queued))
        .col_expr(C::NextAttemptAt, Expr::value(now))
        .col_expr(C::RequeuedAt, Expr::value(now))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(email_id))
        .filter(C::MerchantId.eq(merchant_id))
        .filter(C::State.eq(EmailState::Failed))
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

fn due(at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(
            Condition::any()
                .add(outbox_email::Column::State.eq(EmailState::Queued))
                .add(
                    Condition::all()
                        .add(outbox_email::Column::State.eq(EmailState::Sending))
                        .add(outbox_email::Column::LeaseUntil.lt(at)),
                ),
        )
        .add(outbox_email::Column::NextAttemptAt.lte(at))
}

/// Claims one due row for this worker until `at + LEASE`, counting the attempt.
async fn claim_one(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
) -> Result<Option<outbox_email::Model>, AppError> {
    let lease = plus(at, LEASE);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let txn = db.begin().await?;
        let row = outbox_email::Entity::find()
            .filter(due(at))
            .order_by_asc(outbox_email::Column::NextAttemptAt)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .one(&txn)
            .await?;
        let Some(row) = row else {
            txn.commit().await?;
            return Ok(None);
        };
        mark_sending(&txn, &row.id, at, lease, None).await?;
        txn.commit().await?;
        return reload(db, &row.id).await;
    }
    // SQLite (one writer at a time): a conditional UPDATE; losing the race means another worker
    // took the row, so look for the next one.
    loop {
        let Some(row) = outbox_email::Entity::find()
            .filter(due(at))
            .order_by_asc(outbox_email::Column::NextAttemptAt)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if mark_sending(db, &row.id, at, lease, Some(due(at))).await? == 1 {
            return reload(db, &row.id).await;
        }
    }
}

async fn mark_sending<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    at: DateTime<Utc>,
    lease: DateTime<Utc>,
    only_if: Option<Condition>,
) -> Result<u64, AppError> {
    let mut update = outbox_email::Entity::update_many()
        .col_expr(
            outbox_email::Column::State,
            Expr::value(EmailState::Sending),
        )
        .col_expr(outbox_email::Column::LeaseUntil, Expr::value(lease))
        .col_expr(
            outbox_email::Column::Attempts,
            Expr::col(outbox_email::Column::Attempts).add(1),
        )
        .col_expr(outbox_email::Column::UpdatedAt, Expr::value(at))
        .filter(outbox_email::Column::Id.eq(id));
    if let Some(condition) = only_if {
        update = update.filter(condition);
    }
    Ok(update.exec(conn).await?.rows_affected)
}

async fn reload(
    db: &DatabaseConnection,
    id: &str,
) -> Result<Option<outbox_email::Model>, AppError> {
    Ok(outbox_email::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?)
}

/// Records the outcome, provided this worker still holds the lease.
async fn record(
    db: &DatabaseConnection,
    row: &outbox_email::Model,
    (lease, give_up_at): (DateTime<Utc>, DateTime<Utc>),
    outcome: Result<(), SendError>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    use outbox_email::Column as C;
    let none: Option<DateTime<Utc>> = None;
    let update = outbox_email::Entity::update_many()
        .col_expr(C::LeaseUntil, Expr::value(none))
        .col_expr(C::UpdatedAt, Expr::value(at));
    let update = match &outcome {
        Ok(()) => {
            tracing::info!(outbox_id = %row.id, kind = %row.kind, attempts = row.attempts, "email sent");
            update
                .col_expr(C::State, Expr::value(EmailState::Sent))
                .col_expr(C::SentAt, Expr::value(at))
                .col_expr(C::LastError, Expr::value(Option::<String>::None))
        }
        Err(SendError::Transient(reason)) if at < give_up_at => {
            // The last attempt falls on the end of the retry time, not a backoff past it.
            let wait = backoff(row.attempts);
            tracing::warn!(outbox_id = %row.id, attempts = row.attempts, retry_in_s = wait.as_secs(), %reason, "email not sent; will retry");
            update
                .col_expr(C::State, Expr::value(EmailState::Queued))
                .col_expr(
                    C::NextAttemptAt,
                    Expr::value(std::cmp::min(plus(at, wait), give_up_at)),
                )
                .col_expr(C::LastError, Expr::value(reason.clone()))
        }
        Err(SendError::Transient(reason) | SendError::Permanent(reason)) => {
            tracing::warn!(outbox_id = %row.id, attempts = row.attempts, %reason, "email failed");
            update
                .col_expr(C::State, Expr::value(EmailState::Failed))
                .col_expr(C::LastError, Expr::value(reason.clone()))
        }
    };
    let result = update
        .filter(C::Id.eq(row.id.as_str()))
        .filter(C::State.eq(EmailState::Sending))
        .filter(C::LeaseUntil.eq(lease))
        .exec(db)
        .await?;
    if result.rows_affected > 0
        && let Some(customer_id) = &row.customer_id
    {
        crate::live::publish(MerchantId(&row.merchant_id), CustomerId(customer_id));
    }
    if result.rows_affected == 0 {
        // The lease ran out and another worker has the row: its outcome wins.
        tracing::warn!(outbox_id = %row.id, "outbox lease lost before recording the outcome");
    }
    Ok(())
}

/// The worker: polls every second (or when [`wake_worker`] is called) until `shutdown` completes.
/// The current batch is finished before it stops.
pub fn spawn_worker(
    db: DatabaseConnection,
    mailer: Arc<Mailer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            match run_once(&db, &mailer, Utc::now()).await {
                Ok(n) if n > 0 => tracing::debug!(handled = n, "outbox batch"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "outbox run failed"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = WAKE.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    })
}

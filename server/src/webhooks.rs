//! `POST /webhooks/stripe/{merchant_id}`: Stripe's events for one merchant's account.
//!
//! The signature is checked with that merchant's signing secret (300 s tolerance) before anything
//! is read; each event id is stored once; then the delivery claims the event (`processing_until`)
//! and only the claimant runs its handler, so two deliveries of one event — Stripe's duplicates,
//! on one instance or two — never run it at once:
//!
//! - processed already: acknowledged (200), nothing run;
//! - claimed by a delivery still within its claim: 409, so Stripe delivers it again later — by
//!   then it is processed, or its claimant failed and gave the claim back;
//! - a claim that ran out (its process died mid-run) is taken over.
//!
//! Stripe retries any non-2xx, so only a bad request gets a 4xx other than that 409.

use app::entities::{new_id, stripe_event};
use app::features::settings::connection;
use app::payments::webhook_signature;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use secrecy::ExposeSecret;

/// How long a delivery's claim on an event lasts. Longer than any handler run (each Stripe call
/// is cut off and retried a bounded number of times), short enough that an event whose process
/// died is taken over by Stripe's next retry.
const CLAIM: chrono::Duration = chrono::Duration::minutes(5);

/// The parts of an event this receiver and its handlers read.
#[derive(serde::Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: EventData,
}

#[derive(serde::Deserialize)]
struct EventData {
    object: ObjectHead,
}

#[derive(serde::Deserialize)]
struct ObjectHead {
    /// Some objects have none (a `balance`).
    id: Option<String>,
    /// On charges and refunds: the PaymentIntent they belong to (an id, or an object if expanded).
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
}

impl ObjectHead {
    fn id(&self) -> Result<&str, app::error::AppError> {
        self.id
            .as_deref()
            .ok_or_else(|| app::error::AppError::internal("event object without an id"))
    }

    fn payment_intent_id(&self) -> Option<&str> {
        match self.payment_intent.as_ref()? {
            serde_json::Value::String(id) => Some(id),
            other => other.get("id")?.as_str(),
        }
    }
}

pub async fn receive(
    state: AppState,
    Path(merchant_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    match handle(&state, &merchant_id, &headers, &body).await {
        Ok(answer) => answer,
        Err(err) => {
            tracing::error!(merchant_id, error = %err, "webhook not processed");
            // 5xx: Stripe will deliver it again later.
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Not processed: deliver it again later.",
            )
        }
    }
}

/// The status Stripe acts on, and a sentence for whoever reads the delivery in Stripe's dashboard.
type Answer = (StatusCode, &'static str);

/// An unknown merchant and a bad signature get the same answer: nothing tells which ids exist.
const REFUSED_SIGNATURE: Answer = (
    StatusCode::BAD_REQUEST,
    "Refused: the Stripe-Signature does not match this endpoint's signing secret.",
);

async fn handle(
    state: &AppState,
    merchant_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Answer, app::error::AppError> {
    // An unknown merchant and a bad signature look the same from outside.
    let Some(connection) = connection::load(state, merchant_id).await? else {
        tracing::warn!(
            merchant_id,
            "webhook for a merchant without a Stripe connection"
        );
        return Ok(REFUSED_SIGNATURE);
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Err(reason) = webhook_signature::verify(
        body,
        signature,
        connection.webhook_secret.expose_secret(),
        Utc::now().timestamp(),
    ) {
        tracing::warn!(merchant_id, %reason, "webhook refused");
        return Ok(REFUSED_SIGNATURE);
    }
    let Ok(head) = serde_json::from_slice::<EventHead>(body) else {
        tracing::warn!(merchant_id, "signed webhook body is not a Stripe event");
        return Ok((
            StatusCode::BAD_REQUEST,
            "Refused: the signed body is not a Stripe event.",
        ));
    };
    let claim = match claim(state, merchant_id, &head, body).await? {
        Claim::Ours(until) => until,
        Claim::Processed => {
            tracing::info!(merchant_id, event_id = %head.id, "duplicate webhook ignored");
            return Ok((StatusCode::OK, "Already processed."));
        }
        Claim::Busy => {
            tracing::info!(merchant_id, event_id = %head.id, "webhook being processed by another delivery");
            return Ok((
                StatusCode::CONFLICT,
                "Being processed by another delivery: deliver it again later.",
            ));
        }
    };
    // A task of its own: when Stripe gives up waiting and closes the connection, the handler
    // still runs to its end and records the outcome instead of stopping halfway with the claim.
    let task = tokio::spawn(process(
        state.clone(),
        connection,
        merchant_id.to_owned(),
        head,
        claim,
    ));
    task.await.map_err(app::error::AppError::internal)??;
    Ok((StatusCode::OK, "Processed."))
}

/// Where an event stands for this delivery.
enum Claim {
    /// This delivery runs the handler; its claim lasts until then.
    Ours(DateTime<Utc>),
    Processed,
    /// Another delivery is running it now.
    Busy,
}

/// Stores the event with this delivery's claim, or — stored already — claims it if it is
/// neither processed nor claimed by a delivery still within its time.
async fn claim(
    state: &AppState,
    merchant_id: &str,
    head: &EventHead,
    body: &[u8],
) -> Result<Claim, app::error::AppError> {
    // Milliseconds, as stored, so the claim compares equal when given back.
    let now = Utc::now().trunc_subsecs(3);
    let until = now + CLAIM;
    if stored(state, merchant_id, &head.id).await?.is_none() {
        let inserted = stripe_event::ActiveModel {
            id: Set(new_id()),
            merchant_id: Set(merchant_id.to_owned()),
            stripe_event_id: Set(head.id.clone()),
            event_type: Set(head.event_type.clone()),
            payload: Set(String::from_utf8_lossy(body).into_owned()),
            received_at: Set(now),
            processed_at: Set(None),
            processing_until: Set(Some(until)),
        }
        .insert(&state.db)
        .await;
        match inserted {
            Ok(_) => {
                tracing::info!(merchant_id, event_id = %head.id, event_type = %head.event_type, "webhook stored");
                return Ok(Claim::Ours(until));
            }
            // Another delivery stored it first: claim it like any stored event.
            Err(err) if app::error::is_unique_violation(&err) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let taken = stripe_event::Entity::update_many()
        .col_expr(stripe_event::Column::ProcessingUntil, Expr::value(until))
        .filter(stripe_event::Column::MerchantId.eq(merchant_id))
        .filter(stripe_event::Column::StripeEventId.eq(head.id.as_str()))
        .filter(stripe_event::Column::ProcessedAt.is_null())
        .filter(
            Condition::any()
                .add(stripe_event::Column::ProcessingUntil.is_null())
                .add(stripe_event::Column::ProcessingUntil.lt(now)),
        )
        .exec(&state.db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(Claim::Ours(until));
    }
    let processed = stored(state, merchant_id, &head.id)
        .await?
        .is_some_and(|event| event.processed_at.is_some());
    Ok(if processed {
        Claim::Processed
    } else {
        Claim::Busy
    })
}

/// Empties the payloads of events processed before `now - retention`: they may hold client
/// secrets, and once processed nothing reads them. The rows stay, so a late redelivery is still
/// recognised as processed. Returns how many were emptied.
pub async fn purge_payloads(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    retention: chrono::Duration,
) -> Result<u64, app::error::AppError> {
    let purged = stripe_event::Entity::update_many()
        .col_expr(stripe_event::Column::Payload, Expr::value(""))
        .filter(stripe_event::Column::ProcessedAt.lt(now - retention))
        .filter(stripe_event::Column::Payload.ne(""))
        .exec(db)
        .await?;
    Ok(purged.rows_affected)
}

async fn stored(
    state: &AppState,
    merchant_id: &str,
    event_id: &str,
) -> Result<Option<stripe_event::Model>, app::error::AppError> {
    Ok(stripe_event::Entity::find()
        .filter(stripe_event::Column::MerchantId.eq(merchant_id))
        .filter(stripe_event::Column::StripeEventId.eq(event_id))
        .one(&state.db)
        .await?)
}

/// Runs the handler of a claimed event and records the outcome: processed, or — the handler
/// failed, and the answer is a 5xx — the claim given back so Stripe's next delivery runs it again.
async fn process(
    state: AppState,
    connection: connection::StripeConnection,
    merchant_id: String,
    head: EventHead,
    claim: DateTime<Utc>,
) -> Result<(), app::error::AppError> {
    let outcome = dispatch(&state, &connection, &merchant_id, &head).await;
    let none: Option<DateTime<Utc>> = None;
    let mut update = stripe_event::Entity::update_many()
        .col_expr(stripe_event::Column::ProcessingUntil, Expr::value(none));
    if outcome.is_ok() {
        update = update.col_expr(stripe_event::Column::ProcessedAt, Expr::value(Utc::now()));
    }
    update
        .filter(stripe_event::Column::MerchantId.eq(merchant_id.as_str()))
        .filter(stripe_event::Column::StripeEventId.eq(head.id.as_str()))
        .filter(stripe_event::Column::ProcessingUntil.eq(claim))
        .exec(&state.db)
        .await?;
    outcome
}

/// Hands a claimed event to the capability that cares about it. A handler error answers 5xx, so
/// Stripe delivers the event again and it is handled then.
/// Capabilities register here: card requests and payment options (`setup_intent.succeeded`), charges
/// (`payment_intent.*`) and refunds (`charge.refunded`, `refund.*`).
async fn dispatch(
    state: &AppState,
    connection: &connection::StripeConnection,
    merchant_id: &str,
    head: &EventHead,
) -> Result<(), app::error::AppError> {
    let object = &head.data.object;
    match head.event_type.as_str() {
        // A card request's card, else one a staff member entered (Create Payment Option) whose
        // browser closed before saving it.
        "setup_intent.succeeded" => {
            let setup_intent_id = object.id()?;
            let of_card_request = app::features::card_requests::service::complete_from_webhook(
                state,
                connection,
                merchant_id,
                setup_intent_id,
            )
            .await?;
            if !of_card_request {
                app::features::payment_options::create::save_from_webhook(
                    state,
                    connection,
                    merchant_id,
                    setup_intent_id,
                )
                .await?;
            }
        }
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.requires_action"
        | "payment_intent.canceled" => {
            app::features::charges::settle::settle_from_webhook(
                state,
                connection,
                merchant_id,
                object.id()?,
            )
            .await?;
        }
        // Refunds made here or in Stripe's dashboard, and their later outcome.
        "charge.refunded" | "charge.refund.updated" | "refund.updated" | "refund.failed" => {
            if let Some(payment_intent_id) = object.payment_intent_id() {
                app::features::charges::refund_settle::reconcile_refunds(
                    state,
                    connection,
                    merchant_id,
                    payment_intent_id,
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

//! `POST /webhooks/stripe/{merchant_id}`: Stripe's events for one merchant's account.
//!
//! The signature is checked with that merchant's signing secret (300 s tolerance) before anything
//! is read; each event id is stored once (a redelivery is acknowledged and ignored); then the event
//! goes to its handler. Stripe retries any non-2xx, so only a bad request gets a 4xx.

use app::entities::{new_id, stripe_event};
use app::features::settings::connection;
use app::payments::webhook_signature;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;

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
) -> StatusCode {
    match handle(&state, &merchant_id, &headers, &body).await {
        Ok(status) => status,
        Err(err) => {
            tracing::error!(merchant_id, error = %err, "webhook could not be stored");
            // 5xx: Stripe will deliver it again later.
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn handle(
    state: &AppState,
    merchant_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<StatusCode, app::error::AppError> {
    // An unknown merchant and a bad signature look the same from outside.
    let Some(connection) = connection::load(state, merchant_id).await? else {
        tracing::warn!(
            merchant_id,
            "webhook for a merchant without a Stripe connection"
        );
        return Ok(StatusCode::BAD_REQUEST);
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
        return Ok(StatusCode::BAD_REQUEST);
    }
    let Ok(head) = serde_json::from_slice::<EventHead>(body) else {
        tracing::warn!(merchant_id, "signed webhook body is not a Stripe event");
        return Ok(StatusCode::BAD_REQUEST);
    };
    let already = stripe_event::Entity::find()
        .filter(stripe_event::Column::MerchantId.eq(merchant_id))
        .filter(stripe_event::Column::StripeEventId.eq(head.id.clone()))
        .one(&state.db)
        .await?;
    if let Some(stored) = already {
        if stored.processed_at.is_some() {
            tracing::info!(merchant_id, event_id = %head.id, "duplicate webhook ignored");
            return Ok(StatusCode::OK);
        }
        // Stored but its handler failed last time (Stripe retried because we answered 5xx):
        // handlers are idempotent, so run it again.
        dispatch(state, &connection, merchant_id, &head).await?;
        return Ok(StatusCode::OK);
    }
    let payload = String::from_utf8_lossy(body).into_owned();
    let inserted = stripe_event::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        stripe_event_id: Set(head.id.clone()),
        event_type: Set(head.event_type.clone()),
        payload: Set(payload),
        received_at: Set(Utc::now()),
        processed_at: Set(None),
    }
    .insert(&state.db)
    .await;
    if let Err(err) = inserted {
        // Two deliveries raced past the check above: the unique index let one through.
        if app::error::is_unique_violation(&err) {
            return Ok(StatusCode::OK);
        }
        return Err(err.into());
    }
    tracing::info!(merchant_id, event_id = %head.id, event_type = %head.event_type, "webhook stored");
    dispatch(state, &connection, merchant_id, &head).await?;
    Ok(StatusCode::OK)
}

/// Hands a stored event to the capability that cares about it, then marks it processed. A
/// handler error answers 5xx, so Stripe delivers the event again and it is handled then.
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
    let processed = stripe_event::ActiveModel {
        processed_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    stripe_event::Entity::update_many()
        .set(processed)
        .filter(stripe_event::Column::MerchantId.eq(merchant_id))
        .filter(stripe_event::Column::StripeEventId.eq(head.id.clone()))
        .exec(&state.db)
        .await?;
    Ok(())
}

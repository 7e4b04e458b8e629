//! One event, one handler run: a delivery of an event that another delivery (on this instance or
//! another) is processing right now leaves it alone, and an event whose processing died with its
//! process is taken over by the next delivery once that claim has run out.

use std::time::Duration;

use app::entities::stripe_event;
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use stripe_emulator::{Fault, FaultKind, Method, Outcome};

use crate::world::{EmailKind, Stripe, TestApp, WEBHOOK_SECRET, eventually, spawn_app};

/// `setup_intent.succeeded` for `intent`, as Stripe sends it, signed with the merchant's secret.
fn succeeded(event_id: &str, intent: &Value) -> (String, String) {
    let body = serde_json::json!({
        "id": event_id,
        "object": "event",
        "type": "setup_intent.succeeded",
        "api_version": "2025-09-30.clover",
        "created": Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": { "id": intent["id"], "object": "setup_intent", "status": "succeeded" } }
    })
    .to_string();
    let signature = app::payments::webhook_signature::sign(
        body.as_bytes(),
        WEBHOOK_SECRET,
        Utc::now().timestamp(),
    );
    (body, signature)
}

/// How often the app asked Stripe for the SetupIntent: once per run of the event's handler.
fn handler_runs(app: &TestApp, intent: &Value) -> usize {
    let path = format!("/v1/setup_intents/{}", intent["id"].as_str().unwrap());
    app.emulator
        .requests()
        .iter()
        .filter(|r| r.method == Method::GET && r.path == path)
        .count()
}

async fn stored(app: &TestApp, event_id: &str) -> Option<stripe_event::Model> {
    stripe_event::Entity::find()
        .filter(stripe_event::Column::StripeEventId.eq(event_id))
        .one(&app.db)
        .await
        .unwrap()
}

/// Sets the event's claim as another instance would leave it (`processing_until`).
async fn claimed_until(app: &TestApp, event_id: &str, until: chrono::DateTime<Utc>) {
    stripe_event::Entity::update_many()
        .col_expr(stripe_event::Column::ProcessingUntil, Expr::value(until))
        .filter(stripe_event::Column::StripeEventId.eq(event_id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_second_delivery_while_the_first_is_processing_does_not_run_the_handler_again() {
    // Keys pasted by hand: only the events this test delivers arrive.
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Twice Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let token = shop.send_and_read_link().await;
    let browser = app.open_link(&token).await;
    let page = browser.card_page().await.unwrap();
    let intent = browser.confirm_card(&page, "pm_card_visa").await;
    // The first delivery's handler is held at Stripe (within the app's 2 s cut-off).
    let path = format!("/v1/setup_intents/{}", intent["id"].as_str().unwrap());
    app.emulator.inject_fault(Fault::new(
        Method::GET,
        &path,
        FaultKind::DelayBeforeProcessing(Duration::from_millis(1500)),
    ));
    let (body, signature) = succeeded("evt_twice", &intent);
    let first = tokio::spawn({
        let (address, merchant, body, signature) = (
            app.address.clone(),
            shop.id.clone(),
            body.clone(),
            signature.clone(),
        );
        async move {
            reqwest::Client::new()
                .post(format!("{address}/webhooks/stripe/{merchant}"))
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    eventually("the first delivery to be held at Stripe", async || {
        app.emulator
            .requests()
            .iter()
            .any(|r| r.path == path && r.outcome == Outcome::InFlight)
    })
    .await;

    // Stripe delivers the same event again meanwhile (or to another instance).
    let second = app.deliver_webhook(&shop.id, &body, &signature).await;
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert!(
        [StatusCode::OK, StatusCode::CONFLICT].contains(&second),
        "the second delivery is acknowledged or told to come back: {second}"
    );
    assert_eq!(handler_runs(&app, &intent), 1, "the handler ran once");
    assert_eq!(app.count("payment_options").await, 1);
    assert_eq!(
        app.emails_of_kind(EmailKind::CardSavedNotice).await.len(),
        1
    );
    // Stripe's retry of a delivery told to come back is acknowledged without running it again.
    assert_eq!(
        app.deliver_webhook(&shop.id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(handler_runs(&app, &intent), 1);
    assert!(
        stored(&app, "evt_twice")
            .await
            .unwrap()
            .processed_at
            .is_some()
    );
}

#[tokio::test]
async fn an_event_claimed_by_a_live_instance_is_left_to_it_and_an_expired_claim_is_taken_over() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Claim Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let token = shop.send_and_read_link().await;
    let browser = app.open_link(&token).await;
    let page = browser.card_page().await.unwrap();
    let intent = browser.confirm_card(&page, "pm_card_visa").await;
    let (body, signature) = succeeded("evt_claimed", &intent);
    // Stored, but its handler failed (Stripe down for every attempt): not processed.
    let path = format!("/v1/setup_intents/{}", intent["id"].as_str().unwrap());
    app.emulator
        .inject_fault(Fault::new(Method::GET, &path, FaultKind::Status(503)).times(3));
    assert_eq!(
        app.deliver_webhook(&shop.id, &body, &signature).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    app.emulator.clear_faults();
    let event = stored(&app, "evt_claimed").await.unwrap();
    assert!(event.processed_at.is_none());
    assert!(
        event.processing_until.is_none(),
        "a failed run gives its claim back at once"
    );
    let runs = handler_runs(&app, &intent);

    // Another instance is processing it now: this delivery leaves it alone and asks Stripe to
    // come back (non-2xx), in case that instance fails.
    claimed_until(
        &app,
        "evt_claimed",
        Utc::now() + chrono::Duration::minutes(5),
    )
    .await;
    assert_eq!(
        app.deliver_webhook(&shop.id, &body, &signature).await,
        StatusCode::CONFLICT
    );
    assert_eq!(handler_runs(&app, &intent), runs);
    assert_eq!(app.count("payment_options").await, 0);

    // That instance died mid-run: its claim runs out and the next delivery takes the event over.
    claimed_until(
        &app,
        "evt_claimed",
        Utc::now() - chrono::Duration::seconds(1),
    )
    .await;
    assert_eq!(
        app.deliver_webhook(&shop.id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(handler_runs(&app, &intent), runs + 1);
    assert_eq!(app.count("payment_options").await, 1);
    let event = stored(&app, "evt_claimed").await.unwrap();
    assert!(event.processed_at.is_some());
    assert!(event.processing_until.is_none());

    // Processed: acknowledged without running it again.
    assert_eq!(
        app.deliver_webhook(&shop.id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(handler_runs(&app, &intent), runs + 1);
}

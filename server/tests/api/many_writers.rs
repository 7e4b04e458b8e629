//! R16: many concurrent writers on one database. On SQLite every write transaction queues for
//! the one write lock; none may come back as "database is locked" (a 500 to the merchant, a 5xx to
//! Stripe). Runs on Postgres too when `TEST_DATABASE_URL` is set.

use app::entities::stripe_event;
use app::payments::webhook_signature::sign;
use chrono::Utc;
use futures::future::join_all;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::world::{ChargeStatus, Stripe, WEBHOOK_SECRET, spawn_app};

const WRITERS: usize = 50;

/// A Stripe event nobody acts on but which is stored (and marked processed) all the same.
fn signed_event(id: &str) -> (String, String) {
    let body = json!({
        "id": id,
        "object": "event",
        "type": "customer.updated",
        "created": Utc::now().timestamp(),
        "livemode": false,
        "data": { "object": { "id": format!("cus_{id}"), "object": "customer" } }
    })
    .to_string();
    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, Utc::now().timestamp());
    (body, signature)
}

#[tokio::test]
async fn fifty_concurrent_card_requests_charges_and_webhooks_all_succeed() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Busy Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let mut customers = Vec::new();
    for i in 0..WRITERS {
        let email = format!("guest{i}@example.com");
        customers.push(
            shop.create_customer("Guest", &i.to_string(), &email, "")
                .await
                .id,
        );
    }

    // Card requests, charges, Stripe's events and the outbox, all at once.
    let requests = join_all(customers.iter().map(|id| shop.send_card_request_to(id, "")));
    // Each of its own amount: the same amount again while one is pending is held back as a
    // possible duplicate, which is not what this test is about.
    let amounts: Vec<String> = (1..=WRITERS).map(|i| format!("{i}.00")).collect();
    let charges = join_all(
        amounts
            .iter()
            .map(|amount| shop.charge(&card, amount, None)),
    );
    let events: Vec<_> = (0..WRITERS)
        .map(|i| signed_event(&format!("evt_busy_{i}")))
        .collect();
    let webhooks = join_all(
        events
            .iter()
            .map(|(body, signature)| app.deliver_webhook(&shop.id, body, signature)),
    );
    let outbox = join_all((0..3).map(|_| app.deliver_emails()));
    let (requests, charges, webhooks, _) = tokio::join!(requests, charges, webhooks, outbox);

    for (i, sent) in requests.into_iter().enumerate() {
        assert!(sent.is_ok(), "card request {i}: {sent:?}");
    }
    for (i, charged) in charges.into_iter().enumerate() {
        let charged = charged.unwrap_or_else(|refused| panic!("charge {i}: {refused:?}"));
        assert_eq!(charged.status, ChargeStatus::Succeeded, "charge {i}");
    }
    assert!(
        webhooks.iter().all(|status| *status == StatusCode::OK),
        "{webhooks:?}"
    );
    assert_eq!(app.card_requests().await.len(), WRITERS);
    assert_eq!(app.charges().await.len(), WRITERS);
    assert_eq!(shop.payment_intents(), WRITERS);
    let processed = stripe_event::Entity::find()
        .filter(stripe_event::Column::ProcessedAt.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(processed, WRITERS as u64);
}

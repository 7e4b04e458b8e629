use app::payments::webhook_signature::sign;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, spawn_app};
use crate::stripe_connection::{WEBHOOK_SECRET, connect_with_keys, test_keys};

async fn connected_merchant(app: &TestApp, name: &str) -> (Browser, String) {
    let merchant = app.merchant(name).await;
    let (pk, sk) = test_keys();
    assert_eq!(
        connect_with_keys(&merchant, &pk, &sk, WEBHOOK_SECRET)
            .await
            .status(),
        StatusCode::OK
    );
    let session: Value = merchant
        .call("get_settings", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["stripe"]["connected"], true);
    let merchant_id = merchant_id(app, name).await;
    (merchant, merchant_id)
}

async fn merchant_id(app: &TestApp, business: &str) -> String {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "SELECT id FROM merchants WHERE business_name = $1"
                }
                _ => "SELECT id FROM merchants WHERE business_name = ?",
            },
            [business.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

fn event(id: &str) -> String {
    json!({
        "id": id,
        "object": "event",
        "type": "customer.created",
        "api_version": "2025-09-30.clover",
        "created": 1_700_000_000,
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": { "id": "cus_123", "object": "customer" } }
    })
    .to_string()
}

/// Posts an event to the merchant's webhook endpoint as Stripe does.
pub async fn deliver(app: &TestApp, merchant_id: &str, body: &str, signature: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/webhooks/stripe/{merchant_id}", app.address))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_signed_event_is_stored_once_however_often_it_arrives() {
    let app = spawn_app().await;
    let (_, merchant_id) = connected_merchant(&app, "Hook Tours").await;
    let body = event("evt_once");
    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        deliver(&app, &merchant_id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(
        deliver(&app, &merchant_id, &body, &signature).await,
        StatusCode::OK
    );
    let resigned = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        deliver(&app, &merchant_id, &body, &resigned).await,
        StatusCode::OK
    );
    assert_eq!(app.count("stripe_events").await, 1);
}

#[tokio::test]
async fn forged_stale_or_misdirected_events_are_refused_without_side_effects() {
    let app = spawn_app().await;
    let (_, a) = connected_merchant(&app, "A Hooks").await;
    let (_, b) = connected_merchant(&app, "B Hooks").await;
    let body = event("evt_refused");
    let wrong_secret = sign(body.as_bytes(), "whsec_someone_else_entirely", now());
    assert_eq!(
        deliver(&app, &a, &body, &wrong_secret).await,
        StatusCode::BAD_REQUEST
    );
    let stale = sign(body.as_bytes(), WEBHOOK_SECRET, now() - 301);
    assert_eq!(
        deliver(&app, &a, &body, &stale).await,
        StatusCode::BAD_REQUEST
    );
    let valid = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    let tampered = body.replace("customer.created", "payment_intent.succeeded");
    assert_eq!(
        deliver(&app, &a, &tampered, &valid).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(deliver(&app, &a, &body, "").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        deliver(&app, "no-such-merchant", &body, &valid).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("stripe_events").await, 0);
    // Both merchants happen to share a signing secret here; the row is still B's, not A's.
    assert_eq!(deliver(&app, &b, &body, &valid).await, StatusCode::OK);
    assert_eq!(app.count("stripe_events").await, 1);
}

#[tokio::test]
async fn events_from_stripe_reach_the_merchants_webhook_endpoint() {
    use app::payments::{StripeAccount, StripeEndpoint};
    let app = spawn_app().await;
    let merchant = app.merchant("Live Hooks").await;
    let merchant_id = merchant_id(&app, "Live Hooks").await;
    let (pk, sk) = test_keys();
    let account = StripeAccount::new(
        &secrecy::SecretString::from(sk.clone()),
        &StripeEndpoint {
            api_base: Some(app.emulator_base.clone()),
            ..StripeEndpoint::default()
        },
    )
    .unwrap();
    // As a merchant does in Stripe's dashboard: add our endpoint, copy its signing secret.
    let endpoint = account
        .create_webhook_endpoint(&format!("{}/webhooks/stripe/{merchant_id}", app.address))
        .await
        .unwrap();
    let whsec = endpoint.secret.unwrap();
    assert_eq!(
        connect_with_keys(&merchant, &pk, &sk, &whsec)
            .await
            .status(),
        StatusCode::OK
    );

    account
        .create_customer("Webhook Person", None, "ours-1", "customer-key-1")
        .await
        .unwrap();
    // Delivery is asynchronous (as at Stripe): wait, bounded, for the stored event.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.count("stripe_events").await == 0 {
        assert!(std::time::Instant::now() < deadline, "no webhook arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("stripe_events").await, 1);
}

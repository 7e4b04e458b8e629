//! Stripe's webhooks at the merchant's endpoint: signed events stored once, forged, stale or
//! misdirected ones refused, and events from "Stripe" arriving on their own.

use app::payments::webhook_signature::sign;
use reqwest::StatusCode;
use serde_json::json;

use crate::world::{Stripe, WEBHOOK_SECRET, eventually, spawn_app};

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

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_signed_event_is_stored_once_however_often_it_arrives() {
    let app = spawn_app().await;
    let merchant = app
        .merchant("Hook Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let body = event("evt_once");
    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        app.deliver_webhook(&merchant.id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(
        app.deliver_webhook(&merchant.id, &body, &signature).await,
        StatusCode::OK
    );
    let resigned = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        app.deliver_webhook(&merchant.id, &body, &resigned).await,
        StatusCode::OK
    );
    assert_eq!(app.count("stripe_events").await, 1);
}

/// Stripe's events can be far larger than the forms the rest of the app takes (a PaymentIntent
/// with its charges and metadata expanded): the webhook route has a limit of its own.
#[tokio::test]
async fn an_event_larger_than_a_form_is_taken_and_an_oversized_one_refused() {
    let app = spawn_app().await;
    let merchant = app
        .merchant("Big Hook Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let large = |id: &str, bytes: usize| {
        json!({
            "id": id,
            "object": "event",
            "type": "customer.created",
            "created": 1_700_000_000,
            "livemode": false,
            "data": { "object": { "id": "cus_123", "object": "customer",
                "description": "x".repeat(bytes) } }
        })
        .to_string()
    };
    let body = large("evt_large", 200 * 1024);
    let signature = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        app.deliver_webhook(&merchant.id, &body, &signature).await,
        StatusCode::OK
    );
    assert_eq!(app.count("stripe_events").await, 1);
    let too_large = large("evt_too_large", 2 * 1024 * 1024);
    let signature = sign(too_large.as_bytes(), WEBHOOK_SECRET, now());
    assert_eq!(
        app.deliver_webhook(&merchant.id, &too_large, &signature)
            .await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(app.count("stripe_events").await, 1);
}

#[tokio::test]
async fn forged_stale_or_misdirected_events_are_refused_without_side_effects() {
    let app = spawn_app().await;
    let a = app.merchant("A Hooks").connected(Stripe::PastedKeys).await;
    let b = app.merchant("B Hooks").connected(Stripe::PastedKeys).await;
    let deliver = async |merchant_id: &str, body: &str, signature: &str| {
        app.deliver_webhook(merchant_id, body, signature).await
    };
    let body = event("evt_refused");
    let wrong_secret = sign(body.as_bytes(), "whsec_someone_else_entirely", now());
    assert_eq!(
        deliver(&a.id, &body, &wrong_secret).await,
        StatusCode::BAD_REQUEST
    );
    let stale = sign(body.as_bytes(), WEBHOOK_SECRET, now() - 301);
    assert_eq!(deliver(&a.id, &body, &stale).await, StatusCode::BAD_REQUEST);
    let valid = sign(body.as_bytes(), WEBHOOK_SECRET, now());
    let tampered = body.replace("customer.created", "payment_intent.succeeded");
    assert_eq!(
        deliver(&a.id, &tampered, &valid).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(deliver(&a.id, &body, "").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        deliver("no-such-merchant", &body, &valid).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("stripe_events").await, 0);
    // Both merchants happen to share a signing secret here; the row is still B's, not A's.
    assert_eq!(deliver(&b.id, &body, &valid).await, StatusCode::OK);
    assert_eq!(app.count("stripe_events").await, 1);
}

#[tokio::test]
async fn events_from_stripe_reach_the_merchants_webhook_endpoint() {
    let app = spawn_app().await;
    // As a merchant does in Stripe's dashboard: add our endpoint, copy its signing secret.
    let merchant = app
        .merchant("Live Hooks")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;

    merchant
        .stripe_account()
        .create_customer("Webhook Person", None, "ours-1", "customer-key-1")
        .await
        .unwrap();
    // Delivery is asynchronous (as at Stripe): wait, bounded, for the stored event.
    eventually("a webhook to arrive", async || {
        app.count("stripe_events").await > 0
    })
    .await;
    assert_eq!(app.count("stripe_events").await, 1);
}

/// RELIABILITY R5: an event signed for one merchant and sent to another's endpoint (each with a
/// signing secret of its own) is refused and stores nothing; the refusal is logged with why, and
/// the log holds nothing of the payload (client secrets) nor of either secret.
#[tokio::test]
async fn a_misdirected_event_is_refused_and_logged_without_its_secrets() {
    let logs = crate::world::captured_logs();
    let app = spawn_app().await;
    let (alpha, beta) = (
        app.merchant("Alpha Hooks").await,
        app.merchant("Beta Hooks").await,
    );
    for (merchant, secret) in [
        (&alpha, "whsec_alpha_own_secret"),
        (&beta, "whsec_beta_own_secret"),
    ] {
        let (pk, sk) = crate::world::test_keys();
        merchant.connect_stripe(&pk, &sk, secret).await.unwrap();
    }
    let body = json!({
        "id": "evt_alpha",
        "object": "event",
        "type": "customer.created",
        "created": 1_700_000_000,
        "livemode": false,
        "data": { "object": { "id": "cus_123", "object": "customer",
            "metadata": { "note": "seti_123_secret_TOPSECRETVALUE" } } }
    })
    .to_string();
    let for_alpha = sign(body.as_bytes(), "whsec_alpha_own_secret", now());

    assert_eq!(
        app.deliver_webhook(&beta.id, &body, &for_alpha).await,
        StatusCode::BAD_REQUEST
    );
    let signed_junk = "not json but seti_123_secret_TOPSECRETVALUE";
    let junk_for_beta = sign(signed_junk.as_bytes(), "whsec_beta_own_secret", now());
    assert_eq!(
        app.deliver_webhook(&beta.id, signed_junk, &junk_for_beta)
            .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.count("stripe_events").await, 0);

    let logged = logs.text();
    assert!(logged.contains("webhook refused"), "{logged}");
    assert!(
        logged.contains(&beta.id),
        "the log names whose endpoint: {logged}"
    );
    assert!(
        logged.contains("signed webhook body is not a Stripe event"),
        "{logged}"
    );
    for secret in [
        "TOPSECRETVALUE",
        "whsec_alpha_own_secret",
        "whsec_beta_own_secret",
    ] {
        assert!(!logged.contains(secret), "{secret} in the log:\n{logged}");
    }
    // The same event at its own merchant's endpoint is taken.
    assert_eq!(
        app.deliver_webhook(&alpha.id, &body, &for_alpha).await,
        StatusCode::OK
    );
}

//! Every kind of Stripe call the product makes, under the emulator's faults (RELIABILITY R15,
//! R26): a stall longer than the call's timeout, an answer lost after Stripe acted, a 5xx or a
//! 429. The person waiting gets the outcome, or a clear retryable error, never a hang; a retried
//! write carries its first key, so Stripe makes one object.
//!
//! The test app cuts each Stripe attempt off after 2 s and tries 3 times (see `test_config`). A
//! stall here is far longer than any test: only a retry can answer in time, and the test's own
//! HTTP client (30 s) turns a hang into a failure.

use std::time::Duration;

use reqwest::StatusCode;
use stripe_emulator::{Fault, FaultKind, LoggedRequest, Method, ObjectKind};

use crate::world::{ConnectDemoStripe, Stripe, TestApp, WEBHOOK_SECRET, spawn_app, test_keys};

/// Longer than every test: an attempt that meets it never gets an answer.
const STALL: Duration = Duration::from_secs(600);

fn stall(method: Method, path: &str) -> Fault {
    Fault::new(method, path, FaultKind::DelayBeforeProcessing(STALL))
}

/// Stripe acts, then its answer never comes: the retry must replay it, not act again.
fn lost_answer(method: Method, path: &str) -> Fault {
    Fault::new(method, path, FaultKind::DelayAfterProcessing(STALL))
}

fn requests_to(app: &TestApp, method: Method, path: &str) -> Vec<LoggedRequest> {
    app.emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// The requests were attempts of one write: one key, the last one a replay of what Stripe did.
fn one_write_replayed(attempts: &[LoggedRequest]) {
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(attempts[0].idempotency_key.is_some(), "{attempts:?}");
    assert_eq!(attempts[0].idempotency_key, attempts[1].idempotency_key);
    assert!(attempts[1].replayed, "{attempts:?}");
}

#[tokio::test]
async fn send_email_creates_one_stripe_customer_through_a_lost_answer_and_a_5xx() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Squall Tours")
        .connected(Stripe::PastedKeys)
        .await;
    app.emulator
        .inject_fault(lost_answer(Method::POST, "/v1/customers"));
    let sent = shop.send_card_request("").await.unwrap();
    assert_eq!(sent.recipient, "jane@example.com");
    one_write_replayed(&requests_to(&app, Method::POST, "/v1/customers"));
    assert_eq!(
        app.emulator.count(shop.secret_key(), ObjectKind::Customer),
        1
    );

    let other = shop
        .create_customer("Ann", "Gale", "ann@example.com", "")
        .await;
    app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::Status(503),
    ));
    shop.send_card_request_to(&other.id, "").await.unwrap();
    assert_eq!(
        app.emulator.count(shop.secret_key(), ObjectKind::Customer),
        2
    );
    assert_eq!(app.card_requests().await.len(), 2);
}

#[tokio::test]
async fn the_card_page_and_its_completion_get_through_stalls_and_5xx() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Drizzle Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let token = shop.send_and_read_link().await;
    let customer = app.open_link(&token).await;

    app.emulator
        .inject_fault(lost_answer(Method::POST, "/v1/setup_intents"));
    let page = customer.card_page().await.unwrap();
    one_write_replayed(&requests_to(&app, Method::POST, "/v1/setup_intents"));
    assert_eq!(
        app.emulator
            .count(shop.secret_key(), ObjectKind::SetupIntent),
        1
    );

    let confirmed = customer.confirm_card(&page, "pm_card_visa").await;
    assert_eq!(confirmed["status"], "succeeded");
    app.emulator
        .inject_fault(stall(Method::GET, "/v1/setup_intents/*"));
    app.emulator.inject_fault(Fault::new(
        Method::GET,
        "/v1/payment_methods/*",
        FaultKind::Status(500),
    ));
    let card = customer.complete_card_setup().await.unwrap();
    assert_eq!(card.last4, "4242");
    assert_eq!(shop.profile().await.cards.payment_options.len(), 1);
}

#[tokio::test]
async fn create_and_remove_payment_option_get_through_429_stalls_and_lost_answers() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Gust Tours")
        .connected(Stripe::PastedKeys)
        .await;
    app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/setup_intents",
        FaultKind::Status(429),
    ));
    let setup = shop.start_payment_option().await;
    assert_eq!(
        app.emulator
            .count(shop.secret_key(), ObjectKind::SetupIntent),
        1
    );
    shop.confirm_at_stripe(&setup, "pm_card_visa").await;
    app.emulator
        .inject_fault(stall(Method::GET, "/v1/setup_intents/*"));
    app.emulator
        .inject_fault(stall(Method::GET, "/v1/payment_methods/*"));
    let card = shop
        .save_payment_option(&setup.setup_intent_id)
        .await
        .unwrap();
    assert_eq!(shop.profile().await.cards.payment_options.len(), 1);

    let pm = app.payment_option(&card.id).await.stripe_payment_method_id;
    app.emulator
        .inject_fault(lost_answer(Method::POST, "/v1/payment_methods/*/detach"));
    shop.remove_card(&card.id, "").await.unwrap();
    let detach = format!("/v1/payment_methods/{pm}/detach");
    one_write_replayed(&requests_to(&app, Method::POST, &detach));
    assert!(app.payment_option(&card.id).await.removed_at.is_some());
    assert_eq!(
        shop.payment_method_at_stripe(&pm).await["customer"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn connect_gets_through_a_stall_and_says_clearly_when_stripe_stays_away() {
    let app = spawn_app().await;
    let shop = app.merchant("Calm Tours").await;
    let (pk, sk) = test_keys();

    // Stripe never answers at all: a clear, retryable error once the attempts are spent.
    app.emulator
        .inject_fault(stall(Method::GET, "/v1/account").times(3));
    let refused = shop
        .connect_stripe(&pk, &sk, WEBHOOK_SECRET)
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert_eq!(refused.code(), "STRIPE_UNAVAILABLE");
    assert!(!shop.settings().await.stripe.connected);

    app.emulator.inject_fault(stall(Method::GET, "/v1/account"));
    app.emulator.inject_fault(Fault::new(
        Method::GET,
        "/v1/account",
        FaultKind::Status(502),
    ));
    shop.connect_stripe(&pk, &sk, WEBHOOK_SECRET).await.unwrap();
    assert!(shop.settings().await.stripe.connected);
}

#[tokio::test]
async fn connecting_demo_stripe_registers_one_webhook_endpoint_through_a_lost_answer() {
    let app = spawn_app().await;
    let shop = app.merchant("Breeze Tours").await;
    app.emulator.inject_fault(stall(Method::GET, "/v1/account"));
    app.emulator
        .inject_fault(lost_answer(Method::POST, "/v1/webhook_endpoints"));
    shop.call(&ConnectDemoStripe {}).await.unwrap();
    assert!(shop.settings().await.stripe.connected);
    one_write_replayed(&requests_to(&app, Method::POST, "/v1/webhook_endpoints"));
}

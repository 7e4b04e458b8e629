//! `Idempotency-Key` as Stripe honours it.

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::*;
use stripe_emulator::ObjectKind;

use crate::common::*;

#[tokio::test]
async fn same_key_same_parameters_replays_the_response() {
    let env = env().await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_visa")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    let form = [
        ("amount", "1999"),
        ("currency", "usd"),
        ("customer", customer.as_str()),
        ("payment_method", pm.id.as_str()),
        ("payment_method_types[]", "card"),
        ("off_session", "true"),
        ("confirm", "true"),
    ];
    let first = env
        .post_idem(&env.sk, "/v1/payment_intents", &form, "charge-row-17")
        .await;
    assert_eq!(first.status, 200, "{}", first.json);
    assert!(first.headers.get("idempotent-replayed").is_none());
    // A double click: same key, same parameters (in another order).
    let mut reordered = form;
    reordered.reverse();
    let second = env
        .post_idem(&env.sk, "/v1/payment_intents", &reordered, "charge-row-17")
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.json, first.json);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(
        second.headers["original-request"],
        first.headers["request-id"]
    );
    assert_eq!(
        env.emu.count(&env.sk, ObjectKind::PaymentIntent),
        1,
        "charged once"
    );
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Charge), 1);

    // Through async-stripe's idempotent request strategy.
    let make = || {
        CreatePaymentIntent::new(500, stripe_types::Currency::USD)
            .customer(customer.as_str())
            .payment_method(pm.id.as_str())
            .allowed_payment_method_types(vec![
                stripe_shared::PaymentIntentAllowedPaymentMethodTypes::Card,
            ])
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
    };
    let key = IdempotencyKey::new("charge-row-18").unwrap();
    let a = make()
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key.clone()))
        .send(&env.client)
        .await
        .unwrap();
    let b = make()
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 2);
}

#[tokio::test]
async fn same_key_other_parameters_or_endpoint_is_an_idempotency_error() {
    let env = env().await;
    let one = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("email", "a@example.com")],
            "k1",
        )
        .await;
    assert_eq!(one.status, 200);
    let other = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("email", "b@example.com")],
            "k1",
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.error()["type"], "idempotency_error");
    assert!(
        other.error()["message"]
            .as_str()
            .unwrap()
            .contains("same parameters")
    );
    let parsed: stripe_shared::Error = assert_parses(&other.json);
    assert_eq!(parsed.error.type_, stripe::ApiErrorsType::IdempotencyError);
    let elsewhere = env
        .post_idem(
            &env.sk,
            "/v1/payment_intents",
            &[("amount", "100"), ("currency", "usd")],
            "k1",
        )
        .await;
    assert_eq!(elsewhere.error()["type"], "idempotency_error");
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 1);

    // Keys are per account.
    let other_account = "sk_test_idem_other";
    let theirs = env
        .post_idem(
            other_account,
            "/v1/customers",
            &[("email", "b@example.com")],
            "k1",
        )
        .await;
    assert_eq!(theirs.status, 200);
    assert_eq!(env.emu.count(other_account, ObjectKind::Customer), 1);
}

#[tokio::test]
async fn declines_are_replayed_validation_errors_are_not() {
    let env = env().await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_chargeCustomerFail")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    let form = [
        ("amount", "1999"),
        ("currency", "usd"),
        ("customer", customer.as_str()),
        ("payment_method", pm.id.as_str()),
        ("payment_method_types[]", "card"),
        ("off_session", "true"),
        ("confirm", "true"),
    ];
    let first = env
        .post_idem(&env.sk, "/v1/payment_intents", &form, "decline-1")
        .await;
    assert_eq!(first.status, 402);
    let second = env
        .post_idem(&env.sk, "/v1/payment_intents", &form, "decline-1")
        .await;
    assert_eq!(second.status, 402);
    assert_eq!(second.json, first.json);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(
        env.emu.count(&env.sk, ObjectKind::Charge),
        1,
        "the decline is not retried against the card"
    );

    // A request that failed validation is not saved: fixing it with the same key works.
    let bad = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("emali", "x@example.com")],
            "fix-me",
        )
        .await;
    assert_eq!(bad.status, 400);
    let fixed = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("email", "x@example.com")],
            "fix-me",
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.json);
}

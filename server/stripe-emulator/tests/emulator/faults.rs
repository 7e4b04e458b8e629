//! Injected faults and the request log: Stripe refusing, slow, or losing its answer after acting.

use std::time::{Duration, Instant};

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::*;
use stripe_emulator::{Fault, FaultKind, LoggedRequest, Method, ObjectKind, Outcome};

use crate::common::*;

/// A saved card of a fresh customer, ready for off-session charges.
async fn saved_card(env: &Env) -> (String, String) {
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_visa")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    (customer, pm.id.to_string())
}

fn charge_form<'a>(customer: &'a str, pm: &'a str) -> [(&'a str, &'a str); 7] {
    [
        ("amount", "1999"),
        ("currency", "usd"),
        ("customer", customer),
        ("payment_method", pm),
        ("payment_method_types[]", "card"),
        ("off_session", "true"),
        ("confirm", "true"),
    ]
}

/// The product's charge call: off-session, confirmed, under one idempotency key.
fn charge(
    customer: &str,
    pm: &str,
    key: &str,
) -> stripe_client_core::CustomizableStripeRequest<stripe_shared::PaymentIntent> {
    CreatePaymentIntent::new(1999, stripe_types::Currency::USD)
        .customer(customer)
        .payment_method(pm)
        .allowed_payment_method_types(vec![
            stripe_shared::PaymentIntentAllowedPaymentMethodTypes::Card,
        ])
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .customize()
        .request_strategy(RequestStrategy::Idempotent(
            IdempotencyKey::new(key).unwrap(),
        ))
}

fn logged(env: &Env, method: Method, path: &str) -> Vec<LoggedRequest> {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// Waits until the last request to `path` is no longer in flight.
async fn settled(env: &Env, method: Method, path: &str) -> LoggedRequest {
    let done = eventually(Duration::from_secs(5), || {
        logged(env, method.clone(), path)
            .last()
            .is_some_and(|r| r.outcome != Outcome::InFlight)
    })
    .await;
    let last = logged(env, method, path).pop().unwrap();
    assert!(done, "still in flight: {last:?}");
    last
}

#[tokio::test]
async fn a_rate_limited_request_creates_nothing_and_may_be_retried_with_its_key() {
    let env = env().await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::Status(429),
    ));
    let form = [("email", "jenny@example.com")];
    let refused = env
        .post_idem(&env.sk, "/v1/customers", &form, "customer-1")
        .await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error()["type"], "invalid_request_error");
    assert_eq!(refused.error()["code"], "rate_limit");
    assert_eq!(refused.headers["stripe-should-retry"], "true");
    assert!(
        refused.headers["request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let parsed: stripe_shared::Error = assert_parses(&refused.json);
    assert_eq!(parsed.error.code, Some(stripe::ApiErrorsCode::RateLimit));
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 0);
    assert!(env.emu.events(&env.sk).is_empty());

    // Nothing was saved under the key: the retry executes.
    let retried = env
        .post_idem(&env.sk, "/v1/customers", &form, "customer-1")
        .await;
    assert_eq!(retried.status, 200, "{}", retried.json);
    assert!(retried.headers.get("idempotent-replayed").is_none());
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 1);
}

#[tokio::test]
async fn async_stripe_reads_refusals_as_stripe_errors_with_their_status() {
    let env = env().await;
    let (customer, pm) = saved_card(&env).await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(429),
    ));
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(500),
    ));
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(503),
    ));

    let (error, status) = api_error(
        charge(&customer, &pm, "c-1")
            .send(&env.client)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 429);
    assert_eq!(error.type_, stripe::ApiErrorsType::InvalidRequestError);
    assert_eq!(error.code, Some(stripe::ApiErrorsCode::RateLimit));
    for expected in [500, 503] {
        let (error, status) = api_error(
            charge(&customer, &pm, "c-1")
                .send(&env.client)
                .await
                .unwrap_err(),
        );
        assert_eq!(status, expected);
        assert_eq!(error.type_, stripe::ApiErrorsType::ApiError);
        assert!(error.message.is_some());
    }
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 0);

    let charged = charge(&customer, &pm, "c-1")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(
        charged.status,
        stripe_shared::PaymentIntentStatus::Succeeded
    );
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);
    let log = logged(&env, Method::POST, "/v1/payment_intents");
    let statuses: Vec<_> = log.iter().map(LoggedRequest::status).collect();
    assert_eq!(statuses, [Some(429), Some(500), Some(503), Some(200)]);
    assert!(
        log.iter()
            .all(|r| r.idempotency_key.as_deref() == Some("c-1"))
    );
}

#[tokio::test]
async fn async_stripe_retries_what_stripe_says_to_retry() {
    let env = env().await;
    env.emu
        .inject_fault(Fault::new(Method::POST, "/v1/customers", FaultKind::Status(500)).times(2));
    let created = stripe_core::customer::CreateCustomer::new()
        .email("jenny@example.com")
        .customize()
        .request_strategy(RequestStrategy::Retry(3))
        .send(&env.client)
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("cus_"));
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 1);
    let log = logged(&env, Method::POST, "/v1/customers");
    let outcomes: Vec<_> = log.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Answered(500),
            Outcome::Answered(500),
            Outcome::Answered(200)
        ]
    );
}

#[tokio::test]
async fn a_fault_applies_to_its_next_matching_requests_only() {
    let env = env().await;
    let existing = env.customer().await;
    env.emu
        .inject_fault(Fault::new(Method::POST, "/v1/customers", FaultKind::Status(500)).times(2));
    // Other methods, deeper paths, Stripe.js and the emulator's own pages are not touched.
    assert_eq!(env.get(&env.sk, "/v1/customers").await.status, 200);
    let update = env
        .post(
            &env.sk,
            &format!("/v1/customers/{existing}"),
            &[("name", "Jo")],
        )
        .await;
    assert_eq!(update.status, 200);
    let script = env.http.get(env.url("/v3/")).send().await.unwrap();
    assert_eq!(script.status(), 200);

    let form = [("email", "a@example.com")];
    assert_eq!(env.post(&env.sk, "/v1/customers", &form).await.status, 500);
    assert_eq!(env.post(&env.sk, "/v1/customers", &form).await.status, 500);
    assert_eq!(env.post(&env.sk, "/v1/customers", &form).await.status, 200);
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 2);

    // Patterns reach deeper paths when they say so; a fault can name Stripe.js too.
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers/*",
        FaultKind::Status(502),
    ));
    env.emu
        .inject_fault(Fault::new(Method::GET, "/v3/", FaultKind::Status(503)));
    assert_eq!(env.post(&env.sk, "/v1/customers", &form).await.status, 200);
    let update = env
        .post(
            &env.sk,
            &format!("/v1/customers/{existing}"),
            &[("name", "Jo")],
        )
        .await;
    assert_eq!(update.status, 502);
    assert_eq!(update.error()["type"], "api_error");
    let script = env.http.get(env.url("/v3/")).send().await.unwrap();
    assert_eq!(script.status(), 503);

    // Disarmed faults apply to nothing.
    env.emu
        .inject_fault(Fault::new(Method::POST, "/v1/customers", FaultKind::Status(500)).times(5));
    env.emu.clear_faults();
    assert_eq!(env.post(&env.sk, "/v1/customers", &form).await.status, 200);
    let faulted: Vec<_> = env
        .emu
        .requests()
        .into_iter()
        .filter_map(|r| r.fault.map(|f| (r.path, f)))
        .collect();
    assert_eq!(faulted.len(), 4, "{faulted:?}");
}

#[tokio::test]
async fn a_lost_response_retried_with_its_key_replays_the_one_payment_intent() {
    let env = env().await;
    let (customer, pm) = saved_card(&env).await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DropAfterProcessing,
    ));
    let form = charge_form(&customer, &pm);
    let lost = env
        .http
        .post(env.url("/v1/payment_intents"))
        .bearer_auth(&env.sk)
        .header("Idempotency-Key", "charge-row-1")
        .form(&form)
        .send()
        .await;
    assert!(lost.is_err(), "no answer expected: {lost:?}");
    // Stripe acted on it all the same.
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Charge), 1);
    assert!(event_types(&env).contains(&"payment_intent.succeeded".to_string()));

    let retried = env
        .post_idem(&env.sk, "/v1/payment_intents", &form, "charge-row-1")
        .await;
    assert_eq!(retried.status, 200, "{}", retried.json);
    assert_eq!(retried.headers["idempotent-replayed"], "true");
    assert_eq!(retried.json["status"], "succeeded");
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Charge), 1);

    let log = logged(&env, Method::POST, "/v1/payment_intents");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, Outcome::Lost(200));
    assert_eq!(log[0].fault, Some(FaultKind::DropAfterProcessing));
    assert!(!log[0].replayed);
    assert_eq!(log[1].outcome, Outcome::Answered(200));
    assert_eq!(log[1].fault, None);
    assert!(log[1].replayed);
    assert!(
        log.iter()
            .all(|r| r.idempotency_key.as_deref() == Some("charge-row-1"))
    );
    // The replay points at the request that did the work, as `Original-Request` does.
    assert_eq!(
        retried.headers["original-request"].to_str().unwrap(),
        log[0].request_id.as_deref().unwrap()
    );
}

#[tokio::test]
async fn async_stripe_sees_a_lost_response_as_a_client_error_and_its_retry_replays() {
    let env = env().await;
    let (customer, pm) = saved_card(&env).await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DropAfterProcessing,
    ));
    let lost = charge(&customer, &pm, "charge-row-2")
        .send(&env.client)
        .await
        .unwrap_err();
    assert!(
        matches!(lost, stripe::StripeError::ClientError(_)),
        "{lost:?}"
    );
    let replayed = charge(&customer, &pm, "charge-row-2")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);
    let log = logged(&env, Method::POST, "/v1/payment_intents");
    assert_eq!(log[0].outcome, Outcome::Lost(200));
    assert!(log[1].replayed);
    let events = env.emu.events(&env.sk);
    let created = events
        .iter()
        .find(|e| e["type"] == "payment_intent.created")
        .unwrap();
    assert_eq!(created["data"]["object"]["id"], replayed.id.as_str());
}

#[tokio::test]
async fn an_answer_delayed_past_the_client_timeout_is_lost_but_the_charge_happened() {
    let env = env().await;
    let (customer, pm) = saved_card(&env).await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DelayAfterProcessing(Duration::from_secs(30)),
    ));
    let timed_out = charge(&customer, &pm, "charge-row-3")
        // Long enough for the request to arrive on a loaded machine; the answer takes 30 s.
        .timeout(Duration::from_secs(1))
        .send(&env.client)
        .await
        .unwrap_err();
    assert!(
        matches!(timed_out, stripe::StripeError::Timeout),
        "{timed_out:?}"
    );
    // The client hung up: the emulator notices and records the answer as lost.
    let first = settled(&env, Method::POST, "/v1/payment_intents").await;
    assert_eq!(first.outcome, Outcome::Lost(200));
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);

    let replayed = charge(&customer, &pm, "charge-row-3")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(
        replayed.status,
        stripe_shared::PaymentIntentStatus::Succeeded
    );
    assert_eq!(env.emu.count(&env.sk, ObjectKind::PaymentIntent), 1);
    assert!(logged(&env, Method::POST, "/v1/payment_intents")[1].replayed);
}

#[tokio::test]
async fn a_patient_client_gets_a_delayed_answer() {
    let env = env().await;
    let delay = Duration::from_millis(200);
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::DelayAfterProcessing(delay),
    ));
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::DelayBeforeProcessing(delay),
    ));
    for _ in 0..2 {
        let started = Instant::now();
        let r = env
            .post(&env.sk, "/v1/customers", &[("email", "a@example.com")])
            .await;
        assert_eq!(r.status, 200);
        assert!(started.elapsed() >= delay);
    }
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 2);
    let log = logged(&env, Method::POST, "/v1/customers");
    assert!(log.iter().all(|r| r.outcome == Outcome::Answered(200)));
}

#[tokio::test]
async fn a_request_delayed_past_the_client_timeout_never_happens() {
    let env = env().await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::DelayBeforeProcessing(Duration::from_secs(30)),
    ));
    let gave_up = env
        .http
        .post(env.url("/v1/customers"))
        .bearer_auth(&env.sk)
        .header("Idempotency-Key", "customer-2")
        .form(&[("email", "jenny@example.com")])
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap_err();
    assert!(gave_up.is_timeout(), "{gave_up:?}");
    let logged = settled(&env, Method::POST, "/v1/customers").await;
    assert_eq!(logged.outcome, Outcome::NotProcessed);
    assert_eq!(logged.idempotency_key.as_deref(), Some("customer-2"));
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 0);
    // Nothing under the key either: the retry executes.
    let retried = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("email", "jenny@example.com")],
            "customer-2",
        )
        .await;
    assert_eq!(retried.status, 200);
    assert!(retried.headers.get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn a_connection_dropped_before_processing_changes_nothing() {
    let env = env().await;
    env.emu.inject_fault(Fault::new(
        Method::POST,
        "/v1/customers",
        FaultKind::DropBeforeProcessing,
    ));
    let dropped = env
        .http
        .post(env.url("/v1/customers"))
        .bearer_auth(&env.sk)
        .form(&[("email", "jenny@example.com")])
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    let logged = settled(&env, Method::POST, "/v1/customers").await;
    assert_eq!(logged.outcome, Outcome::NotProcessed);
    assert_eq!(logged.fault, Some(FaultKind::DropBeforeProcessing));
    assert_eq!(env.emu.count(&env.sk, ObjectKind::Customer), 0);
    // The emulator still serves the next connection.
    assert_eq!(
        env.post(&env.sk, "/v1/customers", &[("email", "jenny@example.com")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_log_records_methods_paths_keys_and_statuses_in_order() {
    let env = env().await;
    let first = env
        .post_idem(
            &env.sk,
            "/v1/customers",
            &[("email", "a@example.com")],
            "k-1",
        )
        .await;
    env.post_idem(
        &env.sk,
        "/v1/customers",
        &[("email", "a@example.com")],
        "k-1",
    )
    .await;
    env.get(&env.sk, "/v1/customers/cus_missing?expand[]=x")
        .await;
    env.post_idem(
        &env.sk,
        "/v1/customers",
        &[("email", "b@example.com")],
        "k-1",
    )
    .await;

    let log = env.emu.requests();
    let seen: Vec<_> = log
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.idempotency_key.as_deref(),
                r.status(),
                r.replayed,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/v1/customers", Some("k-1"), Some(200), false),
            ("POST", "/v1/customers", Some("k-1"), Some(200), true),
            ("GET", "/v1/customers/cus_missing", None, Some(404), false),
            ("POST", "/v1/customers", Some("k-1"), Some(400), false),
        ]
    );
    assert!(log.iter().all(|r| r.fault.is_none()));
    assert_eq!(
        log[0].request_id.as_deref(),
        first.headers["request-id"].to_str().ok()
    );
}

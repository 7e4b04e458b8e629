//! Webhook endpoints and deliveries: signed so that async-stripe-webhook accepts them, filtered
//! by `enabled_events`, sent in the background, retried with backoff.

use std::time::{Duration, Instant};

use crate::common::*;

async fn register(env: &Env, url: &str, events: &[&str]) -> (String, String) {
    let mut form = vec![("url", url)];
    for e in events {
        form.push(("enabled_events[]", e));
    }
    let r = env.post(&env.sk, "/v1/webhook_endpoints", &form).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["object"], "webhook_endpoint");
    let secret = r.json["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    (r.json["id"].as_str().unwrap().to_string(), secret)
}

#[tokio::test]
async fn deliveries_are_signed_and_accepted_by_async_stripe_webhook() {
    let env = env().await;
    let receiver = Receiver::start(0).await;
    let (endpoint, secret) = register(&env, &receiver.url, &["*"]).await;
    assert!(endpoint.starts_with("we_"));
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    assert_eq!(
        env.browser_confirm(&si, "4242424242424242").await.json["status"],
        "succeeded"
    );
    assert!(env.emu.wait_for_webhooks(Duration::from_secs(10)).await);

    let received = receiver.received();
    let expected = env.emu.count(&env.sk, stripe_emulator::ObjectKind::Event);
    assert_eq!(received.len(), expected);
    let mut types = Vec::new();
    for (sig, body) in &received {
        assert!(sig.starts_with("t=") && sig.contains(",v1="), "{sig}");
        let event = stripe_webhook::Webhook::construct_event(body, sig, &secret)
            .unwrap_or_else(|e| panic!("rejected: {e:?}\n{body}"));
        types.push(event.type_.as_str().to_string());
        if event.type_.as_str() == "setup_intent.succeeded" {
            let stripe_webhook::EventObject::SetupIntentSucceeded(si2) = event.data.object else {
                panic!("setup_intent.succeeded carries a SetupIntent");
            };
            assert_eq!(si2.id, si.id);
            assert_eq!(si2.customer.unwrap().id().as_str(), customer);
        }
        // Another secret does not verify.
        assert!(stripe_webhook::Webhook::construct_event(body, sig, "whsec_wrong").is_err());
    }
    for t in [
        "customer.created",
        "setup_intent.created",
        "setup_intent.succeeded",
        "payment_method.attached",
    ] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    // Delivered events have no pending webhooks left.
    let events = env.emu.events(&env.sk);
    assert!(
        events.iter().all(|e| e["pending_webhooks"] == 0),
        "{events:?}"
    );
}

#[tokio::test]
async fn only_enabled_events_are_sent() {
    let env = env().await;
    let all = Receiver::start(0).await;
    let some = Receiver::start(0).await;
    register(&env, &all.url, &["*"]).await;
    register(
        &env,
        &some.url,
        &["payment_intent.succeeded", "payment_intent.payment_failed"],
    )
    .await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_visa")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    env.charge_off_session(&customer, pm.id.as_str(), 1000)
        .await
        .unwrap();
    assert!(env.emu.wait_for_webhooks(Duration::from_secs(10)).await);
    let got: Vec<String> = some
        .received()
        .iter()
        .map(|(_, body)| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(got, ["payment_intent.succeeded"]);
    assert!(all.received().len() > 3);
    // An event records how many endpoints it went to.
    let events = env.emu.events(&env.sk);
    let succeeded = events
        .iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .unwrap();
    assert_eq!(succeeded["pending_webhooks"], 0);
}

#[tokio::test]
async fn failing_receiver_is_retried_with_backoff() {
    let env = env().await;
    let receiver = Receiver::start(2).await;
    let (endpoint, secret) = register(&env, &receiver.url, &["customer.created"]).await;
    let started = Instant::now();
    env.customer().await;
    assert!(env.emu.wait_for_webhooks(Duration::from_secs(10)).await);
    // 50 ms then 100 ms between the three attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        receiver.attempts.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    stripe_webhook::Webhook::construct_event(&received[0].1, &received[0].0, &secret).unwrap();
    let deliveries = env.emu.webhook_deliveries();
    let attempts: Vec<_> = deliveries
        .iter()
        .map(|d| (d.attempt, d.status, d.delivered))
        .collect();
    assert_eq!(
        attempts,
        [
            (1, Some(500), false),
            (2, Some(500), false),
            (3, Some(200), true)
        ]
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.endpoint_id == endpoint && d.event_type == "customer.created")
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_abandoned_after_bounded_attempts() {
    let env = env().await;
    // A port nothing listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    register(&env, &format!("http://127.0.0.1:{port}/hook"), &["*"]).await;
    env.customer().await;
    assert!(env.emu.wait_for_webhooks(Duration::from_secs(10)).await);
    let deliveries = env.emu.webhook_deliveries();
    assert_eq!(deliveries.len(), 4, "the test policy allows 4 attempts");
    assert!(
        deliveries
            .iter()
            .all(|d| d.status.is_none() && d.error.is_some() && !d.delivered)
    );
    assert_eq!(env.emu.events(&env.sk)[0]["pending_webhooks"], 1);
}

#[tokio::test]
async fn api_calls_do_not_wait_for_deliveries() {
    let env = env().await;
    // The receiver fails every time; with a long backoff, a synchronous delivery would hold the
    // API call for seconds.
    env.emu.set_webhook_retry(Duration::from_secs(2), 3);
    let receiver = Receiver::start(usize::MAX).await;
    register(&env, &receiver.url, &["*"]).await;
    let started = Instant::now();
    env.customer().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        eventually(Duration::from_secs(5), || receiver
            .attempts
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1)
        .await
    );
}

#[tokio::test]
async fn endpoints_list_update_delete() {
    let env = env().await;
    let (id, _) = register(&env, "http://127.0.0.1:9/hook", &["setup_intent.succeeded"]).await;
    let listed = env.get(&env.sk, "/v1/webhook_endpoints").await;
    assert_eq!(listed.json["data"].as_array().unwrap().len(), 1);
    assert!(
        listed.json["data"][0].get("secret").is_none(),
        "the secret is shown at creation only"
    );
    let updated = env
        .post(
            &env.sk,
            &format!("/v1/webhook_endpoints/{id}"),
            &[("enabled_events[]", "*"), ("disabled", "true")],
        )
        .await;
    assert_eq!(updated.json["status"], "disabled");
    assert_eq!(updated.json["enabled_events"], serde_json::json!(["*"]));
    env.customer().await;
    assert!(
        env.emu.webhook_deliveries().is_empty(),
        "disabled endpoints get nothing"
    );
    let deleted = env
        .send(
            env.http
                .delete(env.url(&format!("/v1/webhook_endpoints/{id}")))
                .bearer_auth(&env.sk),
        )
        .await;
    assert_eq!(deleted.json["deleted"], true);
    let gone = env
        .get(&env.sk, &format!("/v1/webhook_endpoints/{id}"))
        .await;
    assert_eq!(gone.status, 404);
    let bad = env
        .post(
            &env.sk,
            "/v1/webhook_endpoints",
            &[("url", "ftp://x"), ("enabled_events[]", "*")],
        )
        .await;
    assert_eq!(bad.status, 400);
}

//! With a state file, a restarted emulator still has every object and event of every account;
//! without one, it starts empty.

use std::path::Path;

use stripe_emulator::{Emulator, EmulatorConfig, ObjectKind};

use crate::common::*;

async fn emulator_with_state(path: &Path) -> Emulator {
    Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()).with_state_file(path))
        .await
        .unwrap()
}

/// The same account (keys) on another emulator.
fn on(emu: Emulator, sk: &str, pk: &str) -> Env {
    Env {
        client: client_for(&emu, sk),
        emu,
        sk: sk.to_owned(),
        pk: pk.to_owned(),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

#[tokio::test]
async fn a_restarted_emulator_with_a_state_file_has_every_object_and_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("stripe-emulator.json");
    let keys = env().await;
    let (sk, pk) = (keys.sk.clone(), keys.pk.clone());
    let first = on(emulator_with_state(&path).await, &sk, &pk);

    let customer = first.customer().await;
    let si = first.setup_intent(&customer).await;
    let confirmed = first.browser_confirm(&si, "4242424242424242").await;
    assert_eq!(confirmed.json["status"], "succeeded", "{}", confirmed.json);
    let pm = confirmed.json["payment_method"]
        .as_str()
        .unwrap()
        .to_owned();
    let pi = first
        .charge_off_session(&customer, &pm, 1234)
        .await
        .unwrap();
    let events_before = first.emu.events(&sk);
    assert!(!events_before.is_empty());
    drop(first);

    let second = on(emulator_with_state(&path).await, &sk, &pk);
    let got = second.get(&sk, &format!("/v1/customers/{customer}")).await;
    assert_eq!(got.status, 200, "{}", got.json);
    assert_eq!(got.json["email"], "jenny@example.com");
    let got = second
        .get(&sk, &format!("/v1/setup_intents/{}", si.id))
        .await;
    assert_eq!(got.json["status"], "succeeded");
    assert_eq!(got.json["payment_method"], pm.as_str());
    let got = second.get(&sk, &format!("/v1/payment_methods/{pm}")).await;
    assert_parses::<stripe_shared::PaymentMethod>(&got.json);
    assert_eq!(got.json["customer"], customer.as_str());
    assert_eq!(got.json["card"]["last4"], "4242");
    let got = second
        .get(&sk, &format!("/v1/payment_intents/{}", pi.id))
        .await;
    assert_parses::<stripe_shared::PaymentIntent>(&got.json);
    assert_eq!(got.json["status"], "succeeded");
    assert_eq!(got.json["amount_received"], 1234);
    let listed = second.get(&sk, "/v1/events?limit=100").await;
    let listed_ids: Vec<_> = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["id"].clone())
        .collect();
    let before_ids: Vec<_> = events_before.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(listed_ids, before_ids, "the same events, in the same order");
    assert_eq!(second.emu.count(&sk, ObjectKind::Charge), 1);

    // The saved card still charges off-session, and new objects join the old ones.
    let again = second
        .charge_off_session(&customer, &pm, 500)
        .await
        .unwrap();
    assert_eq!(again.status, stripe_shared::PaymentIntentStatus::Succeeded);
    assert_eq!(second.emu.count(&sk, ObjectKind::PaymentIntent), 2);
}

#[tokio::test]
async fn without_a_state_file_a_new_emulator_starts_empty() {
    let first = env().await;
    first.customer().await;
    let (sk, pk) = (first.sk.clone(), first.pk.clone());
    drop(first);
    let second = on(
        Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap(),
        &sk,
        &pk,
    );
    assert_eq!(second.emu.count(&sk, ObjectKind::Customer), 0);
}

#[tokio::test]
async fn a_state_file_that_is_not_one_is_refused_rather_than_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stripe-emulator.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err = Emulator::start(
        EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()).with_state_file(&path),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
}

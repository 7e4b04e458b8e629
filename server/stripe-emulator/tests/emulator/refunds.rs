//! Refunds: full and partial, by PaymentIntent or charge; over-refunds refused;
//! `charge.refunded` emitted.

use stripe_core::refund::*;

use crate::common::*;

#[tokio::test]
async fn partial_then_full_refund() {
    let env = env().await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_visa")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    let pi = env
        .charge_off_session(&customer, pm.id.as_str(), 10_000)
        .await
        .unwrap();
    let charge = pi.latest_charge.unwrap().id().to_string();

    let partial = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .amount(2500)
        .reason(CreateRefundReason::RequestedByCustomer)
        .send(&env.client)
        .await
        .unwrap();
    assert!(partial.id.as_str().starts_with("re_"));
    assert_eq!(partial.amount, 2500);
    assert_eq!(partial.status.as_deref(), Some("succeeded"));
    assert_eq!(partial.charge.as_ref().unwrap().id().as_str(), charge);
    assert_eq!(partial.payment_intent.as_ref().unwrap().id(), &pi.id);

    let too_much = CreateRefund::new()
        .charge(charge.as_str())
        .amount(9000)
        .send(&env.client)
        .await
        .unwrap_err();
    let (e, status) = api_error(too_much);
    assert_eq!(status, 400);
    assert_eq!(e.param.as_deref(), Some("amount"));

    let rest = CreateRefund::new()
        .charge(charge.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(rest.amount, 7500, "the remainder by default");
    let again = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .send(&env.client)
        .await
        .unwrap_err();
    assert_eq!(
        api_error(again).0.code,
        Some(stripe::ApiErrorsCode::ChargeAlreadyRefunded)
    );

    let got = RetrieveRefund::new(partial.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(got.amount, 2500);
    let list = ListRefund::new()
        .payment_intent(pi.id.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(list.data.len(), 2);

    let raw = env.get(&env.sk, &format!("/v1/charges/{charge}")).await;
    assert_eq!(raw.json["amount_refunded"], 10_000);
    assert_eq!(raw.json["refunded"], true);

    let events = assert_events_parse(&env);
    let refunded: Vec<_> = events
        .iter()
        .filter(|e| e.type_.as_str() == "charge.refunded")
        .collect();
    assert_eq!(refunded.len(), 2);
    let raw_events = env.emu.events(&env.sk);
    let last = raw_events
        .iter()
        .rev()
        .find(|e| e["type"] == "charge.refunded")
        .unwrap();
    assert_eq!(last["data"]["object"]["amount_refunded"], 10_000);
    assert_eq!(last["data"]["previous_attributes"]["amount_refunded"], 2500);
}

#[tokio::test]
async fn refunding_an_unpaid_payment_intent_is_refused() {
    let env = env().await;
    let pi = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "usd")],
        )
        .await;
    let id = pi.json["id"].as_str().unwrap();
    let r = env
        .post(&env.sk, "/v1/refunds", &[("payment_intent", id)])
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.error()["message"]
            .as_str()
            .unwrap()
            .contains("does not have a successful charge")
    );
    let missing = env
        .post(&env.sk, "/v1/refunds", &[("charge", "ch_nope")])
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error()["code"], "resource_missing");
    let none = env.post(&env.sk, "/v1/refunds", &[]).await;
    assert_eq!(none.status, 400);
}

/// Stripe's "Asynchronous success" refund test card: the refund starts `pending` (already counted
/// in the charge's `amount_refunded`), reads back `pending` until it settles, then succeeds once
/// with a `refund.updated` event that names its previous status.
#[tokio::test]
async fn a_refund_of_the_pending_refund_card_stays_pending_until_it_settles() {
    let env = env().await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_pendingRefund")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    let pi = env
        .charge_off_session(&customer, pm.id.as_str(), 10_000)
        .await
        .unwrap();
    let charge = pi.latest_charge.unwrap().id().to_string();

    let refund = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .amount(4000)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(refund.status.as_deref(), Some("pending"));
    assert_eq!(
        refund.pending_reason,
        Some(stripe_shared::RefundPendingReason::Processing)
    );
    let read = RetrieveRefund::new(refund.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(read.status.as_deref(), Some("pending"));
    let raw = env.get(&env.sk, &format!("/v1/charges/{charge}")).await;
    assert_eq!(raw.json["amount_refunded"], 4000);

    let path = format!("/emulator/refunds/{}/settle", refund.id);
    let settled = env.post(&env.sk, &path, &[]).await;
    assert_eq!(settled.status, 200);
    assert_eq!(settled.json["status"], "succeeded");
    assert_eq!(settled.json["pending_reason"], serde_json::Value::Null);
    let read = RetrieveRefund::new(refund.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(read.status.as_deref(), Some("succeeded"));

    let again = env.post(&env.sk, &path, &[]).await;
    assert_eq!(again.status, 400, "a settled refund settles once");

    assert_events_parse(&env);
    let updated: Vec<_> = env
        .emu
        .events(&env.sk)
        .into_iter()
        .filter(|e| e["type"] == "refund.updated")
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["data"]["object"]["status"], "succeeded");
    assert_eq!(
        updated[0]["data"]["previous_attributes"]["status"],
        "pending"
    );
    assert_eq!(updated[0]["request"]["id"], serde_json::Value::Null);
}

#[tokio::test]
async fn refunds_of_other_cards_succeed_at_once_and_cannot_be_settled() {
    let env = env().await;
    let customer = env.customer().await;
    let pm = stripe_payment::payment_method::AttachPaymentMethod::new("pm_card_visa")
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    let pi = env
        .charge_off_session(&customer, pm.id.as_str(), 1000)
        .await
        .unwrap();
    let refund = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(refund.status.as_deref(), Some("succeeded"));
    assert_eq!(refund.pending_reason, None);
    let settle = env
        .post(
            &env.sk,
            &format!("/emulator/refunds/{}/settle", refund.id),
            &[],
        )
        .await;
    assert_eq!(settle.status, 400);
    let unknown = env
        .post(&env.sk, "/emulator/refunds/re_nope/settle", &[])
        .await;
    assert_eq!(unknown.status, 404);
}

//! PaymentIntents: off-session charges, on-session 3-D Secure, declines, cancel, update, the
//! `return_url` rule and single-use PaymentMethods.

use stripe_core::payment_intent::*;
use stripe_shared::PaymentIntentStatus;
use stripe_types::Expandable;

use crate::common::*;

async fn saved_card(env: &Env, pm: &str) -> (String, String) {
    let customer = env.customer().await;
    let attached = stripe_payment::payment_method::AttachPaymentMethod::new(pm)
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    (customer, attached.id.to_string())
}

#[tokio::test]
async fn off_session_charge_succeeds_and_expands() {
    let env = env().await;
    let (customer, pm) = saved_card(&env, "pm_card_visa").await;
    let pi = env.charge_off_session(&customer, &pm, 4200).await.unwrap();
    assert!(pi.id.as_str().starts_with("pi_"));
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    assert_eq!((pi.amount, pi.amount_received), (4200, 4200));
    assert_eq!(pi.currency, stripe_types::Currency::USD);
    assert_eq!(pi.customer.as_ref().unwrap().id().as_str(), customer);
    let charge_id = pi.latest_charge.as_ref().unwrap().id().to_string();
    assert!(charge_id.starts_with("ch_"));

    let expanded = RetrievePaymentIntent::new(pi.id.clone())
        .expand(vec![
            "latest_charge".to_string(),
            "payment_method".to_string(),
            "customer".to_string(),
        ])
        .send(&env.client)
        .await
        .unwrap();
    let Some(Expandable::Object(charge)) = expanded.latest_charge else {
        panic!("latest_charge not expanded")
    };
    assert_eq!(charge.id.as_str(), charge_id);
    assert!(charge.paid && charge.captured);
    assert_eq!(charge.status, stripe_shared::ChargeStatus::Succeeded);
    let details = charge.payment_method_details.unwrap().card.unwrap();
    assert_eq!(details.last4.as_deref(), Some("4242"));
    assert!(matches!(
        expanded.payment_method,
        Some(Expandable::Object(_))
    ));
    assert!(matches!(expanded.customer, Some(Expandable::Object(_))));

    let raw = env
        .get(
            &env.sk,
            &format!("/v1/charges/{charge_id}?expand[]=payment_intent"),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.json);
    let charge: stripe_shared::Charge = assert_parses(&raw.json);
    assert!(matches!(charge.payment_intent, Some(Expandable::Object(_))));
    let bad = env
        .get(
            &env.sk,
            &format!("/v1/payment_intents/{}?expand[]=amount", pi.id),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.error()["message"],
        "This property cannot be expanded (amount)."
    );

    let types = event_types(&env);
    for t in [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    assert_events_parse(&env);
}

#[tokio::test]
async fn off_session_confirm_with_automatic_payment_methods_needs_return_url() {
    let env = env().await;
    let (customer, pm) = saved_card(&env, "pm_card_visa").await;
    // Neither payment method types nor automatic_payment_methods: Stripe enables automatic
    // payment methods with redirects, which need a return_url to confirm.
    let err = CreatePaymentIntent::new(1000, stripe_types::Currency::USD)
        .customer(customer.as_str())
        .payment_method(pm.as_str())
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .send(&env.client)
        .await
        .unwrap_err();
    let (e, status) = api_error(err);
    assert_eq!(status, 400);
    assert_eq!(e.param.as_deref(), Some("return_url"));
    assert_eq!(
        env.emu.count(&env.sk, stripe_emulator::ObjectKind::Charge),
        0
    );
    assert_eq!(
        env.emu
            .count(&env.sk, stripe_emulator::ObjectKind::PaymentIntent),
        0,
        "nothing is created"
    );
    // With a return_url, or card-only types, it goes through.
    let with_url = CreatePaymentIntent::new(1000, stripe_types::Currency::USD)
        .customer(customer.as_str())
        .payment_method(pm.as_str())
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .return_url("https://merchant.example/done")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(with_url.status, PaymentIntentStatus::Succeeded);
    let card_only = CreatePaymentIntent::new(1000, stripe_types::Currency::USD)
        .customer(customer.as_str())
        .payment_method(pm.as_str())
        .allowed_payment_method_types(vec![
            stripe_shared::PaymentIntentAllowedPaymentMethodTypes::Card,
        ])
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(card_only.status, PaymentIntentStatus::Succeeded);
}

#[tokio::test]
async fn on_session_three_d_secure_complete_and_fail() {
    let env = env().await;
    for (outcome, expected) in [
        ("complete", "succeeded"),
        ("fail", "requires_payment_method"),
    ] {
        let pi = env
            .post(
                &env.sk,
                "/v1/payment_intents",
                &[
                    ("amount", "1500"),
                    ("currency", "eur"),
                    ("payment_method_types[]", "card"),
                ],
            )
            .await;
        assert_eq!(pi.json["status"], "requires_payment_method");
        let id = pi.json["id"].as_str().unwrap();
        let secret = pi.json["client_secret"].as_str().unwrap();
        let year = exp_year();
        let confirmed = env
            .post(
                &env.pk,
                &format!("/v1/payment_intents/{id}/confirm"),
                &[
                    ("client_secret", secret),
                    ("payment_method_data[type]", "card"),
                    ("payment_method_data[card][number]", "4000002760003184"),
                    ("payment_method_data[card][exp_month]", "1"),
                    ("payment_method_data[card][exp_year]", year.as_str()),
                    ("payment_method_data[card][cvc]", "999"),
                    ("use_stripe_sdk", "true"),
                ],
            )
            .await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.json);
        assert_eq!(confirmed.json["status"], "requires_action");
        assert_eq!(confirmed.json["next_action"]["type"], "use_stripe_sdk");
        // A publishable key gets Stripe's client-side subset (no `amount_received`, `metadata`…),
        // which async-stripe's server-side PaymentIntent type does not describe.
        assert!(
            confirmed.json.get("amount_received").is_none()
                && confirmed.json.get("metadata").is_none()
        );
        let done = env.authenticate(id, secret, outcome).await;
        assert_eq!(done.json["status"], expected, "{}", done.json);
        let pi = RetrievePaymentIntent::new(id)
            .send(&env.client)
            .await
            .unwrap();
        if outcome == "fail" {
            let last = pi.last_payment_error.unwrap();
            assert_eq!(
                last.code,
                Some(stripe::ApiErrorsCode::PaymentIntentAuthenticationFailure)
            );
            assert!(
                pi.latest_charge.is_none(),
                "no charge when authentication fails"
            );
        } else {
            assert_eq!(pi.amount_received, 1500);
        }
    }
    let types = event_types(&env);
    for t in [
        "payment_intent.requires_action",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
    ] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    assert_events_parse(&env);
}

#[tokio::test]
async fn declines_report_stripe_error_and_record_failed_charge() {
    let env = env().await;
    let (customer, pm) = saved_card(&env, "pm_card_chargeCustomerFail").await;
    let r = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("customer", customer.as_str()),
                ("payment_method", pm.as_str()),
                ("payment_method_types[0]", "card"),
                ("off_session", "true"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 402, "{}", r.json);
    let e = r.error();
    assert_eq!(e["type"], "card_error");
    assert_eq!(e["code"], "card_declined");
    assert_eq!(e["decline_code"], "generic_decline");
    assert_eq!(e["message"], "Your card was declined.");
    assert_eq!(
        e["doc_url"],
        "https://stripe.com/docs/error-codes/card-declined"
    );
    assert_eq!(e["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(
        e["payment_intent"]["last_payment_error"]["code"],
        "card_declined"
    );
    assert_eq!(e["payment_method"]["id"], pm.as_str());
    let parsed: stripe_shared::Error = assert_parses(&r.json);
    assert_eq!(
        parsed.error.decline_code.as_deref(),
        Some("generic_decline")
    );
    let charge = env
        .get(
            &env.sk,
            &format!("/v1/charges/{}", e["charge"].as_str().unwrap()),
        )
        .await;
    assert_eq!(charge.json["status"], "failed");
    assert_eq!(charge.json["failure_code"], "card_declined");
    assert_eq!(charge.json["outcome"]["type"], "issuer_declined");
    assert_parses::<stripe_shared::Charge>(&charge.json);
    let types = event_types(&env);
    assert!(
        types.contains(&"charge.failed".to_string())
            && types.contains(&"payment_intent.payment_failed".to_string())
    );
    assert_events_parse(&env);
}

#[tokio::test]
async fn cancel_update_and_state_errors() {
    let env = env().await;
    let (customer, pm) = saved_card(&env, "pm_card_visa").await;
    let open = CreatePaymentIntent::new(2000, stripe_types::Currency::USD)
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(open.status, PaymentIntentStatus::RequiresPaymentMethod);
    assert_eq!(
        open.capture_method,
        stripe_shared::PaymentIntentCaptureMethod::AutomaticAsync
    );
    let updated = UpdatePaymentIntent::new(open.id.clone())
        .amount(2500)
        .description("Booking #12")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(updated.amount, 2500);
    let canceled = CancelPaymentIntent::new(open.id.clone())
        .cancellation_reason(CancelPaymentIntentCancellationReason::RequestedByCustomer)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(canceled.status, PaymentIntentStatus::Canceled);
    assert!(canceled.canceled_at.is_some());

    let paid = env.charge_off_session(&customer, &pm, 3000).await.unwrap();
    let (e, status) = api_error(
        CancelPaymentIntent::new(paid.id.clone())
            .send(&env.client)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        e.code,
        Some(stripe::ApiErrorsCode::PaymentIntentUnexpectedState)
    );
    assert_eq!(
        e.payment_intent.unwrap().status,
        PaymentIntentStatus::Succeeded
    );
    let (e, _) = api_error(
        ConfirmPaymentIntent::new(paid.id.clone())
            .send(&env.client)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.code,
        Some(stripe::ApiErrorsCode::PaymentIntentUnexpectedState)
    );
    let (e, _) = api_error(
        UpdatePaymentIntent::new(paid.id.clone())
            .amount(1)
            .send(&env.client)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.code,
        Some(stripe::ApiErrorsCode::PaymentIntentUnexpectedState)
    );

    let small = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[("amount", "10"), ("currency", "usd")],
        )
        .await;
    assert_eq!(small.error()["code"], "amount_too_small");
    let list = ListPaymentIntent::new()
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(list.data.len(), 2);
    assert_events_parse(&env);
}

#[tokio::test]
async fn payment_method_without_customer_is_single_use() {
    let env = env().await;
    let first = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_visa"),
                ("payment_method_types[]", "card"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(first.json["status"], "succeeded", "{}", first.json);
    let pm = first.json["payment_method"].as_str().unwrap();
    let second = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "usd"),
                ("payment_method", pm),
                ("payment_method_types[]", "card"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(second.status, 400);
    assert!(
        second.error()["message"]
            .as_str()
            .unwrap()
            .contains("may not be used again")
    );
}

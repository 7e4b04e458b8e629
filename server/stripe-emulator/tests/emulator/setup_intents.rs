//! SetupIntent rules beyond the card table: client secrets and what a publishable key sees,
//! `return_url` with automatic payment methods, state errors, cancel, list.

use stripe_core::setup_intent::*;
use stripe_shared::SetupIntentStatus;

use crate::common::*;

#[tokio::test]
async fn created_setup_intent_has_stripe_shape() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    assert!(si.id.as_str().starts_with("seti_"));
    assert_eq!(si.usage, "off_session");
    assert_eq!(si.payment_method_types, ["card"]);
    assert_eq!(
        si.automatic_payment_methods.as_ref().unwrap().enabled,
        Some(true)
    );
    assert_eq!(si.customer.as_ref().unwrap().id().as_str(), customer);
    let raw = env
        .get(&env.sk, &format!("/v1/setup_intents/{}", si.id))
        .await;
    assert_parses::<stripe_shared::SetupIntent>(&raw.json);
    assert_eq!(raw.json["object"], "setup_intent");
    assert_eq!(raw.json["livemode"], false);
    assert!(raw.json["created"].as_i64().unwrap() > 1_700_000_000);

    // Explicit card-only types (async-stripe 1.0 sends `allowed_payment_method_types`; older
    // clients `payment_method_types[]`).
    let typed = CreateSetupIntent::new()
        .customer(customer.as_str())
        .allowed_payment_method_types(vec![
            stripe_shared::SetupIntentAllowedPaymentMethodTypes::Card,
        ])
        .send(&env.client)
        .await
        .unwrap();
    assert!(typed.automatic_payment_methods.is_none());
    let legacy = env
        .post(
            &env.sk,
            "/v1/setup_intents",
            &[
                ("customer", customer.as_str()),
                ("payment_method_types[]", "card"),
            ],
        )
        .await;
    assert_eq!(legacy.status, 200, "{}", legacy.json);
    assert_eq!(
        legacy.json["payment_method_types"],
        serde_json::json!(["card"])
    );
    let sepa = env
        .post(
            &env.sk,
            "/v1/setup_intents",
            &[("payment_method_types[]", "sepa_debit")],
        )
        .await;
    assert_eq!(sepa.status, 400);
}

#[tokio::test]
async fn publishable_key_needs_the_client_secret_and_sees_less() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    let secret = si.client_secret.clone().unwrap();
    let path = format!("/v1/setup_intents/{}", si.id);
    let without = env.get(&env.pk, &path).await;
    assert_eq!(without.status, 400);
    assert_eq!(without.error()["param"], "client_secret");
    let wrong = env
        .get(
            &env.pk,
            &format!("{path}?client_secret={}_secret_nope", si.id),
        )
        .await;
    assert_eq!(wrong.status, 400);
    let ok = env
        .get(&env.pk, &format!("{path}?client_secret={secret}"))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json["id"], si.id.as_str());
    assert!(ok.json.get("customer").is_none());
    assert!(ok.json.get("metadata").is_none());
    assert_parses::<stripe_shared::SetupIntent>(&ok.json);
    // Stripe.js also sends the key as a `key` parameter instead of the header.
    let by_param = env
        .send(
            env.http
                .get(env.url(&format!("{path}?client_secret={secret}&key={}", env.pk))),
        )
        .await;
    assert_eq!(by_param.status, 200, "{}", by_param.json);
    // Another account's publishable key does not find it.
    let other = env
        .get("pk_test_other", &format!("{path}?client_secret={secret}"))
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn server_confirm_with_automatic_payment_methods_needs_return_url() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    let err = ConfirmSetupIntent::new(si.id.clone())
        .payment_method("pm_card_visa")
        .send(&env.client)
        .await
        .unwrap_err();
    let (e, status) = api_error(err);
    assert_eq!(status, 400);
    assert_eq!(e.param.as_deref(), Some("return_url"));
    assert!(e.message.unwrap().contains("automatic_payment_methods"));
    // Card-only SetupIntents confirm without one.
    let card_only = CreateSetupIntent::new()
        .customer(customer.as_str())
        .allowed_payment_method_types(vec![
            stripe_shared::SetupIntentAllowedPaymentMethodTypes::Card,
        ])
        .payment_method("pm_card_visa")
        .confirm(true)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(card_only.status, SetupIntentStatus::Succeeded);
    let pm = card_only.payment_method.unwrap();
    let attached = stripe_payment::payment_method::RetrievePaymentMethod::new(pm.id().as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(attached.customer.unwrap().id().as_str(), customer);
}

#[tokio::test]
async fn state_errors_cancel_and_list() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    let r = env.browser_confirm(&si, "4242424242424242").await;
    assert_eq!(r.json["status"], "succeeded");
    let again = env.browser_confirm(&si, "4242424242424242").await;
    assert_eq!(again.status, 400);
    assert_eq!(again.error()["code"], "setup_intent_unexpected_state");
    assert_eq!(again.error()["setup_intent"]["status"], "succeeded");
    let cancel_done = CancelSetupIntent::new(si.id.clone())
        .send(&env.client)
        .await
        .unwrap_err();
    assert_eq!(
        api_error(cancel_done).0.code,
        Some(stripe::ApiErrorsCode::SetupIntentUnexpectedState)
    );

    let open = env.setup_intent(&customer).await;
    let canceled = CancelSetupIntent::new(open.id.clone())
        .cancellation_reason(stripe_shared::SetupIntentCancellationReason::Abandoned)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(canceled.status, SetupIntentStatus::Canceled);
    let confirm_canceled = env.browser_confirm(&open, "4242424242424242").await;
    assert_eq!(
        confirm_canceled.error()["code"],
        "setup_intent_unexpected_state"
    );

    let list = ListSetupIntent::new()
        .customer(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(list.data.len(), 2);
    assert_eq!(list.data[0].id, open.id, "newest first");
    let missing = RetrieveSetupIntent::new("seti_missing")
        .send(&env.client)
        .await
        .unwrap_err();
    let (e, status) = api_error(missing);
    assert_eq!((status, e.param.as_deref()), (404, Some("intent")));
    assert_events_parse(&env);
}

#[tokio::test]
async fn payment_method_reuse_rules() {
    let env = env().await;
    let alice = env.customer().await;
    let bob = env.customer().await;
    let si = env.setup_intent(&alice).await;
    assert_eq!(
        env.browser_confirm(&si, "4242424242424242").await.json["status"],
        "succeeded"
    );
    let pm = stripe_core::customer::ListPaymentMethodsCustomer::new(alice.as_str())
        .send(&env.client)
        .await
        .unwrap()
        .data[0]
        .id
        .clone();
    // Alice's card cannot be charged for Bob.
    let (e, status) = api_error(
        env.charge_off_session(&bob, pm.as_str(), 1000)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert_eq!(e.param.as_deref(), Some("payment_method"));
    // Detached, it cannot be used again at all.
    let detached = stripe_payment::payment_method::DetachPaymentMethod::new(pm.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert!(detached.customer.is_none());
    let (e, _) = api_error(
        env.charge_off_session(&alice, pm.as_str(), 1000)
            .await
            .unwrap_err(),
    );
    assert!(e.message.unwrap().contains("may not be used again"));
    let types = event_types(&env);
    assert!(types.contains(&"payment_method.detached".to_string()));
    assert_events_parse(&env);
}

#[tokio::test]
async fn browser_creates_payment_method_then_confirms_with_it() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    let year = exp_year();
    let pm = env
        .post(
            &env.pk,
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "5555555555554444"),
                ("card[exp_month]", "6"),
                ("card[exp_year]", year.as_str()),
                ("card[cvc]", "321"),
            ],
        )
        .await;
    assert_eq!(pm.status, 200, "{}", pm.json);
    let pm_id = pm.json["id"].as_str().unwrap();
    let secret = si.client_secret.clone().unwrap();
    let confirmed = env
        .post(
            &env.pk,
            &format!("/v1/setup_intents/{}/confirm", si.id),
            &[
                ("client_secret", secret.as_str()),
                ("payment_method", pm_id),
            ],
        )
        .await;
    assert_eq!(confirmed.json["status"], "succeeded", "{}", confirmed.json);
    assert_eq!(confirmed.json["payment_method"], pm_id);
    let saved = stripe_payment::payment_method::RetrievePaymentMethod::new(pm_id)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(saved.customer.unwrap().id().as_str(), customer);
    assert_eq!(
        saved.card.unwrap().checks.unwrap().cvc_check.as_deref(),
        Some("pass")
    );
    // Without the client secret, the browser cannot confirm.
    let other = env.setup_intent(&customer).await;
    let refused = env
        .post(
            &env.pk,
            &format!("/v1/setup_intents/{}/confirm", other.id),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error()["param"], "client_secret");
}

#[tokio::test]
async fn automatic_payment_methods_and_explicit_types_together_are_refused_as_stripe_does() {
    let env = env().await;
    let customer = env.customer().await;
    for path in ["/v1/setup_intents", "/v1/payment_intents"] {
        for types in ["payment_method_types[]", "allowed_payment_method_types[]"] {
            let both = env
                .post(
                    &env.sk,
                    path,
                    &[
                        ("customer", customer.as_str()),
                        ("amount", "1000"),
                        ("currency", "usd"),
                        ("automatic_payment_methods[enabled]", "true"),
                        (types, "card"),
                    ]
                    .into_iter()
                    .filter(|(k, _)| {
                        path.contains("payment_intents") || !matches!(*k, "amount" | "currency")
                    })
                    .collect::<Vec<_>>(),
                )
                .await;
            assert_eq!(both.status, 400, "{path} {types}: {}", both.json);
            let error = both.error();
            assert_eq!(error["type"], "invalid_request_error");
            assert_eq!(error["param"], "automatic_payment_methods");
            assert_eq!(
                error["message"],
                "You may only specify one of these parameters: automatic_payment_methods, payment_method_types."
            );
        }
    }
    // Nothing was made.
    let listed = env.get(&env.sk, "/v1/setup_intents").await;
    assert_eq!(listed.json["data"], serde_json::json!([]));
}

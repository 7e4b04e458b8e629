//! The whole path the product runs, once per documented test card: customer → SetupIntent →
//! browser confirm (card number, publishable key) → [3-D Secure] → card attached → off-session
//! PaymentIntent; and the same with test PaymentMethod ids confirmed server-side.

use stripe_shared::{PaymentIntentStatus, SetupIntentStatus};

use crate::common::*;

#[derive(Debug, Clone, Copy)]
enum Setup {
    Succeeds,
    NeedsAuthentication,
    Declined(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy)]
enum Charge {
    Succeeds,
    Fails(&'static str, &'static str),
}

const CASES: &[(&str, &str, Setup, Charge)] = &[
    (
        "4242424242424242",
        "pm_card_visa",
        Setup::Succeeds,
        Charge::Succeeds,
    ),
    (
        "5555555555554444",
        "pm_card_mastercard",
        Setup::Succeeds,
        Charge::Succeeds,
    ),
    (
        "4000002500003155",
        "pm_card_authenticationRequiredOnSetup",
        Setup::NeedsAuthentication,
        Charge::Succeeds,
    ),
    (
        "4000002760003184",
        "pm_card_authenticationRequired",
        Setup::NeedsAuthentication,
        Charge::Fails("authentication_required", "authentication_required"),
    ),
    (
        "4000000000000341",
        "pm_card_chargeCustomerFail",
        Setup::Succeeds,
        Charge::Fails("card_declined", "generic_decline"),
    ),
    (
        "4000000000000002",
        "pm_card_visa_chargeDeclined",
        Setup::Declined("card_declined", "generic_decline"),
        Charge::Succeeds,
    ),
    (
        "4000000000009995",
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        Setup::Declined("card_declined", "insufficient_funds"),
        Charge::Succeeds,
    ),
    (
        "4000000000000069",
        "pm_card_chargeDeclinedExpiredCard",
        Setup::Declined("expired_card", "expired_card"),
        Charge::Succeeds,
    ),
];

/// Charges the customer's saved card off-session and checks the documented result.
async fn check_charge(env: &Env, customer: &str, number: &str, expected: Charge) {
    let pms = stripe_core::customer::ListPaymentMethodsCustomer::new(customer)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(
        pms.data.len(),
        1,
        "{number}: the set-up card is attached to the customer"
    );
    let pm = &pms.data[0];
    assert_eq!(pm.card.as_ref().unwrap().last4, &number[number.len() - 4..]);
    match expected {
        Charge::Succeeds => {
            let pi = env
                .charge_off_session(customer, pm.id.as_str(), 2500)
                .await
                .unwrap_or_else(|e| panic!("{number}: {e:?}"));
            assert_eq!(pi.status, PaymentIntentStatus::Succeeded, "{number}");
            assert_eq!(pi.amount_received, 2500);
            assert!(pi.latest_charge.is_some());
        }
        Charge::Fails(code, decline) => {
            let (e, status) = api_error(
                env.charge_off_session(customer, pm.id.as_str(), 2500)
                    .await
                    .unwrap_err(),
            );
            assert_eq!(status, 402, "{number}");
            assert_eq!(e.type_, stripe::ApiErrorsType::CardError);
            assert_eq!(e.code.as_ref().map(|c| c.as_str()), Some(code), "{number}");
            assert_eq!(e.decline_code.as_deref(), Some(decline), "{number}");
            assert!(e.charge.as_deref().unwrap().starts_with("ch_"));
            let pi = e
                .payment_intent
                .expect("the PaymentIntent is embedded in the error");
            assert_eq!(
                pi.status,
                PaymentIntentStatus::RequiresPaymentMethod,
                "{number}"
            );
            let last = pi.last_payment_error.expect("last_payment_error");
            assert_eq!(last.code.as_ref().map(|c| c.as_str()), Some(code));
            assert!(pi.payment_method.is_none());
            assert_eq!(e.payment_method.unwrap().id, pm.id);
        }
    }
}

#[tokio::test]
async fn each_test_card_through_the_browser_flow() {
    for &(number, _, setup, charge) in CASES {
        let env = env().await;
        let customer = env.customer().await;
        let si = env.setup_intent(&customer).await;
        assert_eq!(si.status, SetupIntentStatus::RequiresPaymentMethod);
        assert!(
            si.client_secret
                .as_deref()
                .unwrap()
                .starts_with(&format!("{}_secret_", si.id))
        );
        let r = env.browser_confirm(&si, number).await;
        match setup {
            Setup::Succeeds => {
                assert_eq!(r.status, 200, "{number}: {}", r.json);
                assert_eq!(r.json["status"], "succeeded");
                assert!(
                    r.json.get("customer").is_none(),
                    "a publishable key does not see the customer"
                );
            }
            Setup::NeedsAuthentication => {
                assert_eq!(r.status, 200, "{number}: {}", r.json);
                assert_eq!(r.json["status"], "requires_action", "{number}");
                assert_eq!(r.json["next_action"]["type"], "use_stripe_sdk");
                let challenge = r.json["next_action"]["use_stripe_sdk"]["stripe_js"]
                    .as_str()
                    .unwrap();
                assert!(challenge.starts_with(&format!(
                    "{}emulator/3ds/{}",
                    env.emu.base_url(),
                    si.id
                )));
                // Nothing attached before authentication.
                let pms = stripe_core::customer::ListPaymentMethodsCustomer::new(customer.as_str())
                    .send(&env.client)
                    .await
                    .unwrap();
                assert!(pms.data.is_empty());
                let done = env
                    .authenticate(
                        si.id.as_str(),
                        si.client_secret.as_deref().unwrap(),
                        "complete",
                    )
                    .await;
                assert_eq!(done.status, 200, "{}", done.json);
                assert_eq!(done.json["status"], "succeeded");
            }
            Setup::Declined(code, decline) => {
                assert_eq!(r.status, 402, "{number}: {}", r.json);
                assert_eq!(r.error()["type"], "card_error");
                assert_eq!(r.error()["code"], code, "{number}");
                assert_eq!(r.error()["decline_code"], decline, "{number}");
                assert_eq!(
                    r.error()["setup_intent"]["status"],
                    "requires_payment_method"
                );
                let e: stripe_shared::Error = assert_parses(&r.json);
                assert!(e.error.setup_intent.is_some());
                let si = stripe_core::setup_intent::RetrieveSetupIntent::new(si.id.clone())
                    .send(&env.client)
                    .await
                    .unwrap();
                assert_eq!(si.status, SetupIntentStatus::RequiresPaymentMethod);
                assert_eq!(
                    si.last_setup_error.unwrap().decline_code.as_deref(),
                    Some(decline)
                );
                assert!(si.payment_method.is_none());
                let types = event_types(&env);
                assert!(
                    types.contains(&"setup_intent.setup_failed".to_string()),
                    "{types:?}"
                );
                assert_events_parse(&env);
                continue;
            }
        }
        // The server's view after the browser flow.
        let si = stripe_core::setup_intent::RetrieveSetupIntent::new(si.id.clone())
            .send(&env.client)
            .await
            .unwrap();
        assert_eq!(si.status, SetupIntentStatus::Succeeded, "{number}");
        let types = event_types(&env);
        assert!(
            types.contains(&"setup_intent.succeeded".to_string()),
            "{number}: {types:?}"
        );
        assert!(
            types.contains(&"payment_method.attached".to_string()),
            "{number}: {types:?}"
        );
        check_charge(&env, &customer, number, charge).await;
        let parsed = assert_events_parse(&env);
        assert!(!parsed.is_empty());
    }
}

#[tokio::test]
async fn each_test_payment_method_id_confirmed_server_side() {
    for &(number, pm_id, setup, charge) in CASES {
        let env = env().await;
        let customer = env.customer().await;
        let si = env.setup_intent(&customer).await;
        let result = stripe_core::setup_intent::ConfirmSetupIntent::new(si.id.clone())
            .payment_method(pm_id)
            .return_url("https://merchant.example/return")
            .send(&env.client)
            .await;
        match setup {
            Setup::Succeeds => assert_eq!(
                result.unwrap().status,
                SetupIntentStatus::Succeeded,
                "{pm_id}"
            ),
            Setup::NeedsAuthentication => {
                let si = result.unwrap();
                assert_eq!(si.status, SetupIntentStatus::RequiresAction, "{pm_id}");
                // Confirmed server-side with a return_url: a redirect, as Stripe answers.
                let action = si.next_action.unwrap();
                assert_eq!(action.type_, "redirect_to_url");
                assert_eq!(
                    action.redirect_to_url.unwrap().return_url.as_deref(),
                    Some("https://merchant.example/return")
                );
                let done = env
                    .authenticate(
                        si.id.as_str(),
                        si.client_secret.as_deref().unwrap(),
                        "complete",
                    )
                    .await;
                assert_eq!(done.json["status"], "succeeded");
            }
            Setup::Declined(code, _) => {
                let (e, status) = api_error(result.unwrap_err());
                assert_eq!(status, 402);
                assert_eq!(e.code.as_ref().map(|c| c.as_str()), Some(code), "{pm_id}");
                assert!(e.setup_intent.is_some());
                continue;
            }
        }
        check_charge(&env, &customer, number, charge).await;
        assert_events_parse(&env);
    }
}

#[tokio::test]
async fn failed_authentication_fails_the_setup() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    let r = env.browser_confirm(&si, "4000002500003155").await;
    assert_eq!(r.json["status"], "requires_action");
    let secret = si.client_secret.clone().unwrap();
    let wrong = env
        .authenticate(si.id.as_str(), "seti_x_secret_wrong", "complete")
        .await;
    assert_eq!(wrong.status, 400);
    let failed = env.authenticate(si.id.as_str(), &secret, "fail").await;
    assert_eq!(failed.status, 200);
    assert_eq!(failed.json["status"], "requires_payment_method");
    assert_eq!(
        failed.json["last_setup_error"]["code"],
        "setup_intent_authentication_failure"
    );
    let si2 = stripe_core::setup_intent::RetrieveSetupIntent::new(si.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(si2.status, SetupIntentStatus::RequiresPaymentMethod);
    assert_eq!(
        si2.last_setup_error.unwrap().code,
        Some(stripe::ApiErrorsCode::SetupIntentAuthenticationFailure)
    );
    let pms = stripe_core::customer::ListPaymentMethodsCustomer::new(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert!(
        pms.data.is_empty(),
        "nothing attached after a failed authentication"
    );
    // Authenticating again is refused: the intent no longer waits for it.
    let again = env.authenticate(si.id.as_str(), &secret, "complete").await;
    assert_eq!(again.status, 400);
    // The customer can try another card on the same SetupIntent.
    let retry = env.browser_confirm(&si, "4242424242424242").await;
    assert_eq!(retry.json["status"], "succeeded", "{}", retry.json);
    let raw = env.emu.events(&env.sk);
    let failed_event = raw
        .iter()
        .find(|e| e["type"] == "setup_intent.setup_failed")
        .unwrap();
    assert!(
        failed_event["request"]["id"].is_null(),
        "the customer's challenge is not an API request"
    );
    let types = event_types(&env);
    assert!(types.contains(&"setup_intent.requires_action".to_string()));
    assert!(types.contains(&"setup_intent.setup_failed".to_string()));
    assert!(types.contains(&"setup_intent.succeeded".to_string()));
    assert_events_parse(&env);
}

#[tokio::test]
async fn card_details_are_validated_like_stripe() {
    let env = env().await;
    let year = exp_year();
    let create = |number: &'static str, month: &'static str, y: String, cvc: &'static str| {
        let env = &env;
        async move {
            env.post(
                &env.pk,
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", number),
                    ("card[exp_month]", month),
                    ("card[exp_year]", y.as_str()),
                    ("card[cvc]", cvc),
                ],
            )
            .await
        }
    };
    let ok = create("4242424242424242", "12", year.clone(), "123").await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    let pm: stripe_shared::PaymentMethod = assert_parses(&ok.json);
    let card = pm.card.unwrap();
    assert_eq!(
        (
            card.brand.as_str(),
            card.last4.as_str(),
            card.funding.as_str()
        ),
        ("visa", "4242", "credit")
    );
    assert_eq!(card.checks.unwrap().cvc_check.as_deref(), Some("unchecked"));

    let cases = [
        (
            "4242424242424241",
            "12",
            year.clone(),
            "123",
            "incorrect_number",
            "card[number]",
        ),
        (
            "4242424242424242",
            "12",
            "2001".to_string(),
            "123",
            "invalid_expiry_year",
            "card[exp_year]",
        ),
        (
            "4242424242424242",
            "13",
            year.clone(),
            "123",
            "invalid_expiry_month",
            "card[exp_month]",
        ),
        (
            "4242424242424242",
            "12",
            year.clone(),
            "1",
            "invalid_cvc",
            "card[cvc]",
        ),
    ];
    for (number, month, y, cvc, code, param) in cases {
        let r = create(number, month, y, cvc).await;
        assert_eq!(r.status, 402, "{}", r.json);
        assert_eq!(r.error()["type"], "card_error");
        assert_eq!(r.error()["code"], code);
        assert_eq!(r.error()["param"], param);
        assert_parses::<stripe_shared::Error>(&r.json);
    }
    // A real (non-test) card number in test mode.
    let live = create("4111111111111111", "12", year.clone(), "123").await;
    assert_eq!(live.error()["decline_code"], "test_mode_live_card");

    // Raw card numbers with the secret key: refused, as for any Stripe account without raw card
    // data access. Servers use Stripe.js or test PaymentMethod ids.
    let raw = env
        .post(
            &env.sk,
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", year.as_str()),
            ],
        )
        .await;
    assert_eq!(raw.status, 402);
    assert!(
        raw.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("Sending credit card numbers directly")
    );
}

#[tokio::test]
async fn test_payment_method_ids_create_fresh_payment_methods() {
    let env = env().await;
    let a = stripe_payment::payment_method::RetrievePaymentMethod::new("pm_card_visa")
        .send(&env.client)
        .await
        .unwrap();
    let b = stripe_payment::payment_method::RetrievePaymentMethod::new("pm_card_visa")
        .send(&env.client)
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    assert!(a.id.as_str().starts_with("pm_") && a.id.as_str() != "pm_card_visa");
    assert_eq!(
        a.card.as_ref().unwrap().fingerprint,
        b.card.as_ref().unwrap().fingerprint,
        "same card, same fingerprint"
    );
    let mc = stripe_payment::payment_method::RetrievePaymentMethod::new("pm_card_mastercard")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(mc.card.unwrap().brand, "mastercard");
    let missing = stripe_payment::payment_method::RetrievePaymentMethod::new("pm_nope")
        .send(&env.client)
        .await
        .unwrap_err();
    assert_eq!(api_error(missing).1, 404);
}

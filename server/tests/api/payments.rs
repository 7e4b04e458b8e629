//! The payments module's whole path — customer → SetupIntent → card on file → off-session
//! PaymentIntent → refund — against the emulator, and (`make stripe-check`) against Stripe's own
//! test mode with the same code, which is what keeps the emulator honest.

use app::payments::operations::{ChargeOutcome, OffSessionCharge, SetupState};
use app::payments::{PaymentsError, StripeAccount, StripeEndpoint};
use secrecy::SecretString;
use stripe_emulator::{Emulator, EmulatorConfig};

async fn emulator_account() -> (Emulator, StripeAccount) {
    let emulator = Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let key = SecretString::from(format!("sk_test_{}", uuid::Uuid::new_v4().simple()));
    let endpoint = StripeEndpoint {
        api_base: Some(emulator.base_url()),
        ..StripeEndpoint::default()
    };
    let account = StripeAccount::new(&key, &endpoint).unwrap();
    (emulator, account)
}

fn key(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4())
}

/// Saves `test_payment_method` for a new customer; returns (customer, saved payment method).
async fn card_on_file(account: &StripeAccount, test_payment_method: &str) -> (String, String) {
    let customer_key = key("customer");
    let customer = account
        .create_customer(
            "Ada Lovelace",
            Some("ada@example.com"),
            "our-customer-1",
            &customer_key,
        )
        .await
        .unwrap();
    // A retried create (say, after a lost response) returns the same customer.
    let again = account
        .create_customer(
            "Ada Lovelace",
            Some("ada@example.com"),
            "our-customer-1",
            &customer_key,
        )
        .await
        .unwrap();
    assert_eq!(customer, again);
    assert!(account.customer_exists(&customer).await.unwrap());

    let intent = account
        .create_setup_intent(&customer, &key("setup"))
        .await
        .unwrap();
    assert!(intent.client_secret.starts_with(&intent.id), "{intent:?}");
    assert_eq!(intent.state, SetupState::Pending);
    let confirmed = account
        .confirm_setup_intent(&intent.id, test_payment_method)
        .await
        .unwrap();
    let SetupState::Succeeded { payment_method_id } = confirmed.state else {
        panic!("setup with {test_payment_method} did not succeed: {confirmed:?}");
    };
    let retrieved = account.retrieve_setup_intent(&intent.id).await.unwrap();
    assert_eq!(
        retrieved.state,
        SetupState::Succeeded {
            payment_method_id: payment_method_id.clone()
        }
    );
    (customer, payment_method_id)
}

async fn charge(
    account: &StripeAccount,
    customer: &str,
    payment_method: &str,
    idempotency_key: &str,
) -> ChargeOutcome {
    account
        .charge_off_session(OffSessionCharge {
            charge_id: idempotency_key,
            customer_id: customer,
            payment_method_id: payment_method,
            amount: 12_50,
            currency: "usd",
            description: "Sunset kayak tour",
            idempotency_key,
        })
        .await
        .unwrap()
}

pub async fn visa_path(account: &StripeAccount) {
    let (customer, payment_method) = card_on_file(account, "pm_card_visa").await;
    let cards = account.list_cards(&customer).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].payment_method_id, payment_method);
    assert_eq!(cards[0].brand, "visa");
    assert_eq!(cards[0].last4, "4242");
    assert!(cards[0].exp_year >= 2026);

    let charge_key = key("charge");
    let ChargeOutcome::Succeeded { payment_intent_id } =
        charge(account, &customer, &payment_method, &charge_key).await
    else {
        panic!("visa charge did not succeed");
    };
    // Retrying with the same key gets the same PaymentIntent back, not a second charge.
    assert_eq!(
        charge(account, &customer, &payment_method, &charge_key).await,
        ChargeOutcome::Succeeded {
            payment_intent_id: payment_intent_id.clone()
        }
    );
    assert_eq!(
        account.retrieve_payment(&payment_intent_id).await.unwrap(),
        ChargeOutcome::Succeeded {
            payment_intent_id: payment_intent_id.clone()
        }
    );
    let refund_key = key("refund");
    let refund = account
        .refund(&payment_intent_id, Some(500), "our-refund-1", &refund_key)
        .await
        .unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.amount, 500);
    assert_eq!(refund.our_refund_id.as_deref(), Some("our-refund-1"));
    assert_eq!(
        account
            .refund(&payment_intent_id, Some(500), "our-refund-1", &refund_key)
            .await
            .unwrap(),
        refund
    );
    assert_eq!(
        account.list_refunds(&payment_intent_id).await.unwrap(),
        vec![refund]
    );

    account.detach_card(&payment_method).await.unwrap();
    assert!(account.list_cards(&customer).await.unwrap().is_empty());
}

pub async fn declined_charge_path(account: &StripeAccount) {
    let (customer, payment_method) = card_on_file(account, "pm_card_chargeCustomerFail").await;
    match charge(account, &customer, &payment_method, &key("charge")).await {
        ChargeOutcome::Declined {
            code,
            payment_intent_id,
            ..
        } => {
            assert_eq!(code, "card_declined");
            assert!(payment_intent_id.is_some_and(|id| id.starts_with("pi_")));
        }
        other => panic!("expected a decline, got {other:?}"),
    }
}

pub async fn authentication_at_setup(account: &StripeAccount) {
    let customer = account
        .create_customer("Grace Hopper", None, "our-customer-2", &key("customer"))
        .await
        .unwrap();
    let intent = account
        .create_setup_intent(&customer, &key("setup"))
        .await
        .unwrap();
    let confirmed = account
        .confirm_setup_intent(&intent.id, "pm_card_authenticationRequired")
        .await
        .unwrap();
    assert_eq!(confirmed.state, SetupState::RequiresAction);
}

#[tokio::test]
async fn visa_is_saved_charged_once_per_key_refunded_and_detached() {
    let (_emulator, account) = emulator_account().await;
    visa_path(&account).await;
}

#[tokio::test]
async fn a_card_that_attaches_but_fails_charges_is_declined_with_its_code() {
    let (_emulator, account) = emulator_account().await;
    declined_charge_path(&account).await;
}

#[tokio::test]
async fn a_card_needing_authentication_waits_for_the_customer_at_setup() {
    let (_emulator, account) = emulator_account().await;
    authentication_at_setup(&account).await;
}

#[tokio::test]
async fn a_revoked_key_is_reported_as_such() {
    let (emulator, _) = emulator_account().await;
    let endpoint = StripeEndpoint {
        api_base: Some(emulator.base_url()),
        ..StripeEndpoint::default()
    };
    let live =
        StripeAccount::new(&SecretString::from("sk_live_0123456789abcdef"), &endpoint).unwrap();
    assert!(matches!(
        live.account().await,
        Err(PaymentsError::InvalidKey)
    ));
}

#[tokio::test]
#[ignore = "needs STRIPE_TEST_SECRET_KEY and the network: run by `make stripe-check`"]
async fn against_real_stripe() {
    let key = std::env::var("STRIPE_TEST_SECRET_KEY").expect("STRIPE_TEST_SECRET_KEY");
    assert!(key.starts_with("sk_test_"), "test-mode keys only");
    let account = StripeAccount::new(&SecretString::from(key), &StripeEndpoint::default()).unwrap();
    account.account().await.unwrap();
    visa_path(&account).await;
    declined_charge_path(&account).await;
    authentication_at_setup(&account).await;
}

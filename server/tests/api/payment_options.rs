//! Payment Options through the server functions and the Stripe emulator: Create Payment Option
//! (start → confirm at "Stripe" with the publishable key, as Stripe.js does → save), Make default,
//! Remove (detached at Stripe, kept with its reason), and another merchant's ids refused (R10).

use reqwest::StatusCode;
use serde_json::Value;

use crate::world::{
    Amounts, CardSource, CustomerPayments, ExpiryState, SavePaymentOption, StartPaymentOption,
    Stripe, spawn_app,
};

/// The customer's cards as listed (newest first): id and whether it is the default.
fn ids(payments: &CustomerPayments) -> Vec<(String, bool)> {
    payments
        .cards
        .payment_options
        .iter()
        .map(|o| (o.id.clone(), o.is_default))
        .collect()
}

#[tokio::test]
async fn staff_enter_a_card_that_is_listed_as_added_by_them_and_saved_once() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Harbour Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let setup = shop.start_payment_option().await;
    assert_eq!(setup.business_name, "Harbour Tours");
    assert!(setup.publishable_key.starts_with("pk_test_"));

    // Not confirmed yet: nothing to record.
    let early = shop
        .save_payment_option(&setup.setup_intent_id)
        .await
        .unwrap_err();
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.code(), "SETUP_INCOMPLETE");
    assert_eq!(app.count("payment_options").await, 0);

    shop.confirm_at_stripe(&setup, "pm_card_mastercard").await;
    let saved = shop
        .save_payment_option(&setup.setup_intent_id)
        .await
        .unwrap();
    assert_eq!(saved.card.brand, "Mastercard");
    assert_eq!(saved.card.last4, "4444");
    assert!(saved.is_default);
    assert_eq!(saved.added_by, "Added by Owner Name");
    assert_eq!(saved.expiry, ExpiryState::Valid);

    // A retry (double click, lost answer) finds the same card.
    let again = shop
        .save_payment_option(&setup.setup_intent_id)
        .await
        .unwrap();
    assert_eq!(again.id, saved.id);
    assert_eq!(app.count("payment_options").await, 1);

    let row = app.payment_option(&saved.id).await;
    assert_eq!(row.source, CardSource::Staff);
    assert!(row.added_by_staff_id.is_some());
    assert!(row.card_request_id.is_none());
    let at_stripe = shop
        .payment_method_at_stripe(&row.stripe_payment_method_id)
        .await;
    assert!(at_stripe["customer"].as_str().unwrap().starts_with("cus_"));

    let payments = shop.profile().await;
    let listed = &payments.cards.payment_options;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].card.last4, "4444");
    assert_eq!(listed[0].added_by, "Added by Owner Name");
    assert!(listed[0].is_default);
    assert_eq!(payments.activity[0].summary, "Added Mastercard •••• 4444");
    assert_eq!(payments.activity[0].who, "Owner Name");
    assert_eq!(shop.activity().await.len(), 1);
}

#[tokio::test]
async fn a_setup_intent_that_is_not_this_customers_is_not_found() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Cove Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let setup = shop.start_payment_option().await;
    shop.confirm_at_stripe(&setup, "pm_card_visa").await;
    let other = shop
        .create_customer("John", "Roe", "john@example.com", "")
        .await;
    // The other customer has no Stripe customer yet, then one that is not the SetupIntent's.
    for _ in 0..2 {
        let refused = shop
            .call(&SavePaymentOption {
                customer_id: other.id.clone(),
                setup_intent_id: setup.setup_intent_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        shop.call(&StartPaymentOption {
            customer_id: other.id.clone(),
        })
        .await
        .unwrap();
    }
    for bogus in ["seti_doesnotexist", "../customers", "pi_123"] {
        let refused = shop.save_payment_option(bogus).await.unwrap_err();
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("payment_options").await, 0);
}

#[tokio::test]
async fn make_default_moves_the_default_to_one_card() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Bay Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let visa = shop.add_card("pm_card_visa").await.id;
    let mastercard = shop.add_card("pm_card_mastercard").await.id;
    // Newest first; the first card stayed the default.
    assert_eq!(
        ids(&shop.profile().await),
        [(mastercard.clone(), false), (visa.clone(), true)]
    );

    shop.make_default(&mastercard).await.unwrap();
    assert_eq!(
        ids(&shop.profile().await),
        [(mastercard.clone(), true), (visa.clone(), false)]
    );
    // Already the default: nothing to do, nothing logged.
    shop.make_default(&mastercard).await.unwrap();
    let activity = shop.activity().await;
    assert_eq!(
        activity
            .iter()
            .filter(|s| *s == "Made Mastercard •••• 4444 the default card")
            .count(),
        1,
        "{activity:?}"
    );

    shop.make_default(&visa).await.unwrap();
    assert_eq!(
        ids(&shop.profile().await),
        [(mastercard, false), (visa, true)]
    );
}

#[tokio::test]
async fn remove_detaches_at_stripe_keeps_the_row_and_promotes_the_newest_card() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Reef Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let visa = shop.add_card("pm_card_visa").await.id;
    let amex = shop.add_card("pm_card_amex").await.id;
    let mastercard = shop.add_card("pm_card_mastercard").await.id;
    let pm = app.payment_option(&visa).await.stripe_payment_method_id;

    shop.remove_card(&visa, "  Customer asked us to  ")
        .await
        .unwrap();
    let row = app.payment_option(&visa).await;
    assert!(row.removed_at.is_some());
    assert!(!row.is_default);
    assert_eq!(row.removed_by_staff_id, row.added_by_staff_id);
    assert_eq!(row.removal_reason.as_deref(), Some("Customer asked us to"));
    assert_eq!(
        shop.payment_method_at_stripe(&pm).await["customer"],
        Value::Null
    );
    // The default goes to the newest card left.
    assert_eq!(
        ids(&shop.profile().await),
        [(mastercard.clone(), true), (amex.clone(), false)]
    );
    assert!(
        shop.activity()
            .await
            .contains(&"Removed Visa •••• 4242 — reason: Customer asked us to".to_owned())
    );
    // A second Remove (another tab) finds it gone: done, nothing more.
    shop.remove_card(&visa, "").await.unwrap();
    assert_eq!(shop.activity().await.len(), 4);

    // Removed in Stripe's dashboard already: removed here too, without a reason.
    let amex_pm = app.payment_option(&amex).await.stripe_payment_method_id;
    shop.stripe_account().detach_card(&amex_pm).await.unwrap();
    shop.remove_card(&amex, "").await.unwrap();
    let row = app.payment_option(&amex).await;
    assert!(row.removed_at.is_some());
    assert_eq!(row.removal_reason, None);
    assert_eq!(ids(&shop.profile().await), [(mastercard, true)]);
    assert!(
        shop.activity()
            .await
            .contains(&"Removed American Express •••• 0005".to_owned())
    );
}

#[tokio::test]
async fn a_card_paying_a_booking_with_a_balance_due_is_removed_only_with_a_reason() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Lagoon Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.add_card("pm_card_visa").await.id;
    // A booking meant to be paid by the card, with 120.00 of 150.00 still due.
    let amounts = Amounts {
        total: 15_000,
        paid: 5_000,
        refunded: 2_000,
    };
    shop.booking("Sunset kayak tour", amounts, Some(&card))
        .await;
    let listed = shop.profile().await;
    let backs = &listed.cards.payment_options[0].backs_bookings_due;
    assert_eq!(backs.len(), 1);
    assert!(backs[0].starts_with("Sunset kayak tour on "), "{backs:?}");

    let refused = shop.remove_card(&card, "   ").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "VALIDATION");
    assert_eq!(refused.errors()[0].field, "reason");
    assert_eq!(
        refused.errors()[0].message,
        "This card pays for a booking with a balance due: give a reason for removing it."
    );
    // Nothing changed, here or at Stripe.
    let row = app.payment_option(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(
        shop.payment_method_at_stripe(&row.stripe_payment_method_id)
            .await["customer"]
            .as_str()
            .is_some()
    );
    assert_eq!(shop.activity().await.len(), 1);

    shop.remove_card(&card, "Card reported stolen")
        .await
        .unwrap();
    let row = app.payment_option(&card).await;
    assert_eq!(row.removal_reason.as_deref(), Some("Card reported stolen"));
    assert!(shop.profile().await.cards.payment_options.is_empty());
}

#[tokio::test]
async fn another_merchants_customer_and_cards_are_not_found_and_untouched() {
    let app = spawn_app().await;
    let owner = app
        .merchant_with_customer("Owner Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = owner.add_card("pm_card_visa").await.id;
    let setup = owner.start_payment_option().await;
    owner.confirm_at_stripe(&setup, "pm_card_mastercard").await;

    let intruder = app
        .merchant("Intruder Tours")
        .connected(Stripe::PastedKeys)
        .with_customer("Ivy", "Intruder", "ivy@example.com", "")
        .await;
    let save_for = |customer_id: &str| SavePaymentOption {
        customer_id: customer_id.to_owned(),
        setup_intent_id: setup.setup_intent_id.clone(),
    };
    let attempts = [
        (
            "start a card for their customer",
            intruder
                .call(&StartPaymentOption {
                    customer_id: owner.customer_id().to_owned(),
                })
                .await
                .err(),
        ),
        (
            "save their SetupIntent for their customer",
            intruder.call(&save_for(owner.customer_id())).await.err(),
        ),
        (
            "save their SetupIntent for my customer",
            intruder.call(&save_for(intruder.customer_id())).await.err(),
        ),
        (
            "make their card the default",
            intruder.make_default(&card).await.err(),
        ),
        (
            "remove their card",
            intruder.remove_card(&card, "mine now").await.err(),
        ),
    ];
    for (attempt, refused) in attempts {
        let refused = refused.unwrap_or_else(|| panic!("{attempt}: allowed"));
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{attempt}");
        assert_eq!(refused.code(), "NOT_FOUND", "{attempt}");
    }
    let row = app.payment_option(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(
        owner
            .payment_method_at_stripe(&row.stripe_payment_method_id)
            .await["customer"]
            .as_str()
            .is_some()
    );
    assert_eq!(app.count("payment_options").await, 1);
    assert_eq!(owner.activity().await.len(), 1);
}

#[tokio::test]
async fn a_failed_detach_leaves_the_card_on_file_and_remove_can_be_retried() {
    use stripe_emulator::{Fault, FaultKind, Method};

    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Storm Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.add_card("pm_card_visa").await.id;
    let pm = app.payment_option(&card).await.stripe_payment_method_id;

    // Down for longer than the call's retries.
    app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_methods/*/detach",
            FaultKind::Status(500),
        )
        .times(3),
    );
    let failed = shop.remove_card(&card, "").await.unwrap_err();
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    assert_eq!(failed.code(), "STRIPE_UNAVAILABLE");
    let row = app.payment_option(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(
        shop.payment_method_at_stripe(&pm).await["customer"]
            .as_str()
            .is_some()
    );
    assert_eq!(shop.activity().await.len(), 1);

    shop.remove_card(&card, "").await.unwrap();
    assert!(app.payment_option(&card).await.removed_at.is_some());
    assert_eq!(
        shop.payment_method_at_stripe(&pm).await["customer"],
        Value::Null
    );
}

#[tokio::test]
async fn concurrent_saves_and_switches_leave_one_card_and_one_default() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Tide Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let setup = shop.start_payment_option().await;
    shop.confirm_at_stripe(&setup, "pm_card_visa").await;
    let (a, b) = tokio::join!(
        shop.save_payment_option(&setup.setup_intent_id),
        shop.save_payment_option(&setup.setup_intent_id)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id, b.id);
    assert_eq!(app.count("payment_options").await, 1);

    let second = shop.add_card("pm_card_mastercard").await.id;
    let third = shop.add_card("pm_card_amex").await.id;
    for _ in 0..3 {
        let (x, y) = tokio::join!(shop.make_default(&second), shop.make_default(&third));
        x.unwrap();
        y.unwrap();
        let defaults = ids(&shop.profile().await)
            .into_iter()
            .filter(|(_, is_default)| *is_default)
            .count();
        assert_eq!(defaults, 1);
    }
}

#[tokio::test]
async fn a_staff_card_whose_browser_closed_before_saving_is_recorded_from_the_webhook_once() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Closed Tab Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let setup = shop.start_payment_option().await;
    // Stripe.js confirmed the card, then the tab closed: no save_payment_option call.
    let confirmed = shop.confirm_at_stripe(&setup, "pm_card_visa").await;
    assert_eq!(confirmed["status"], "succeeded");
    assert!(
        app.emulator
            .wait_for_webhooks(std::time::Duration::from_secs(10))
            .await
    );

    let profile = shop.profile().await;
    let [card] = profile.cards.payment_options.as_slice() else {
        panic!("one card on file: {:?}", profile.cards.payment_options);
    };
    assert_eq!(card.card.last4, "4242");
    assert!(card.is_default);
    assert_eq!(card.added_by, "Added by Owner Name");
    let row = app.payment_option(&card.id).await;
    assert_eq!(row.source, CardSource::Staff);
    assert_eq!(row.stripe_payment_method_id, confirmed["payment_method"]);
    assert_eq!(shop.activity().await, ["Added Visa •••• 4242"]);

    // The browser's save arrives late (a retry, a slow network): the same card, nothing new.
    let saved = shop
        .save_payment_option(&setup.setup_intent_id)
        .await
        .unwrap();
    assert_eq!(saved.id, card.id);
    assert_eq!(app.count("payment_options").await, 1);
    assert_eq!(shop.activity().await.len(), 1);
}

/// An object as "Stripe" holds it, read with the merchant's secret key.
async fn at_stripe(app: &crate::world::TestApp, secret_key: &str, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.emulator_base))
        .basic_auth(secret_key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// On real Stripe, automatic payment methods let the Payment Element offer Link or a bank
/// account, whose saved method is no card: every intent we make allows cards only.
#[tokio::test]
async fn every_intent_we_create_takes_cards_only() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Card Only Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card_only = |intent: &Value| {
        assert_eq!(intent["payment_method_types"], serde_json::json!(["card"]));
        assert_eq!(intent["automatic_payment_methods"], Value::Null, "{intent}");
    };
    let sk = shop.secret_key();

    let staff_setup = shop.start_payment_option().await;
    let path = format!("/v1/setup_intents/{}", staff_setup.setup_intent_id);
    card_only(&at_stripe(&app, sk, &path).await);

    let token = shop.send_and_read_link().await;
    let page = app.open_link(&token).await.card_page().await.unwrap();
    let link_setup = page.setup.client_secret.split("_secret_").next().unwrap();
    card_only(&at_stripe(&app, sk, &format!("/v1/setup_intents/{link_setup}")).await);

    shop.confirm_at_stripe(&staff_setup, "pm_card_visa").await;
    let card = shop
        .save_payment_option(&staff_setup.setup_intent_id)
        .await
        .unwrap();
    shop.charge(&card.id, "12", None).await.unwrap();
    let charge = app.charges().await.remove(0);
    let payment_intent = charge.stripe_payment_intent_id.unwrap();
    card_only(&at_stripe(&app, sk, &format!("/v1/payment_intents/{payment_intent}")).await);
}

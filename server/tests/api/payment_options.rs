//! Payment Options through the server functions and the Stripe emulator: Create Payment Option
//! (start → confirm at "Stripe" with the publishable key, as Stripe.js does → save), Make default,
//! Remove (detached at Stripe, kept with its reason), and another merchant's ids refused (R10).

use app::entities::{activity, payment_option};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::fixtures::{Amounts, insert_booking};
use crate::helpers::{Browser, TestApp, error_code, spawn_app};
use crate::stripe_connection::{WEBHOOK_SECRET, connect_with_keys, test_keys};

struct Shop {
    app: TestApp,
    merchant: Browser,
    customer_id: String,
    secret_key: String,
}

/// A merchant connected to a fresh emulator account of its own (its secret key kept, to look at
/// "Stripe" directly), with one customer.
async fn shop(app: TestApp, business: &str) -> Shop {
    let merchant = app.merchant(business).await;
    let (pk, sk) = test_keys();
    let connected = connect_with_keys(&merchant, &pk, &sk, WEBHOOK_SECRET).await;
    assert_eq!(connected.status(), StatusCode::OK);
    let customer = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    Shop {
        customer_id: customer["id"].as_str().unwrap().to_owned(),
        app,
        merchant,
        secret_key: sk,
    }
}

impl Shop {
    async fn start(&self) -> Value {
        let response = self
            .merchant
            .call(
                "start_payment_option",
                &[("customer_id", &self.customer_id)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn save(&self, setup_intent_id: &str) -> reqwest::Response {
        self.merchant
            .call(
                "save_payment_option",
                &[
                    ("customer_id", self.customer_id.as_str()),
                    ("setup_intent_id", setup_intent_id),
                ],
            )
            .await
    }

    /// Create Payment Option end to end with a test card; returns the saved card's view.
    async fn add_card(&self, test_card: &str) -> Value {
        let setup = self.start().await;
        let intent = confirm_at_stripe(&self.app, &setup, test_card).await;
        assert_eq!(intent["status"], "succeeded");
        let saved = self.save(setup["setup_intent_id"].as_str().unwrap()).await;
        assert_eq!(saved.status(), StatusCode::OK);
        saved.json().await.unwrap()
    }

    async fn payments(&self) -> Value {
        let response = self
            .merchant
            .call(
                "get_customer_payments",
                &[("customer_id", &self.customer_id)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn make_default(&self, id: &str) -> reqwest::Response {
        self.merchant
            .call("make_default_payment_option", &[("payment_option_id", id)])
            .await
    }

    async fn remove(&self, id: &str, reason: &str) -> reqwest::Response {
        self.merchant
            .call(
                "remove_payment_option",
                &[("payment_option_id", id), ("reason", reason)],
            )
            .await
    }

    async fn row(&self, id: &str) -> payment_option::Model {
        payment_option::Entity::find_by_id(id.to_owned())
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// The payment method as "Stripe" has it now.
    async fn at_stripe(&self, payment_method_id: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/v1/payment_methods/{payment_method_id}",
                self.app.emulator_base
            ))
            .basic_auth(&self.secret_key, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn activity(&self) -> Vec<String> {
        activity::Entity::find()
            .filter(activity::Column::CustomerId.eq(self.customer_id.as_str()))
            .all(&self.app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.summary)
            .collect()
    }

    /// A booking of this customer meant to be paid by `card`, with 120.00 of 150.00 still due.
    async fn booking_due(&self, card: &str) {
        let amounts = Amounts {
            total: 15_000,
            paid: 5_000,
            refunded: 2_000,
        };
        insert_booking(
            &self.app.db,
            &self.customer_id,
            "Sunset kayak tour",
            amounts,
            Some(card),
        )
        .await;
    }
}

/// What Stripe.js does in the merchant's browser: confirm the SetupIntent with the publishable
/// key, its client secret and a card.
async fn confirm_at_stripe(app: &TestApp, setup: &Value, payment_method: &str) -> Value {
    let secret = setup["client_secret"].as_str().unwrap();
    let key = setup["publishable_key"].as_str().unwrap();
    let id = setup["setup_intent_id"].as_str().unwrap();
    assert!(secret.starts_with(&format!("{id}_secret_")));
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/setup_intents/{id}/confirm",
            app.emulator_base
        ))
        .basic_auth(key, Some(""))
        .form(&[
            ("client_secret", secret),
            ("payment_method", payment_method),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids(payments: &Value) -> Vec<(String, bool)> {
    payments["payment_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                o["is_default"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn staff_enter_a_card_that_is_listed_as_added_by_them_and_saved_once() {
    let shop = shop(spawn_app().await, "Harbour Tours").await;
    let setup = shop.start().await;
    assert_eq!(setup["business_name"], "Harbour Tours");
    assert!(
        setup["publishable_key"]
            .as_str()
            .unwrap()
            .starts_with("pk_test_")
    );
    let setup_intent_id = setup["setup_intent_id"].as_str().unwrap().to_owned();

    // Not confirmed yet: nothing to record.
    let early = shop.save(&setup_intent_id).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(early).await, "SETUP_INCOMPLETE");
    assert_eq!(shop.app.count("payment_options").await, 0);

    confirm_at_stripe(&shop.app, &setup, "pm_card_mastercard").await;
    let saved = shop.save(&setup_intent_id).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["card"]["brand"], "Mastercard");
    assert_eq!(saved["card"]["last4"], "4444");
    assert_eq!(saved["is_default"], true);
    assert_eq!(saved["added_by"], "Added by Owner Name");
    assert_eq!(saved["expiry"], "Valid");

    // A retry (double click, lost answer) finds the same card.
    let again = shop.save(&setup_intent_id).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], saved["id"]);
    assert_eq!(shop.app.count("payment_options").await, 1);

    let row = shop.row(saved["id"].as_str().unwrap()).await;
    assert_eq!(row.source, "staff");
    assert!(row.added_by_staff_id.is_some());
    assert!(row.card_request_id.is_none());
    let at_stripe = shop.at_stripe(&row.stripe_payment_method_id).await;
    assert!(at_stripe["customer"].as_str().unwrap().starts_with("cus_"));

    let payments = shop.payments().await;
    let listed = &payments["payment_options"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["card"]["last4"], "4444");
    assert_eq!(listed[0]["added_by"], "Added by Owner Name");
    assert_eq!(listed[0]["is_default"], true);
    assert_eq!(
        payments["activity"][0]["summary"],
        "Added Mastercard •••• 4444"
    );
    assert_eq!(payments["activity"][0]["who"], "Owner Name");
    assert_eq!(shop.activity().await.len(), 1);
}

#[tokio::test]
async fn a_setup_intent_that_is_not_this_customers_is_not_found() {
    let shop = shop(spawn_app().await, "Cove Tours").await;
    let setup = shop.start().await;
    confirm_at_stripe(&shop.app, &setup, "pm_card_visa").await;
    let other = shop
        .merchant
        .create_customer("John", "Roe", "john@example.com", "")
        .await;
    let other_id = other["id"].as_str().unwrap();
    let setup_intent_id = setup["setup_intent_id"].as_str().unwrap();
    // The other customer has no Stripe customer yet, then one that is not the SetupIntent's.
    for _ in 0..2 {
        let response = shop
            .merchant
            .call(
                "save_payment_option",
                &[
                    ("customer_id", other_id),
                    ("setup_intent_id", setup_intent_id),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let started = shop
            .merchant
            .call("start_payment_option", &[("customer_id", other_id)])
            .await;
        assert_eq!(started.status(), StatusCode::OK);
    }
    for bogus in ["seti_doesnotexist", "../customers", "pi_123"] {
        assert_eq!(shop.save(bogus).await.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(shop.app.count("payment_options").await, 0);
}

#[tokio::test]
async fn make_default_moves_the_default_to_one_card() {
    let shop = shop(spawn_app().await, "Bay Tours").await;
    let visa = shop.add_card("pm_card_visa").await;
    let mastercard = shop.add_card("pm_card_mastercard").await;
    let (visa, mastercard) = (
        visa["id"].as_str().unwrap().to_owned(),
        mastercard["id"].as_str().unwrap().to_owned(),
    );
    // Newest first; the first card stayed the default.
    assert_eq!(
        ids(&shop.payments().await),
        [(mastercard.clone(), false), (visa.clone(), true)]
    );

    assert_eq!(
        shop.make_default(&mastercard).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ids(&shop.payments().await),
        [(mastercard.clone(), true), (visa.clone(), false)]
    );
    // Already the default: nothing to do, nothing logged.
    assert_eq!(
        shop.make_default(&mastercard).await.status(),
        StatusCode::OK
    );
    let activity = shop.activity().await;
    assert_eq!(
        activity
            .iter()
            .filter(|s| *s == "Made Mastercard •••• 4444 the default card")
            .count(),
        1,
        "{activity:?}"
    );

    assert_eq!(shop.make_default(&visa).await.status(), StatusCode::OK);
    assert_eq!(
        ids(&shop.payments().await),
        [(mastercard, false), (visa, true)]
    );
}

#[tokio::test]
async fn remove_detaches_at_stripe_keeps_the_row_and_promotes_the_newest_card() {
    let shop = shop(spawn_app().await, "Reef Tours").await;
    let visa = shop.add_card("pm_card_visa").await;
    let amex = shop.add_card("pm_card_amex").await;
    let mastercard = shop.add_card("pm_card_mastercard").await;
    let visa = visa["id"].as_str().unwrap().to_owned();
    let amex = amex["id"].as_str().unwrap().to_owned();
    let mastercard = mastercard["id"].as_str().unwrap().to_owned();
    let pm = shop.row(&visa).await.stripe_payment_method_id;

    let removed = shop.remove(&visa, "  Customer asked us to  ").await;
    assert_eq!(removed.status(), StatusCode::OK);
    let row = shop.row(&visa).await;
    assert!(row.removed_at.is_some());
    assert!(!row.is_default);
    assert_eq!(row.removed_by_staff_id, row.added_by_staff_id);
    assert_eq!(row.removal_reason.as_deref(), Some("Customer asked us to"));
    assert_eq!(shop.at_stripe(&pm).await["customer"], Value::Null);
    // The default goes to the newest card left.
    assert_eq!(
        ids(&shop.payments().await),
        [(mastercard.clone(), true), (amex.clone(), false)]
    );
    assert!(
        shop.activity()
            .await
            .contains(&"Removed Visa •••• 4242 — reason: Customer asked us to".to_owned())
    );
    // A second Remove (another tab) finds it gone: done, nothing more.
    assert_eq!(shop.remove(&visa, "").await.status(), StatusCode::OK);
    assert_eq!(shop.activity().await.len(), 4);

    // Removed in Stripe's dashboard already: removed here too, without a reason.
    let amex_pm = shop.row(&amex).await.stripe_payment_method_id;
    let detached = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_methods/{amex_pm}/detach",
            shop.app.emulator_base
        ))
        .basic_auth(&shop.secret_key, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(detached.status(), StatusCode::OK);
    assert_eq!(shop.remove(&amex, "").await.status(), StatusCode::OK);
    let row = shop.row(&amex).await;
    assert!(row.removed_at.is_some());
    assert_eq!(row.removal_reason, None);
    assert_eq!(ids(&shop.payments().await), [(mastercard, true)]);
    assert!(
        shop.activity()
            .await
            .contains(&"Removed American Express •••• 0005".to_owned())
    );
}

#[tokio::test]
async fn a_card_paying_a_booking_with_a_balance_due_is_removed_only_with_a_reason() {
    let shop = shop(spawn_app().await, "Lagoon Tours").await;
    let card = shop.add_card("pm_card_visa").await;
    let card = card["id"].as_str().unwrap().to_owned();
    shop.booking_due(&card).await;
    let listed = shop.payments().await;
    let backs = listed["payment_options"][0]["backs_bookings_due"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(backs.len(), 1);
    assert!(
        backs[0]
            .as_str()
            .unwrap()
            .starts_with("Sunset kayak tour on "),
        "{backs:?}"
    );

    let refused = shop.remove(&card, "   ").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "VALIDATION");
    assert_eq!(body["errors"][0]["field"], "reason");
    assert_eq!(
        body["errors"][0]["message"],
        "This card pays for a booking with a balance due: give a reason for removing it."
    );
    // Nothing changed, here or at Stripe.
    let row = shop.row(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(
        shop.at_stripe(&row.stripe_payment_method_id).await["customer"]
            .as_str()
            .is_some()
    );
    assert_eq!(shop.activity().await.len(), 1);

    let removed = shop.remove(&card, "Card reported stolen").await;
    assert_eq!(removed.status(), StatusCode::OK);
    let row = shop.row(&card).await;
    assert_eq!(row.removal_reason.as_deref(), Some("Card reported stolen"));
    assert_eq!(
        shop.payments().await["payment_options"],
        Value::Array(vec![])
    );
}

#[tokio::test]
async fn another_merchants_customer_and_cards_are_not_found_and_untouched() {
    let app = spawn_app().await;
    let owner = shop(app, "Owner Tours").await;
    let card = owner.add_card("pm_card_visa").await;
    let card = card["id"].as_str().unwrap().to_owned();
    let setup = owner.start().await;
    confirm_at_stripe(&owner.app, &setup, "pm_card_mastercard").await;
    let setup_intent_id = setup["setup_intent_id"].as_str().unwrap();

    let intruder = owner.app.merchant("Intruder Tours").await;
    let (pk, sk) = test_keys();
    connect_with_keys(&intruder, &pk, &sk, WEBHOOK_SECRET).await;
    let own_customer = intruder
        .create_customer("Ivy", "Intruder", "ivy@example.com", "")
        .await;
    let own_customer = own_customer["id"].as_str().unwrap();

    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "start_payment_option",
            vec![("customer_id", owner.customer_id.as_str())],
        ),
        (
            "save_payment_option",
            vec![
                ("customer_id", owner.customer_id.as_str()),
                ("setup_intent_id", setup_intent_id),
            ],
        ),
        (
            "save_payment_option",
            vec![
                ("customer_id", own_customer),
                ("setup_intent_id", setup_intent_id),
            ],
        ),
        (
            "make_default_payment_option",
            vec![("payment_option_id", card.as_str())],
        ),
        (
            "remove_payment_option",
            vec![("payment_option_id", card.as_str()), ("reason", "mine now")],
        ),
    ];
    for (endpoint, form) in calls {
        let response = intruder.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{endpoint}");
        assert_eq!(error_code(response).await, "NOT_FOUND", "{endpoint}");
    }
    let row = owner.row(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(
        owner.at_stripe(&row.stripe_payment_method_id).await["customer"]
            .as_str()
            .is_some()
    );
    assert_eq!(owner.app.count("payment_options").await, 1);
    assert_eq!(owner.activity().await.len(), 1);
}

#[tokio::test]
async fn a_failed_detach_leaves_the_card_on_file_and_remove_can_be_retried() {
    use stripe_emulator::{Fault, FaultKind, Method};

    let shop = shop(spawn_app().await, "Storm Tours").await;
    let card = shop.add_card("pm_card_visa").await;
    let card = card["id"].as_str().unwrap().to_owned();
    let pm = shop.row(&card).await.stripe_payment_method_id;

    shop.app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_methods/*/detach",
        FaultKind::Status(500),
    ));
    let failed = shop.remove(&card, "").await;
    assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(error_code(failed).await, "STRIPE_UNAVAILABLE");
    let row = shop.row(&card).await;
    assert!(row.removed_at.is_none() && row.is_default);
    assert!(shop.at_stripe(&pm).await["customer"].as_str().is_some());
    assert_eq!(shop.activity().await.len(), 1);

    assert_eq!(shop.remove(&card, "").await.status(), StatusCode::OK);
    assert!(shop.row(&card).await.removed_at.is_some());
    assert_eq!(shop.at_stripe(&pm).await["customer"], Value::Null);
}

#[tokio::test]
async fn concurrent_saves_and_switches_leave_one_card_and_one_default() {
    let shop = shop(spawn_app().await, "Tide Tours").await;
    let setup = shop.start().await;
    confirm_at_stripe(&shop.app, &setup, "pm_card_visa").await;
    let setup_intent_id = setup["setup_intent_id"].as_str().unwrap();
    let (a, b) = tokio::join!(shop.save(setup_intent_id), shop.save(setup_intent_id));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["id"], b["id"]);
    assert_eq!(shop.app.count("payment_options").await, 1);

    let second = shop.add_card("pm_card_mastercard").await;
    let third = shop.add_card("pm_card_amex").await;
    let (second, third) = (
        second["id"].as_str().unwrap(),
        third["id"].as_str().unwrap(),
    );
    for _ in 0..3 {
        let (x, y) = tokio::join!(shop.make_default(second), shop.make_default(third));
        assert_eq!((x.status(), y.status()), (StatusCode::OK, StatusCode::OK));
        let defaults = ids(&shop.payments().await)
            .into_iter()
            .filter(|(_, is_default)| *is_default)
            .count();
        assert_eq!(defaults, 1);
    }
}

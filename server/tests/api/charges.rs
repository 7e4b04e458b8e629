//! Charges and refunds (issue "Charging and the cards on file"): one PaymentIntent per charge
//! whatever is retried (R2), unsettled rows settled by the reconciler (R3), decline codes and the
//! customer's confirmation (R14), Stripe's 429 / 500 / timeouts (R15), refunds and balances, and
//! another merchant's ids refused (R10).

use std::time::{Duration, Instant};

use app::entities::{
    activity, booking, charge, customer, new_id, outbox_email, payment_option, refund,
};
use app::payments::operations::SetupState;
use app::payments::{StripeAccount, StripeEndpoint};
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::SecretString;
use serde_json::Value;
use stripe_emulator::{Fault, FaultKind, Method, ObjectKind};

use crate::fixtures::{Amounts, insert_booking, insert_card};
use crate::helpers::{Browser, TestApp, error_code, spawn_app};
use crate::stripe_connection::{connect_with_keys, test_keys};

/// A merchant connected to its own emulator account whose webhooks reach this app (as Stripe's
/// do in production), with one customer.
struct Till {
    app: TestApp,
    merchant: Browser,
    merchant_id: String,
    secret_key: String,
    customer_id: String,
}

async fn merchant_id_of(app: &TestApp) -> String {
    app::entities::merchant::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id
        .clone()
}

async fn till(business: &str) -> Till {
    let app = spawn_app().await;
    let merchant = app.merchant(business).await;
    let merchant_id = merchant_id_of(&app).await;
    let (pk, sk) = test_keys();
    // Register this app's webhook URL at the emulator first, to learn the signing secret.
    let endpoint: Value = reqwest::Client::new()
        .post(format!("{}/v1/webhook_endpoints", app.emulator_base))
        .basic_auth(&sk, Some(""))
        .form(&[
            (
                "url",
                format!("{}/webhooks/stripe/{merchant_id}", app.address),
            ),
            ("enabled_events[]", "*".to_owned()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let whsec = endpoint["secret"].as_str().unwrap();
    assert_eq!(
        connect_with_keys(&merchant, &pk, &sk, whsec).await.status(),
        StatusCode::OK
    );
    let customer = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    Till {
        app,
        merchant,
        merchant_id,
        secret_key: sk,
        customer_id: customer["id"].as_str().unwrap().to_owned(),
    }
}

impl Till {
    fn account(&self) -> StripeAccount {
        StripeAccount::new(
            &SecretString::from(self.secret_key.clone()),
            &StripeEndpoint {
                api_base: Some(self.app.emulator_base.clone()),
                ..StripeEndpoint::default()
            },
        )
        .unwrap()
    }

    /// Puts a card on file the way a confirmed SetupIntent does (Payment Options' own flows are
    /// tested elsewhere): a Stripe customer, the card set up at the emulator — with the 3-D
    /// Secure step completed when the card asks for one — and its payment option row.
    async fn card_on_file(&self, test_payment_method: &str) -> String {
        let account = self.account();
        let stored = customer::Entity::find_by_id(self.customer_id.clone())
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap();
        let stripe_customer = match stored.stripe_customer_id {
            Some(id) => id,
            None => {
                let id = account
                    .create_customer(
                        "Jane Doe",
                        Some("jane@example.com"),
                        &self.customer_id,
                        &new_id(),
                    )
                    .await
                    .unwrap();
                customer::Entity::update_many()
                    .col_expr(customer::Column::StripeCustomerId, Expr::value(id.clone()))
                    .filter(customer::Column::Id.eq(self.customer_id.as_str()))
                    .exec(&self.app.db)
                    .await
                    .unwrap();
                id
            }
        };
        let intent = account
            .create_setup_intent(&stripe_customer, &new_id())
            .await
            .unwrap();
        let mut confirmed = account
            .confirm_setup_intent(&intent.id, test_payment_method)
            .await
            .unwrap();
        if confirmed.state == SetupState::RequiresAction {
            self.authenticate(&intent.id, &intent.client_secret, "complete")
                .await;
            confirmed = account.retrieve_setup_intent(&intent.id).await.unwrap();
        }
        let SetupState::Succeeded { payment_method_id } = confirmed.state else {
            panic!("setting up {test_payment_method} did not succeed: {confirmed:?}");
        };
        let card = account
            .retrieve_card(&payment_method_id)
            .await
            .unwrap()
            .unwrap();
        self.insert_option(&payment_method_id, &card.brand, &card.last4)
            .await
    }

    /// A card on file whose stored PaymentMethod is one of Stripe's test ids for a card that
    /// declines when charged (`pm_card_chargeDeclinedExpiredCard` …): the state of a card that
    /// was fine when saved and declines now.
    async fn declining_card_on_file(&self, test_payment_method: &str) -> String {
        self.card_on_file("pm_card_visa").await;
        self.insert_option(test_payment_method, "visa", "0000")
            .await
    }

    async fn insert_option(&self, payment_method_id: &str, brand: &str, last4: &str) -> String {
        let has_cards = payment_option::Entity::find()
            .filter(payment_option::Column::CustomerId.eq(self.customer_id.as_str()))
            .count(&self.app.db)
            .await
            .unwrap()
            > 0;
        insert_card(
            &self.app.db,
            &self.customer_id,
            payment_method_id,
            brand,
            last4,
            !has_cards,
        )
        .await
    }

    /// The customer's answer to a 3-D Secure challenge, as the emulator's challenge frame sends it.
    async fn authenticate(&self, intent_id: &str, client_secret: &str, outcome: &str) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/emulator/authenticate/{intent_id}",
                self.app.emulator_base
            ))
            .form(&[("client_secret", client_secret), ("outcome", outcome)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    async fn booking(&self, title: &str, total: i64, option: Option<&str>) -> String {
        let amounts = Amounts {
            total,
            paid: 0,
            refunded: 0,
        };
        insert_booking(&self.app.db, &self.customer_id, title, amounts, option).await
    }

    async fn charge(
        &self,
        option: &str,
        amount: &str,
        booking: Option<&str>,
        key: &str,
    ) -> reqwest::Response {
        let mut form = vec![
            ("customer_id", self.customer_id.as_str()),
            ("payment_option_id", option),
            ("amount", amount),
            ("description", "Sunset kayak tour"),
            ("request_key", key),
            ("send_receipt", "on"),
        ];
        if let Some(booking) = booking {
            form.push(("booking_id", booking));
        }
        self.merchant.call("charge_payment_option", &form).await
    }

    async fn charge_ok(&self, option: &str, amount: &str, booking: Option<&str>) -> Value {
        let response = self.charge(option, amount, booking, &fresh_key()).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn refund(&self, charge_id: &str, amount: &str, reason: &str) -> reqwest::Response {
        self.merchant
            .call(
                "refund_charge",
                &[
                    ("charge_id", charge_id),
                    ("amount", amount),
                    ("reason", reason),
                    ("request_key", &fresh_key()),
                ],
            )
            .await
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

    async fn booking_row(&self, id: &str) -> booking::Model {
        booking::Entity::find_by_id(id.to_owned())
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap()
    }

    async fn charges(&self) -> Vec<charge::Model> {
        charge::Entity::find().all(&self.app.db).await.unwrap()
    }

    fn payment_intents(&self) -> usize {
        self.app
            .emulator
            .count(&self.secret_key, ObjectKind::PaymentIntent)
    }

    /// Requests to create a PaymentIntent, as the emulator logged them.
    fn payment_intent_posts(&self) -> Vec<stripe_emulator::LoggedRequest> {
        self.app
            .emulator
            .requests()
            .into_iter()
            .filter(|r| r.method == Method::POST && r.path == "/v1/payment_intents")
            .collect()
    }

    async fn emails_of_kind(&self, kind: &str) -> Vec<outbox_email::Model> {
        outbox_email::Entity::find()
            .filter(outbox_email::Column::Kind.eq(kind))
            .all(&self.app.db)
            .await
            .unwrap()
    }

    /// The customer opens an emailed confirm link in a browser of their own: that browser and
    /// what the confirm page loads.
    async fn open_confirm_link(&self, token: &str) -> (Browser, Value) {
        let customer = self.app.browser();
        assert_eq!(
            customer.get_page(&format!("/pay/{token}")).await.status(),
            StatusCode::SEE_OTHER
        );
        let page: Value = customer
            .call("load_card_page", &[])
            .await
            .json()
            .await
            .unwrap();
        (customer, page)
    }

    /// What Stripe.js does on the confirm page: confirms the PaymentIntent on-session with the
    /// saved card (which asks for 3-D Secure), then the customer answers the bank's challenge.
    async fn confirm_on_page(&self, page: &Value, challenge: &str) {
        let secret = page["setup"]["client_secret"].as_str().unwrap();
        let intent_id = secret.split("_secret_").next().unwrap();
        let confirmed: Value = reqwest::Client::new()
            .post(format!(
                "{}/v1/payment_intents/{intent_id}/confirm",
                self.app.emulator_base
            ))
            .basic_auth(page["setup"]["publishable_key"].as_str().unwrap(), Some(""))
            .form(&[
                ("client_secret", secret),
                (
                    "payment_method",
                    page["payment"]["payment_method_id"].as_str().unwrap(),
                ),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(confirmed["status"], "requires_action");
        self.authenticate(intent_id, secret, challenge).await;
    }

    async fn wait_for(&self, what: &str, condition: impl AsyncFn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !condition().await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn fresh_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[tokio::test]
async fn charging_a_booking_balance_pays_it_and_refunds_raise_it_again() {
    let till = till("Balance Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    let booking = till.booking("Sunset kayak tour", 12_000, Some(&card)).await;

    // More than the balance is refused and nothing is written or sent.
    let too_much = till
        .charge(&card, "120.01", Some(&booking), &fresh_key())
        .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = too_much.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "amount");
    assert_eq!(
        body["errors"][0]["message"],
        "The balance due is $120.00: charge at most that."
    );
    assert!(till.charges().await.is_empty());
    assert_eq!(till.payment_intents(), 0);

    // A partial charge, then the rest.
    let first = till.charge_ok(&card, "50", Some(&booking)).await;
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["status_label"], "Succeeded");
    assert_eq!(first["amount_text"], "$50.00");
    assert_eq!(first["card"], "Visa •••• 4242");
    let row = till.booking_row(&booking).await;
    assert_eq!((row.paid_amount, row.refunded_amount), (5_000, 0));
    let rest = till.charge_ok(&card, "70.00", Some(&booking)).await;
    assert_eq!(rest["status"], "succeeded");
    assert_eq!(till.booking_row(&booking).await.paid_amount, 12_000);
    let nothing_left = till.charge(&card, "1", Some(&booking), &fresh_key()).await;
    assert_eq!(error_code(nothing_left).await, "VALIDATION");
    assert_eq!(till.payment_intents(), 2);

    // A partial refund gives the booking a balance again; the rest of the charge is refundable.
    let first_id = first["id"].as_str().unwrap();
    let refunded: Value = till
        .refund(first_id, "20", "Customer brought one guest less")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refunded["refunded"], 2_000);
    assert_eq!(refunded["refundable"], 3_000);
    assert_eq!(refunded["status_label"], "Partly refunded");
    assert_eq!(
        refunded["refunds"][0]["reason"],
        "Customer brought one guest less"
    );
    assert_eq!(refunded["refunds"][0]["status_label"], "Refunded");
    let row = till.booking_row(&booking).await;
    assert_eq!(
        app::money::balance_due(row.total_amount, row.paid_amount, row.refunded_amount),
        2_000
    );
    // Refunding more than is left is refused; an empty amount refunds the rest.
    let over = till.refund(first_id, "30.01", "Too much").await;
    assert_eq!(over.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let all: Value = till
        .refund(first_id, "", "Tour cancelled")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["refunded"], 5_000);
    assert_eq!(all["refundable"], 0);
    assert_eq!(all["status_label"], "Refunded");
    assert_eq!(till.booking_row(&booking).await.refunded_amount, 5_000);
    assert_eq!(
        till.app
            .emulator
            .count(&till.secret_key, ObjectKind::Refund),
        2
    );

    // The profile tells the story, with who did it.
    let payments = till.payments().await;
    let summaries: Vec<&str> = payments["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("Charged $50.00 to Visa •••• 4242")),
        "{summaries:?}"
    );
    assert!(
        summaries.iter().any(|s| s.starts_with(
            "Refunded $20.00 of Sunset kayak tour — reason: Customer brought one guest less"
        )),
        "{summaries:?}"
    );
    assert_eq!(payments["activity"][0]["who"], "Owner Name");
    assert_eq!(payments["charges"].as_array().unwrap().len(), 2);
    // Receipts asked for: one per succeeded charge.
    assert_eq!(till.emails_of_kind("charge_receipt").await.len(), 2);
}

#[tokio::test]
async fn a_double_click_makes_one_charge_and_one_payment_intent() {
    let till = till("Double Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    let key = fresh_key();
    let (a, b) = tokio::join!(
        till.charge(&card, "25", None, &key),
        till.charge(&card, "25", None, &key)
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["status"], "succeeded");
    assert_eq!(b["status"], "succeeded");
    assert_eq!(till.charges().await.len(), 1);
    assert_eq!(till.payment_intents(), 1);
    // Every request to Stripe for it carried the charge's one idempotency key.
    let keys: std::collections::HashSet<_> = till
        .payment_intent_posts()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.into_iter().next().unwrap(),
        Some(till.charges().await[0].idempotency_key.clone())
    );
}

#[tokio::test]
async fn an_answer_lost_after_stripe_charged_is_retried_with_the_same_key() {
    let till = till("Lost Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    // Stripe makes the PaymentIntent, then the connection drops before the answer.
    till.app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DropAfterProcessing,
    ));
    let charged = till.charge_ok(&card, "40", None).await;
    assert_eq!(charged["status"], "succeeded");
    let posts = till.payment_intent_posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].idempotency_key, posts[1].idempotency_key);
    assert!(posts[1].replayed, "the retry got Stripe's saved answer");
    assert_eq!(till.payment_intents(), 1);
    assert_eq!(till.charges().await.len(), 1);
}

#[tokio::test]
async fn stripe_busy_or_down_is_retried_then_reported_and_the_same_submission_finishes_later() {
    let till = till("Busy Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    // 429 then 500: within the bounded retries, so the merchant never notices.
    till.app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(429),
    ));
    till.app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(500),
    ));
    let charged = till.charge_ok(&card, "10", None).await;
    assert_eq!(charged["status"], "succeeded");
    assert_eq!(till.payment_intent_posts().len(), 3);
    assert_eq!(till.payment_intents(), 1);

    // Down for longer than the retries (3 attempts): a clear, retryable error; the row waits.
    till.app.emulator.inject_fault(
        Fault::new(Method::POST, "/v1/payment_intents", FaultKind::Status(503)).times(3),
    );
    let key = fresh_key();
    let refused = till.charge(&card, "11", None, &key).await;
    assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(error_code(refused).await, "STRIPE_UNAVAILABLE");
    let waiting = till.payments().await["charges"][0].clone();
    assert_eq!(waiting["status"], "pending");
    assert_eq!(waiting["status_label"], "Checking with Stripe…");
    assert_eq!(till.payment_intents(), 1);

    // A timeout counts as trouble too: the answer comes after our cut-off, three times.
    till.app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_intents",
            FaultKind::DelayBeforeProcessing(Duration::from_secs(3)),
        )
        .times(3),
    );
    let timed_out = till.charge(&card, "11", None, &key).await;
    assert_eq!(error_code(timed_out).await, "STRIPE_UNAVAILABLE");
    assert_eq!(till.payment_intents(), 1);

    // Stripe is back: the same submission (same request key) completes, once.
    let done = till.charge(&card, "11", None, &key).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["id"], waiting["id"]);
    assert_eq!(till.payment_intents(), 2);
    assert_eq!(till.charges().await.len(), 2);
}

#[tokio::test]
async fn the_reconciler_settles_a_charge_whose_outcome_was_never_recorded() {
    let till = till("Crash Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    // The state after a crash between the Stripe call and the commit: Stripe charged with the
    // row's key (the answer was lost with the process), the row still says pending.
    till.app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_intents",
            FaultKind::DropAfterProcessing,
        )
        .times(3),
    );
    let key = fresh_key();
    let lost = till.charge(&card, "30", None, &key).await;
    assert_eq!(error_code(lost).await, "STRIPE_UNAVAILABLE");
    assert_eq!(till.payment_intents(), 1, "Stripe did charge");
    let row = &till.charges().await[0];
    assert_eq!(row.status, charge::PENDING);
    assert!(row.stripe_payment_intent_id.is_none());

    let done = app::features::charges::reconciler::run_once(&till.app.state)
        .await
        .unwrap();
    assert_eq!(done.charges, 1);
    let row = &till.charges().await[0];
    assert_eq!(row.status, charge::SUCCEEDED);
    assert!(
        row.stripe_payment_intent_id
            .as_deref()
            .is_some_and(|id| id.starts_with("pi_"))
    );
    assert_eq!(till.payment_intents(), 1, "no second charge");
    // Running it again (or on another instance) changes nothing.
    app::features::charges::reconciler::run_once(&till.app.state)
        .await
        .unwrap();
    assert_eq!(till.payment_intents(), 1);
    assert_eq!(
        activity::Entity::find()
            .filter(activity::Column::Kind.eq("charge_succeeded"))
            .count(&till.app.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn each_decline_is_recorded_with_its_own_reason_and_never_retried() {
    let till = till("Decline Tours").await;
    let cases = [
        (
            "pm_card_chargeCustomerFail",
            "card_declined",
            "Declined: the card was declined",
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "Declined: insufficient funds",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "Declined: the card has expired",
        ),
        (
            "pm_card_chargeDeclinedLostCard",
            "card_declined",
            "Declined: the card was reported lost",
        ),
        (
            "pm_card_chargeDeclinedStolenCard",
            "card_declined",
            "Declined: the card was reported stolen",
        ),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "incorrect_cvc",
            "Declined: the security code is incorrect",
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            "processing_error",
            "Declined: a processing error at the bank — try again",
        ),
    ];
    for (test_card, code, label) in cases {
        let card = if test_card == "pm_card_chargeCustomerFail" {
            till.card_on_file(test_card).await
        } else {
            till.declining_card_on_file(test_card).await
        };
        let before = till.payment_intent_posts().len();
        let declined = till.charge_ok(&card, "15", None).await;
        assert_eq!(declined["status"], "failed", "{test_card}");
        assert_eq!(declined["failure_code"], code, "{test_card}");
        assert_eq!(declined["status_label"], label, "{test_card}");
        assert_eq!(
            till.payment_intent_posts().len(),
            before + 1,
            "a decline is not retried"
        );
    }
    let declines = activity::Entity::find()
        .filter(activity::Column::Kind.eq("charge_failed"))
        .count(&till.app.db)
        .await
        .unwrap();
    assert_eq!(declines, 7);
}

#[tokio::test]
async fn authentication_required_emails_a_confirm_link_and_the_customer_completes_the_payment() {
    let till = till("Secure Tours").await;
    let card = till.card_on_file("pm_card_authenticationRequired").await;
    let booking = till.booking("Glacier hike", 8_000, Some(&card)).await;
    let waiting = till.charge_ok(&card, "80", Some(&booking)).await;
    assert_eq!(waiting["status"], "requires_action");
    assert_eq!(
        waiting["status_label"],
        "Waiting for the customer to confirm"
    );
    assert_eq!(till.booking_row(&booking).await.paid_amount, 0);
    let emails = till.emails_of_kind("payment_confirmation").await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].recipient, "jane@example.com");
    assert_eq!(
        emails[0].subject,
        "Please confirm your payment of $80.00 to Secure Tours"
    );
    // No retry loop: one attempt at Stripe, the rest is up to the customer.
    assert_eq!(till.payment_intent_posts().len(), 1);

    // The customer opens the link (as the emailed token would) and sees the payment.
    let token = link_token(&emails[0].body_text);
    let (customer, page) = till.open_confirm_link(&token).await;
    assert_eq!(page["payment"]["amount_text"], "$80.00");
    assert_eq!(page["payment"]["description"], "Sunset kayak tour");
    assert_eq!(page["payment"]["card"], "Visa •••• 3184");
    assert_eq!(page["payment"]["requires_action"], false);

    // Stripe.js: confirm on-session with the saved card, then the bank's challenge.
    till.confirm_on_page(&page, "complete").await;

    // The webhook settles it (the page's own check would too, whichever comes first).
    till.wait_for("the charge to succeed", async || {
        till.charges().await[0].status == charge::SUCCEEDED
    })
    .await;
    let done = complete_on_page(&customer).await;
    assert_eq!(done["amount_text"], "$80.00");
    assert_eq!(till.booking_row(&booking).await.paid_amount, 8_000);
    let profile = till.payments().await;
    assert_eq!(profile["charges"][0]["status_label"], "Succeeded");
    // The merchant is told; the link is used up.
    let notices = till.emails_of_kind("payment_outcome_notice").await;
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].subject,
        "Jane Doe confirmed the payment of $80.00"
    );
    let again = till.app.browser();
    again.get_page(&format!("/pay/{token}")).await;
    assert_eq!(
        error_code(again.call("load_card_page", &[]).await).await,
        "LINK_USED"
    );
    assert_eq!(till.payment_intents(), 1);
}

#[tokio::test]
async fn a_refund_made_in_stripes_dashboard_reaches_the_booking_once() {
    let till = till("Dashboard Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    let booking = till.booking("Wine tasting", 6_000, Some(&card)).await;
    let charged = till.charge_ok(&card, "60", Some(&booking)).await;
    let charge_row = till.charges().await.remove(0);
    // Refunded by hand in Stripe's dashboard: Stripe then sends `charge.refunded` (twice, here).
    let response = reqwest::Client::new()
        .post(format!("{}/v1/refunds", till.app.emulator_base))
        .basic_auth(&till.secret_key, Some(""))
        .form(&[
            (
                "payment_intent",
                charge_row.stripe_payment_intent_id.clone().unwrap(),
            ),
            ("amount", "1500".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    till.wait_for("the dashboard refund", async || {
        till.booking_row(&booking).await.refunded_amount == 1_500
    })
    .await;
    assert!(
        till.app
            .emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    // Asking Stripe again (as a repeated event would) records nothing new.
    let connection =
        app::features::settings::connection::require(&till.app.state, &till.merchant_id)
            .await
            .unwrap();
    app::features::charges::refunds::reconcile_refunds(
        &till.app.state,
        &connection,
        &till.merchant_id,
        charge_row.stripe_payment_intent_id.as_deref().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(till.booking_row(&booking).await.refunded_amount, 1_500);
    let refunds = refund::Entity::find().all(&till.app.db).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].created_by_staff_id, None);
    let view = till.payments().await["charges"][0].clone();
    assert_eq!(view["id"], charged["id"]);
    assert_eq!(view["refunds"][0]["by"], "Stripe dashboard");
    assert_eq!(view["refundable"], 4_500);
}

#[tokio::test]
async fn another_merchants_cards_bookings_and_charges_are_not_found() {
    let till = till("Owner Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    let booking = till.booking("Cave tour", 4_000, Some(&card)).await;
    let charged = till.charge_ok(&card, "10", Some(&booking)).await;
    let charge_id = charged["id"].as_str().unwrap();

    let intruder = till.app.merchant("Intruder Tours").await;
    let own_customer = intruder
        .create_customer("Ivan", "Intruder", "ivan@example.com", "")
        .await;
    let own_customer_id = own_customer["id"].as_str().unwrap();
    let attempts = [
        (
            "charge_payment_option",
            vec![
                ("customer_id", till.customer_id.as_str()),
                ("payment_option_id", card.as_str()),
            ],
        ),
        (
            "charge_payment_option",
            vec![
                ("customer_id", own_customer_id),
                ("payment_option_id", card.as_str()),
            ],
        ),
        (
            "charge_payment_option",
            vec![
                ("customer_id", own_customer_id),
                ("payment_option_id", card.as_str()),
                ("booking_id", booking.as_str()),
            ],
        ),
    ];
    for (endpoint, mut form) in attempts {
        let key = fresh_key();
        form.extend([
            ("amount", "5"),
            ("description", "x"),
            ("request_key", key.as_str()),
        ]);
        let response = intruder.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{form:?}");
    }
    let refund = intruder
        .call(
            "refund_charge",
            &[
                ("charge_id", charge_id),
                ("amount", "1"),
                ("reason", "x"),
                ("request_key", &fresh_key()),
            ],
        )
        .await;
    assert_eq!(refund.status(), StatusCode::NOT_FOUND);
    // A request key the owner used is no door into the owner's charge either.
    let reused = till.charges().await[0].request_key.clone();
    let probe = intruder
        .call(
            "charge_payment_option",
            &[
                ("customer_id", own_customer_id),
                ("payment_option_id", card.as_str()),
                ("amount", "5"),
                ("description", "x"),
                ("request_key", reused.as_str()),
            ],
        )
        .await;
    assert_eq!(probe.status(), StatusCode::NOT_FOUND);

    assert_eq!(till.charges().await.len(), 1);
    assert_eq!(till.payment_intents(), 1);
    assert_eq!(refund::Entity::find().count(&till.app.db).await.unwrap(), 0);
    assert_eq!(till.booking_row(&booking).await.paid_amount, 1_000);
}

#[tokio::test]
async fn bad_charge_input_gets_field_errors_and_changes_nothing() {
    let till = till("Strict Tours").await;
    let card = till.card_on_file("pm_card_visa").await;
    for (amount, description, field) in [
        ("-5", "Tour", "amount"),
        ("0", "Tour", "amount"),
        ("12.345", "Tour", "amount"),
        ("1e9", "Tour", "amount"),
        ("99999999999999999999", "Tour", "amount"),
        ("10", "", "description"),
        ("10", "Line\r\nBcc: x@evil.test", "description"),
    ] {
        let response = till
            .merchant
            .call(
                "charge_payment_option",
                &[
                    ("customer_id", till.customer_id.as_str()),
                    ("payment_option_id", card.as_str()),
                    ("amount", amount),
                    ("description", description),
                    ("request_key", &fresh_key()),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount:?} {description:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["field"], field,
            "{amount:?} {description:?}"
        );
    }
    let stale = till.charge(&card, "10", None, "short").await;
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(till.charges().await.is_empty());
    assert_eq!(till.payment_intents(), 0);
}

/// The token of the `/pay/<token>` link in an email's text body.
/// The confirm page, after Stripe.js confirmed: what it shows as paid.
async fn complete_on_page(customer: &Browser) -> Value {
    customer
        .call("complete_payment_confirmation", &[])
        .await
        .json()
        .await
        .unwrap()
}

fn link_token(body: &str) -> String {
    let prefix = "/pay/";
    let start = body
        .find(prefix)
        .expect("the email links to the confirm page")
        + prefix.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn resend_link_replaces_the_confirm_link_and_a_card_request_leaves_it_alone() {
    let till = till("Resend Tours").await;
    let card = till.card_on_file("pm_card_authenticationRequired").await;
    let booking = till.booking("Cave dive", 4_500, Some(&card)).await;
    till.charge_ok(&card, "45", Some(&booking)).await;
    let charge_id = till.charges().await[0].id.clone();
    let first = link_token(&till.emails_of_kind("payment_confirmation").await[0].body_text);

    // Asking the same customer for another card is another matter: the confirm link still works.
    let sent = till
        .merchant
        .call(
            "send_card_request",
            &[("customer_id", till.customer_id.as_str()), ("note", "")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let (_, page) = till.open_confirm_link(&first).await;
    assert_eq!(page["payment"]["amount_text"], "$45.00");

    // Resend: a second email with a new link; the first link is revoked.
    let resend = async || {
        till.merchant
            .call("resend_payment_confirmation", &[("charge_id", &charge_id)])
            .await
    };
    let resent = resend().await;
    assert_eq!(resent.status(), StatusCode::OK);
    assert_eq!(resent.json::<Value>().await.unwrap(), "jane@example.com");
    let emails = till.emails_of_kind("payment_confirmation").await;
    assert_eq!(emails.len(), 2);
    let second = emails
        .iter()
        .map(|email| link_token(&email.body_text))
        .find(|token| *token != first)
        .expect("the second email has its own link");
    let old = till.app.browser();
    old.get_page(&format!("/pay/{first}")).await;
    assert_eq!(
        error_code(old.call("load_card_page", &[]).await).await,
        "LINK_REVOKED"
    );
    let activity = till.payments().await["activity"].clone();
    assert!(
        activity
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["summary"]
                == "Sent jane@example.com a new link to confirm the payment of $45.00"
                && entry["who"] == "Owner Name"),
        "{activity}"
    );

    // The new link pays it, once.
    let (customer, page) = till.open_confirm_link(&second).await;
    till.confirm_on_page(&page, "complete").await;
    let done = complete_on_page(&customer).await;
    assert_eq!(done["amount_text"], "$45.00");
    assert_eq!(till.booking_row(&booking).await.paid_amount, 4_500);
    assert_eq!(till.payment_intents(), 1);

    // Paid: Resend is refused with the reason, and nothing is sent.
    let refused = resend().await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["message"],
        "This payment is no longer waiting for the customer (succeeded)."
    );
    assert_eq!(till.emails_of_kind("payment_confirmation").await.len(), 2);

    // Another merchant cannot resend this charge's link.
    let other = till.app.merchant("Other Tours").await;
    let foreign = other
        .call("resend_payment_confirmation", &[("charge_id", &charge_id)])
        .await;
    assert_eq!(error_code(foreign).await, "NOT_FOUND");
}

#[tokio::test]
async fn a_failed_challenge_keeps_the_charge_waiting_and_a_second_try_pays_it_once() {
    let till = till("Retry Tours").await;
    let card = till.card_on_file("pm_card_authenticationRequired").await;
    let waiting = till.charge_ok(&card, "35", None).await;
    assert_eq!(waiting["status"], "requires_action");
    let emails = till.emails_of_kind("payment_confirmation").await;
    let token = link_token(&emails[0].body_text);
    let (customer, page) = till.open_confirm_link(&token).await;

    // The customer fails the bank's challenge: nothing is charged, the charge still waits.
    till.confirm_on_page(&page, "fail").await;
    assert!(
        till.app
            .emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    assert_eq!(
        error_code(customer.call("complete_payment_confirmation", &[]).await).await,
        "SETUP_INCOMPLETE"
    );
    assert_eq!(till.charges().await[0].status, charge::REQUIRES_ACTION);

    // They try again and pass: the payment is recorded once.
    till.confirm_on_page(&page, "complete").await;
    let done = complete_on_page(&customer).await;
    assert_eq!(done["amount_text"], "$35.00");
    assert!(
        till.app
            .emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    assert_eq!(till.charges().await[0].status, charge::SUCCEEDED);
    assert_eq!(till.payment_intents(), 1);
    assert_eq!(
        activity::Entity::find()
            .filter(activity::Column::Kind.eq("charge_succeeded"))
            .count(&till.app.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_charge_whose_confirm_link_expires_is_cancelled_at_stripe_and_reported() {
    let till = till("Expiry Tours").await;
    let card = till.card_on_file("pm_card_authenticationRequired").await;
    let booking = till.booking("Night safari", 9_000, Some(&card)).await;
    till.charge_ok(&card, "90", Some(&booking)).await;
    let row = till.charges().await.remove(0);
    assert_eq!(row.status, charge::REQUIRES_ACTION);
    // The link's days pass without an answer (and the reconciler last looked long ago).
    let long_ago = Utc::now() - chrono::Duration::days(8);
    app::entities::card_request::Entity::update_many()
        .col_expr(
            app::entities::card_request::Column::ExpiresAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(&till.app.db)
        .await
        .unwrap();
    charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(long_ago))
        .exec(&till.app.db)
        .await
        .unwrap();

    app::features::charges::reconciler::run_once(&till.app.state)
        .await
        .unwrap();

    let row = till.charges().await.remove(0);
    assert_eq!(row.status, charge::FAILED);
    assert_eq!(row.failure_code.as_deref(), Some("confirmation_expired"));
    let view = till.payments().await["charges"][0].clone();
    assert_eq!(
        view["status_label"],
        "Not confirmed — the customer's link expired"
    );
    // Stripe can no longer take the payment; the booking still owes it; the merchant is told.
    let intent: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/payment_intents/{}",
            till.app.emulator_base,
            row.stripe_payment_intent_id.unwrap()
        ))
        .basic_auth(&till.secret_key, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intent["status"], "canceled");
    assert_eq!(till.booking_row(&booking).await.paid_amount, 0);
    let notices = till.emails_of_kind("payment_outcome_notice").await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].subject, "Jane Doe's payment of $90.00 failed");
}

//! Charges and refunds (issue "Charging and the cards on file"): one PaymentIntent per charge
//! whatever is retried (R2), unsettled rows settled by the reconciler (R3), decline codes and the
//! customer's confirmation (R14), Stripe's 429 / 500 / timeouts (R15), refunds and balances, and
//! another merchant's ids refused (R10). The merchant is connected to its own emulator account
//! whose webhooks reach this app, as Stripe's do in production.

use std::time::Duration;

use app::entities::{charge, refund};
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;
use stripe_emulator::{Fault, FaultKind, Method, ObjectKind};

use crate::world::{
    Amounts, ChargePaymentOption, ChargeStatus, EmailKind, Stripe, eventually, fresh_key,
    reconcile_refunds, run_reconciler, spawn_app, stripe_connection_of,
};

#[tokio::test]
async fn charging_a_booking_balance_pays_it_and_refunds_raise_it_again() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Balance Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let booking = shop
        .booking("Sunset kayak tour", Amounts::unpaid(12_000), Some(&card))
        .await;

    // More than the balance is refused and nothing is written or sent.
    let too_much = shop
        .charge(&card, "120.01", Some(&booking))
        .await
        .unwrap_err();
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_much.errors()[0].field, "amount");
    assert_eq!(
        too_much.errors()[0].message,
        "The balance due is $120.00: charge at most that."
    );
    assert!(app.charges().await.is_empty());
    assert_eq!(shop.payment_intents(), 0);

    // A partial charge, then the rest.
    let first = shop.charge(&card, "50", Some(&booking)).await.unwrap();
    assert_eq!(first.status, ChargeStatus::Succeeded);
    assert_eq!(first.status_label, "Succeeded");
    assert_eq!(first.amount_text, "$50.00");
    assert_eq!(first.card, "Visa •••• 4242");
    let row = app.booking(&booking).await;
    assert_eq!((row.paid_amount, row.refunded_amount), (5_000, 0));
    let rest = shop.charge(&card, "70.00", Some(&booking)).await.unwrap();
    assert_eq!(rest.status, ChargeStatus::Succeeded);
    assert_eq!(app.booking(&booking).await.paid_amount, 12_000);
    let nothing_left = shop.charge(&card, "1", Some(&booking)).await.unwrap_err();
    assert_eq!(nothing_left.code(), "VALIDATION");
    assert_eq!(shop.payment_intents(), 2);

    // A partial refund gives the booking a balance again; the rest of the charge is refundable.
    let refunded = shop
        .refund(&first.id, "20", "Customer brought one guest less")
        .await
        .unwrap();
    assert_eq!(refunded.refunded, 2_000);
    assert_eq!(refunded.refundable, 3_000);
    assert_eq!(refunded.status_label, "Partly refunded");
    assert_eq!(
        refunded.refunds[0].reason,
        "Customer brought one guest less"
    );
    assert_eq!(refunded.refunds[0].status_label, "Refunded");
    let row = app.booking(&booking).await;
    assert_eq!(
        app::money::balance_due(row.total_amount, row.paid_amount, row.refunded_amount),
        2_000
    );
    // Refunding more than is left is refused; an empty amount refunds the rest.
    let over = shop
        .refund(&first.id, "30.01", "Too much")
        .await
        .unwrap_err();
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    let all = shop.refund(&first.id, "", "Tour cancelled").await.unwrap();
    assert_eq!(all.refunded, 5_000);
    assert_eq!(all.refundable, 0);
    assert_eq!(all.status_label, "Refunded");
    assert_eq!(app.booking(&booking).await.refunded_amount, 5_000);
    assert_eq!(app.emulator.count(shop.secret_key(), ObjectKind::Refund), 2);

    // The profile tells the story, with who did it.
    let payments = shop.profile().await;
    let summaries: Vec<&str> = payments
        .activity
        .iter()
        .map(|a| a.summary.as_str())
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
    assert_eq!(payments.activity[0].who, "Owner Name");
    assert_eq!(payments.charges.len(), 2);
    // Receipts asked for: one per succeeded charge.
    assert_eq!(app.emails_of_kind(EmailKind::ChargeReceipt).await.len(), 2);
}

#[tokio::test]
async fn a_double_click_makes_one_charge_and_one_payment_intent() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Double Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let key = fresh_key();
    let (a, b) = tokio::join!(
        shop.charge_with_key(&card, "25", None, &key),
        shop.charge_with_key(&card, "25", None, &key)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id, b.id);
    assert_eq!(a.status, ChargeStatus::Succeeded);
    assert_eq!(b.status, ChargeStatus::Succeeded);
    assert_eq!(app.charges().await.len(), 1);
    assert_eq!(shop.payment_intents(), 1);
    // Every request to Stripe for it carried the charge's one idempotency key.
    let keys: std::collections::HashSet<_> = app
        .payment_intent_posts()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.into_iter().next().unwrap(),
        Some(app.charges().await[0].idempotency_key.clone())
    );
}

#[tokio::test]
async fn an_answer_lost_after_stripe_charged_is_retried_with_the_same_key() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Lost Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    // Stripe makes the PaymentIntent, then the connection drops before the answer.
    app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DropAfterProcessing,
    ));
    let charged = shop.charge(&card, "40", None).await.unwrap();
    assert_eq!(charged.status, ChargeStatus::Succeeded);
    let posts = app.payment_intent_posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].idempotency_key, posts[1].idempotency_key);
    assert!(posts[1].replayed, "the retry got Stripe's saved answer");
    assert_eq!(shop.payment_intents(), 1);
    assert_eq!(app.charges().await.len(), 1);
}

#[tokio::test]
async fn stripe_busy_or_down_is_retried_then_reported_and_the_same_submission_finishes_later() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Busy Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    // 429 then 500: within the bounded retries, so the merchant never notices.
    app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(429),
    ));
    app.emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::Status(500),
    ));
    let charged = shop.charge(&card, "10", None).await.unwrap();
    assert_eq!(charged.status, ChargeStatus::Succeeded);
    assert_eq!(app.payment_intent_posts().len(), 3);
    assert_eq!(shop.payment_intents(), 1);

    // Down for longer than the retries (3 attempts): the charge is pending, and said so; the row
    // waits (see unsettled_charges for what the merchant is told).
    app.emulator.inject_fault(
        Fault::new(Method::POST, "/v1/payment_intents", FaultKind::Status(503)).times(3),
    );
    let key = fresh_key();
    let waiting = shop.charge_with_key(&card, "11", None, &key).await.unwrap();
    assert_eq!(waiting.status, ChargeStatus::Pending);
    assert_eq!(
        waiting.status_label,
        "Pending — waiting for Stripe's answer"
    );
    assert_eq!(shop.profile().await.charges[0].id, waiting.id);
    assert_eq!(shop.payment_intents(), 1);

    // A timeout counts as trouble too: the answer comes after our cut-off, three times.
    app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_intents",
            FaultKind::DelayBeforeProcessing(Duration::from_secs(3)),
        )
        .times(3),
    );
    let timed_out = shop.charge_with_key(&card, "11", None, &key).await.unwrap();
    assert_eq!(timed_out.status, ChargeStatus::Pending);
    assert_eq!(shop.payment_intents(), 1);

    // Stripe is back: the same submission (same request key) completes, once.
    let done = shop.charge_with_key(&card, "11", None, &key).await.unwrap();
    assert_eq!(done.status, ChargeStatus::Succeeded);
    assert_eq!(done.id, waiting.id);
    assert_eq!(shop.payment_intents(), 2);
    assert_eq!(app.charges().await.len(), 2);
}

#[tokio::test]
async fn the_reconciler_settles_a_charge_whose_outcome_was_never_recorded() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Crash Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    // The state after a crash between the Stripe call and the commit: Stripe charged with the
    // row's key (the answer was lost with the process), the row still says pending.
    app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_intents",
            FaultKind::DropAfterProcessing,
        )
        .times(3),
    );
    let lost = shop.charge(&card, "30", None).await.unwrap();
    assert_eq!(lost.status, ChargeStatus::Pending);
    assert_eq!(shop.payment_intents(), 1, "Stripe did charge");
    let row = &app.charges().await[0];
    assert_eq!(row.status, ChargeStatus::Pending);
    assert!(row.stripe_payment_intent_id.is_none());

    let done = run_reconciler(&app.state).await.unwrap();
    assert_eq!(done.charges, 1);
    let row = &app.charges().await[0];
    assert_eq!(row.status, ChargeStatus::Succeeded);
    assert!(
        row.stripe_payment_intent_id
            .as_deref()
            .is_some_and(|id| id.starts_with("pi_"))
    );
    assert_eq!(shop.payment_intents(), 1, "no second charge");
    // Running it again (or on another instance) changes nothing.
    run_reconciler(&app.state).await.unwrap();
    assert_eq!(shop.payment_intents(), 1);
    assert_eq!(app.count_activity("charge_succeeded").await, 1);
}

#[tokio::test]
async fn each_decline_is_recorded_with_its_own_reason_and_never_retried() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Decline Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
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
            shop.card_on_file(test_card).await
        } else {
            shop.declining_card_on_file(test_card).await
        };
        let before = app.payment_intent_posts().len();
        let declined = shop.charge(&card, "15", None).await.unwrap();
        assert_eq!(declined.status, ChargeStatus::Failed, "{test_card}");
        assert_eq!(declined.failure_code.as_deref(), Some(code), "{test_card}");
        assert_eq!(declined.status_label, label, "{test_card}");
        assert_eq!(
            app.payment_intent_posts().len(),
            before + 1,
            "a decline is not retried"
        );
    }
    assert_eq!(app.count_activity("charge_failed").await, 7);
}

#[tokio::test]
async fn authentication_required_emails_a_confirm_link_and_the_customer_completes_the_payment() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Secure Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_authenticationRequired").await;
    let booking = shop
        .booking("Glacier hike", Amounts::unpaid(8_000), Some(&card))
        .await;
    let waiting = shop.charge(&card, "80", Some(&booking)).await.unwrap();
    assert_eq!(waiting.status, ChargeStatus::RequiresAction);
    assert_eq!(waiting.status_label, "Waiting for the customer to confirm");
    assert_eq!(app.booking(&booking).await.paid_amount, 0);
    let emails = app.emails_of_kind(EmailKind::PaymentConfirmation).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].recipient, "jane@example.com");
    assert_eq!(
        emails[0].subject,
        "Please confirm your payment of $80.00 to Secure Tours"
    );
    // No retry loop: one attempt at Stripe, the rest is up to the customer.
    assert_eq!(app.payment_intent_posts().len(), 1);

    // The customer opens the link (as the emailed token would) and sees the payment.
    let token = app
        .links_in_emails(EmailKind::PaymentConfirmation)
        .await
        .remove(0);
    let customer = app.open_link(&token).await;
    let page = customer.card_page().await.unwrap();
    let payment = page.payment.as_ref().expect("a payment to confirm");
    assert_eq!(payment.amount_text, "$80.00");
    assert_eq!(payment.description, "Sunset kayak tour");
    assert_eq!(payment.card, "Visa •••• 3184");
    assert!(!payment.requires_action);

    // Stripe.js: confirm on-session with the saved card, then the bank's challenge.
    customer.confirm_payment(&page, "complete").await;

    // The webhook settles it (the page's own check would too, whichever comes first).
    eventually("the charge to succeed", async || {
        app.charges().await[0].status == ChargeStatus::Succeeded
    })
    .await;
    let done = customer.complete_payment().await.unwrap();
    assert_eq!(done.amount_text, "$80.00");
    assert_eq!(app.booking(&booking).await.paid_amount, 8_000);
    let profile = shop.profile().await;
    assert_eq!(profile.charges[0].status_label, "Succeeded");
    // The merchant is told; the link is used up.
    let notices = app.emails_of_kind(EmailKind::PaymentOutcomeNotice).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].subject,
        "Jane Doe confirmed the payment of $80.00"
    );
    let again = app.open_link(&token).await;
    assert_eq!(again.card_page().await.unwrap_err().code(), "LINK_USED");
    assert_eq!(shop.payment_intents(), 1);
}

#[tokio::test]
async fn a_refund_made_in_stripes_dashboard_reaches_the_booking_once() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Dashboard Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let booking = shop
        .booking("Wine tasting", Amounts::unpaid(6_000), Some(&card))
        .await;
    let charged = shop.charge(&card, "60", Some(&booking)).await.unwrap();
    let charge_row = app.charges().await.remove(0);
    // Refunded by hand in Stripe's dashboard: Stripe then sends `charge.refunded` (twice, here).
    let response = reqwest::Client::new()
        .post(format!("{}/v1/refunds", app.emulator_base))
        .basic_auth(shop.secret_key(), Some(""))
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
    eventually("the dashboard refund", async || {
        app.booking(&booking).await.refunded_amount == 1_500
    })
    .await;
    assert!(
        app.emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    // Asking Stripe again (as a repeated event would) records nothing new.
    let connection = stripe_connection_of(&app.state, &shop.id).await.unwrap();
    reconcile_refunds(
        &app.state,
        &connection,
        &shop.id,
        charge_row.stripe_payment_intent_id.as_deref().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(app.booking(&booking).await.refunded_amount, 1_500);
    let refunds = refund::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].created_by_staff_id, None);
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.id, charged.id);
    assert_eq!(view.refunds[0].by, "Stripe dashboard");
    assert_eq!(view.refundable, 4_500);
}

#[tokio::test]
async fn another_merchants_cards_bookings_and_charges_are_not_found() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Owner Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let booking = shop
        .booking("Cave tour", Amounts::unpaid(4_000), Some(&card))
        .await;
    let charged = shop.charge(&card, "10", Some(&booking)).await.unwrap();

    let intruder = app
        .merchant("Intruder Tours")
        .with_customer("Ivan", "Intruder", "ivan@example.com", "")
        .await;
    // The intruder's Charge dialog, filled in with the owner's card.
    let attempt = |customer_id: &str, booking_id: Option<&str>| ChargePaymentOption {
        customer_id: customer_id.to_owned(),
        booking_id: booking_id.map(ToOwned::to_owned),
        description: "x".to_owned(),
        send_receipt: None,
        ..intruder.charge_form(&card, "5")
    };
    let attempts = [
        attempt(shop.customer_id(), None),
        attempt(intruder.customer_id(), None),
        attempt(intruder.customer_id(), Some(&booking)),
    ];
    for form in attempts {
        let refused = intruder.call(&form).await.unwrap_err();
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{form:?}");
    }
    let refund = intruder.refund(&charged.id, "1", "x").await.unwrap_err();
    assert_eq!(refund.status, StatusCode::NOT_FOUND);
    // A request key the owner used is no door into the owner's charge either.
    let reused = app.charges().await[0].request_key.clone();
    let probe = intruder
        .call(&ChargePaymentOption {
            request_key: reused,
            ..attempt(intruder.customer_id(), None)
        })
        .await
        .unwrap_err();
    assert_eq!(probe.status, StatusCode::NOT_FOUND);

    assert_eq!(app.charges().await.len(), 1);
    assert_eq!(shop.payment_intents(), 1);
    assert_eq!(refund::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(app.booking(&booking).await.paid_amount, 1_000);
}

#[tokio::test]
async fn bad_charge_input_gets_field_errors_and_changes_nothing() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Strict Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    for (amount, description, field) in [
        ("-5", "Tour", "amount"),
        ("0", "Tour", "amount"),
        ("12.345", "Tour", "amount"),
        ("1e9", "Tour", "amount"),
        ("99999999999999999999", "Tour", "amount"),
        ("10", "", "description"),
        ("10", "Line\r\nBcc: x@evil.test", "description"),
    ] {
        let refused = shop
            .call(&ChargePaymentOption {
                description: description.to_owned(),
                send_receipt: None,
                ..shop.charge_form(&card, amount)
            })
            .await
            .unwrap_err();
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount:?} {description:?}"
        );
        assert_eq!(
            refused.errors()[0].field,
            field,
            "{amount:?} {description:?}"
        );
    }
    let stale = shop
        .charge_with_key(&card, "10", None, "short")
        .await
        .unwrap_err();
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.charges().await.is_empty());
    assert_eq!(shop.payment_intents(), 0);
}

#[tokio::test]
async fn resend_link_replaces_the_confirm_link_and_a_card_request_leaves_it_alone() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Resend Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_authenticationRequired").await;
    let booking = shop
        .booking("Cave dive", Amounts::unpaid(4_500), Some(&card))
        .await;
    shop.charge(&card, "45", Some(&booking)).await.unwrap();
    let charge_id = app.charges().await[0].id.clone();
    let first = app
        .links_in_emails(EmailKind::PaymentConfirmation)
        .await
        .remove(0);

    // Asking the same customer for another card is another matter: the confirm link still works.
    shop.send_card_request("").await.unwrap();
    let page = app.open_link(&first).await.card_page().await.unwrap();
    assert_eq!(page.payment.unwrap().amount_text, "$45.00");

    // Resend: a second email with a new link; the first link is revoked.
    let resent = shop.resend_payment_confirmation(&charge_id).await.unwrap();
    assert_eq!(resent, "jane@example.com");
    let emails = app.emails_of_kind(EmailKind::PaymentConfirmation).await;
    assert_eq!(emails.len(), 2);
    let second = app
        .links_in_emails(EmailKind::PaymentConfirmation)
        .await
        .into_iter()
        .find(|token| *token != first)
        .expect("the second email has its own link");
    let old = app.open_link(&first).await;
    assert_eq!(old.card_page().await.unwrap_err().code(), "LINK_REVOKED");
    let activity = shop.profile().await.activity;
    assert!(
        activity.iter().any(|entry| entry.summary
            == "Sent jane@example.com a new link to confirm the payment of $45.00"
            && entry.who == "Owner Name"),
        "{activity:?}"
    );

    // The new link pays it, once.
    let customer = app.open_link(&second).await;
    let page = customer.card_page().await.unwrap();
    customer.confirm_payment(&page, "complete").await;
    let done = customer.complete_payment().await.unwrap();
    assert_eq!(done.amount_text, "$45.00");
    assert_eq!(app.booking(&booking).await.paid_amount, 4_500);
    assert_eq!(shop.payment_intents(), 1);

    // Paid: Resend is refused with the reason, and nothing is sent.
    let refused = shop
        .resend_payment_confirmation(&charge_id)
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.errors()[0].message,
        "This payment is no longer waiting for the customer (succeeded)."
    );
    assert_eq!(
        app.emails_of_kind(EmailKind::PaymentConfirmation)
            .await
            .len(),
        2
    );

    // Another merchant cannot resend this charge's link.
    let other = app.merchant("Other Tours").await;
    let foreign = other
        .resend_payment_confirmation(&charge_id)
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), "NOT_FOUND");
}

#[tokio::test]
async fn a_failed_challenge_keeps_the_charge_waiting_and_a_second_try_pays_it_once() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Retry Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_authenticationRequired").await;
    let waiting = shop.charge(&card, "35", None).await.unwrap();
    assert_eq!(waiting.status, ChargeStatus::RequiresAction);
    let token = app
        .links_in_emails(EmailKind::PaymentConfirmation)
        .await
        .remove(0);
    let customer = app.open_link(&token).await;
    let page = customer.card_page().await.unwrap();

    // The customer fails the bank's challenge: nothing is charged, the charge still waits.
    customer.confirm_payment(&page, "fail").await;
    assert!(
        app.emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    assert_eq!(
        customer.complete_payment().await.unwrap_err().code(),
        "SETUP_INCOMPLETE"
    );
    assert_eq!(app.charges().await[0].status, ChargeStatus::RequiresAction);

    // They try again and pass: the payment is recorded once.
    customer.confirm_payment(&page, "complete").await;
    let done = customer.complete_payment().await.unwrap();
    assert_eq!(done.amount_text, "$35.00");
    assert!(
        app.emulator
            .wait_for_webhooks(Duration::from_secs(10))
            .await
    );
    assert_eq!(app.charges().await[0].status, ChargeStatus::Succeeded);
    assert_eq!(shop.payment_intents(), 1);
    assert_eq!(app.count_activity("charge_succeeded").await, 1);
}

#[tokio::test]
async fn a_charge_whose_confirm_link_expires_is_cancelled_at_stripe_and_reported() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Expiry Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_authenticationRequired").await;
    let booking = shop
        .booking("Night safari", Amounts::unpaid(9_000), Some(&card))
        .await;
    shop.charge(&card, "90", Some(&booking)).await.unwrap();
    let row = app.charges().await.remove(0);
    assert_eq!(row.status, ChargeStatus::RequiresAction);
    // The link's days pass without an answer (and the reconciler last looked long ago).
    let long_ago = Utc::now() - chrono::Duration::days(8);
    app::entities::customer_link::Entity::update_many()
        .col_expr(
            app::entities::customer_link::Column::ExpiresAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(long_ago))
        .exec(&app.db)
        .await
        .unwrap();

    run_reconciler(&app.state).await.unwrap();

    let row = app.charges().await.remove(0);
    assert_eq!(row.status, ChargeStatus::Failed);
    assert_eq!(row.failure_code.as_deref(), Some("confirmation_expired"));
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(
        view.status_label,
        "Not confirmed — the customer's link expired"
    );
    // Stripe can no longer take the payment; the booking still owes it; the merchant is told.
    let intent: Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/payment_intents/{}",
            app.emulator_base,
            row.stripe_payment_intent_id.unwrap()
        ))
        .basic_auth(shop.secret_key(), Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intent["status"], "canceled");
    assert_eq!(app.booking(&booking).await.paid_amount, 0);
    let notices = app.emails_of_kind(EmailKind::PaymentOutcomeNotice).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].subject, "Jane Doe's payment of $90.00 failed");
}

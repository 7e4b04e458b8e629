//! Charges whose outcome the app does not know yet. When Stripe does not answer, the merchant is
//! told the charge is pending (it is shown in Payments at once, and completes on its own) and is
//! warned before charging the same amount to the same customer again. A charge still pending
//! after 23 h is never sent again (Stripe's idempotency key may be gone): it is looked up at
//! Stripe by our id, and shown as "Unknown — check Stripe" when Stripe cannot tell.

use app::entities::{charge, customer};
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use stripe_emulator::{Fault, FaultKind, Method};

use crate::world::{
    AppError, ChargePaymentOption, ChargeStatus, Stripe, TestApp, TestMerchant, run_reconciler,
    spawn_app,
};

/// Stripe is down for longer than one request's retries (3 attempts).
fn stripe_down() -> Fault {
    Fault::new(Method::POST, "/v1/payment_intents", FaultKind::Status(503)).times(3)
}

/// Stripe makes the PaymentIntent each time, but every answer is lost.
fn answers_lost() -> Fault {
    Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DropAfterProcessing,
    )
    .times(3)
}

/// Makes a charge row look written `hours` ago (the reconciler reads its age from `created_at`).
async fn age_charge(app: &TestApp, id: &str, hours: i64) {
    charge::Entity::update_many()
        .col_expr(
            charge::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::hours(hours)),
        )
        .filter(charge::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// The customer deleted in Stripe's dashboard.
async fn delete_customer_at_stripe(shop: &TestMerchant<'_>) {
    let stripe_customer = customer::Entity::find_by_id(shop.customer_id().to_owned())
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap()
        .stripe_customer_id
        .unwrap();
    let response = reqwest::Client::new()
        .delete(format!(
            "{}/v1/customers/{stripe_customer}",
            shop.app.emulator_base
        ))
        .basic_auth(shop.secret_key(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn stripe_not_answering_shows_the_charge_pending_and_warns_before_the_same_charge_again() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Pending Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;

    app.emulator.inject_fault(stripe_down());
    let pending = shop.charge(&card, "11", None).await.unwrap();
    assert_eq!(pending.status, ChargeStatus::Pending);
    assert_eq!(
        pending.status_label,
        "Pending — waiting for Stripe's answer"
    );
    // In Payments at once.
    let listed = shop.profile().await.charges;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, pending.id);
    assert_eq!(listed[0].status, ChargeStatus::Pending);

    // The dialog opened again (a new request key), the same amount: a warning, nothing charged.
    let again = shop.charge(&card, "11", None).await.unwrap_err();
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "POSSIBLE_DUPLICATE_CHARGE");
    let AppError::PossibleDuplicateCharge { charge_id, .. } = &again.error else {
        panic!("{:?}", again.error);
    };
    assert_eq!(charge_id, &pending.id);
    let warning = again.error.user_message();
    assert!(
        warning.starts_with("A charge of $11.00 to this customer from "),
        "{warning}"
    );
    assert!(
        warning.ends_with(
            "is not settled yet (Pending — waiting for Stripe's answer). Charging again may charge \
             them twice: check Payments first."
        ),
        "{warning}"
    );
    assert_eq!(app.charges().await.len(), 1);
    assert_eq!(shop.payment_intents(), 0);

    // Another amount is another charge: no warning.
    let other = shop.charge(&card, "12", None).await.unwrap();
    assert_eq!(other.status, ChargeStatus::Succeeded);

    // Charge anyway: the same form, naming the charge it was warned about.
    let anyway = shop
        .call(&ChargePaymentOption {
            confirm_duplicate: Some(pending.id.clone()),
            ..shop.charge_form(&card, "11")
        })
        .await
        .unwrap();
    assert_eq!(anyway.status, ChargeStatus::Succeeded);
    assert_ne!(anyway.id, pending.id);

    // The first one completes on its own, with its own key: three charges, three PaymentIntents.
    run_reconciler(&app.state).await.unwrap();
    let charges = shop.profile().await.charges;
    assert!(
        charges.iter().all(|c| c.status == ChargeStatus::Succeeded),
        "{charges:?}"
    );
    assert_eq!(shop.payment_intents(), 3);
}

#[tokio::test]
async fn a_charge_pending_past_a_day_is_looked_up_at_stripe_and_never_sent_again() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Day Old Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    app.emulator.inject_fault(answers_lost());
    // The answer is lost each time (how the dialog reports that has its own test).
    let _ = shop.charge(&card, "30", None).await;
    assert_eq!(shop.payment_intents(), 1, "Stripe did charge");
    let row = app.charges().await.remove(0);
    assert_eq!(row.status, ChargeStatus::Pending);
    assert_eq!(row.stripe_payment_intent_id, None);
    let posts = app.payment_intent_posts().len();

    age_charge(&app, &row.id, 24).await;
    run_reconciler(&app.state).await.unwrap();
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.status, ChargeStatus::Succeeded);
    assert_eq!(view.status_label, "Succeeded");
    assert_eq!(
        app.payment_intent_posts().len(),
        posts,
        "looked up, not sent"
    );
    assert_eq!(shop.payment_intents(), 1);
    assert_eq!(app.count_activity("charge_succeeded").await, 1);
}

#[tokio::test]
async fn a_charge_stripe_never_got_is_reported_not_charged_after_a_day() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Never Sent Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    app.emulator.inject_fault(stripe_down());
    let _ = shop.charge(&card, "30", None).await;
    let row = app.charges().await.remove(0);
    assert_eq!(row.status, ChargeStatus::Pending);
    let posts = app.payment_intent_posts().len();

    age_charge(&app, &row.id, 24).await;
    run_reconciler(&app.state).await.unwrap();
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.status, ChargeStatus::Failed);
    assert_eq!(view.status_label, "Not charged — it never reached Stripe");
    assert_eq!(app.payment_intent_posts().len(), posts, "never sent again");
    assert_eq!(shop.payment_intents(), 0);
    let activity = shop.activity().await;
    assert!(
        activity.iter().any(|a| a.contains(
            "Charge of $30.00 not made: the charge never reached Stripe, so nothing was charged"
        )),
        "{activity:?}"
    );
}

#[tokio::test]
async fn a_charge_stripe_cannot_account_for_is_unknown_and_tells_the_merchant_to_check() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Unknown Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    app.emulator.inject_fault(stripe_down());
    let _ = shop.charge(&card, "30", None).await;
    let row = app.charges().await.remove(0);
    // Deleted in Stripe's dashboard meanwhile: an empty list of its payments proves nothing.
    delete_customer_at_stripe(&shop).await;
    let posts = app.payment_intent_posts().len();

    age_charge(&app, &row.id, 24).await;
    run_reconciler(&app.state).await.unwrap();
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.status, ChargeStatus::Unknown);
    assert_eq!(view.status_label, "Unknown — check Stripe");
    assert_eq!(app.payment_intent_posts().len(), posts, "never sent again");
    let activity = shop.activity().await;
    assert!(
        activity.iter().any(|a| a.contains(
            "Charge of $30.00 — outcome unknown: Stripe could not tell whether it went through. \
             Check Stripe's dashboard before charging again."
        )),
        "{activity:?}"
    );
    // Settled for the reconciler: it is not looked at again.
    let done = run_reconciler(&app.state).await.unwrap();
    assert_eq!(done.charges, 0);
    // And a new charge of that amount is warned about, as for a pending one.
    let again = shop.charge(&card, "30", None).await.unwrap_err();
    assert_eq!(again.code(), "POSSIBLE_DUPLICATE_CHARGE");
}

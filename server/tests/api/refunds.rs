//! Refunds that Stripe does not finish at once (R23): a refund of Stripe's "Asynchronous success"
//! test card (`pm_card_pendingRefund`) stays `pending` until the emulator settles it. Its outcome
//! is recorded once — from the `refund.updated` webhook, or by the reconciler *reading* Stripe
//! when the webhook is lost — and a refund is never sent to Stripe again once its idempotency key
//! may have expired (23 h).

use app::entities::refund;
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use stripe_emulator::{Fault, FaultKind, Method};

use crate::world::{
    ChargeStatus, RefundStatus, Stripe, TestApp, TestMerchant, eventually, run_reconciler,
    spawn_app,
};

/// The refund rows, oldest first.
async fn refunds(app: &TestApp) -> Vec<refund::Model> {
    let mut rows = refund::Entity::find().all(&app.db).await.unwrap();
    rows.sort_by_key(|r| r.created_at);
    rows
}

/// How many times the app asked Stripe to create a refund.
fn refund_posts(app: &TestApp) -> usize {
    app.emulator
        .requests()
        .iter()
        .filter(|r| r.method == Method::POST && r.path == "/v1/refunds")
        .count()
}

/// The money of a pending refund reaches the card: Stripe's "some time later".
async fn settle_at_stripe(shop: &TestMerchant<'_>, stripe_refund_id: &str) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/emulator/refunds/{stripe_refund_id}/settle",
            shop.app.emulator_base
        ))
        .basic_auth(shop.secret_key(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Makes a refund row look written `hours` ago (the reconciler reads its age from `created_at`).
async fn age_refund(app: &TestApp, id: &str, hours: i64) {
    refund::Entity::update_many()
        .col_expr(
            refund::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::hours(hours)),
        )
        .filter(refund::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pending_refund_is_shown_pending_and_settles_once_from_its_webhook() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Slow Refund Tours")
        .connected(Stripe::PastedKeysWithWebhooks)
        .await;
    let card = shop.card_on_file("pm_card_pendingRefund").await;
    let charged = shop.charge(&card, "100", None).await.unwrap();
    assert_eq!(charged.status, ChargeStatus::Succeeded);

    let asked = shop.refund(&charged.id, "40", "Rain").await.unwrap();
    assert_eq!(asked.refunds[0].status_label, "Refund pending");
    assert_eq!(
        asked.refunded, 0,
        "nothing is refunded until Stripe says so"
    );
    assert_eq!(
        asked.refundable, 6_000,
        "the pending refund is not refundable twice"
    );
    let row = refunds(&app).await.remove(0);
    let stripe_id = row.stripe_refund_id.clone().expect("Stripe's id is kept");

    settle_at_stripe(&shop, &stripe_id).await;
    eventually("the refund to settle from refund.updated", async || {
        shop.profile().await.charges[0].refunded == 4_000
    })
    .await;
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.refunds[0].status_label, "Refunded");
    assert_eq!(view.status_label, "Partly refunded");
    assert_eq!(app.count_activity("refund").await, 1);
    assert_eq!(refund_posts(&app), 1);
}

#[tokio::test]
async fn the_reconciler_reads_a_pending_refund_whose_webhook_was_lost_and_never_sends_it_again() {
    let app = spawn_app().await;
    // No webhook reaches the app: only the reconciler can learn the outcome.
    let shop = app
        .merchant_with_customer("Lost Webhook Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_pendingRefund").await;
    let charged = shop.charge(&card, "100", None).await.unwrap();
    // A full refund: sent again after Stripe's 24 h it would be refused ("already refunded").
    shop.refund(&charged.id, "", "Cancelled").await.unwrap();
    let row = refunds(&app).await.remove(0);
    assert_eq!(refund_posts(&app), 1);

    // Still pending at Stripe: the reconciler reads it, and it stays pending.
    run_reconciler(&app.state).await.unwrap();
    assert_eq!(refunds(&app).await[0].status, RefundStatus::Pending);
    assert_eq!(
        refund_posts(&app),
        1,
        "a pending refund is read, not sent again"
    );

    // Two days later the money has reached the card; the webhook never came.
    settle_at_stripe(&shop, row.stripe_refund_id.as_deref().unwrap()).await;
    age_refund(&app, &row.id, 48).await;
    let done = run_reconciler(&app.state).await.unwrap();
    assert_eq!(done.refunds, 1);
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.refunds[0].status_label, "Refunded");
    assert_eq!(view.status_label, "Refunded");
    assert_eq!(view.refunded, 10_000);
    assert_eq!(refund_posts(&app), 1, "never sent twice");

    // Running it again (or on another instance) changes nothing.
    run_reconciler(&app.state).await.unwrap();
    assert_eq!(app.count_activity("refund").await, 1);
    assert_eq!(shop.profile().await.charges[0].refunded, 10_000);
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_found_by_our_id_after_a_day() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Dropped Answer Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let charged = shop.charge(&card, "50", None).await.unwrap();
    // Stripe makes the refund each time, but every answer is lost: we never learn its id.
    app.emulator.inject_fault(
        Fault::new(Method::POST, "/v1/refunds", FaultKind::DropAfterProcessing).times(3),
    );
    // No answer is no error to act on: the form shows the refund pending.
    let answered = shop.refund(&charged.id, "20", "Rain").await.unwrap();
    assert_eq!(answered.refunds[0].status_label, "Refund pending");
    assert_eq!(answered.refunds[0].amount, 2_000);
    let row = refunds(&app).await.remove(0);
    assert_eq!(row.stripe_refund_id, None);
    let posts = refund_posts(&app);

    age_refund(&app, &row.id, 25).await;
    run_reconciler(&app.state).await.unwrap();
    assert_eq!(refund_posts(&app), posts, "looked up, not sent again");
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.refunds[0].status_label, "Refunded");
    assert_eq!(view.refunded, 2_000);
    assert_eq!(
        refunds(&app).await[0]
            .stripe_refund_id
            .as_deref()
            .map(|id| id.starts_with("re_")),
        Some(true)
    );
}

#[tokio::test]
async fn a_refund_stripe_never_got_is_sent_while_its_key_is_young_and_never_after() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Down Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    let charged = shop.charge(&card, "50", None).await.unwrap();
    let down = || Fault::new(Method::POST, "/v1/refunds", FaultKind::Status(503)).times(3);

    // An hour old: Stripe still honours its key, so the reconciler sends it.
    app.emulator.inject_fault(down());
    shop.refund(&charged.id, "10", "Rain").await.unwrap();
    let young = refunds(&app).await.remove(0);
    age_refund(&app, &young.id, 1).await;
    run_reconciler(&app.state).await.unwrap();
    let view = shop.profile().await.charges[0].clone();
    assert_eq!(view.refunds[0].status_label, "Refunded");
    assert_eq!(view.refunded, 1_000);

    // A day old: its key may be gone at Stripe, and Stripe has no such refund: never sent,
    // reported as not made.
    app.emulator.inject_fault(down());
    shop.refund(&charged.id, "15", "Wind").await.unwrap();
    let old = refunds(&app).await.remove(1);
    age_refund(&app, &old.id, 24).await;
    let posts = refund_posts(&app);
    run_reconciler(&app.state).await.unwrap();
    assert_eq!(refund_posts(&app), posts, "too old to send");
    let view = shop.profile().await.charges[0].clone();
    let failed = view.refunds.iter().find(|r| r.id == old.id).unwrap();
    assert_eq!(
        failed.status_label,
        "Refund failed: Stripe never received this refund, so nothing was refunded: refund again \
         if it is still due"
    );
    assert_eq!(view.refunded, 1_000);
    assert_eq!(
        view.refundable, 4_000,
        "the refund that was never made is refundable again"
    );
}

//! The reconciler is not starved: rows it cannot settle now — their merchant disconnected Stripe,
//! or its secret no longer opens — are the oldest and never change, yet the charges of the other
//! merchants are still settled; a merchant who connects again has its rows settled then.

use app::entities::{charge, new_id, staff_user, stripe_connection};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use stripe_emulator::{Emulator, Fault, FaultKind, Method};

use crate::world::{
    ChargeStatus, DisconnectStripe, Stripe, TestApp, WEBHOOK_SECRET, run_reconciler, spawn_app,
};

/// More than the reconciler looks at in one run.
const STUCK: usize = 101;

/// `n` charges of the merchant's customer on `card`, asked for an hour ago, that never reached
/// Stripe (the process died before the call): what the reconciler sends again.
async fn unsent_charges(app: &TestApp, merchant_id: &str, customer_id: &str, card: &str, n: usize) {
    let staff = staff_user::Entity::find()
        .filter(staff_user::Column::MerchantId.eq(merchant_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let an_hour_ago = Utc::now() - Duration::hours(1);
    let rows = (0..n).map(|_| charge::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(customer_id.to_owned()),
        booking_id: Set(None),
        payment_option_id: Set(card.to_owned()),
        request_key: Set(new_id()),
        idempotency_key: Set(new_id()),
        amount: Set(1000),
        currency: Set("usd".to_owned()),
        description: Set("Kayak rental".to_owned()),
        status: Set(ChargeStatus::Pending),
        stripe_payment_intent_id: Set(None),
        failure_code: Set(None),
        decline_code: Set(None),
        failure_message: Set(None),
        refunded_amount: Set(0),
        send_receipt: Set(false),
        created_by_staff_id: Set(staff.id.clone()),
        attempts: Set(1),
        created_at: Set(an_hour_ago),
        updated_at: Set(an_hour_ago),
        settled_at: Set(None),
    });
    charge::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .unwrap();
}

async fn statuses_of(app: &TestApp, merchant_id: &str) -> Vec<ChargeStatus> {
    charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect()
}

#[tokio::test]
async fn rows_of_merchants_without_a_usable_connection_do_not_starve_the_others() {
    let app = spawn_app().await;
    // A merchant who disconnected Stripe with charges that never reached it.
    let gone = app
        .merchant_with_customer("Gone Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let gone_card = gone.card_on_file("pm_card_visa").await;
    unsent_charges(&app, &gone.id, gone.customer_id(), &gone_card, STUCK).await;
    gone.call(&DisconnectStripe {}).await.unwrap();
    // A merchant whose sealed secret no longer opens (sealed under a key since lost).
    let sealed = app
        .merchant_with_customer("Sealed Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let sealed_card = sealed.card_on_file("pm_card_visa").await;
    unsent_charges(&app, &sealed.id, sealed.customer_id(), &sealed_card, STUCK).await;
    stripe_connection::Entity::update_many()
        .col_expr(
            stripe_connection::Column::SecretKeySealed,
            Expr::value("sealed-under-a-lost-key"),
        )
        .filter(stripe_connection::Column::MerchantId.eq(sealed.id.as_str()))
        .exec(&app.db)
        .await
        .unwrap();
    // A connected merchant whose charge Stripe made but whose answer was lost: the newest row.
    let shop = app
        .merchant_with_customer("Open Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.card_on_file("pm_card_visa").await;
    app.emulator.inject_fault(
        Fault::new(
            Method::POST,
            "/v1/payment_intents",
            FaultKind::DropAfterProcessing,
        )
        .times(3),
    );
    let unanswered = shop.charge(&card, "30", None).await.unwrap();
    assert_eq!(unanswered.status, ChargeStatus::Pending);
    assert_eq!(statuses_of(&app, &shop.id).await, [ChargeStatus::Pending]);

    run_reconciler(&app.state).await.unwrap();
    assert_eq!(statuses_of(&app, &shop.id).await, [ChargeStatus::Succeeded]);
    assert_eq!(shop.payment_intents(), 1);
    for stuck in [&gone.id, &sealed.id] {
        let statuses = statuses_of(&app, stuck).await;
        assert_eq!(statuses.len(), STUCK);
        assert!(statuses.iter().all(|s| *s == ChargeStatus::Pending));
    }

    // Connected again (the same account): its charges are sent and settled, once each.
    let secret_key = gone.secret_key();
    let publishable_key = Emulator::publishable_key(secret_key).unwrap();
    gone.connect_stripe(&publishable_key, secret_key, WEBHOOK_SECRET)
        .await
        .unwrap();
    run_reconciler(&app.state).await.unwrap();
    run_reconciler(&app.state).await.unwrap();
    let statuses = statuses_of(&app, &gone.id).await;
    assert!(
        statuses.iter().all(|s| *s == ChargeStatus::Succeeded),
        "{statuses:?}"
    );
    assert_eq!(gone.payment_intents(), STUCK);
}

//! A merchant who connects another Stripe account (or switches test → live): the Stripe ids
//! saved with the old account mean nothing in the new one. Cards of the old account are shown
//! unusable with why and never charged; a Stripe customer is made again in the new account.

use app::entities::customer;
use sea_orm::EntityTrait;
use stripe_emulator::{Fault, FaultKind, Method, ObjectKind};

use crate::world::{
    ChargeStatus, Stripe, TestApp, TestMerchant, WEBHOOK_SECRET, run_reconciler, spawn_app,
    test_keys,
};

const ANOTHER_ACCOUNT: &str = "Saved in another Stripe account";

/// A merchant with a card saved through the app, then connected to a fresh account; the new
/// account's secret key.
async fn switched_with_card(app: &TestApp) -> (TestMerchant<'_>, String, String) {
    let shop = app
        .merchant_with_customer("Switching Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.add_card("pm_card_visa").await.id;
    let (pk, sk) = test_keys();
    shop.connect_stripe(&pk, &sk, WEBHOOK_SECRET).await.unwrap();
    (shop, card, sk)
}

async fn stripe_customer_of(app: &TestApp, customer_id: &str) -> Option<String> {
    customer::Entity::find_by_id(customer_id.to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .stripe_customer_id
}

#[tokio::test]
async fn send_email_after_an_account_switch_makes_a_stripe_customer_in_the_new_account() {
    let app = spawn_app().await;
    let (shop, _card, new_key) = switched_with_card(&app).await;
    let old = stripe_customer_of(&app, shop.customer_id()).await.unwrap();

    shop.send_card_request("").await.unwrap();

    let new = stripe_customer_of(&app, shop.customer_id()).await.unwrap();
    assert_ne!(new, old, "a Stripe customer of the new account");
    assert_eq!(app.emulator.count(&new_key, ObjectKind::Customer), 1);
}

#[tokio::test]
async fn a_card_page_opened_before_an_account_switch_works_after_it() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Switching Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let link = shop.send_and_read_link().await;
    let customer = app.open_link(&link).await;
    let before = customer.card_page().await.unwrap();
    let (pk, sk) = test_keys();
    shop.connect_stripe(&pk, &sk, WEBHOOK_SECRET).await.unwrap();

    let after = customer.card_page().await.unwrap();

    assert_eq!(after.setup.publishable_key, pk);
    assert_ne!(after.setup.client_secret, before.setup.client_secret);
    assert_eq!(app.emulator.count(&sk, ObjectKind::SetupIntent), 1);
}

#[tokio::test]
async fn a_card_of_the_old_account_is_refused_clearly_and_nothing_is_sent_to_stripe() {
    let app = spawn_app().await;
    let (shop, card, _) = switched_with_card(&app).await;
    let posts_before = app.payment_intent_posts().len();

    let refused = shop.charge(&card, "25.00", None).await.unwrap_err();

    assert_eq!(refused.fields(), ["payment_option_id"]);
    assert!(
        refused.errors()[0].message.starts_with(ANOTHER_ACCOUNT),
        "{refused:?}"
    );
    assert_eq!(app.payment_intent_posts().len(), posts_before);
    assert!(app.charges().await.is_empty(), "no charge row");
}

#[tokio::test]
async fn the_profile_shows_a_card_of_the_old_account_as_unusable_with_why() {
    let app = spawn_app().await;
    let (shop, card, _) = switched_with_card(&app).await;
    let before = shop.profile().await.cards.payment_options;
    assert_eq!(before.len(), 1);

    let fresh = shop.add_card("pm_card_mastercard").await.id;

    let cards = shop.profile().await.cards.payment_options;
    let old = cards.iter().find(|c| c.id == card).unwrap();
    assert!(
        old.unusable
            .as_deref()
            .unwrap()
            .starts_with(ANOTHER_ACCOUNT),
        "{old:?}"
    );
    let new = cards.iter().find(|c| c.id == fresh).unwrap();
    assert_eq!(
        new.unusable, None,
        "a card of the account connected now is usable"
    );
}

/// A charge made in the old account lives there with its refunds: a refund is refused with where
/// to make it, before anything is written or sent.
#[tokio::test]
async fn a_charge_of_the_old_account_is_refunded_only_from_that_accounts_dashboard() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Refund Switch Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.add_card("pm_card_visa").await.id;
    let charged = shop.charge(&card, "40", None).await.unwrap();
    let (pk, sk) = test_keys();
    shop.connect_stripe(&pk, &sk, WEBHOOK_SECRET).await.unwrap();
    let refund_posts = || {
        app.emulator
            .requests()
            .iter()
            .filter(|r| r.method == Method::POST && r.path == "/v1/refunds")
            .count()
    };

    let refused = shop.refund(&charged.id, "10", "Rain").await.unwrap_err();

    assert_eq!(refused.fields(), ["amount"]);
    assert!(
        refused.errors()[0]
            .message
            .starts_with("This charge was made in another Stripe account"),
        "{refused:?}"
    );
    assert_eq!(refund_posts(), 0);
    assert_eq!(app.count("refunds").await, 0);
}

/// A charge still open when the account changed can't be settled with the new keys — asking the
/// new account would send it again there, or answer "no such PaymentIntent" and read as a decline.
/// The reconciler leaves Stripe alone and marks it unknown, naming the account to check.
#[tokio::test]
async fn a_charge_left_open_in_the_old_account_becomes_unknown_without_asking_the_new_one() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Open Switch Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let card = shop.add_card("pm_card_visa").await.id;
    let old_account = shop.settings().await.stripe.account_id.unwrap();
    app.emulator.inject_fault(
        Fault::new(Method::POST, "/v1/payment_intents", FaultKind::Status(503)).times(3),
    );
    let pending = shop.charge(&card, "30", None).await.unwrap();
    assert_eq!(pending.status, ChargeStatus::Pending);
    let (pk, sk) = test_keys();
    shop.connect_stripe(&pk, &sk, WEBHOOK_SECRET).await.unwrap();
    let posts = app.payment_intent_posts().len();

    run_reconciler(&app.state).await.unwrap();

    assert_eq!(
        app.payment_intent_posts().len(),
        posts,
        "nothing sent again"
    );
    let view = shop.profile().await.charges.remove(0);
    assert_eq!(view.status, ChargeStatus::Unknown);
    assert_eq!(view.status_label, "Unknown — check Stripe");
    let activity = shop.activity().await;
    assert!(
        activity.iter().any(|line| line
            == &format!(
                "Charge of $30.00 — outcome unknown: it was made in another Stripe account \
                 ({old_account}). Check that account's dashboard before charging again."
            )),
        "{activity:?}"
    );
}

//! Settings' MioPay (Stripe) connection: the demo account, pasted keys checked with Stripe and
//! stored sealed, bad keys refused, and each merchant's connection its own.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::world::{
    ConnectDemoStripe, CurrentSession, DisconnectStripe, TestApp, WEBHOOK_SECRET, spawn_app,
    test_keys,
};

async fn sealed_columns(app: &TestApp) -> String {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT secret_key_sealed, webhook_secret_sealed FROM stripe_connections",
        ))
        .await
        .unwrap()
        .unwrap();
    let a: String = row.try_get("", "secret_key_sealed").unwrap();
    let b: String = row.try_get("", "webhook_secret_sealed").unwrap();
    format!("{a} {b}")
}

#[tokio::test]
async fn connect_demo_stripe_links_the_emulator_and_shows_the_demo_banner() {
    let app = spawn_app().await;
    let merchant = app.merchant("Demo Pay Tours").await;
    let before = merchant.settings().await;
    assert!(!before.stripe.connected);
    assert!(before.stripe.demo_available);

    let view = merchant.call(&ConnectDemoStripe {}).await.unwrap();
    assert!(view.connected);
    assert!(view.emulated);
    assert_eq!(view.mode.as_deref(), Some("test"));
    assert!(view.account_id.as_deref().unwrap().starts_with("acct_"));
    assert!(
        view.publishable_key
            .as_deref()
            .unwrap()
            .starts_with("pk_test_")
    );

    let session = merchant.call(&CurrentSession {}).await.unwrap();
    assert!(session.demo_payments);
    let html = merchant.get_page("/customers").await.text().await.unwrap();
    assert!(html.contains("Demo — no real payments"));
    assert!(
        !sealed_columns(&app).await.contains("sk_test_"),
        "secret stored sealed"
    );
}

#[tokio::test]
async fn pasted_keys_are_checked_with_stripe_and_stored_sealed() {
    let app = spawn_app().await;
    let merchant = app.merchant("Keys Tours").await;
    let (pk, sk) = test_keys();

    let view = merchant
        .connect_stripe(&pk, &sk, WEBHOOK_SECRET)
        .await
        .unwrap();
    assert!(view.connected);
    assert!(!view.emulated);
    assert!(view.account_id.as_deref().unwrap().starts_with("acct_"));
    let sealed = sealed_columns(&app).await;
    assert!(
        !sealed.contains(&sk) && !sealed.contains(WEBHOOK_SECRET),
        "secrets stored sealed"
    );

    let view = merchant.call(&DisconnectStripe {}).await.unwrap();
    assert!(!view.connected);
    assert_eq!(app.count("stripe_connections").await, 0);
}

#[tokio::test]
async fn bad_keys_get_field_errors_and_store_nothing() {
    let app = spawn_app().await;
    let merchant = app.merchant("Bad Keys Tours").await;
    let (pk, _) = test_keys();
    let cases: [(&str, &str, &str, &str); 4] = [
        ("nope", "sk_nope", "secret", "publishable_key"),
        (
            &pk,
            "sk_live_0123456789abcdef",
            WEBHOOK_SECRET,
            "secret_key",
        ),
        (
            "pk_live_0123456789abcdef",
            "sk_live_0123456789abcdef",
            WEBHOOK_SECRET,
            "secret_key",
        ),
        (&pk, "sk_test_x\r\nBcc: a@b.c", WEBHOOK_SECRET, "secret_key"),
    ];
    for (pk, sk, whsec, field) in cases {
        let refused = merchant.connect_stripe(pk, sk, whsec).await.unwrap_err();
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pk} {sk}"
        );
        assert_eq!(refused.errors()[0].field, field, "{refused:?}");
    }
    assert_eq!(app.count("stripe_connections").await, 0);
}

#[tokio::test]
async fn stripe_settings_are_per_merchant() {
    let app = spawn_app().await;
    let a = app.merchant("A Pay").await;
    let b = app.merchant("B Pay").await;
    a.post(&ConnectDemoStripe {}).await;
    assert!(!b.settings().await.stripe.connected);
    b.post(&DisconnectStripe {}).await;
    assert!(a.settings().await.stripe.connected);
}

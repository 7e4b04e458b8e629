use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

pub const WEBHOOK_SECRET: &str = "whsec_test_0123456789abcdef";

/// Keys of a fresh emulator account (the emulator treats every sk_test_ key as its own account).
pub fn test_keys() -> (String, String) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    (format!("pk_test_{suffix}"), format!("sk_test_{suffix}"))
}

pub async fn connect_with_keys(
    merchant: &crate::helpers::Browser,
    pk: &str,
    sk: &str,
    whsec: &str,
) -> reqwest::Response {
    merchant
        .call(
            "connect_stripe",
            &[
                ("publishable_key", pk),
                ("secret_key", sk),
                ("webhook_secret", whsec),
            ],
        )
        .await
}

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
    let before: Value = merchant
        .call("get_settings", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["stripe"]["connected"], false);
    assert_eq!(before["stripe"]["demo_available"], true);

    let response = merchant.call("connect_demo_stripe", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["connected"], true);
    assert_eq!(view["emulated"], true);
    assert_eq!(view["mode"], "test");
    assert!(view["account_id"].as_str().unwrap().starts_with("acct_"));
    assert!(
        view["publishable_key"]
            .as_str()
            .unwrap()
            .starts_with("pk_test_")
    );

    let session: Value = merchant
        .call("current_session", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["demo_payments"], true);
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

    let response = connect_with_keys(&merchant, &pk, &sk, WEBHOOK_SECRET).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["connected"], true);
    assert_eq!(view["emulated"], false);
    assert!(view["account_id"].as_str().unwrap().starts_with("acct_"));
    let sealed = sealed_columns(&app).await;
    assert!(
        !sealed.contains(&sk) && !sealed.contains(WEBHOOK_SECRET),
        "secrets stored sealed"
    );

    let response = merchant.call("disconnect_stripe", &[]).await;
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["connected"], false);
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
        let response = connect_with_keys(&merchant, pk, sk, whsec).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pk} {sk}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(app.count("stripe_connections").await, 0);
}

#[tokio::test]
async fn stripe_settings_are_per_merchant() {
    let app = spawn_app().await;
    let a = app.merchant("A Pay").await;
    let b = app.merchant("B Pay").await;
    a.call("connect_demo_stripe", &[]).await;
    let b_view: Value = b.call("get_settings", &[]).await.json().await.unwrap();
    assert_eq!(b_view["stripe"]["connected"], false);
    b.call("disconnect_stripe", &[]).await;
    let a_view: Value = a.call("get_settings", &[]).await.json().await.unwrap();
    assert_eq!(a_view["stripe"]["connected"], true);
}

//! A new merchant proves its email address before anything goes to its customers, and sends at
//! most its daily quota of customer emails: the platform is no open mail relay (issue 12, item 4).

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use app::entities::email_confirmation;

use crate::world::{
    DemoData, EmailKind, ResendEmailConfirmation, Stripe, TestMerchant, spawn_app,
    spawn_app_adjusted,
};

/// What an unconfirmed merchant reads where Send Email is.
fn confirm_first(merchant: &TestMerchant<'_>) -> String {
    format!(
        "Confirm your email address first — we sent a link to {}.",
        merchant.email
    )
}

#[tokio::test]
async fn an_unconfirmed_merchant_sends_nothing_to_customers_and_nothing_is_queued() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Fresh Tours")
        .connected(Stripe::PastedKeys)
        .unconfirmed()
        .await;

    // The profile says why before anyone tries, and offers to resend the link.
    let action = shop.profile().await.card_request;
    assert_eq!(action.blocked_reason, Some(confirm_first(&shop)));
    assert!(action.offers_confirmation_resend);

    let refused = shop.send_card_request("Hi!").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "EMAIL_UNCONFIRMED");
    assert_eq!(refused.error.user_message(), confirm_first(&shop));

    // A charge may email the customer (a receipt, a link to confirm): refused before Stripe.
    let card = shop.card_on_file("pm_card_visa").await;
    let refused = shop.charge(&card, "10", None).await.unwrap_err();
    assert_eq!(refused.code(), "EMAIL_UNCONFIRMED");
    assert_eq!(shop.payment_intents(), 0);
    assert!(app.charges().await.is_empty());

    assert_eq!(app.count("customer_links").await, 0);
    for kind in [
        EmailKind::CardRequest,
        EmailKind::ChargeReceipt,
        EmailKind::PaymentConfirmation,
    ] {
        assert!(app.emails_of_kind(kind).await.is_empty(), "{kind}");
    }
    // The only email is the one to the merchant itself.
    assert_eq!(app.count("outbox_emails").await, 1);
}

#[tokio::test]
async fn a_confirmation_link_confirms_once_and_then_customers_can_be_emailed() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Link Tours")
        .connected(Stripe::Demo)
        .unconfirmed()
        .await;
    let token = app.confirmation_link_to(&shop.email).await;
    let sealed = email_confirmation::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(sealed.len(), 1);
    assert_ne!(sealed[0].token_digest, token, "only the digest is stored");

    // A tampered or malformed token is not found, and confirms nothing.
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "short", "%3Bx"] {
        let page = app
            .browser()
            .get_page(&format!("/confirm-email/{bad}"))
            .await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    assert!(shop.send_card_request("").await.is_err());

    let opened = app
        .browser()
        .get_page(&format!("/confirm-email/{token}"))
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    assert!(
        opened
            .text()
            .await
            .unwrap()
            .contains("your email address is confirmed")
    );

    let again = app
        .browser()
        .get_page(&format!("/confirm-email/{token}"))
        .await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("This link has already been used")
    );

    assert_eq!(shop.profile().await.card_request.blocked_reason, None);
    shop.send_card_request("").await.unwrap();
    assert_eq!(app.emails_of_kind(EmailKind::CardRequest).await.len(), 1);
}

#[tokio::test]
async fn an_expired_link_confirms_nothing_and_resend_replaces_the_old_link() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Late Tours")
        .connected(Stripe::Demo)
        .unconfirmed()
        .await;
    let first = app.confirmation_link_to(&shop.email).await;
    email_confirmation::Entity::update_many()
        .col_expr(
            email_confirmation::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let expired = app
        .browser()
        .get_page(&format!("/confirm-email/{first}"))
        .await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(
        expired
            .text()
            .await
            .unwrap()
            .contains("This link has expired")
    );
    assert!(shop.send_card_request("").await.is_err());

    let address = shop.call(&ResendEmailConfirmation {}).await.unwrap();
    assert_eq!(address, shop.email);
    let second = app.confirmation_link_to(&shop.email).await;
    assert_ne!(first, second);
    let old = app
        .browser()
        .get_page(&format!("/confirm-email/{first}"))
        .await;
    assert_eq!(
        old.status(),
        StatusCode::NOT_FOUND,
        "the old link was replaced"
    );
    let opened = app
        .browser()
        .get_page(&format!("/confirm-email/{second}"))
        .await;
    assert_eq!(opened.status(), StatusCode::OK);

    // Confirmed: nothing more to resend.
    let refused = shop.call(&ResendEmailConfirmation {}).await.unwrap_err();
    assert_eq!(refused.code(), "VALIDATION");
    shop.send_card_request("").await.unwrap();
}

#[tokio::test]
async fn the_daily_quota_of_customer_emails_is_refused_with_nothing_queued() {
    let app = spawn_app_adjusted(|config| config.limits.daily_customer_emails = 2).await;
    let shop = app
        .merchant_with_customer("Busy Tours")
        .connected(Stripe::Demo)
        .await;
    shop.send_card_request("").await.unwrap();
    shop.send_card_request("").await.unwrap();

    let refused = shop.send_card_request("").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "EMAIL_QUOTA_REACHED");
    let quota = "You have sent today's limit of 2 emails to customers. Sending starts again at \
                 midnight UTC.";
    assert_eq!(refused.error.user_message(), quota);
    assert_eq!(app.count("customer_links").await, 2);
    assert_eq!(app.emails_of_kind(EmailKind::CardRequest).await.len(), 2);
    let action = shop.profile().await.card_request;
    assert_eq!(action.blocked_reason.as_deref(), Some(quota));
    assert!(!action.offers_confirmation_resend);

    // Another merchant's quota is its own.
    let other = app
        .merchant_with_customer("Quiet Tours")
        .connected(Stripe::Demo)
        .await;
    other.send_card_request("").await.unwrap();
}

#[tokio::test]
async fn the_seeded_demo_merchant_is_confirmed() {
    let data = DemoData::new();
    let (app, password) = data.start().await;
    let demo =
        TestMerchant::signed_in(&app, "demo@example.com", &password, "ada@example.com").await;
    assert_eq!(demo.profile().await.card_request.blocked_reason, None);
    demo.send_card_request("").await.unwrap();
    app.stop().await;
}

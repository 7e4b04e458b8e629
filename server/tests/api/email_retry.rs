//! **Retry** on a failed email (issue 11, item 9): the merchant puts it back in the outbox with
//! the whole retry time again, and it goes out with its link still working; an email that must
//! not go out again (not failed, another merchant's, its link used, replaced or expired) stays as
//! it is, with why.

use app::entities::{customer_link, outbox_email};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use crate::world::{
    EmailKind, EmailState, NotificationState, RetryEmail, Stripe, TestApp, TestMerchant, outbox,
    spawn_app,
};

async fn email(app: &TestApp, id: &str) -> outbox_email::Model {
    outbox_email::Entity::find_by_id(id.to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

fn retry(id: &str) -> RetryEmail {
    RetryEmail {
        email_id: id.to_owned(),
    }
}

/// Sends a card request the mail server refuses (550): the email is failed. Returns its id.
async fn failed_card_request(shop: &TestMerchant<'_>) -> String {
    shop.app.smtp.reject_recipients();
    shop.send_card_request("").await.unwrap();
    assert_eq!(shop.app.deliver_emails().await, 1);
    shop.app.smtp.accept_recipients();
    let id = shop.profile().await.notifications[0].id.clone();
    assert_eq!(email(shop.app, &id).await.state, EmailState::Failed);
    id
}

#[tokio::test]
async fn a_failed_card_request_is_retried_and_delivered_with_a_link_that_works() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Retry Tours")
        .connected(Stripe::Demo)
        .await;
    let id = failed_card_request(&shop).await;
    let failed = shop.profile().await.notifications.remove(0);
    assert_eq!(failed.state, NotificationState::Failed);
    assert!(failed.state_label.contains("550"), "{}", failed.state_label);
    assert!(failed.can_retry);

    shop.call(&retry(&id)).await.unwrap();
    let queued = shop.profile().await.notifications.remove(0);
    assert_eq!(queued.state, NotificationState::Queued);
    assert!(
        queued.state_label.starts_with("Retrying — next attempt at"),
        "{}",
        queued.state_label
    );
    assert!(!queued.can_retry);
    assert!(queued.timeline.iter().any(|(step, _)| step == "Retried"));

    assert_eq!(app.deliver_emails().await, 1);
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1, "the refused attempt delivered nothing");
    let token = app.link_in_email(&messages[0]);
    let sent = shop.profile().await.notifications.remove(0);
    assert_eq!(sent.state, NotificationState::Sent);
    assert_eq!(sent.attempts, 2);
    // The link it carried is the request's own, still pending: the card page opens.
    let customer = app.open_link(&token).await;
    customer.card_page().await.unwrap();
    // One email, one request: the retry made no new row of either.
    assert_eq!(app.emails_of_kind(EmailKind::CardRequest).await.len(), 1);
    assert_eq!(app.card_requests().await.len(), 1);
}

#[tokio::test]
async fn a_retried_email_gets_the_whole_retry_time_again() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Late Tours")
        .connected(Stripe::Demo)
        .await;
    let id = failed_card_request(&shop).await;
    // It failed two days ago, at the end of its retry time.
    let mut row = email(&app, &id).await.into_active_model();
    row.created_at = Set(Utc::now() - Duration::hours(49));
    row.update(&app.db).await.unwrap();

    shop.call(&retry(&id)).await.unwrap();
    // The mail server is down now: the retried email waits for it instead of failing at once.
    let down = app.mailer("smtp://127.0.0.1:9");
    assert_eq!(
        outbox::run_once(&app.db, &down, Utc::now()).await.unwrap(),
        1
    );
    let waiting = email(&app, &id).await;
    assert_eq!(waiting.state, EmailState::Queued);
    assert!(waiting.requeued_at.is_some());
    assert!(
        shop.profile().await.notifications[0]
            .state_label
            .starts_with("Retrying")
    );
}

#[tokio::test]
async fn retry_is_refused_for_a_sent_email_and_another_merchants_and_changes_nothing() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Own Tours")
        .connected(Stripe::Demo)
        .await;
    let failed = failed_card_request(&shop).await;
    let other = app.merchant("Other Tours").await;
    let refused = other.call(&retry(&failed)).await.unwrap_err();
    assert_eq!(refused.code(), "NOT_FOUND");
    assert_eq!(email(&app, &failed).await.state, EmailState::Failed);

    // A new request replaces the failed one and is delivered.
    shop.send_card_request("").await.unwrap();
    assert_eq!(app.deliver_emails().await, 1);
    let sent = shop.profile().await.notifications[0].id.clone();
    let refused = shop.call(&retry(&sent)).await.unwrap_err();
    assert_eq!(refused.code(), "CANNOT_RETRY");
    assert_eq!(
        refused.error.user_message(),
        "Only an email that failed can be retried."
    );
    assert_eq!(email(&app, &sent).await.state, EmailState::Sent);

    // The failed one's link was replaced: it must not reach the customer any more.
    let replaced = shop.profile().await.notifications.remove(1);
    assert_eq!(replaced.id, failed);
    assert!(!replaced.can_retry);
    let refused = shop.call(&retry(&failed)).await.unwrap_err();
    assert_eq!(
        refused.error.user_message(),
        "A newer card request replaced this one: send a new one instead."
    );
    assert_eq!(email(&app, &failed).await.state, EmailState::Failed);
    assert_eq!(app.smtp.messages().len(), 1);
}

#[tokio::test]
async fn an_email_whose_link_expired_is_not_retried() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Expired Tours")
        .connected(Stripe::Demo)
        .await;
    let id = failed_card_request(&shop).await;
    let mut link = app.card_requests().await.remove(0).into_active_model();
    link.expires_at = Set(Utc::now() - Duration::minutes(1));
    let _: customer_link::Model = link.update(&app.db).await.unwrap();

    let shown = shop.profile().await.notifications.remove(0);
    assert_eq!(shown.state, NotificationState::Failed);
    assert!(!shown.can_retry, "no Retry for a link that no longer works");
    let refused = shop.call(&retry(&id)).await.unwrap_err();
    assert_eq!(refused.code(), "CANNOT_RETRY");
    assert_eq!(
        refused.error.user_message(),
        "The link in this email has expired: send a new card request instead."
    );
    assert_eq!(email(&app, &id).await.state, EmailState::Failed);
}

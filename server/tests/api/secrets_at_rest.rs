//! What a copy of the database gives away (issue 12, item 2): no live link — the outbox keeps the
//! email bodies sealed — and, once the retention time is over, neither the bodies of sent emails
//! nor the payloads of processed Stripe events (they hold client secrets).

use app::entities::{outbox_email, stripe_event};
use app::payments::webhook_signature::sign;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    Statement,
};
use serde_json::json;

use crate::world::{
    EmailKind, EmailState, NotificationState, Stripe, TestApp, WEBHOOK_SECRET, link_digest, outbox,
    spawn_app,
};

/// Every column of every outbox row, as text: what someone reading the table sees.
async fn outbox_table_as_text(app: &TestApp) -> String {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, recipient, subject, body_text, body_html, message_id FROM outbox_emails",
        ))
        .await
        .unwrap();
    rows.iter()
        .flat_map(|row| (0..6).map(|i| row.try_get_by_index::<String>(i).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

const RETENTION: i64 = 30;

/// Emails the outbox is done with: what a purge after the retention time empties.
async fn sent_or_failed(app: &TestApp) -> u64 {
    outbox_email::Entity::find()
        .filter(outbox_email::Column::State.is_in([EmailState::Sent, EmailState::Failed]))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_link_in_a_card_request_is_sealed_in_the_outbox_and_readable_only_in_the_email() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Sealed Tours")
        .connected(Stripe::Demo)
        .await;
    shop.send_card_request("See you soon").await.unwrap();
    let stored = outbox_table_as_text(&app).await;
    assert!(!stored.contains("/pay/"), "no link at rest: {stored}");
    assert!(!stored.contains("See you soon"), "bodies sealed: {stored}");

    assert_eq!(app.deliver_emails().await, 1);
    let message = app.smtp.messages().remove(0);
    let token = app.link_in_email(&message);
    assert!(message.data.contains("See you soon"));
    assert!(!outbox_table_as_text(&app).await.contains(&token));
    // The token the customer got is the request's: only its digest is stored.
    assert_eq!(app.card_requests().await[0].token_hash, link_digest(&token));
    app.open_link(&token).await.card_page().await.unwrap();
}

#[tokio::test]
async fn bodies_of_old_sent_emails_are_deleted_and_the_notification_stays() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Purged Tours")
        .connected(Stripe::Demo)
        .await;
    shop.send_card_request("").await.unwrap();
    assert_eq!(app.deliver_emails().await, 1);
    let retention = Duration::days(RETENTION);

    // Not yet: the email was sent today.
    assert_eq!(
        outbox::purge_bodies(&app.db, Utc::now(), retention)
            .await
            .unwrap(),
        0
    );
    // A month on: every sent email (the owner's confirmation too).
    let later = Utc::now() + retention + Duration::minutes(1);
    let sent = sent_or_failed(&app).await;
    assert_eq!(
        outbox::purge_bodies(&app.db, later, retention)
            .await
            .unwrap(),
        sent
    );
    let row = app.emails_of_kind(EmailKind::CardRequest).await.remove(0);
    assert_eq!((row.body_text.as_str(), row.body_html.as_str()), ("", ""));
    assert_eq!(row.state, EmailState::Sent);
    let shown = shop.profile().await.notifications.remove(0);
    assert_eq!(shown.state, NotificationState::Sent);

    // A queued email is never emptied, however old.
    shop.send_card_request("").await.unwrap();
    assert_eq!(
        outbox::purge_bodies(&app.db, later + retention, retention)
            .await
            .unwrap(),
        0
    );
    let queued = outbox_email::Entity::find()
        .filter(outbox_email::Column::State.eq(EmailState::Queued))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!queued.body_text.is_empty());
}

#[tokio::test]
async fn a_failed_email_whose_body_was_deleted_is_not_retried() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Old Failure Tours")
        .connected(Stripe::Demo)
        .await;
    app.smtp.reject_recipients();
    shop.send_card_request("").await.unwrap();
    assert_eq!(app.deliver_emails().await, 1);
    let retention = Duration::days(RETENTION);
    let later = Utc::now() + retention + Duration::minutes(1);
    let done = sent_or_failed(&app).await;
    assert_eq!(
        outbox::purge_bodies(&app.db, later, retention)
            .await
            .unwrap(),
        done
    );
    let shown = shop.profile().await.notifications.remove(0);
    assert_eq!(shown.state, NotificationState::Failed);
    assert!(!shown.can_retry);
    let refused = shop
        .call(&crate::world::RetryEmail { email_id: shown.id })
        .await
        .unwrap_err();
    assert_eq!(
        refused.error.user_message(),
        "This email's content was deleted after the retention period: send a new one instead."
    );
}

#[tokio::test]
async fn payloads_of_processed_stripe_events_are_deleted_after_the_retention_time() {
    let app = spawn_app().await;
    // Pasted keys without an endpoint at Stripe: the only events are the ones delivered here.
    let shop = app
        .merchant("Event Tours")
        .connected(Stripe::PastedKeys)
        .await;
    for id in ["evt_one", "evt_two"] {
        let body = json!({
            "id": id,
            "object": "event",
            "type": "customer.created",
            "created": 1_700_000_000,
            "livemode": false,
            "data": { "object": { "id": "cus_1", "object": "customer",
                "metadata": { "client_secret": "seti_1_secret_abc" } } }
        })
        .to_string();
        let signature = sign(body.as_bytes(), WEBHOOK_SECRET, Utc::now().timestamp());
        assert_eq!(
            app.deliver_webhook(&shop.id, &body, &signature).await,
            StatusCode::OK
        );
    }
    // One still waiting for its handler, from long ago: it keeps its payload.
    stripe_event::ActiveModel {
        id: Set("waiting".to_owned()),
        merchant_id: Set(shop.id.clone()),
        stripe_event_id: Set("evt_waiting".to_owned()),
        event_type: Set("customer.created".to_owned()),
        payload: Set("{\"id\":\"evt_waiting\"}".to_owned()),
        received_at: Set(Utc::now() - Duration::days(2 * RETENTION)),
        processed_at: Set(None),
        processing_until: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();

    let retention = Duration::days(RETENTION);
    let purge = async |now| {
        server::webhooks::purge_payloads(&app.db, now, retention)
            .await
            .unwrap()
    };
    assert_eq!(purge(Utc::now()).await, 0, "processed today: kept");
    assert_eq!(
        purge(Utc::now() + retention + Duration::minutes(1)).await,
        2
    );
    let events = stripe_event::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(
        events.len(),
        3,
        "the rows stay: a redelivery is still a no-op"
    );
    for event in events {
        assert_eq!(
            event.payload.is_empty(),
            event.stripe_event_id != "evt_waiting",
            "{}",
            event.stripe_event_id
        );
    }
}

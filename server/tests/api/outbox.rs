//! The email outbox (DESIGN "Send Email", RELIABILITY R6/R17): delivery, retries with backoff,
//! permanent failures, header injection, and two workers racing on the same rows.

use std::sync::Arc;

use app::domain::EmailAddress;
use app::entities::outbox_email;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::world::{AppError, EmailKind, EmailState, MAIL_FROM, TestApp, outbox, spawn_app};

fn email(merchant_id: &str, from_name: &str, subject: &str) -> outbox::NewEmail {
    outbox::NewEmail {
        merchant_id: merchant_id.to_owned(),
        customer_id: None,
        kind: EmailKind::CardRequest,
        recipient: EmailAddress::parse("jane@example.com").unwrap(),
        from_name: from_name.into(),
        reply_to: Some(EmailAddress::parse("owner@acme.example").unwrap()),
        subject: subject.into(),
        body_text: "Please add a card: https://example.test/pay/abc".into(),
        body_html:
            "<p>Please add a card: <a href=\"https://example.test/pay/abc\">add card</a></p>".into(),
    }
}

/// An address where nothing listens: connections are refused.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("smtp://127.0.0.1:{port}")
}

async fn row(app: &TestApp, id: &str) -> outbox_email::Model {
    outbox_email::Entity::find_by_id(id.to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

fn hour(n: i64) -> chrono::Duration {
    chrono::Duration::hours(n)
}

#[tokio::test]
async fn a_queued_email_is_delivered_once_with_its_stored_message_id() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    let merchant = app.merchant("Acme Hair").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Acme Hair", "Add a card for Acme Hair"),
    )
    .await
    .unwrap();
    let queued = row(&app, &id).await;
    assert_eq!(queued.state, EmailState::Queued);
    assert!(queued.message_id.starts_with('<') && queued.message_id.ends_with('>'));

    let mailer = app.mailer(&sink.url());
    assert_eq!(
        outbox::run_once(&app.db, &mailer, Utc::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        outbox::run_once(&app.db, &mailer, Utc::now() + hour(1))
            .await
            .unwrap(),
        0
    );

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt, vec!["jane@example.com".to_owned()]);
    assert!(
        message.mail_from.contains(MAIL_FROM),
        "{}",
        message.mail_from
    );
    assert_eq!(message.header("Message-ID").unwrap(), queued.message_id);
    let from = message.header("From").unwrap();
    assert!(
        from.contains("Acme Hair") && from.contains(&format!("<{MAIL_FROM}>")),
        "{from}"
    );
    assert!(
        message
            .header("Reply-To")
            .unwrap()
            .contains("owner@acme.example")
    );
    assert_eq!(message.header("To").unwrap(), "jane@example.com");
    assert_eq!(
        message.header("Subject").unwrap(),
        "Add a card for Acme Hair"
    );
    assert!(
        message
            .header("Content-Type")
            .unwrap()
            .contains("multipart/alternative")
    );
    assert!(message.data.contains("text/plain"));
    assert!(message.data.contains("text/html"));
    assert!(message.data.contains("https://example.test/pay/abc"));

    let sent = row(&app, &id).await;
    assert_eq!(sent.state, EmailState::Sent);
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());
    assert!(sent.lease_until.is_none());
    assert!(sent.last_error.is_none());
}

#[tokio::test]
async fn smtp_down_then_back_delivers_exactly_once_with_the_attempts_recorded() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    let merchant = app.merchant("Down Salon").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Down Salon", "Hello"),
    )
    .await
    .unwrap();
    let down = app.mailer(&dead_url().await);
    let mut now: DateTime<Utc> = Utc::now();

    // Connection refused.
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
    let first = row(&app, &id).await;
    assert_eq!(first.state, EmailState::Queued);
    assert_eq!(first.attempts, 1);
    assert!(first.last_error.is_some());
    let wait = first.next_attempt_at - now;
    assert!(
        wait >= chrono::Duration::milliseconds(1500)
            && wait <= chrono::Duration::milliseconds(2500),
        "first backoff ~2 s ± 20 %: {wait}"
    );
    // Not due yet: nothing happens.
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 0);
    assert_eq!(row(&app, &id).await.attempts, 1);

    now += hour(1);
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
    let second = row(&app, &id).await;
    assert_eq!(second.attempts, 2);
    let wait = second.next_attempt_at - now;
    assert!(
        wait >= chrono::Duration::milliseconds(3000),
        "backoff grows: {wait}"
    );

    // The server is back but first drops the connection, then answers 421 twice.
    sink.drop_next(1);
    sink.busy_next(2);
    let up = app.mailer(&sink.url());
    for attempts in 3..=5 {
        now += hour(1);
        assert_eq!(outbox::run_once(&app.db, &up, now).await.unwrap(), 1);
        let retried = row(&app, &id).await;
        assert_eq!(retried.state, EmailState::Queued);
        assert_eq!(retried.attempts, attempts);
        assert!(retried.last_error.is_some());
    }
    assert!(row(&app, &id).await.last_error.unwrap().contains("421"));
    assert!(sink.messages().is_empty());

    now += hour(1);
    assert_eq!(outbox::run_once(&app.db, &up, now).await.unwrap(), 1);
    now += hour(1);
    assert_eq!(outbox::run_once(&app.db, &up, now).await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1);
    let sent = row(&app, &id).await;
    assert_eq!(sent.state, EmailState::Sent);
    assert_eq!(sent.attempts, 6);
}

#[tokio::test]
async fn a_transient_failure_gives_up_once_the_retry_time_is_over() {
    let app = spawn_app().await;
    let merchant = app.merchant("Gone Salon").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Gone Salon", "Hello"),
    )
    .await
    .unwrap();
    let down = app.mailer(&dead_url().await);
    let created = row(&app, &id).await.created_at;
    let mut now = Utc::now();
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
    // Two days on: the next attempt is due at the end of the retry time at the latest.
    now += chrono::Duration::hours(47) + chrono::Duration::minutes(59);
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
    let last = row(&app, &id).await;
    assert_eq!(last.state, EmailState::Queued);
    assert!(last.next_attempt_at <= created + hour(48));
    now = created + hour(48);
    assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
    let failed = row(&app, &id).await;
    assert_eq!(failed.state, EmailState::Failed);
    assert_eq!(failed.attempts, 3);
    assert!(failed.last_error.is_some());
    assert_eq!(
        outbox::run_once(&app.db, &down, now + hour(1))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_permanent_rejection_marks_the_email_failed_without_retrying() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    sink.reject_recipients();
    let merchant = app.merchant("Reject Salon").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Reject Salon", "Hello"),
    )
    .await
    .unwrap();
    let mailer = app.mailer(&sink.url());
    let now = Utc::now();
    assert_eq!(outbox::run_once(&app.db, &mailer, now).await.unwrap(), 1);
    let failed = row(&app, &id).await;
    assert_eq!(failed.state, EmailState::Failed);
    assert_eq!(failed.attempts, 1);
    assert!(
        failed.last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        failed.last_error
    );

    let connections = sink.connections();
    assert_eq!(
        outbox::run_once(&app.db, &mailer, now + hour(2))
            .await
            .unwrap(),
        0
    );
    assert_eq!(sink.connections(), connections, "no retry after a 5xx");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn line_breaks_in_subject_or_sender_name_are_refused_at_enqueue() {
    let app = spawn_app().await;
    let merchant = app.merchant("Inject Salon").await.id;
    for (from_name, subject, field) in [
        ("Inject Salon", "Hi\r\nBcc: victim@example.com", "subject"),
        ("Inject Salon", "Hi\nBcc: victim@example.com", "subject"),
        ("Evil\r\nBcc: victim@example.com", "Hi", "from_name"),
        ("Evil\rX", "Hi", "from_name"),
    ] {
        match outbox::enqueue(
            &app.db,
            &app.state.secrets,
            email(&merchant, from_name, subject),
        )
        .await
        {
            Err(AppError::Validation { errors }) => assert_eq!(errors[0].field, field),
            other => panic!("expected a validation error for {field}, got {other:?}"),
        }
    }
    assert!(app.emails_of_kind(EmailKind::CardRequest).await.is_empty());
}

#[tokio::test]
async fn two_workers_racing_deliver_each_email_exactly_once() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    let merchant = app.merchant("Race Salon").await.id;
    let mut ids = Vec::new();
    for n in 0..12 {
        let id = outbox::enqueue(
            &app.db,
            &app.state.secrets,
            email(&merchant, "Race Salon", &format!("Email {n}")),
        )
        .await
        .unwrap();
        ids.push(id);
    }
    let mailer = Arc::new(app.mailer(&sink.url()));
    let now = Utc::now();
    let (db1, db2) = (app.db.clone(), app.db.clone());
    let (m1, m2) = (mailer.clone(), mailer.clone());
    let one = tokio::spawn(async move { outbox::run_once(&db1, &m1, now).await.unwrap() });
    let two = tokio::spawn(async move { outbox::run_once(&db2, &m2, now).await.unwrap() });
    let (one, two) = (one.await.unwrap(), two.await.unwrap());
    assert_eq!(one + two, 12, "worker one {one}, worker two {two}");

    let messages = sink.messages();
    assert_eq!(messages.len(), 12);
    let mut message_ids: Vec<String> = messages
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    message_ids.sort();
    message_ids.dedup();
    assert_eq!(message_ids.len(), 12, "no email sent twice");
    for id in &ids {
        let sent = row(&app, id).await;
        assert_eq!(sent.state, EmailState::Sent);
        assert_eq!(sent.attempts, 1);
    }
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_resent_with_the_same_message_id() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    let merchant = app.merchant("Crash Salon").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Crash Salon", "Hello"),
    )
    .await
    .unwrap();
    let now = Utc::now();
    // A worker claimed the row and died mid-send.
    let mut claimed: outbox_email::ActiveModel = row(&app, &id).await.into();
    claimed.state = Set(EmailState::Sending);
    claimed.attempts = Set(1);
    claimed.lease_until = Set(Some(now + chrono::Duration::seconds(60)));
    claimed.update(&app.db).await.unwrap();
    let mailer = app.mailer(&sink.url());

    // While the lease holds, nobody else touches it.
    assert_eq!(outbox::run_once(&app.db, &mailer, now).await.unwrap(), 0);
    // Once it has expired, another worker sends it.
    assert_eq!(
        outbox::run_once(&app.db, &mailer, now + chrono::Duration::seconds(61))
            .await
            .unwrap(),
        1
    );
    let sent = row(&app, &id).await;
    assert_eq!(sent.state, EmailState::Sent);
    assert_eq!(sent.attempts, 2);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].header("Message-ID").unwrap(), sent.message_id);
}

#[tokio::test]
async fn an_smtp_outage_longer_than_eight_attempts_does_not_fail_the_email() {
    let app = spawn_app().await;
    let sink = &app.smtp;
    let merchant = app.merchant("Patient Salon").await.id;
    let id = outbox::enqueue(
        &app.db,
        &app.state.secrets,
        email(&merchant, "Patient Salon", "Hello"),
    )
    .await
    .unwrap();
    let down = app.mailer(&dead_url().await);
    // Down for five hours: an attempt every 20 minutes, each one due (the backoff stops growing
    // at 15 minutes).
    let mut now = Utc::now();
    for attempts in 1..=15 {
        assert_eq!(outbox::run_once(&app.db, &down, now).await.unwrap(), 1);
        let retrying = row(&app, &id).await;
        assert_eq!(retrying.state, EmailState::Queued, "attempt {attempts}");
        // 15 minutes at most after the attempt, which itself takes a moment.
        assert!(retrying.next_attempt_at - now <= chrono::Duration::minutes(16));
        now += chrono::Duration::minutes(20);
    }
    // Back: delivered once.
    assert_eq!(
        outbox::run_once(&app.db, &app.mailer(&sink.url()), now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(sink.messages().len(), 1);
    let sent = row(&app, &id).await;
    assert_eq!(sent.state, EmailState::Sent);
    assert_eq!(sent.attempts, 16);
}

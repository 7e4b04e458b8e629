//! R17, the scale-out story: two server processes (the built binary) on one Postgres database,
//! both running every worker (outbox, reconciler), with one Stripe and one mail server between
//! them, as behind a load balancer. Requests and Stripe's events go to either; each email is sent
//! once, each event handled once, each charge settled once, and a profile open on one instance
//! hears about a change made on the other, also after the connection it listens on dropped. Needs
//! `TEST_DATABASE_URL` (SQLite is one process).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::entities::{activity, charge, customer_link, outbox_email, payment_option, stripe_event};
use app::payments::webhook_signature::sign;
use chrono::Utc;
use futures::future::join_all;
use reqwest::{Response, StatusCode};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Statement,
};
use serde_json::Value;
use stripe_emulator::{Emulator, EmulatorConfig, ObjectKind};

use crate::smtp_sink::{Received, SmtpSink};
use crate::world::{
    Browser, ChargePaymentOption, ChargeStatus, ChargeView, CreateBooking, Customer, EmailState,
    LinkStatus, SendCardRequest, ServerCommand, ServerProcess, WEBHOOK_SECRET, fresh_key,
    test_database, test_keys,
};

/// Customers of the one merchant; each gets a card request, saves a card and is charged twice.
const CUSTOMERS: usize = 6;

/// Starts an instance as production would run it behind a proxy — every worker on — with the
/// database, master key, Stripe and mail server all instances share.
fn instance(
    database_url: &str,
    master_key: &str,
    stripe_base: &str,
    smtp_url: &str,
) -> ServerCommand {
    ServerCommand::new(database_url, master_key, stripe_base)
        .env("APP__DATABASE__MAX_CONNECTIONS", "5")
        .env("APP__SMTP__URL", smtp_url)
        .env("APP__SMTP__WORKER", "true")
        .env("APP__STRIPE__RECONCILE_INTERVAL_SECS", "1")
}

/// The same browser (one cookie jar: cookies ignore ports) sending to one instance or the other.
fn at(browser: &Browser, instance: &ServerProcess) -> Browser {
    Browser {
        base: instance.address.clone(),
        client: browser.client.clone(),
    }
}

/// Send Email on the customer's profile.
async fn send_card_request(browser: &Browser, customer_id: &str) {
    browser
        .call(&SendCardRequest {
            customer_id: customer_id.to_owned(),
            note: String::new(),
        })
        .await
        .unwrap();
}

/// The Charge dialog, `amount` on `card`, a receipt asked for.
async fn charge(browser: &Browser, card: &payment_option::Model, amount: &str) -> ChargeView {
    browser
        .call(&ChargePaymentOption {
            customer_id: card.customer_id.clone(),
            payment_option_id: card.id.clone(),
            amount: amount.to_owned(),
            description: "Sunset kayak tour".to_owned(),
            booking_id: None,
            request_key: fresh_key(),
            send_receipt: Some("on".to_owned()),
            confirm_duplicate: None,
        })
        .await
        .unwrap()
}

/// Waits, bounded, for what the instances do on their own time.
async fn eventually(what: &str, condition: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The database connections instances listen for each other's changes on (`LISTEN`).
async fn listening_connections(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN %'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Ends every instance's listening connection from the server side.
async fn drop_listening_connections(db: &DatabaseConnection) {
    db.execute_unprepared(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN %'",
    )
    .await
    .unwrap();
}

/// Reads the event stream until an event of `kind` arrives (bounded: a missing event fails).
async fn next_event(stream: &mut Response, kind: &str) {
    let wanted = format!("event: {kind}\ndata: ");
    let mut seen = String::new();
    let outcome = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&wanted) {
                return;
            }
        }
        panic!("the stream ended before `{kind}`");
    })
    .await;
    assert!(outcome.is_ok(), "no `{kind}` event; saw: {seen}");
}

/// The card link in an email as a mail client shows it: (the instance's address, the token).
fn link_in(message: &Received) -> (String, String) {
    link_after(message, "/pay/")
}

/// The address and token of a link `<address><path><token>` in an email.
fn link_after(message: &Received, path: &str) -> (String, String) {
    let text = message.data.replace("=\r\n", "").replace("=3D", "=");
    let at = text.find(path).expect("the email has the link");
    let address_start = text[..at].rfind("http://").expect("an absolute link");
    let token = text[at + path.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (text[address_start..at].to_owned(), token)
}

/// Delivers every event Stripe has for the account to both instances at the same moment (a
/// redelivery racing the first delivery, each to another instance). A delivery that finds the
/// event being processed by the other is answered 409, and Stripe delivers it again later: here,
/// once every first answer is in (so the other delivery has finished). Every event must end 2xx.
async fn deliver_everywhere(instances: &[&ServerProcess], merchant_id: &str, events: &[Value]) {
    let client = reqwest::Client::new();
    let deliveries: Vec<(String, String)> = events
        .iter()
        .flat_map(|event| {
            let body = event.to_string();
            instances
                .iter()
                .map(move |instance| (instance.address.clone(), body.clone()))
        })
        .collect();
    let deliver = |address: &str, body: &str| {
        let signature = sign(body.as_bytes(), WEBHOOK_SECRET, Utc::now().timestamp());
        client
            .post(format!("{address}/webhooks/stripe/{merchant_id}"))
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let answers = join_all(deliveries.iter().map(|(a, b)| deliver(a, b))).await;
    let mut again = Vec::new();
    for (answer, delivery) in answers.into_iter().zip(&deliveries) {
        match answer.unwrap().status() {
            StatusCode::OK => {}
            StatusCode::CONFLICT => again.push(delivery),
            other => panic!("a webhook delivery was refused: {other}"),
        }
    }
    for (address, body) in again {
        let status = deliver(address, body).await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "a redelivered webhook was refused");
    }
}

/// Every queued email left the outbox (sent, none failed or still waiting).
async fn outbox_drained(db: &DatabaseConnection) -> bool {
    let rows = outbox_email::Entity::find().all(db).await.unwrap();
    rows.iter().all(|row| row.state == EmailState::Sent)
}

/// Each outbox row reached the mail server exactly once (by its Message-ID), and nothing else did.
async fn assert_each_email_sent_once(db: &DatabaseConnection, smtp: &SmtpSink) {
    let rows = outbox_email::Entity::find().all(db).await.unwrap();
    let mut received: HashMap<String, usize> = HashMap::new();
    for message in smtp.messages() {
        let id = message.header("Message-ID").expect("a Message-ID");
        *received
            .entry(id.trim_matches(['<', '>']).to_owned())
            .or_default() += 1;
    }
    for row in &rows {
        let id = row.message_id.trim_matches(['<', '>']);
        assert_eq!(
            received.get(id),
            Some(&1),
            "{:?} to {}",
            row.kind,
            row.recipient
        );
    }
    assert_eq!(smtp.messages().len(), rows.len(), "no email sent twice");
}

async fn activity_count(db: &DatabaseConnection, kind: &str) -> usize {
    activity::Entity::find()
        .filter(activity::Column::Kind.eq(kind))
        .all(db)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn two_instances_on_one_postgres_send_each_email_handle_each_event_and_settle_each_charge_once()
 {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |url| url.is_empty()) {
        eprintln!("skipped: two instances need one Postgres database (set TEST_DATABASE_URL)");
        return;
    }
    let (database_url, _database) = test_database().await;
    let emulator = Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let smtp = SmtpSink::start().await;
    let shared = instance(
        &database_url,
        &app::crypto::SecretBox::generate_key(),
        &emulator.base_url(),
        &smtp.url(),
    );
    let (a, b) = tokio::join!(shared.start(), shared.start());
    let db = Database::connect(&database_url).await.unwrap();

    // The owner signs up on A and connects Stripe (no endpoint registered at Stripe: this test
    // delivers the account's events itself, to both instances).
    let owner = Browser::new(&a.address, Duration::from_secs(60));
    let owner_email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let signed_up = owner
        .sign_up(
            "Twin Tours",
            "Owner Name",
            &owner_email,
            "correct horse battery",
        )
        .await;
    assert_eq!(signed_up.status(), StatusCode::OK);
    eventually("the confirmation email", async || {
        smtp.messages().len() == 1
    })
    .await;
    let confirmation = smtp.messages().remove(0);
    let (_, token) = link_after(&confirmation, "/confirm-email/");
    let confirmed = owner.get_page(&format!("/confirm-email/{token}")).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let (pk, sk) = test_keys();
    owner
        .connect_stripe(&pk, &sk, WEBHOOK_SECRET)
        .await
        .unwrap();
    let on = [at(&owner, &a), at(&owner, &b)];
    let mut customers = Vec::new();
    for i in 0..CUSTOMERS {
        let email = format!("guest{i}@example.com");
        let created = on[i % 2]
            .create_customer("Guest", &i.to_string(), &email, "")
            .await;
        customers.push(created.id);
    }
    let merchant_id = merchant_of(&db, &customers[0]).await;

    // A profile open on A hears of a card request sent from B.
    let mut stream = owner
        .client
        .get(format!("{}/events/customers/{}", a.address, customers[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    next_event(&mut stream, "ready").await;
    send_card_request(&on[1], &customers[0]).await;
    next_event(&mut stream, "changed").await;

    // The connections the instances listen on drop (a Postgres restart, a proxy's idle cut-off):
    // each listens again on a new one, and a profile opened on A afterwards still hears of a
    // change made on B — here, a booking for a customer nothing else has touched yet.
    let quiet = &customers[CUSTOMERS - 1];
    assert_eq!(listening_connections(&db).await, 2);
    drop_listening_connections(&db).await;
    eventually("both instances to listen again", async || {
        listening_connections(&db).await == 2
    })
    .await;
    let mut quiet_stream = owner
        .client
        .get(format!("{}/events/customers/{quiet}", a.address))
        .send()
        .await
        .unwrap();
    next_event(&mut quiet_stream, "ready").await;
    on[1]
        .call(&CreateBooking {
            customer_id: quiet.clone(),
            title: "Sunset kayak tour".to_owned(),
            starts_at: "2031-07-14T18:30".to_owned(),
            participants: "2".to_owned(),
            total: "120".to_owned(),
            payment_option_id: Some(String::new()),
        })
        .await
        .unwrap();
    next_event(&mut quiet_stream, "changed").await;
    drop(quiet_stream);

    // The other card requests, from either instance at once; both outbox workers deliver.
    let sent = join_all(
        customers[1..]
            .iter()
            .enumerate()
            .map(|(i, id)| send_card_request(&on[i % 2], id)),
    )
    .await;
    assert_eq!(sent.len(), CUSTOMERS - 1);
    eventually("the card requests to go out", async || {
        smtp.messages().len() > CUSTOMERS && outbox_drained(&db).await
    })
    .await;

    // Each customer opens the link (on the instance that sent it), confirms a card at Stripe and
    // comes back through the other instance; half close the page before, leaving the card to
    // Stripe's `setup_intent.succeeded`.
    let links: Vec<_> = smtp.messages()[1..].iter().map(link_in).collect();
    assert_eq!(links.len(), CUSTOMERS);
    for (i, (address, token)) in links.iter().enumerate() {
        let browser = Browser::new(address, Duration::from_secs(60));
        let opened = browser.get_page(&format!("/pay/{token}")).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER);
        let customer = Customer::new(browser, &emulator.base_url());
        let page = customer.card_page().await.unwrap();
        customer.confirm_card(&page, "pm_card_visa").await;
        if i % 2 == 0 {
            let other = if *address == a.address { &b } else { &a };
            let back = Customer::new(at(&customer.browser, other), &emulator.base_url());
            back.complete_card_setup().await.unwrap();
        }
    }
    deliver_everywhere(&[&a, &b], &merchant_id, &emulator.events(&sk)).await;

    // Two charges per card, one on each instance, all at once, receipts asked for; of different
    // amounts, since the same amount again while one is pending is held back as a possible
    // duplicate.
    let cards = payment_option::Entity::find().all(&db).await.unwrap();
    assert_eq!(cards.len(), CUSTOMERS, "one card per customer");
    let charges = join_all(cards.iter().flat_map(|card| {
        on.iter()
            .zip(["25.00", "26.00"])
            .map(move |(browser, amount)| charge(browser, card, amount))
    }))
    .await;
    for charged in charges {
        assert_eq!(charged.status, ChargeStatus::Succeeded);
    }
    // Stripe's events for all of it, each to both instances at once.
    deliver_everywhere(&[&a, &b], &merchant_id, &emulator.events(&sk)).await;
    eventually("every email to go out", async || outbox_drained(&db).await).await;

    // Each card request used once, each card recorded once.
    let requests = customer_link::Entity::find().all(&db).await.unwrap();
    assert_eq!(requests.len(), CUSTOMERS);
    assert!(requests.iter().all(|r| r.status == LinkStatus::Completed));
    assert_eq!(activity_count(&db, "card_added").await, CUSTOMERS);
    // Each charge made once at Stripe and settled once here.
    let rows = charge::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 2 * CUSTOMERS);
    assert!(rows.iter().all(|r| r.status == ChargeStatus::Succeeded));
    let intents: HashSet<_> = rows
        .iter()
        .map(|r| r.stripe_payment_intent_id.clone())
        .collect();
    assert_eq!(intents.len(), 2 * CUSTOMERS);
    assert_eq!(
        emulator.count(&sk, ObjectKind::PaymentIntent),
        2 * CUSTOMERS
    );
    assert_eq!(activity_count(&db, "charge_succeeded").await, 2 * CUSTOMERS);
    // Each of Stripe's events stored once and handled.
    let events = stripe_event::Entity::find().all(&db).await.unwrap();
    assert_eq!(events.len(), emulator.events(&sk).len());
    assert!(events.iter().all(|e| e.processed_at.is_some()));
    // The owner's confirmation, card requests, "card saved" notices and receipts: each sent once.
    assert_each_email_sent_once(&db, &smtp).await;
    assert_eq!(smtp.messages().len(), 1 + 2 * CUSTOMERS + 2 * CUSTOMERS);
}

/// The id of the customer's merchant: its webhook URL names it.
async fn merchant_of(db: &DatabaseConnection, customer_id: &str) -> String {
    app::entities::customer::Entity::find_by_id(customer_id.to_owned())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .merchant_id
}

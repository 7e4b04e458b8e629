//! The card request end to end (issue "Send Email → secure link → card page → card on file"):
//! request → outbox → SMTP (a real listener) → the link → SetupIntent → confirm at the emulator
//! (as Stripe.js does, with the publishable key) → webhook and page → one payment option and one
//! notice. RELIABILITY R1, R4, R6, R7, R8, R12.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::entities::{card_request, outbox_email, payment_option};
use app::features::notifications::outbox::{self, Mailer};
use chrono::Utc;
use reqwest::header::{COOKIE, LOCATION, REFERRER_POLICY, SET_COOKIE};
use reqwest::{Response, StatusCode, redirect};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::helpers::{Browser, TestApp, error_code, spawn_app};
use crate::smtp_sink::{Received, SmtpSink};

struct Shop {
    app: TestApp,
    merchant: Browser,
    customer_id: String,
    sink: SmtpSink,
}

async fn shop(business: &str) -> Shop {
    let app = spawn_app().await;
    let merchant = app.merchant(business).await;
    let connected = merchant.call("connect_demo_stripe", &[]).await;
    assert_eq!(connected.status(), StatusCode::OK);
    let customer = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_owned();
    Shop {
        app,
        merchant,
        customer_id,
        sink: SmtpSink::start().await,
    }
}

impl Shop {
    async fn send(&self, note: &str) -> Response {
        self.merchant
            .call(
                "send_card_request",
                &[("customer_id", &self.customer_id), ("note", note)],
            )
            .await
    }

    async fn payments(&self) -> Value {
        let response = self
            .merchant
            .call(
                "get_customer_payments",
                &[("customer_id", &self.customer_id)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// One pass of the outbox worker against the test's SMTP listener.
    async fn deliver_emails(&self) -> usize {
        let mailer = Mailer::new(
            &self.sink.url(),
            "no-reply@cardonfile.test",
            Duration::from_secs(5),
        )
        .unwrap();
        outbox::run_once(&self.app.db, &mailer, Utc::now())
            .await
            .unwrap()
    }

    /// Sends a request and returns the token from the delivered email.
    async fn send_and_read_link(&self) -> String {
        assert_eq!(self.send("").await.status(), StatusCode::OK);
        let before = self.sink.messages().len();
        self.deliver_emails().await;
        let message = self.sink.messages()[before..]
            .last()
            .cloned()
            .expect("the card request was delivered");
        token_in(&message, &self.app.address)
    }

    async fn wait_for(&self, what: &str, condition: impl AsyncFn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition().await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The link's token, read from the message as a mail client would show it (quoted-printable
/// soft breaks undone).
fn token_in(message: &Received, base: &str) -> String {
    let body = message.data.replace("=\r\n", "").replace("=3D", "=");
    let prefix = format!("{base}/pay/");
    let start = body
        .find(&prefix)
        .expect("the email links to the card page")
        + prefix.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A customer's browser: its own cookie jar, redirects not followed.
fn customer_browser(app: &TestApp) -> Browser {
    Browser {
        base: app.address.clone(),
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// Opens the emailed link the way a browser does: GET, take the cookie, follow to `/pay`.
async fn open_link(app: &TestApp, token: &str) -> Browser {
    let browser = customer_browser(app);
    let response = browser.get_page(&format!("/pay/{token}")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers().get(LOCATION).unwrap().to_str().unwrap();
    assert!(
        location.starts_with("/pay?visit=") && !location.contains(token),
        "redirects to a URL of its own without the token: {location}"
    );
    assert_eq!(
        response.headers().get(REFERRER_POLICY).unwrap(),
        "no-referrer"
    );
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("cof_link="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    browser
}

/// What Stripe.js does in the customer's browser: confirm the SetupIntent with the publishable
/// key, its client secret and a card.
async fn confirm_at_stripe(app: &TestApp, page: &Value, payment_method: &str) -> Value {
    let secret = page["setup"]["client_secret"].as_str().unwrap();
    let key = page["setup"]["publishable_key"].as_str().unwrap();
    let id = secret.split("_secret_").next().unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/setup_intents/{id}/confirm",
            app.emulator_base
        ))
        .basic_auth(key, Some(""))
        .form(&[
            ("client_secret", secret),
            ("payment_method", payment_method),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn requests_of(app: &TestApp) -> Vec<card_request::Model> {
    card_request::Entity::find()
        .order_by_asc(card_request::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
}

async fn emails_of_kind(app: &TestApp, kind: &str) -> Vec<outbox_email::Model> {
    outbox_email::Entity::find()
        .filter(outbox_email::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_card_request_travels_by_email_and_its_link_puts_the_card_on_file() {
    let shop = shop("Harbour Tours").await;
    let before = shop.payments().await;
    assert_eq!(before["card_request"]["blocked_reason"], Value::Null);
    assert_eq!(
        before["card_request"]["recipient"],
        "Jane Doe <jane@example.com>"
    );

    let sent = shop.send("See you on Saturday!").await;
    assert_eq!(sent.status(), StatusCode::OK);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["recipient"], "jane@example.com");
    // Stored: only the token's digest, an expiry seven days out, who sent it.
    let request = requests_of(&shop.app).await.remove(0);
    assert_eq!(request.status, "pending");
    assert_eq!(request.token_hash.len(), 64);
    let days = (request.expires_at - request.created_at).num_days();
    assert_eq!(days, 7);
    // The Stripe customer exists now.
    let stored = app::entities::customer::Entity::find_by_id(shop.customer_id.clone())
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.stripe_customer_id.unwrap().starts_with("cus_"));
    let queued = shop.payments().await;
    assert_eq!(queued["notifications"][0]["state"], "queued");
    assert!(queued["card_request"]["pending_until"].is_string());

    assert_eq!(shop.deliver_emails().await, 1);
    let messages = shop.sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt, vec!["jane@example.com".to_owned()]);
    assert_eq!(
        message.header("Subject").unwrap(),
        "Harbour Tours asks you to add a card"
    );
    assert!(message.header("From").unwrap().contains("Harbour Tours"));
    assert!(message.header("Reply-To").unwrap().contains("@example.com"));
    assert!(message.data.contains("multipart/alternative"));
    assert!(message.data.contains("See you on Saturday!"));
    assert!(message.data.contains("No account or login needed"));
    let token = token_in(message, &shop.app.address);
    assert_eq!(token.len(), 43);
    assert_eq!(
        request.token_hash,
        app::features::card_requests::link::digest(&token)
    );
    assert_eq!(shop.payments().await["notifications"][0]["state"], "sent");

    let customer = open_link(&shop.app, &token).await;
    assert_eq!(shop.payments().await["notifications"][0]["state"], "opened");
    let page = customer.call("load_card_page", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page: Value = page.json().await.unwrap();
    assert_eq!(page["merchant_name"], "Harbour Tours");
    assert_eq!(page["customer_first_name"], "Jane");
    assert!(
        page["setup"]["stripe_js_url"]
            .as_str()
            .unwrap()
            .starts_with(&shop.app.emulator_base)
    );
    assert!(
        page["setup"]["publishable_key"]
            .as_str()
            .unwrap()
            .starts_with("pk_test_")
    );

    let intent = confirm_at_stripe(&shop.app, &page, "pm_card_visa").await;
    assert_eq!(intent["status"], "succeeded");
    // Stripe's webhook records the card, the page's own check then finds it done.
    shop.wait_for("the webhook to save the card", async || {
        shop.app.count("payment_options").await == 1
    })
    .await;
    let saved = customer.call("complete_card_setup", &[]).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["brand"], "Visa");
    assert_eq!(saved["last4"], "4242");

    let option = payment_option::Entity::find()
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(option.stripe_payment_method_id.starts_with("pm_"));
    assert!(option.is_default);
    assert_eq!(option.source, "customer_link");
    let after = shop.payments().await;
    let line = format!(
        "Visa •••• 4242 — expires {:02}/{:02}",
        option.exp_month,
        option.exp_year % 100
    );
    assert_eq!(after["payment_options"].as_array().unwrap().len(), 1);
    assert_eq!(after["payment_options"][0]["card"]["last4"], "4242");
    assert_eq!(
        format!(
            "{} •••• {} — expires {:02}/{:02}",
            after["payment_options"][0]["card"]["brand"]
                .as_str()
                .unwrap(),
            after["payment_options"][0]["card"]["last4"]
                .as_str()
                .unwrap(),
            after["payment_options"][0]["card"]["exp_month"]
                .as_u64()
                .unwrap(),
            after["payment_options"][0]["card"]["exp_year"]
                .as_i64()
                .unwrap()
                % 100
        ),
        line
    );
    assert_eq!(after["card_request"]["pending_until"], Value::Null);
    // Newest first: the notice to the merchant, then the completed request.
    let notifications = after["notifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 2);
    assert_eq!(notifications[0]["title"], "Card saved notice");
    assert_eq!(notifications[1]["state"], "completed");

    // The merchant's notice goes out through the same outbox.
    assert_eq!(shop.deliver_emails().await, 1);
    let notice = shop.sink.messages().pop().unwrap();
    assert_eq!(notice.header("Subject").unwrap(), "Jane Doe added a card");
    assert!(notice.rcpt[0].starts_with("owner-"));

    // The link works once.
    let reopened = open_link(&shop.app, &token).await;
    let again = reopened.call("load_card_page", &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(error_code(again).await, "LINK_USED");
    let html = reopened.get_page("/pay").await;
    assert_eq!(html.status(), StatusCode::GONE);
    assert_eq!(html.headers().get(REFERRER_POLICY).unwrap(), "no-referrer");
    // Never cached: a newer link's cookie must get a fresh answer.
    assert_eq!(
        html.headers().get(reqwest::header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let csp = html
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'nonce-")
            && csp.contains("object-src 'none'")
            && csp.contains("base-uri 'none'")
    );
    assert!(
        html.text()
            .await
            .unwrap()
            .contains("This link has already been used")
    );
}

#[tokio::test]
async fn page_and_webhook_completing_together_save_one_card_and_send_one_notice() {
    let shop = shop("Race Tours").await;
    let token = shop.send_and_read_link().await;
    // Two tabs open the same link at once: one SetupIntent between them.
    let (tab_a, tab_b) = (
        open_link(&shop.app, &token).await,
        open_link(&shop.app, &token).await,
    );
    let (page_a, page_b) = tokio::join!(
        tab_a.call("load_card_page", &[]),
        tab_b.call("load_card_page", &[])
    );
    let page_a: Value = page_a.json().await.unwrap();
    let page_b: Value = page_b.json().await.unwrap();
    assert_eq!(
        page_a["setup"]["client_secret"],
        page_b["setup"]["client_secret"]
    );

    confirm_at_stripe(&shop.app, &page_a, "pm_card_visa").await;
    // Both tabs check while Stripe's webhook is on its way.
    let (done_a, done_b) = tokio::join!(
        tab_a.call("complete_card_setup", &[]),
        tab_b.call("complete_card_setup", &[])
    );
    assert_eq!(done_a.status(), StatusCode::OK);
    assert_eq!(done_b.status(), StatusCode::OK);
    let done_a: Value = done_a.json().await.unwrap();
    let done_b: Value = done_b.json().await.unwrap();
    assert_eq!(done_a, done_b);
    shop.wait_for("the webhook to be processed", async || {
        use app::entities::stripe_event;
        stripe_event::Entity::find()
            .filter(stripe_event::Column::EventType.eq("setup_intent.succeeded"))
            .filter(stripe_event::Column::ProcessedAt.is_not_null())
            .one(&shop.app.db)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(shop.app.count("payment_options").await, 1);
    assert_eq!(
        emails_of_kind(&shop.app, "card_saved_notice").await.len(),
        1
    );
    let request = requests_of(&shop.app).await.remove(0);
    assert_eq!(request.status, "completed");
}

#[tokio::test]
async fn expired_revoked_tampered_and_unknown_links_each_get_their_own_answer() {
    let shop = shop("Strict Tours").await;
    let first = shop.send_and_read_link().await;
    // Resend: the first link is revoked, the second works.
    let second = shop.send_and_read_link().await;
    assert_ne!(first, second);
    let statuses: Vec<String> = requests_of(&shop.app)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec!["revoked", "pending"]);

    let revoked = open_link(&shop.app, &first)
        .await
        .call("load_card_page", &[])
        .await;
    assert_eq!(revoked.status(), StatusCode::GONE);
    assert_eq!(error_code(revoked).await, "LINK_REVOKED");

    let mut tampered = second.clone().into_bytes();
    tampered[5] = if tampered[5] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let response = open_link(&shop.app, &tampered)
        .await
        .call("load_card_page", &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "LINK_NOT_FOUND");
    let unknown = open_link(&shop.app, "never-issued").await;
    let page = unknown.get_page("/pay").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This link is not valid")
    );
    // No cookie at all (the page opened directly).
    let bare = customer_browser(&shop.app)
        .call("load_card_page", &[])
        .await;
    assert_eq!(error_code(bare).await, "LINK_NOT_FOUND");

    // Time runs out for the second link.
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let pending = requests_of(&shop.app).await.pop().unwrap();
    let mut expired = pending.into_active_model();
    expired.expires_at = Set(Utc::now() - chrono::Duration::minutes(1));
    expired.update(&shop.app.db).await.unwrap();
    let response = open_link(&shop.app, &second)
        .await
        .call("load_card_page", &[])
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "LINK_EXPIRED");
    assert_eq!(body["merchant_name"], "Strict Tours");
    let notifications = shop.payments().await["notifications"].clone();
    assert_eq!(notifications[0]["state"], "expired");
    assert_eq!(notifications[1]["state"], "revoked");
    // Nothing was saved by any of it.
    assert_eq!(shop.app.count("payment_options").await, 0);
}

#[tokio::test]
async fn send_email_is_refused_with_a_reason_without_stripe_or_an_email_address() {
    let app = spawn_app().await;
    let merchant = app.merchant("Unconnected Tours").await;
    let customer = merchant
        .create_customer("Max", "Nomail", "", "+44 20 7946 0000")
        .await;
    let id = customer["id"].as_str().unwrap();
    let payments: Value = merchant
        .call("get_customer_payments", &[("customer_id", id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        payments["card_request"]["blocked_reason"],
        "Connect MioPay (Stripe) in Settings to send card requests."
    );
    let refused = merchant
        .call("send_card_request", &[("customer_id", id), ("note", "")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        merchant.call("connect_demo_stripe", &[]).await.status(),
        StatusCode::OK
    );
    let payments: Value = merchant
        .call("get_customer_payments", &[("customer_id", id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        payments["card_request"]["blocked_reason"],
        "Add an email address to this customer to send a card request."
    );
    let with_email = merchant
        .create_customer("Ann", "Mail", "ann@example.com", "")
        .await;
    let too_long = "x".repeat(501);
    let refused = merchant
        .call(
            "send_card_request",
            &[
                ("customer_id", with_email["id"].as_str().unwrap()),
                ("note", &too_long),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("card_requests").await, 0);
    assert_eq!(app.count("outbox_emails").await, 0);

    // Another merchant's customer is not found, and nothing is sent.
    let other = app.merchant("Other Tours").await;
    assert_eq!(
        other.call("connect_demo_stripe", &[]).await.status(),
        StatusCode::OK
    );
    let foreign = other
        .call(
            "send_card_request",
            &[
                ("customer_id", with_email["id"].as_str().unwrap()),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let foreign = other
        .call(
            "get_customer_payments",
            &[("customer_id", with_email["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("card_requests").await, 0);
}

#[tokio::test]
async fn smtp_down_then_up_delivers_the_request_once_and_notifications_show_the_attempts() {
    let shop = shop("Patient Tours").await;
    assert_eq!(shop.send("").await.status(), StatusCode::OK);
    shop.sink.busy_next(2);
    let mailer = Mailer::new(
        &shop.sink.url(),
        "no-reply@cardonfile.test",
        Duration::from_secs(5),
    )
    .unwrap();
    let mut at = Utc::now();
    for _ in 0..2 {
        outbox::run_once(&shop.app.db, &mailer, at).await.unwrap();
        let row = emails_of_kind(&shop.app, "card_request").await.remove(0);
        assert_eq!(row.state, "queued");
        at = row.next_attempt_at + chrono::Duration::milliseconds(1);
    }
    let retrying = shop.payments().await["notifications"][0].clone();
    assert_eq!(retrying["state_label"], "Queued — retrying");
    assert_eq!(retrying["attempts"], 2);
    outbox::run_once(&shop.app.db, &mailer, at).await.unwrap();
    outbox::run_once(&shop.app.db, &mailer, at + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(shop.sink.messages().len(), 1);
    let sent = shop.payments().await["notifications"][0].clone();
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["attempts"], 3);
}

#[tokio::test]
async fn links_use_the_configured_base_url_whatever_host_the_request_names() {
    let shop = shop("Host Tours").await;
    let response = shop
        .merchant
        .client
        .post(format!("{}/api/send_card_request", shop.app.address))
        .header(reqwest::header::HOST, "evil.example")
        .form(&[("customer_id", shop.customer_id.as_str()), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    shop.deliver_emails().await;
    let message = shop.sink.messages().remove(0);
    assert!(!message.data.contains("evil.example"));
    assert_eq!(token_in(&message, &shop.app.address).len(), 43);
}

/// Everything logged in this test process from the moment the first test asks for it. Global,
/// not per thread: tracing caches which call sites are enabled across threads, so a thread-local
/// subscriber misses events while other tests run.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn captured_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        logs
    })
    .clone()
}

#[tokio::test]
async fn the_link_token_never_reaches_the_logs() {
    let logs = captured_logs();
    let shop = shop("Quiet Tours").await;
    let token = shop.send_and_read_link().await;
    let customer = open_link(&shop.app, &token).await;
    let page: Value = customer
        .call("load_card_page", &[])
        .await
        .json()
        .await
        .unwrap();
    confirm_at_stripe(&shop.app, &page, "pm_card_visa").await;
    assert_eq!(
        customer.call("complete_card_setup", &[]).await.status(),
        StatusCode::OK
    );

    let captured = logs.text();
    assert!(captured.contains("/pay/…"), "the link's request was logged");
    assert!(!captured.contains(&token), "the token appeared in the logs");
    // The cookie-carrying request of the page itself does not leak it either.
    let cookie = format!("cof_link={token}");
    let direct = reqwest::Client::new()
        .post(format!("{}/api/load_card_page", shop.app.address))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::GONE);
    assert!(!logs.text().contains(&token));
}

#[tokio::test]
async fn the_merchant_sets_how_long_links_stay_valid() {
    let shop = shop("Brief Tours").await;
    for bad in ["0", "31", "two", "-1"] {
        let refused = shop
            .merchant
            .call(
                "update_card_link_validity",
                &[("card_link_validity_days", bad)],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let saved = shop
        .merchant
        .call(
            "update_card_link_validity",
            &[("card_link_validity_days", "3")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let settings: Value = saved.json().await.unwrap();
    assert_eq!(settings["card_link_validity_days"], 3);
    assert_eq!(shop.payments().await["card_request"]["validity_days"], 3);
    assert_eq!(shop.send("").await.status(), StatusCode::OK);
    let request = requests_of(&shop.app).await.remove(0);
    assert_eq!((request.expires_at - request.created_at).num_days(), 3);
}

/// Reads the event stream until an event of `kind` arrives (bounded: a missing event fails).
async fn next_event(stream: &mut Response, kind: &str) {
    // An event browsers deliver has a data line (they drop events without one).
    let wanted = format!("event: {kind}\ndata: ");
    let mut seen = String::new();
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
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

#[tokio::test]
async fn the_profile_stream_announces_changes_to_its_merchant_only() {
    let shop = shop("Live Tours").await;
    let url = format!("{}/events/customers/{}", shop.app.address, shop.customer_id);

    let anonymous = reqwest::get(&url).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let other = shop.app.merchant("Nosy Tours").await;
    let foreign = other.client.get(&url).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    let mut stream = shop.merchant.client.get(&url).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream.headers().get(reqwest::header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    next_event(&mut stream, "ready").await;
    // Sending, delivering and opening each announce a change.
    assert_eq!(shop.send("").await.status(), StatusCode::OK);
    next_event(&mut stream, "changed").await;
    shop.deliver_emails().await;
    next_event(&mut stream, "changed").await;
}

/// A Stripe event as Stripe sends it, signed with `secret`.
fn signed_event(id: &str, kind: &str, object: Value, secret: &str) -> (String, String) {
    let body = serde_json::json!({
        "id": id,
        "object": "event",
        "type": kind,
        "api_version": "2025-09-30.clover",
        "created": Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": object }
    })
    .to_string();
    let signature =
        app::payments::webhook_signature::sign(body.as_bytes(), secret, Utc::now().timestamp());
    (body, signature)
}

#[tokio::test]
async fn duplicate_and_out_of_order_webhooks_change_the_state_once() {
    use crate::stripe_connection::{WEBHOOK_SECRET, connect_with_keys, test_keys};
    // Keys pasted by hand: no endpoint is registered at the emulator, so only the events this
    // test delivers arrive — in the order it chooses.
    let app = spawn_app().await;
    let merchant = app.merchant("Order Tours").await;
    let (pk, sk) = test_keys();
    assert_eq!(
        connect_with_keys(&merchant, &pk, &sk, WEBHOOK_SECRET)
            .await
            .status(),
        StatusCode::OK
    );
    let customer = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    let shop = Shop {
        app,
        merchant,
        customer_id: customer["id"].as_str().unwrap().to_owned(),
        sink: SmtpSink::start().await,
    };
    let token = shop.send_and_read_link().await;
    let browser = open_link(&shop.app, &token).await;
    let page: Value = browser
        .call("load_card_page", &[])
        .await
        .json()
        .await
        .unwrap();
    let intent = confirm_at_stripe(&shop.app, &page, "pm_card_visa").await;
    let merchant_id = requests_of(&shop.app).await.remove(0).merchant_id;
    let deliver = async |body: &str, signature: &str| {
        crate::webhooks::deliver(&shop.app, &merchant_id, body, signature).await
    };

    // payment_method.attached arrives first: acknowledged, nothing recorded yet.
    let (body, signature) = signed_event(
        "evt_attached_1",
        "payment_method.attached",
        serde_json::json!({ "id": intent["payment_method"], "object": "payment_method" }),
        WEBHOOK_SECRET,
    );
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    assert_eq!(shop.app.count("payment_options").await, 0);

    // setup_intent.succeeded, then the same event again, then a second event for the same intent.
    let succeeded = |id: &str| {
        signed_event(
            id,
            "setup_intent.succeeded",
            serde_json::json!({ "id": intent["id"], "object": "setup_intent", "status": "succeeded" }),
            WEBHOOK_SECRET,
        )
    };
    let (body, signature) = succeeded("evt_succeeded_1");
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    let (body, signature) = succeeded("evt_succeeded_2");
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);

    assert_eq!(shop.app.count("stripe_events").await, 3);
    assert_eq!(shop.app.count("payment_options").await, 1);
    assert_eq!(
        emails_of_kind(&shop.app, "card_saved_notice").await.len(),
        1
    );
    // The page's own check afterwards answers with the same card.
    let saved: Value = browser
        .call("complete_card_setup", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(saved["last4"], "4242");
    assert_eq!(shop.app.count("payment_options").await, 1);
}

#[tokio::test]
async fn a_client_guessing_tokens_is_stopped_and_the_real_link_still_works_for_its_customer() {
    use app::features::card_requests::link::MAX_GUESSES_PER_CLIENT;
    let shop = shop("Guarded Tours").await;
    let token = shop.send_and_read_link().await;
    // The guesser connects from another address than the customer (loopback 127.0.0.2).
    let guesser = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let guess = |n: u64| {
        let url = format!("{}/pay/{n:0>43}", shop.app.address);
        let guesser = guesser.clone();
        async move { guesser.get(url).send().await.unwrap().status() }
    };
    for n in 0..MAX_GUESSES_PER_CLIENT {
        assert_eq!(guess(n).await, StatusCode::SEE_OTHER, "guess {n}");
    }
    assert_eq!(guess(1_000).await, StatusCode::TOO_MANY_REQUESTS);
    // Guessing through the page's cookie instead is refused too, as is the real token from there.
    let by_cookie = guesser
        .post(format!("{}/api/load_card_page", shop.app.address))
        .header(COOKIE, format!("cof_link={}", "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::TOO_MANY_REQUESTS);
    let real_from_guesser = guesser
        .get(format!("{}/pay/{token}", shop.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(real_from_guesser.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        shop.app.count("link_guesses").await,
        MAX_GUESSES_PER_CLIENT as i64
    );

    // The customer, elsewhere, opens the link as usual.
    let customer = open_link(&shop.app, &token).await;
    assert_eq!(
        customer.call("load_card_page", &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_link_of_a_merchant_who_disconnected_stripe_says_so() {
    let shop = shop("Paused Tours").await;
    let token = shop.send_and_read_link().await;
    let disconnected = shop.merchant.call("disconnect_stripe", &[]).await;
    assert_eq!(disconnected.status(), StatusCode::OK);
    let page = open_link(&shop.app, &token)
        .await
        .call("load_card_page", &[])
        .await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let body: Value = page.json().await.unwrap();
    assert_eq!(body["code"], "LINK_UNAVAILABLE");
    assert_eq!(body["merchant_name"], "Paused Tours");
}

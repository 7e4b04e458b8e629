//! The running app: a fresh, migrated database per test, the app's Stripe emulator and an SMTP
//! listener of its own; what the database, the outbox and Stripe hold, looked at directly.

use std::time::{Duration, Instant};

use app::config::Config;
use app::crypto::SecretBox;
use app::entities::{activity, booking, charge, customer_link, outbox_email, payment_option};
use app::states::EmailKind;
use chrono::Utc;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, REFERRER_POLICY, SET_COOKIE};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement,
};
use server::startup::Application;
use stripe_emulator::{LoggedRequest, Method};

use super::browser::{Browser, Customer};
use super::{MerchantBuilder, insert_card, outbox};
use crate::smtp_sink::{Received, SmtpSink};

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub emulator_base: String,
    /// The app's Stripe emulator: inject faults, read its request log, count objects.
    pub emulator: std::sync::Arc<stripe_emulator::Emulator>,
    /// The app's own state, to run background jobs (the reconciler) at a chosen moment.
    pub state: app::state::AppState,
    /// Where the outbox delivers when a test runs it (`deliver_emails`).
    pub smtp: SmtpSink,
    _database: TestDatabase,
    /// The server's task: aborting it stops the app and, with it, its emulator.
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A fresh database that is removed when the test ends.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// A database that outlives the app (`DemoData`).
    Kept,
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// The URL of a fresh database (Postgres when `TEST_DATABASE_URL` is set, else a SQLite file) and
/// what removes it when dropped.
pub async fn test_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("cof_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (url.to_string(), TestDatabase::Postgres { admin_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// The test configuration with these `APP__…` pairs added, or replacing its own.
pub fn test_config_with(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let master_key = app::crypto::SecretBox::generate_key();
    let mut vars = vec![
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", database_url),
        ("APP__DEMO__SEED", "false"),
        ("APP__DATABASE__MAX_CONNECTIONS", "5"),
        ("APP__SECRETS__MASTER_KEY", master_key.as_str()),
        ("APP__STRIPE__EMULATOR_PORT", "0"),
        ("APP__STRIPE__API_BASE", "emulator"),
        // The emulator keeps nothing between tests.
        ("APP__STRIPE__EMULATOR_STATE_FILE", ""),
        // Tests drive the outbox worker themselves, against an SMTP sink of their own.
        ("APP__SMTP__WORKER", "false"),
        // Stripe calls: short cut-offs and quick retries, so fault tests finish fast; the
        // reconciler takes over unsettled rows at once when a test runs it.
        ("APP__STRIPE__REQUEST_TIMEOUT_MS", "2000"),
        ("APP__STRIPE__RETRY_BASE_MS", "10"),
        ("APP__STRIPE__RECONCILE_AFTER_SECS", "0"),
        ("APP__STRIPE__RECONCILE_INTERVAL_SECS", "3600"),
    ];
    vars.retain(|(key, _)| !overrides.iter().any(|(other, _)| other == key));
    vars.extend_from_slice(overrides);
    Config::from_pairs(&vars).expect("test config")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The test app with these settings (`APP__…` pairs) on top of the test configuration.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let (database_url, database) = test_database().await;
    let application = Application::build(test_config_with(&database_url, settings))
        .await
        .expect("build app");
    start_application(application, database).await
}

/// The app with the test configuration changed by `adjust` first (a limit, a setting).
pub async fn spawn_app_adjusted(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, database) = test_database().await;
    let mut config = test_config(&database_url);
    adjust(&mut config);
    let application = Application::build(config).await.expect("build app");
    start_application(application, database).await
}

/// The app in production mode — no emulator, no demo pieces — on a loopback http address, as
/// behind a TLS-terminating proxy on the same machine: for what its responses carry.
pub struct ProductionApp {
    pub address: String,
    _database: TestDatabase,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_production_app() -> ProductionApp {
    let (database_url, database) = test_database().await;
    let mut config = test_config(&database_url);
    config.mode = app::config::Mode::Production;
    config.stripe.emulator = false;
    config.stripe.api_base = None;
    config.validate().expect("a valid production configuration");
    let application = Application::build(config).await.expect("build app");
    ProductionApp {
        address: format!("http://127.0.0.1:{}", application.port()),
        _database: database,
        _server: tokio::spawn(application.run_until_stopped()),
    }
}

async fn start_application(application: Application, database: TestDatabase) -> TestApp {
    let address = format!("http://127.0.0.1:{}", application.port());
    let db = application.db();
    let emulator_base = application
        .emulator_base()
        .expect("tests run the Stripe emulator");
    let emulator = application
        .emulator()
        .expect("tests run the Stripe emulator");
    let state = application.state();
    let server = tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        db,
        emulator_base,
        emulator,
        state,
        smtp: SmtpSink::start().await,
        _database: database,
        server,
    }
}

/// A demo's data directory, as `make run` uses `data/`: the SQLite database and the emulator's
/// state file. Each `start` is one `make run` (demo mode, seeded); `TestApp::stop` ends it.
pub struct DemoData {
    dir: tempfile::TempDir,
    /// One master key for every run, as `data/master.key` is: the sealed Stripe keys open again.
    master_key: String,
}

impl DemoData {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            master_key: app::crypto::SecretBox::generate_key(),
        }
    }

    /// The demo started on this directory, and the password of the demo login it printed.
    pub async fn start(&self) -> (TestApp, String) {
        let url = format!("sqlite://{}/app.db?mode=rwc", self.dir.path().display());
        let mut config = test_config(&url);
        config.demo.seed = true;
        config.secrets.master_key = Some(self.master_key.clone().into());
        config.stripe.emulator_state_file = Some(
            self.dir
                .path()
                .join("stripe-emulator.json")
                .display()
                .to_string(),
        );
        let application = Application::build(config).await.expect("build app");
        let password = application
            .demo_login()
            .expect("the demo is seeded")
            .password
            .clone();
        (
            start_application(application, TestDatabase::Kept).await,
            password,
        )
    }
}

/// The address the outbox sends from.
pub const MAIL_FROM: &str = "no-reply@cardonfile.test";

impl TestApp {
    /// Stops the app and its emulator, after the webhooks in flight are delivered (a restart
    /// then starts from everything this run did).
    pub async fn stop(self) {
        assert!(
            self.emulator
                .wait_for_webhooks(Duration::from_secs(15))
                .await,
            "webhooks still in flight"
        );
        self.server.abort();
        let _ = self.server.await;
    }

    /// A merchant signed up as `business` by its owner, "Owner Name": not connected to Stripe,
    /// without customers until asked (`with_customer`, `connected`).
    pub fn merchant(&self, business: &str) -> MerchantBuilder<'_> {
        MerchantBuilder::new(self, business)
    }

    /// A merchant with one customer, Jane Doe <jane@example.com>.
    pub fn merchant_with_customer(&self, business: &str) -> MerchantBuilder<'_> {
        self.merchant(business)
            .with_customer("Jane", "Doe", "jane@example.com", "")
    }

    /// A browser of no one in particular: signed out, no link opened.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address, Duration::from_secs(30))
    }

    /// A browser whose connections come from `peer` (a loopback address such as 127.0.0.3:
    /// a proxy, or a client of its own) and that sends `X-Forwarded-For: <forwarded_for>` with
    /// every request when given — a client behind that proxy, or one forging the header.
    pub fn browser_from(&self, peer: [u8; 4], forwarded_for: Option<&str>) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(client) = forwarded_for {
            headers.insert("x-forwarded-for", client.parse().unwrap());
        }
        Browser {
            base: self.address.clone(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .local_address(std::net::IpAddr::from(peer))
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    /// The address of server function `F`.
    pub fn url<F: ServerFn>(&self) -> String {
        format!("{}{}", self.address, F::PATH)
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Customer links (card requests and payment confirmations), oldest first.
    pub async fn card_requests(&self) -> Vec<customer_link::Model> {
        customer_link::Entity::find()
            .order_by_asc(customer_link::Column::CreatedAt)
            .all(&self.db)
            .await
            .unwrap()
    }

    pub async fn charges(&self) -> Vec<charge::Model> {
        charge::Entity::find().all(&self.db).await.unwrap()
    }

    pub async fn booking(&self, id: &str) -> booking::Model {
        booking::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn payment_option(&self, id: &str) -> payment_option::Model {
        payment_option::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// A card on file of `customer_id` that is never charged: its PaymentMethod id is made up.
    pub async fn card_never_charged(
        &self,
        customer_id: &str,
        last4: &str,
        is_default: bool,
    ) -> String {
        let payment_method = format!(
            "pm_{last4}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        insert_card(
            &self.db,
            customer_id,
            &payment_method,
            "visa",
            last4,
            is_default,
        )
        .await
    }

    /// The activity log of a customer, as stored, oldest first.
    pub async fn activity_of(&self, customer_id: &str) -> Vec<activity::Model> {
        activity::Entity::find()
            .filter(activity::Column::CustomerId.eq(customer_id))
            .all(&self.db)
            .await
            .unwrap()
    }

    /// How many activity entries of this kind (`charge_succeeded` …) there are.
    pub async fn count_activity(&self, kind: &str) -> u64 {
        activity::Entity::find()
            .filter(activity::Column::Kind.eq(kind))
            .count(&self.db)
            .await
            .unwrap()
    }

    /// Outbox emails of one kind, oldest first.
    pub async fn emails_of_kind(&self, kind: EmailKind) -> Vec<outbox_email::Model> {
        outbox_email::Entity::find()
            .filter(outbox_email::Column::Kind.eq(kind))
            .order_by_asc(outbox_email::Column::CreatedAt)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// A mailer sending to `url` as this app's worker does (it opens the bodies this app sealed).
    pub fn mailer(&self, url: &str) -> outbox::Mailer {
        mailer_with_key(url, &self.state.secrets)
    }

    /// The card-page tokens in the emails of one kind, oldest first, read as the mailer reads
    /// them: the stored bodies are sealed, so this takes the app's key.
    pub async fn links_in_emails(&self, kind: EmailKind) -> Vec<String> {
        self.emails_of_kind(kind)
            .await
            .iter()
            .map(|email| {
                let text = outbox::open_body(
                    &self.state.secrets,
                    &email.id,
                    outbox::BodyPart::Text,
                    &email.body_text,
                )
                .expect("the email's body opens");
                self.link_in(&text)
            })
            .collect()
    }

    /// One pass of the outbox worker against this app's SMTP listener; how many it handled.
    pub async fn deliver_emails(&self) -> usize {
        outbox::run_once(&self.db, &self.mailer(&self.smtp.url()), Utc::now())
            .await
            .unwrap()
    }

    /// The token of the card link in an email as a mail client shows it (quoted-printable soft
    /// breaks undone). The link must point at this app's configured address.
    pub fn link_in_email(&self, message: &Received) -> String {
        self.link_in(&message.data.replace("=\r\n", "").replace("=3D", "="))
    }

    /// The token of the card link (`<configured base URL>/pay/<token>`) in an email's text.
    pub fn link_in(&self, text: &str) -> String {
        token_after(text, self.base_url(), "pay")
    }

    /// The configured base URL without its trailing slash: where every emailed link points.
    fn base_url(&self) -> &str {
        self.state.config.base_url.as_str().trim_end_matches('/')
    }

    /// The token of the newest link that confirms `address`, from the email as its owner reads
    /// it (see [`confirmation_token`]).
    pub async fn confirmation_link_to(&self, address: &str) -> String {
        confirmation_token(&self.db, &self.state.secrets, self.base_url(), address).await
    }

    /// Opens an emailed link the way a browser does: GET, take the cookie, follow to `/pay`.
    pub async fn open_link(&self, token: &str) -> Customer {
        self.open_link_in(self.browser(), token).await
    }

    /// Opens an emailed link in this browser (see `open_link`).
    pub async fn open_link_in(&self, browser: Browser, token: &str) -> Customer {
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
        Customer {
            browser,
            emulator_base: self.emulator_base.clone(),
        }
    }

    /// Requests to create a PaymentIntent, as the emulator logged them.
    pub fn payment_intent_posts(&self) -> Vec<LoggedRequest> {
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| r.method == Method::POST && r.path == "/v1/payment_intents")
            .collect()
    }

    /// Posts an event to a merchant's webhook endpoint as Stripe does.
    pub async fn deliver_webhook(
        &self,
        merchant_id: &str,
        body: &str,
        signature: &str,
    ) -> StatusCode {
        reqwest::Client::new()
            .post(format!("{}/webhooks/stripe/{merchant_id}", self.address))
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// The customer's answer to a 3-D Secure challenge (`complete` or `fail`), as the emulator's
/// challenge frame sends it.
pub async fn authenticate(
    emulator_base: &str,
    intent_id: &str,
    client_secret: &str,
    outcome: &str,
) {
    let response = reqwest::Client::new()
        .post(format!("{emulator_base}/emulator/authenticate/{intent_id}"))
        .form(&[("client_secret", client_secret), ("outcome", outcome)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Waits, bounded, for something the app does on its own time (a webhook, a background job).
pub async fn eventually(what: &str, condition: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The token of a link `<base>/<path>/<token>` in an email's text.
fn token_after(text: &str, base: &str, path: &str) -> String {
    let prefix = format!("{base}/{path}/");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("the email links to /{path}/: {text}"))
        + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A mailer sending to `url` that opens the bodies sealed under `secrets` (a server's master key).
fn mailer_with_key(url: &str, secrets: &SecretBox) -> outbox::Mailer {
    outbox::Mailer::new(url, MAIL_FROM, Duration::from_secs(5), secrets.clone()).unwrap()
}

/// The token of the newest link confirming `recipient` on the server at `base`, from the email as
/// its owner reads it: `db`'s outbox delivered to a mailbox of its own, so a test's own SMTP
/// listener sees only the emails the test is about (and a server without a worker still works).
pub async fn confirmation_token(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    base: &str,
    recipient: &str,
) -> String {
    let inbox = SmtpSink::start().await;
    outbox::run_once(db, &mailer_with_key(&inbox.url(), secrets), Utc::now())
        .await
        .unwrap();
    let row = outbox_email::Entity::find()
        .filter(outbox_email::Column::Kind.eq(EmailKind::EmailConfirmation))
        .filter(outbox_email::Column::Recipient.eq(recipient))
        .order_by_desc(outbox_email::Column::CreatedAt)
        .one(db)
        .await
        .unwrap()
        .expect("a confirmation email was queued");
    let message = inbox
        .messages()
        .into_iter()
        .find(|m| m.header("Message-ID").as_deref() == Some(row.message_id.as_str()))
        .expect("the confirmation email was delivered");
    let text = message.data.replace("=\r\n", "").replace("=3D", "=");
    token_after(&text, base, "confirm-email")
}

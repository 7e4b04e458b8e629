use app::config::Config;
use reqwest::header::{ACCEPT, COOKIE, LOCATION};
use reqwest::{Response, StatusCode, redirect};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use server::startup::Application;

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub emulator_base: String,
    /// The app's Stripe emulator: inject faults, read its request log, count objects.
    pub emulator: std::sync::Arc<stripe_emulator::Emulator>,
    /// The app's own state, to run background jobs (the reconciler) at a chosen moment.
    pub state: app::state::AppState,
    _database: TestDatabase,
}

/// A fresh database that is removed when the test ends.
enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
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

async fn test_database() -> (String, TestDatabase) {
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
    let master_key = app::crypto::SecretBox::generate_key();
    let vars = [
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", database_url),
        ("APP__DEMO__SEED", "false"),
        ("APP__DATABASE__MAX_CONNECTIONS", "5"),
        ("APP__SECRETS__MASTER_KEY", master_key.as_str()),
        ("APP__STRIPE__EMULATOR_PORT", "0"),
        ("APP__STRIPE__API_BASE", "emulator"),
        // The outbox tests drive the worker themselves, against their own SMTP sink.
        ("APP__SMTP__WORKER", "false"),
        // Stripe calls: short cut-offs and quick retries, so fault tests finish fast; the
        // reconciler takes over unsettled rows at once when a test runs it.
        ("APP__STRIPE__REQUEST_TIMEOUT_MS", "2000"),
        ("APP__STRIPE__RETRY_BASE_MS", "10"),
        ("APP__STRIPE__RECONCILE_AFTER_SECS", "0"),
        ("APP__STRIPE__RECONCILE_INTERVAL_SECS", "3600"),
    ];
    Config::from_pairs(&vars).expect("test config")
}

pub async fn spawn_app() -> TestApp {
    let (database_url, database) = test_database().await;
    let application = Application::build(test_config(&database_url))
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", application.port());
    let db = application.db();
    let emulator_base = application
        .emulator_base()
        .expect("tests run the Stripe emulator");
    let emulator = application
        .emulator()
        .expect("tests run the Stripe emulator");
    let state = application.state();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        db,
        emulator_base,
        emulator,
        state,
        _database: database,
    }
}

impl TestApp {
    /// A browser-like client with its own cookie jar that does not follow redirects.
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.address.clone(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(redirect::Policy::none())
                // A hang fails the test instead of holding CI until its limit.
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// A browser that has signed up a fresh merchant.
    pub async fn merchant(&self, business: &str) -> Browser {
        let browser = self.browser();
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = browser
            .sign_up(business, "Owner Name", &email, "correct horse battery")
            .await;
        assert_eq!(response.status(), StatusCode::OK, "sign up failed");
        browser
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
}

pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

impl Browser {
    /// Calls a server function the way the hydrated app does (form-encoded in, JSON out).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Submits a form the way a browser without JavaScript does.
    pub async fn submit_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(reqwest::header::REFERER, format!("{}{referer}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_page(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_up(
        &self,
        business: &str,
        name: &str,
        email: &str,
        password: &str,
    ) -> Response {
        self.call(
            "sign_up",
            &[
                ("business_name", business),
                ("name", name),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn create_customer(
        &self,
        first: &str,
        last: &str,
        email: &str,
        phone: &str,
    ) -> Value {
        let response = self
            .call(
                "create_customer",
                &[
                    ("first_name", first),
                    ("last_name", last),
                    ("email", email),
                    ("phone", phone),
                    ("notes", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "create_customer failed");
        response.json().await.unwrap()
    }
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("cof_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Calls a server function with exactly this Cookie header and no jar.
pub async fn call_with_cookie(app: &TestApp, endpoint: &str, cookie: &str) -> Response {
    reqwest::Client::new()
        .post(format!("{}/api/{endpoint}", app.address))
        .header(COOKIE, cookie)
        .form(&Vec::<(String, String)>::new())
        .send()
        .await
        .unwrap()
}

pub fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(ToOwned::to_owned)
}

pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

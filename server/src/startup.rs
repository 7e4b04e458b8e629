//! Builds the whole application: database (migrated), router, listener. Used by `main` and by the
//! integration tests, which start it on port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::config::{Config, Mode, RetentionConfig};
use app::crypto::SecretBox;
use app::features::notifications::outbox::{self, Mailer, spawn_worker};
use app::password_hashing::PasswordHashing;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::routing::get;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use stripe_emulator::Emulator;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::emulator;
use crate::seed::{self, DemoLogin};
use crate::serve::{ConnectionLimits, serve};

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// Server functions take small forms; anything bigger is refused before it is read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Stripe's events: a PaymentIntent with its charges and metadata can be far larger than any form
/// of ours, so the webhook route has a limit of its own.
pub const WEBHOOK_MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    demo_login: Option<DemoLogin>,
    /// Kept alive for as long as the app (dropping the last handle stops the emulator), and
    /// shared with tests, which inject faults and read its request log.
    emulator: Option<Arc<Emulator>>,
    /// Postgres: live profile updates to and from the other instances on the same database.
    live_bridge: Option<app::live::postgres::Bridge>,
}

impl Application {
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        let db = connect_database(&config).await?;
        migrate(&db).await?;
        // Listening before serving: nothing another instance announces from then on is missed.
        let live_bridge = if config.is_sqlite() {
            None
        } else {
            Some(app::live::postgres::Bridge::connect(&db, &config.database.url).await?)
        };
        let secrets = secret_box(&config)?;
        let emulator = emulator::start_in_process(&config).await?;
        let emulator_base = match &emulator {
            Some(emulator) => Some(emulator.base_url()),
            None => emulator::external(&config),
        };
        let listener = TcpListener::bind((config.server.host.as_str(), config.server.port)).await?;
        let address = listener.local_addr()?;
        // Port 0 (tests): links and webhook URLs must name the port actually bound.
        if config.server.port == 0 && config.base_url.set_port(Some(address.port())).is_err() {
            return Err("base_url cannot take a port".into());
        }
        let hashing = PasswordHashing::new(
            config.limits.concurrent_hashes,
            Duration::from_millis(config.limits.hash_wait_ms),
        );
        let state = AppState {
            db,
            config: Arc::new(config),
            secrets,
            emulator_base,
            hashing,
        };
        if state.emulator_base.is_some() {
            app::features::settings::connection::renew_demo_connections(&state).await?;
        }
        let demo_login = if state.config.mode == Mode::Demo && state.config.demo.seed {
            Some(seed::seed_demo(&state).await?)
        } else {
            None
        };
        let router = build_router(state.clone(), leptos_options(address));
        Ok(Self {
            listener,
            router,
            state,
            demo_login,
            emulator: emulator.map(Arc::new),
            live_bridge,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    /// The in-process Stripe emulator's base URL, when it runs.
    pub fn emulator_base(&self) -> Option<String> {
        self.state.emulator_base.clone()
    }

    /// What server functions see: the database, the configuration, the secrets (tests drive
    /// background jobs such as the reconciler with it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The in-process Stripe emulator, when it runs.
    pub fn emulator(&self) -> Option<Arc<Emulator>> {
        self.emulator.clone()
    }

    pub fn demo_login(&self) -> Option<&DemoLogin> {
        self.demo_login.as_ref()
    }

    /// Serves until Ctrl-C / SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some(bridge) = self.live_bridge {
            bridge.spawn();
        }
        spawn_housekeeping(self.state.db.clone(), self.state.config.retention.clone());
        // Charges and refunds left unsettled by a crash or a lost answer are settled first thing.
        app::features::charges::reconciler::spawn(self.state.clone(), shutdown_signal());
        if self.state.config.smtp.worker {
            let mailer = Mailer::from_config(&self.state.config.smtp, self.state.secrets.clone())
                .map_err(std::io::Error::other)?;
            spawn_worker(self.state.db.clone(), Arc::new(mailer), shutdown_signal());
        }
        let limits = ConnectionLimits {
            idle: Duration::from_millis(self.state.config.server.idle_timeout_ms),
            max: self.state.config.server.max_connections,
        };
        serve(self.listener, self.router, limits, shutdown_signal()).await
    }
}

/// The master key from configuration; in demo mode without one, a key kept in a local file so a
/// restart can still open what it sealed.
fn secret_box(config: &Config) -> Result<SecretBox, StartupError> {
    let key = match &config.secrets.master_key {
        Some(key) => key.clone(),
        None if config.mode == Mode::Demo => {
            demo_key(std::path::Path::new(&config.secrets.key_file))?
        }
        None => return Err("secrets.master_key is required".into()),
    };
    Ok(SecretBox::from_base64_key(&key)?)
}

fn demo_key(path: &std::path::Path) -> Result<SecretString, StartupError> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(SecretString::from(existing.trim().to_owned()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let key = SecretBox::generate_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, key.as_bytes())?;
    tracing::info!(path = %path.display(), "generated the demo master key");
    Ok(SecretString::from(key))
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    // Open event streams would hold the graceful shutdown forever.
    app::live::shut_down();
}

fn spawn_housekeeping(db: DatabaseConnection, retention: RetentionConfig) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let now = chrono::Utc::now();
            match outbox::purge_bodies(&db, now, retention.email_bodies()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(emails = n, "deleted the bodies of old emails"),
                Err(err) => tracing::warn!(error = %err, "could not delete old email bodies"),
            }
            match crate::webhooks::purge_payloads(&db, now, retention.stripe_event_payloads()).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "deleted the payloads of old Stripe events"),
                Err(err) => tracing::warn!(error = %err, "could not delete old event payloads"),
            }
            if let Err(err) = app::features::auth::service::purge_expired_sessions(&db).await {
                tracing::warn!(error = %err, "could not purge expired sessions");
            }
            if let Err(err) = app::features::auth::throttle::purge_old(&db).await {
                tracing::warn!(error = %err, "could not purge old sign-in failures");
            }
            if let Err(err) = app::features::auth::sign_up_limit::purge_old(&db).await {
                tracing::warn!(error = %err, "could not purge old sign-up attempts");
            }
            if let Err(err) = app::features::links::guesses::purge_old_guesses(&db).await {
                tracing::warn!(error = %err, "could not purge old card link guesses");
            }
        }
    });
}

/// Any number of instances may start at once on one Postgres database; the migrator has no
/// guard of its own, so each waits for a transaction-scoped advisory lock and then runs (or, coming
/// second, finds nothing left to run) inside that transaction: Postgres' DDL is transactional, so a
/// failed start leaves the schema as it was. A migration that cannot run in a transaction (`CREATE
/// INDEX CONCURRENTLY`) would need a session lock instead. SQLite is one process.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StartupError> {
    if db.get_database_backend() != DbBackend::Postgres {
        Migrator::up(db, None).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// The advisory lock key the instances migrate under ("cof_migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x636f_665f_6d69_6772;

/// SQLite gets WAL (readers never block the writer), a busy timeout instead of "database is
/// locked", and enforced foreign keys. The file's folder is created on first start.
pub async fn connect_database(config: &Config) -> Result<DatabaseConnection, StartupError> {
    let url = config.database.url.expose_secret().to_owned();
    if config.is_sqlite()
        && let Some(parent) = sqlite_file(&url).and_then(|p| p.parent().map(ToOwned::to_owned))
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.database.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if config.is_sqlite() {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Ok(Database::connect(options).await?)
}

fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// cargo-leptos sets `LEPTOS_*` when it runs the server; plain runs use the same defaults.
fn leptos_options(address: SocketAddr) -> LeptosOptions {
    let env_or =
        |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_owned());
    LeptosOptions::builder()
        .output_name(env_or("LEPTOS_OUTPUT_NAME", app::app::OUTPUT_NAME))
        .site_root(env_or("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env_or("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(address)
        .env(if cfg!(debug_assertions) {
            Env::DEV
        } else {
            Env::PROD
        })
        .build()
}

/// Generating the route list renders the app once with resource loading suppressed for the whole
/// process (leptos_server's global flag; leptos#4773): a page rendering meanwhile in another
/// instance — several apps in one test process — would wait forever. So: once per process.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build_router(state: AppState, options: LeptosOptions) -> Router {
    let routes = route_list();
    let db = state.db.clone();
    let webhook_state = state.clone();
    let link_state = state.clone();
    let events_state = state.clone();
    let trusted_proxies = Arc::new(state.config.server.trusted_proxies.clone());
    let base_origin = crate::security::BaseOrigin(state.config.base_origin().into());
    let production = state.config.mode == Mode::Production;
    let confirm_state = state.clone();
    let request_timeout = crate::request_timeout::RequestTimeout(Duration::from_millis(
        state.config.server.request_timeout_ms,
    ));
    let context = move || {
        provide_context(state.clone());
        // A fresh nonce per response: the shell puts it in the CSP header and Leptos on its
        // inline scripts.
        leptos::nonce::provide_nonce();
    };
    let webhooks = Router::new()
        .route(
            "/webhooks/stripe/{merchant_id}",
            axum::routing::post(move |path, headers, body| {
                crate::webhooks::receive(webhook_state.clone(), path, headers, body)
            }),
        )
        .layer(RequestBodyLimitLayer::new(WEBHOOK_MAX_BODY_BYTES));
    let router =
        Router::new()
            .route("/health", get(move || crate::health::health(db.clone())))
            .route(
                "/pay/{token}",
                get(move |path, client| {
                    crate::card_links::exchange(link_state.clone(), path, client)
                }),
            )
            .route(
                "/confirm-email/{token}",
                get(
                    move |axum::extract::Path(token): axum::extract::Path<String>| {
                        let state = confirm_state.clone();
                        async move {
                            app::features::onboarding::route::confirm_email(&state, &token).await
                        }
                    },
                ),
            )
            .route(
                "/events/customers/{id}",
                get(move |path, headers| {
                    crate::live_events::customer_events(events_state.clone(), path, headers)
                }),
            )
            .leptos_routes_with_context(&options, routes, context, {
                let options = options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler(shell))
            .layer(axum::middleware::from_fn_with_state(
                crate::precompressed::SiteRoot::new(options.site_root.as_ref().into()),
                crate::precompressed::serve_brotli,
            ))
            .with_state(options)
            .layer(axum::middleware::from_fn(
                crate::security::undecodable_requests_are_client_errors,
            ))
            .layer(axum::middleware::from_fn_with_state(
                base_origin,
                crate::security::same_origin_writes,
            ))
            .layer(axum::middleware::from_fn_with_state(
                trusted_proxies,
                crate::security::client_addresses,
            ))
            .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(
                request_timeout,
                crate::request_timeout::cut_off_slow_requests,
            ))
            // After the limits above: Stripe's events (signed, from Stripe, no Origin) have their own
            // body limit and no request timeout (see `request_timeout`).
            .merge(webhooks)
            // HTML, JS, CSS and above all the WASM shrink several-fold on the wire.
            .layer(CompressionLayer::new().br(true).gzip(true))
            .layer(SetResponseHeaderLayer::if_not_present(
                http::header::X_CONTENT_TYPE_OPTIONS,
                http::HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                http::header::X_FRAME_OPTIONS,
                http::HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                http::header::REFERRER_POLICY,
                // The card page and its link say `no-referrer` themselves.
                http::HeaderValue::from_static("same-origin"),
            ))
            .layer(
                // Paths only: query strings may one day carry tokens.
                TraceLayer::new_for_http().make_span_with(
                    |request: &http::Request<axum::body::Body>| {
                        let path =
                            app::features::links::exchange::loggable_path(request.uri().path());
                        tracing::info_span!("request", method = %request.method(), path = %path)
                    },
                ),
            );
    if production {
        // Production is https (config refuses plain http off loopback): browsers that once
        // reached it keep to https, so a network attacker can't strip TLS on a later visit.
        router.layer(SetResponseHeaderLayer::if_not_present(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        router
    }
}

//! An in-memory emulator of the subset of the Stripe API this product uses, for demo mode and
//! tests. Production talks to api.stripe.com; nothing here is ever used with real money (live
//! keys are refused).
//!
//! The point is fidelity: requests are decoded as Stripe decodes them (form encoding with
//! bracket notation), objects and errors are rendered with Stripe's JSON shapes (every field
//! async-stripe's types require, proven by the tests that drive the emulator through
//! async-stripe's own client), and the documented test cards behave as Stripe says they do. Code
//! that passes against the emulator should pass against Stripe's test mode.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use stripe_emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap())).await?;
//! // Point the Stripe client at it: async-stripe's `ClientBuilder::new(sk).url(emulator.base_url())`.
//! let base = emulator.base_url(); // "http://127.0.0.1:<port>/", API under /v1
//! # let _ = base; Ok(()) }
//! ```
//!
//! Dropping the [`Emulator`] stops its server.
//!
//! # Persistence
//!
//! By default everything is in memory. [`EmulatorConfig::with_state_file`] keeps the accounts and
//! all their objects (customers, PaymentMethods, intents, charges, refunds, events, webhook
//! endpoints, idempotency keys) in a JSON file: loaded at start, rewritten atomically (temporary
//! file, then rename) after every request that changed something. Deliveries in flight, the
//! request log and faults are not kept.
//!
//! # Accounts and keys
//!
//! Every distinct `sk_test_<suffix>` is its own account (`acct_…`, derived from the suffix, so
//! stable across restarts); `pk_test_<suffix>` is that account's publishable key. `rk_test_` keys
//! act as secret keys. `sk_live_`, `pk_live_` and `rk_live_` keys are refused with a 401.
//!
//! # Endpoints
//!
//! | | |
//! |---|---|
//! | `GET /v1/account` | the account of the key |
//! | `POST/GET /v1/customers`, `GET/POST/DELETE /v1/customers/{id}` | customers |
//! | `GET /v1/customers/{id}/payment_methods[/{pm}]` | a customer's PaymentMethods |
//! | `POST/GET /v1/setup_intents`, `GET/POST /v1/setup_intents/{id}`, `POST …/confirm`, `POST …/cancel` | SetupIntents (retrieve and confirm also with `pk_test_` + `client_secret`) |
//! | `POST/GET /v1/payment_methods`, `GET/POST /v1/payment_methods/{id}`, `POST …/attach`, `POST …/detach` | PaymentMethods (create also with `pk_test_`) |
//! | `POST/GET /v1/payment_intents`, `GET/POST /v1/payment_intents/{id}`, `POST …/confirm`, `POST …/cancel` | PaymentIntents (retrieve and confirm also with `pk_test_` + `client_secret`) |
//! | `GET /v1/charges[/{id}]` | charges created by PaymentIntents |
//! | `POST/GET /v1/refunds`, `GET/POST /v1/refunds/{id}` | refunds |
//! | `GET /v1/events[/{id}]` | events |
//! | `POST/GET /v1/webhook_endpoints`, `GET/POST/DELETE /v1/webhook_endpoints/{id}` | webhook endpoints (the creation response carries the `whsec_…` secret) |
//! | `POST /emulator/authenticate/{intent_id}` | completes or fails 3-D Secure: `client_secret=…&outcome=complete\|fail` (see "3-D Secure" below) |
//! | `POST /emulator/refunds/{id}/settle` | a pending refund succeeds (`refund.updated`), with the account's secret key (see "Test cards") |
//!
//! # 3-D Secure
//!
//! A SetupIntent or on-session PaymentIntent confirmed with an authentication card moves to
//! `requires_action` with `next_action.type = "use_stripe_sdk"` (or `redirect_to_url` when
//! confirmed server-side with a `return_url`). The challenge is settled by
//! `POST /emulator/authenticate/{intent_id}` with form parameters `client_secret` (the intent's)
//! and `outcome=complete` or `outcome=fail`; no API key is needed. The response is the intent as
//! a publishable key sees it.
//!
//! # Test cards
//!
//! By number (card form / `payment_method_data[card][number]` with a publishable key) or as test
//! PaymentMethod ids anywhere a PaymentMethod id is accepted (each use creates a fresh `pm_…`):
//! `4242424242424242`/`pm_card_visa` and `5555555555554444`/`pm_card_mastercard` succeed;
//! `4000002500003155`/`pm_card_authenticationRequiredOnSetup` needs authentication on-session
//! unless set up with a SetupIntent, then charges off-session;
//! `4000002760003184`/`pm_card_authenticationRequired` needs authentication at setup and every
//! off-session charge fails 402 `authentication_required`;
//! `4000000000000341`/`pm_card_chargeCustomerFail` attaches but charges fail `card_declined`;
//! `4000000000000002`/`pm_card_visa_chargeDeclined` is declined (`generic_decline`);
//! `4000000000007726`/`pm_card_pendingRefund` charges, and its refunds stay `pending` until
//! `POST /emulator/refunds/{id}/settle`;
//! `4000000000009995` → `insufficient_funds`; `4000000000000069` → `expired_card`; and more in
//! `cards.rs`. Any future expiry and any CVC; past expiry → `invalid_expiry_year` /
//! `invalid_expiry_month`; a bad checksum → `incorrect_number`. Raw card numbers are refused
//! with a secret key, as Stripe does for accounts without raw card data access.
//!
//! # Webhooks
//!
//! Every state change records an event; each is POSTed, signed with the endpoint's secret
//! (`Stripe-Signature: t=…,v1=…`), to the account's endpoints whose `enabled_events` match
//! (`*` = all), in the background, retried on non-2xx or connection errors with exponential
//! backoff ([`Emulator::set_webhook_retry`]: 5 attempts from 1 s by default).
//!
//! # Faults
//!
//! Tests make "Stripe" misbehave with [`Emulator::inject_fault`]: a [`Fault`] names a method, a
//! path pattern and a [`FaultKind`], and applies to the next `times` requests (default 1) that
//! match. The path matches exactly unless it says otherwise: `*` is any one segment and a final
//! `**` any number of segments, so `POST /v1/payment_intents` is creating a PaymentIntent only,
//! `POST /v1/payment_intents/*/confirm` confirming one, `/v1/payment_intents/**` all of them.
//! Requests that match no fault — other API paths, Stripe.js and `/emulator/*` included — are
//! never touched. [`Emulator::clear_faults`] disarms what is left.
//!
//! | kind | processed? | the client sees |
//! |---|---|---|
//! | `Status(429)` | no | 429, `invalid_request_error` with code `rate_limit`, `Stripe-Should-Retry: true` |
//! | `Status(500)` (any 5xx) | no | that status, `api_error`, `Stripe-Should-Retry: true` |
//! | `DelayBeforeProcessing(d)` | after `d`, unless the client gave up first | the normal answer, late |
//! | `DelayAfterProcessing(d)` | yes | the normal answer, `d` late: a shorter client timeout loses it |
//! | `DropBeforeProcessing` | no | the connection closed without an answer |
//! | `DropAfterProcessing` | yes | the connection closed without an answer: the lost response |
//!
//! "Processed" is everything a normal request does: objects created, the idempotency key's
//! response saved, events recorded and webhooks sent. So a retry of a request whose answer was
//! lost, with the same `Idempotency-Key` and parameters, gets the saved answer with
//! `Idempotent-Replayed: true`, and nothing is created twice.
//!
//! # Request log
//!
//! [`Emulator::requests`] lists the last 5,000 requests, oldest first: method, path,
//! `Idempotency-Key`, `Request-Id`, the [`Outcome`] (answered with a status, processed but its
//! answer lost, never processed, or still in flight), the fault applied and whether the answer
//! was an idempotent replay.

#![forbid(unsafe_code)]
// serde_json's `json!` recurses once per field: the charge object has more fields than the default
// limit of 128 allows.
#![recursion_limit = "256"]

mod accounts;
mod authenticate;
mod cards;
mod charges;
mod common;
mod customers;
mod errors;
mod events;
mod expand;
mod faults;
mod form;
mod http;
mod idempotency;
mod intents;
mod payment_intents;
mod payment_methods;
mod persist;
mod refunds;
mod serve;
mod setup_intents;
mod state;
pub mod stripe_js;
mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub use crate::faults::{Fault, FaultKind, LoggedRequest, Outcome};
use crate::state::{RetryPolicy, Shared, Store, account_id_for_suffix, lock};
pub use crate::webhooks::WebhookDelivery;
/// The HTTP method type [`Fault`] and [`LoggedRequest`] use.
pub use axum::http::Method;

/// Where the emulator listens (port 0 picks a free port: tests; demo mode uses 127.0.0.1:12111)
/// and where, if anywhere, it keeps its state.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub bind: SocketAddr,
    /// `None`: state in memory only, gone when the emulator stops (tests). A path: the state is
    /// loaded from this JSON file at start (an absent file is an empty state) and written back,
    /// atomically, after every change (the demo, so a restart keeps every object). See
    /// "Persistence" in the crate docs.
    pub state_file: Option<PathBuf>,
}

impl EmulatorConfig {
    /// State in memory only.
    pub fn in_memory(bind: SocketAddr) -> Self {
        Self {
            bind,
            state_file: None,
        }
    }

    /// State kept in `path` across restarts.
    #[must_use]
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }
}

/// The kinds of objects [`Emulator::count`] can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Customer,
    PaymentMethod,
    SetupIntent,
    PaymentIntent,
    Charge,
    Refund,
    Event,
    WebhookEndpoint,
}

/// A running emulator. Dropping it stops the server (in-flight webhook deliveries finish or
/// give up on their own).
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

/// Default webhook retry policy: 5 attempts, 1 s, 2 s, 4 s, 8 s apart.
const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(1);
const DEFAULT_RETRY_ATTEMPTS: u32 = 5;

impl Emulator {
    /// Binds `config.bind` and serves the emulator on the current tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound, or the state file cannot be read or is not one.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let store = match &config.state_file {
            Some(path) => persist::load(path)?,
            None => Store::default(),
        };
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(webhooks::DELIVERY_TIMEOUT)
            // Webhooks go to the local application; a proxy from the environment must not
            // intercept them.
            .no_proxy()
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            state_file: config.state_file,
            base_url: format!("http://{addr}/"),
            retry: RetryPolicy {
                base_delay_ms: AtomicU64::new(
                    u64::try_from(DEFAULT_RETRY_BASE.as_millis()).unwrap_or(1000),
                ),
                max_attempts: AtomicU32::new(DEFAULT_RETRY_ATTEMPTS),
            },
            deliveries: Mutex::new(std::collections::VecDeque::new()),
            in_flight: AtomicUsize::new(0),
            http,
            faults: faults::Faults::default(),
            log: faults::RequestLog::default(),
        });
        let app = http::router(Arc::clone(&shared));
        let server = tokio::spawn(serve::serve(listener, app));
        tracing::info!(%addr, "stripe emulator listening");
        Ok(Emulator {
            shared,
            addr,
            server,
        })
    }

    /// `http://<addr>/` with a trailing slash; the API is under `/v1`. Give it to the Stripe
    /// client as its base URL.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The emulator's routes over this emulator's state, to serve from another listener too.
    pub fn router(&self) -> axum::Router {
        http::router(Arc::clone(&self.shared))
    }

    /// The `acct_…` id the emulator gives the account of a test key (`sk_test_…`, `rk_test_…`
    /// or `pk_test_…`), or `None` for a key it would refuse.
    pub fn account_id(key: &str) -> Option<String> {
        ["sk_test_", "rk_test_", "pk_test_"]
            .iter()
            .find_map(|p| key.strip_prefix(p))
            .filter(|s| !s.is_empty())
            .map(account_id_for_suffix)
    }

    /// The publishable key paired with a secret test key (`sk_test_X` → `pk_test_X`).
    pub fn publishable_key(secret_key: &str) -> Option<String> {
        secret_key
            .strip_prefix("sk_test_")
            .filter(|s| !s.is_empty())
            .map(|s| format!("pk_test_{s}"))
    }

    fn with_account<T>(&self, key: &str, f: impl FnOnce(&state::Account) -> T) -> Option<T> {
        let id = Self::account_id(key)?;
        let store = lock(&self.shared.store);
        store.accounts.get(&id).map(f)
    }

    /// How many objects of a kind the account of `key` holds (0 for an account never used).
    /// Deleted customers are not counted.
    pub fn count(&self, key: &str, kind: ObjectKind) -> usize {
        self.with_account(key, |a| match kind {
            ObjectKind::Customer => a.customers.values().filter(|c| !c.deleted).count(),
            ObjectKind::PaymentMethod => a.payment_methods.len(),
            ObjectKind::SetupIntent => a.setup_intents.len(),
            ObjectKind::PaymentIntent => a.payment_intents.len(),
            ObjectKind::Charge => a.charges.len(),
            ObjectKind::Refund => a.refunds.len(),
            ObjectKind::Event => a.events.len(),
            ObjectKind::WebhookEndpoint => a.webhook_endpoints.len(),
        })
        .unwrap_or(0)
    }

    /// The events of the account of `key`, oldest first, as `GET /v1/events/{id}` renders them.
    pub fn events(&self, key: &str) -> Vec<Value> {
        self.with_account(key, |a| {
            a.events.iter().map(events::Event::to_json).collect()
        })
        .unwrap_or_default()
    }

    /// The webhook delivery attempts so far (the last 5,000), oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.shared.deliveries).iter().cloned().collect()
    }

    /// Sets the webhook retry policy: attempt `n` (from 1) waits `base_delay × 2ⁿ⁻¹` after a
    /// failure, up to `max_attempts` attempts in all. Default: 1 s and 5 attempts. Applies to
    /// deliveries started afterwards and to the waits of running ones.
    pub fn set_webhook_retry(&self, base_delay: Duration, max_attempts: u32) {
        let ms = u64::try_from(base_delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.retry.base_delay_ms.store(ms, Ordering::Relaxed);
        self.shared
            .retry
            .max_attempts
            .store(max_attempts.max(1), Ordering::Relaxed);
    }

    /// Arms a fault for the next matching requests (see [`Fault`] and the module docs,
    /// "Faults"). Faults apply in the order injected; each request uses up at most one.
    pub fn inject_fault(&self, fault: Fault) {
        self.shared.faults.inject(fault);
    }

    /// Disarms every fault not yet used up.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The last requests the emulator received (up to 5,000), oldest first, with what became
    /// of each. Requests still running are included, as [`Outcome::InFlight`].
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Waits until no webhook delivery is in flight (all delivered or abandoned), at most
    /// `timeout`. Returns whether that point was reached.
    pub async fn wait_for_webhooks(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.shared.in_flight.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

//! In-memory state: accounts (one per distinct test key suffix) and their objects, plus the
//! per-request context handlers work with.
//!
//! Everything an API call touches lives behind one mutex, held for the whole (synchronous)
//! handling of a request. Requests are tiny, so this costs nothing and gives every call the
//! atomicity Stripe guarantees (a PaymentIntent confirm either fully happens or not at all), and
//! makes concurrent requests with one idempotency key trivially safe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::charges::Charge;
use crate::customers::Customer;
use crate::events::Event;
use crate::faults::{Faults, RequestLog};
use crate::idempotency::SavedResponse;
use crate::payment_intents::PaymentIntent;
use crate::payment_methods::PaymentMethod;
use crate::refunds::Refund;
use crate::setup_intents::SetupIntent;
use crate::webhooks::{Delivery, WebhookDelivery, WebhookEndpoint};

/// The API version the emulator renders objects in: the one async-stripe 1.0.0-rc.10 pins
/// (`stripe_shared::version::VERSION`), so events carry no version-mismatch warning.
pub(crate) const API_VERSION: &str = "2026-09-30.endive";

/// Seconds since the Unix epoch, as Stripe's `created` fields.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `n` random characters from `[A-Za-z0-9]`, the alphabet of Stripe ids.
pub(crate) fn random_alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A fresh object id: `prefix_` and 24 characters (Stripe's current id length).
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_alnum(24))
}

/// `n` alphanumeric characters derived from `seed`, stable across runs (account ids, card
/// fingerprints).
pub(crate) fn stable_alnum(seed: &[u8], n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut block = Sha256::digest(seed).to_vec();
    while out.len() < n {
        for b in &block {
            if out.len() == n {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
        block = Sha256::digest(&block).to_vec();
    }
    out
}

/// The account id for a key suffix (the part after `sk_test_` / `pk_test_`).
pub(crate) fn account_id_for_suffix(suffix: &str) -> String {
    format!(
        "acct_{}",
        stable_alnum(format!("stripe-emulator-account:{suffix}").as_bytes(), 16)
    )
}

/// Which kind of key authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Secret,
    Publishable,
}

/// One emulated Stripe account with all its objects.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) customers: HashMap<String, Customer>,
    pub(crate) payment_methods: HashMap<String, PaymentMethod>,
    pub(crate) setup_intents: HashMap<String, SetupIntent>,
    pub(crate) payment_intents: HashMap<String, PaymentIntent>,
    pub(crate) charges: HashMap<String, Charge>,
    pub(crate) refunds: HashMap<String, Refund>,
    /// Oldest first.
    pub(crate) events: Vec<Event>,
    /// Oldest first.
    pub(crate) webhook_endpoints: Vec<WebhookEndpoint>,
    /// Idempotency keys are scoped to the account, as at Stripe.
    pub(crate) idempotency: HashMap<String, SavedResponse>,
    /// Creation order of every object, so lists come out newest first even within one second.
    seq: u64,
}

impl Account {
    fn new(suffix: &str) -> Self {
        Self {
            id: account_id_for_suffix(suffix),
            created: now(),
            customers: HashMap::new(),
            payment_methods: HashMap::new(),
            setup_intents: HashMap::new(),
            payment_intents: HashMap::new(),
            charges: HashMap::new(),
            refunds: HashMap::new(),
            events: Vec::new(),
            webhook_endpoints: Vec::new(),
            idempotency: HashMap::new(),
            seq: 0,
        }
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// All accounts, keyed by account id.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Store {
    pub(crate) accounts: HashMap<String, Account>,
}

impl Store {
    /// The account of a key suffix, created on first use (any test key is valid, as the brief
    /// of the emulator says: each distinct key is its own account).
    pub(crate) fn account(&mut self, suffix: &str) -> &mut Account {
        let id = account_id_for_suffix(suffix);
        self.accounts
            .entry(id)
            .or_insert_with(|| Account::new(suffix))
    }
}

/// How webhook deliveries are retried; adjustable at run time so tests need not wait seconds.
#[derive(Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) base_delay_ms: AtomicU64,
    pub(crate) max_attempts: AtomicU32,
}

impl RetryPolicy {
    pub(crate) fn base_delay(&self) -> Duration {
        Duration::from_millis(self.base_delay_ms.load(Ordering::Relaxed))
    }
    pub(crate) fn max_attempts(&self) -> u32 {
        self.max_attempts.load(Ordering::Relaxed).max(1)
    }
}

/// State shared by the HTTP handlers, the webhook delivery tasks and the [`crate::Emulator`]
/// handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    /// Where the store is saved after each change; `None` keeps it in memory only.
    pub(crate) state_file: Option<std::path::PathBuf>,
    /// `http://127.0.0.1:port/`, known once the listener is bound.
    pub(crate) base_url: String,
    pub(crate) retry: RetryPolicy,
    /// The last [`crate::faults::LOG_CAPACITY`] delivery attempts, oldest first (inspection by
    /// tests; bounded so a long demo does not grow it forever).
    pub(crate) deliveries: Mutex<std::collections::VecDeque<WebhookDelivery>>,
    /// Deliveries started and not yet finished (delivered or given up).
    pub(crate) in_flight: AtomicUsize,
    pub(crate) http: reqwest::Client,
    /// Injected faults not yet used up.
    pub(crate) faults: Faults,
    /// The last requests served, for inspection by tests.
    pub(crate) log: RequestLog,
}

impl Shared {
    /// Saves the store when persistence is on. Called with the state lock held, so saves happen
    /// in the order of the changes. A failed save is logged, not the request's failure: the
    /// change happened and the answer must say so.
    pub(crate) fn persist(&self, store: &Store) {
        if let Some(path) = &self.state_file
            && let Err(e) = crate::persist::save(path, store)
        {
            tracing::warn!(path = %path.display(), error = %e, "stripe emulator: could not save its state");
        }
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the emulator's state
/// stays usable (a panic mid-request can at worst leave one request half-applied).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a handler works with: the caller's account, who called, and the outbox of webhook
/// deliveries to start once the state lock is released.
pub(crate) struct Ctx<'a> {
    pub(crate) acct: &'a mut Account,
    pub(crate) key: KeyKind,
    pub(crate) now: i64,
    pub(crate) request_id: String,
    pub(crate) idempotency_key: Option<String>,
    /// False for the emulator's own endpoints (the 3-D Secure step), whose events, like
    /// Stripe's for a customer acting on Stripe's pages, carry no API request.
    pub(crate) api_request: bool,
    pub(crate) base_url: &'a str,
    pub(crate) outbox: Vec<Delivery>,
}

impl Ctx<'_> {
    pub(crate) fn is_secret(&self) -> bool {
        self.key == KeyKind::Secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_stable_and_distinct() {
        assert_eq!(account_id_for_suffix("abc"), account_id_for_suffix("abc"));
        assert_ne!(account_id_for_suffix("abc"), account_id_for_suffix("abd"));
        assert_eq!(account_id_for_suffix("abc").len(), "acct_".len() + 16);
    }

    #[test]
    fn ids_have_prefix_and_length() {
        let id = new_id("pi");
        assert!(id.starts_with("pi_"));
        assert_eq!(id.len(), 27);
        assert!(id[3..].chars().all(|c| c.is_ascii_alphanumeric()));
    }
}

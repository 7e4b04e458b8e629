//! Typed configuration, loaded once at start: defaults, then an optional TOML file
//! (`app.toml`, or the path in `APP_CONFIG_FILE`), then `APP__SECTION__KEY` environment variables.
//! `validate` refuses combinations that are unsafe for the chosen mode.

use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::client_address::TrustedProxies;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Local demo and tests: seeded merchant, Stripe emulator, maildev.
    Demo,
    /// Real money: refuses every demo piece.
    Production,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub mode: Mode,
    /// Public URL of the app; every link we send is built from it, never from a request's Host.
    pub base_url: Url,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub smtp: SmtpConfig,
    pub secrets: SecretsConfig,
    pub demo: DemoConfig,
    pub stripe: StripeConfig,
    pub session: SessionConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    pub limits: LimitsConfig,
}

/// Abuse limits: what one client or one merchant may make the server do.
#[derive(Debug, Clone, Deserialize)]
pub struct LimitsConfig {
    /// Password hashes (argon2id, 19 MiB each) running at once; 0 means one per CPU.
    pub concurrent_hashes: usize,
    /// How long a sign-in or sign-up waits for a hashing slot before it is told to retry (503).
    pub hash_wait_ms: u64,
    /// Sign-ups from one client address within 15 minutes.
    pub sign_ups_per_client: u64,
    /// Emails to customers (card requests, payment confirmations, receipts) one merchant may
    /// send per day (UTC).
    pub daily_customer_emails: u32,
    /// How long the link that confirms a merchant's email address works.
    pub email_confirmation_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// A request still unanswered after this long gets a clear "took too long" error instead of
    /// hanging. Longer than one Stripe call with all its retries, so that Stripe's own error
    /// arrives first. Not for Stripe's webhooks, nor the live update streams once open.
    pub request_timeout_ms: u64,
    /// The proxies (CIDRs) whose `X-Forwarded-For` / `Forwarded` name the client for per-client
    /// limits; empty: the socket peer is the client and those headers are ignored.
    #[serde(default)]
    pub trusted_proxies: TrustedProxies,
    /// A connection that starts no request for this long (an idle keep-alive, or a client that
    /// never finishes its headers) is closed, so idle and slow clients cannot pile up sockets and
    /// memory.
    pub idle_timeout_ms: u64,
    /// Connections served at once; the next ones wait in the kernel's accept queue.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseConfig {
    /// May carry a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpConfig {
    /// `smtp://host:port` (plain, for maildev), `smtp+starttls://…` or `smtps://…`, optionally with
    /// `user:password@`.
    pub url: SecretString,
    /// The envelope sender and the address in From (the display name is the merchant's).
    pub from: String,
    /// Run the outbox worker that sends queued emails (off in tests that drive it themselves).
    pub worker: bool,
    /// How long an email that keeps failing for a transient reason (server down, 4xx) is retried
    /// before it is marked failed: long enough for an outage over a weekend.
    #[serde(default = "default_retry_for_hours")]
    pub retry_for_hours: u64,
}

fn default_retry_for_hours() -> u64 {
    48
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecretsConfig {
    /// Base64 of 32 random bytes; encrypts merchants' Stripe secrets at rest.
    pub master_key: Option<SecretString>,
    /// Demo mode only: where a generated master key is kept when none is configured.
    #[serde(default = "default_key_file")]
    pub key_file: String,
}

fn default_key_file() -> String {
    "data/master.key".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoConfig {
    /// Where the demo mailbox (maildev) can be read; printed at start.
    pub mailbox_url: String,
    /// Create the "Demo Tours" merchant with a handful of customers at start.
    pub seed: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StripeConfig {
    /// Start the in-process Stripe emulator (demo and tests only).
    pub emulator: bool,
    pub emulator_port: u16,
    /// Where the emulator keeps its state across restarts (demo: `data/stripe-emulator.json`);
    /// empty keeps it in memory only (tests).
    #[serde(default)]
    pub emulator_state_file: Option<String>,
    /// Demo and tests: the emulator already running at this URL (`server stripe-emulator`), used
    /// instead of one started in this process, so a soak measures the server alone. Unset: an
    /// in-process emulator when `emulator` is on.
    #[serde(default)]
    pub emulator_url: Option<String>,
    /// Overrides api.stripe.com for pasted keys; normally unset. `emulator` (demo mode only) sends
    /// them to the in-process emulator too, for offline tests of the key-entry path.
    pub api_base: Option<String>,
    /// Where the card page loads Stripe.js for real (non-emulated) connections.
    pub js_url: String,
    /// Each Stripe call is cut off after this long…
    pub request_timeout_ms: u64,
    /// …and tried at most this many times in all (429, 409, 5xx, timeouts, connection errors).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each next one, plus jitter.
    pub retry_base_ms: u64,
    /// How often the reconciler looks for charges and refunds whose outcome was never recorded.
    pub reconcile_interval_secs: u64,
    /// How old an unsettled row must be before the reconciler takes it over from the request
    /// that wrote it (longer than that request's own retries can take).
    pub reconcile_after_secs: u64,
}

impl StripeConfig {
    /// The emulator running elsewhere, when configured (unset or empty: none).
    pub fn external_emulator(&self) -> Option<&str> {
        self.emulator_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }

    /// The emulator's state file, unless persistence is off (unset or empty).
    pub fn emulator_state_file(&self) -> Option<&std::path::Path> {
        self.emulator_state_file
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(std::path::Path::new)
    }

    /// How hard each Stripe call tries (see `payments::RetryPolicy`).
    pub fn retry_policy(&self) -> crate::payments::RetryPolicy {
        crate::payments::RetryPolicy {
            attempts: self.max_attempts.max(1),
            base_delay: Duration::from_millis(self.retry_base_ms),
            timeout: Duration::from_millis(self.request_timeout_ms.max(1)),
        }
    }
}

/// The `stripe.api_base` value that means "the in-process emulator".
pub const EMULATOR_API_BASE: &str = "emulator";

/// How long content that holds secrets is kept once it has done its job.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Days after which the bodies of sent (or finally failed) emails are deleted: they carried
    /// live links. The row stays, so Notifications still show what was sent and when.
    pub email_body_days: u32,
    /// Days after which a processed Stripe event's payload (it may hold client secrets) is
    /// deleted. The row stays: it is what makes a redelivery a no-op.
    pub stripe_event_payload_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            email_body_days: 30,
            stripe_event_payload_days: 30,
        }
    }
}

impl RetentionConfig {
    pub fn email_bodies(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.email_body_days))
    }

    pub fn stripe_event_payloads(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.stripe_event_payload_days))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionConfig {
    pub ttl_hours: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults → optional file → environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("APP_CONFIG_FILE").unwrap_or_else(|_| "app.toml".into());
        let env = config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true);
        Self::from_sources(Some(&file), env)
    }

    /// Defaults overlaid with the given environment-like source only (tests).
    pub fn from_sources(file: Option<&str>, env: config::Environment) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .set_default("mode", "demo")?
            .set_default("base_url", "http://127.0.0.1:3000")?
            .set_default("server.host", "127.0.0.1")?
            .set_default("server.port", 3000)?
            .set_default("server.request_timeout_ms", 90_000)?
            .set_default("server.trusted_proxies", "")?
            .set_default("server.idle_timeout_ms", 30_000)?
            .set_default("server.max_connections", 2_048)?
            .set_default("database.url", "sqlite://data/app.db?mode=rwc")?
            .set_default("database.max_connections", 10)?
            .set_default("smtp.url", "smtp://127.0.0.1:1025")?
            .set_default("smtp.from", "no-reply@cardonfile.test")?
            .set_default("smtp.worker", true)?
            .set_default("demo.seed", true)?
            .set_default("demo.mailbox_url", "http://127.0.0.1:1080")?
            .set_default("stripe.emulator", true)?
            .set_default("stripe.emulator_port", 12111)?
            .set_default("stripe.emulator_state_file", "data/stripe-emulator.json")?
            .set_default("stripe.js_url", "https://js.stripe.com/v3/")?
            .set_default("stripe.request_timeout_ms", 20_000)?
            .set_default("stripe.max_attempts", 3)?
            .set_default("stripe.retry_base_ms", 500)?
            .set_default("stripe.reconcile_interval_secs", 60)?
            .set_default("stripe.reconcile_after_secs", 120)?
            .set_default("session.ttl_hours", 24 * 14)?
            .set_default("limits.concurrent_hashes", 0)?
            .set_default("limits.hash_wait_ms", 2_000)?
            .set_default("limits.sign_ups_per_client", 10)?
            .set_default("limits.daily_customer_emails", 200)?
            .set_default("limits.email_confirmation_hours", 48)?
            .set_default("secrets.key_file", "data/master.key")?;
        if let Some(path) = file {
            builder = builder.add_source(config::File::with_name(path).required(false));
        }
        let config: Config = builder.add_source(env).build()?.try_deserialize()?;
        config.validate()?;
        Ok(config)
    }

    /// Defaults overlaid with these `APP__…` pairs only: no file, no process environment.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let source = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(source));
        Self::from_sources(None, env)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !matches!(self.base_url.scheme(), "http" | "https") || self.base_url.host().is_none() {
            return invalid("base_url must be an http(s) URL with a host");
        }
        if self.base_url.path() != "/" || self.base_url.query().is_some() {
            return invalid("base_url must not have a path or query");
        }
        if self.server.idle_timeout_ms == 0 || self.server.max_connections == 0 {
            return invalid("server.idle_timeout_ms and server.max_connections must be above 0");
        }
        let db = self.database.url.expose_secret();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return invalid("database.url must be a sqlite: or postgres:// URL");
        }
        let smtp = Url::parse(self.smtp.url.expose_secret())
            .map_err(|_| ConfigError::Invalid("smtp.url is not a URL".into()))?;
        if !matches!(smtp.scheme(), "smtp" | "smtps" | "smtp+starttls") || smtp.host().is_none() {
            return invalid("smtp.url must be smtp://, smtp+starttls:// or smtps:// with a host");
        }
        if crate::domain::EmailAddress::parse(&self.smtp.from).is_err() {
            return invalid("smtp.from must be a plain email address");
        }
        if let Some(key) = &self.secrets.master_key {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key.expose_secret().trim())
                .map_err(|_| ConfigError::Invalid("secrets.master_key is not base64".into()))?;
            if bytes.len() != 32 {
                return invalid("secrets.master_key must decode to 32 bytes");
            }
        }
        if let Some(base) = &self.stripe.api_base {
            let local =
                base.starts_with("http://127.0.0.1") || base.starts_with("http://localhost");
            if base == EMULATOR_API_BASE {
                if self.mode != Mode::Demo || !self.stripe.emulator {
                    return invalid(
                        "stripe.api_base = \"emulator\" needs demo mode with the emulator on",
                    );
                }
            } else if !(base.starts_with("https://") || local) {
                return invalid("stripe.api_base must be https:// (or a local http:// address)");
            }
        }
        if let Some(url) = self.stripe.external_emulator()
            && (!self.stripe.emulator
                || !(url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost")))
        {
            return invalid(
                "stripe.emulator_url must be a local http:// address, with stripe.emulator on",
            );
        }
        let stripe_call = self.stripe.retry_policy().worst_case();
        if Duration::from_millis(self.server.request_timeout_ms) <= stripe_call {
            return Err(ConfigError::Invalid(format!(
                "server.request_timeout_ms must be longer than one Stripe call with its retries \
                 ({} ms: stripe.request_timeout_ms × stripe.max_attempts plus the waits)",
                stripe_call.as_millis()
            )));
        }
        if self.session.ttl_hours < 1 {
            return invalid("session.ttl_hours must be at least 1");
        }
        if self.limits.email_confirmation_hours < 1 {
            return invalid("limits.email_confirmation_hours must be at least 1");
        }
        if self.mode == Mode::Production {
            if self.demo.seed {
                return invalid("production mode refuses the demo seed (set demo.seed = false)");
            }
            if self.stripe.emulator {
                return invalid(
                    "production mode refuses the Stripe emulator (set stripe.emulator = false)",
                );
            }
            if self.secrets.master_key.is_none() {
                return invalid("production mode needs secrets.master_key");
            }
            // Cookies are `Secure` and `__Host-` only on https; plain http is for a loopback
            // address (a proxy on the same machine terminates TLS, or a local trial).
            if self.base_url.scheme() != "https" && !self.base_url_is_loopback() {
                return invalid(
                    "production mode needs an https:// base_url (http:// only on a loopback \
                     address): sign-in and card-link cookies must be Secure",
                );
            }
            if smtp.scheme() == "smtp"
                && !matches!(smtp.host_str(), Some("127.0.0.1" | "localhost"))
            {
                return invalid(
                    "production mode needs an encrypted SMTP connection (smtps:// or smtp+starttls://)",
                );
            }
        }
        Ok(())
    }

    /// Cookies get `Secure` (and the `__Host-` prefix) when the app is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    fn base_url_is_loopback(&self) -> bool {
        match self.base_url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// The origin (`https://pay.example.com`) a browser names in `Origin` on our own pages.
    pub fn base_origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let source = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(source));
        Config::from_sources(None, env)
    }

    #[test]
    fn defaults_are_a_working_demo() {
        let config = load(&[]).unwrap();
        assert_eq!(config.mode, Mode::Demo);
        assert_eq!(config.server.port, 3000);
        assert!(config.is_sqlite());
        assert!(!config.secure_cookies());
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("APP__SERVER__PORT", "3100"),
            ("APP__BASE_URL", "https://pay.example.com"),
        ])
        .unwrap();
        assert_eq!(config.server.port, 3100);
        assert!(config.secure_cookies());
    }

    #[test]
    fn an_emulator_elsewhere_is_local_and_needs_the_emulator_on() {
        let config = load(&[("APP__STRIPE__EMULATOR_URL", "http://127.0.0.1:12112/")]).unwrap();
        assert_eq!(
            config.stripe.external_emulator(),
            Some("http://127.0.0.1:12112/")
        );
        assert_eq!(load(&[]).unwrap().stripe.external_emulator(), None);
        for refused in [
            vec![("APP__STRIPE__EMULATOR_URL", "https://api.stripe.com")],
            vec![
                ("APP__STRIPE__EMULATOR_URL", "http://127.0.0.1:12112"),
                ("APP__STRIPE__EMULATOR", "false"),
            ],
        ] {
            let err = load(&refused).unwrap_err().to_string();
            assert!(err.contains("stripe.emulator_url"), "{err}");
        }
    }

    #[test]
    fn production_refuses_demo_pieces() {
        let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let base = [
            ("APP__MODE", "production"),
            ("APP__SMTP__URL", "smtps://relay.example.com"),
        ];
        let err = load(&base).unwrap_err().to_string();
        assert!(err.contains("demo seed"), "{err}");
        let err = load(&[base[0], base[1], ("APP__DEMO__SEED", "false")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("emulator"), "{err}");
        let err = load(&[
            base[0],
            base[1],
            ("APP__DEMO__SEED", "false"),
            ("APP__STRIPE__EMULATOR", "false"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("master_key"), "{err}");
        let ok = load(&[
            base[0],
            base[1],
            ("APP__DEMO__SEED", "false"),
            ("APP__STRIPE__EMULATOR", "false"),
            ("APP__SECRETS__MASTER_KEY", key),
        ]);
        assert!(ok.is_ok());
    }

    /// Production with everything else in order, on this base URL.
    fn production_on(base_url: &str) -> Result<Config, ConfigError> {
        load(&[
            ("APP__MODE", "production"),
            ("APP__SMTP__URL", "smtps://relay.example.com"),
            ("APP__DEMO__SEED", "false"),
            ("APP__STRIPE__EMULATOR", "false"),
            (
                "APP__SECRETS__MASTER_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            ("APP__BASE_URL", base_url),
        ])
    }

    #[test]
    fn production_refuses_plain_http_except_on_loopback() {
        let Err(ConfigError::Invalid(message)) = production_on("http://pay.example.com") else {
            panic!("production accepted an http:// base_url");
        };
        assert!(message.contains("https:// base_url"), "{message}");
        assert!(message.contains("Secure"), "{message}");
        for ok in [
            "https://pay.example.com",
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            let config = production_on(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(config.secure_cookies(), ok.starts_with("https"));
        }
        // Demo mode keeps working on plain http anywhere.
        assert!(load(&[("APP__BASE_URL", "http://demo.example.com")]).is_ok());
    }

    #[test]
    fn trusted_proxies_are_a_comma_separated_list_of_cidrs() {
        assert!(load(&[]).unwrap().server.trusted_proxies.is_empty());
        let config = load(&[("APP__SERVER__TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")]).unwrap();
        let trusted = &config.server.trusted_proxies;
        assert!(trusted.contains("10.20.30.40".parse().unwrap()));
        assert!(trusted.contains("192.168.1.5".parse().unwrap()));
        assert!(!trusted.contains("192.168.1.6".parse().unwrap()));
        let err = load(&[("APP__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("proxy.local"), "{err}");
    }

    #[test]
    fn rejects_malformed_values() {
        assert!(load(&[("APP__BASE_URL", "ftp://x")]).is_err());
        assert!(load(&[("APP__BASE_URL", "http://x/path")]).is_err());
        assert!(load(&[("APP__DATABASE__URL", "mysql://x")]).is_err());
        assert!(load(&[("APP__SMTP__URL", "http://x")]).is_err());
        assert!(load(&[("APP__SECRETS__MASTER_KEY", "c2hvcnQ=")]).is_err());
        assert!(load(&[("APP__MODE", "staging")]).is_err());
    }

    #[test]
    fn a_request_outlasts_one_stripe_call_with_its_retries() {
        assert_eq!(load(&[]).unwrap().server.request_timeout_ms, 90_000);
        // 3 attempts of 20 s plus the waits between them is more than a minute.
        let Err(ConfigError::Invalid(message)) =
            load(&[("APP__SERVER__REQUEST_TIMEOUT_MS", "60000")])
        else {
            panic!("a request timeout shorter than a Stripe call was accepted");
        };
        assert!(message.contains("server.request_timeout_ms"), "{message}");
        // 3 × 1 s plus waits of at most 0.75 s and 1.5 s.
        let quick_stripe = [
            ("APP__SERVER__REQUEST_TIMEOUT_MS", "6000"),
            ("APP__STRIPE__REQUEST_TIMEOUT_MS", "1000"),
        ];
        assert!(load(&quick_stripe).is_ok());
    }
}

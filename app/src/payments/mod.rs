//! The one place that talks to Stripe (server-only).
//!
//! async-stripe 1.0 split crates, default features off: only the resources we call are compiled,
//! which keeps build time and the server binary small. The API base URL is configuration, so the
//! same code runs against api.stripe.com or the in-process emulator.

mod charging;
pub mod keys;
pub mod operations;
#[cfg(any(test, feature = "test-support"))]
mod test_support;
mod transport;
pub mod webhook_signature;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use stripe::{ClientBuilder, StripeError};
use transport::{Key, Plain, Transport, is_transient_status};

/// Why a Stripe call failed, in terms the product can act on.
#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    /// Stripe refused the secret key (revoked, mistyped, or wrong account).
    #[error("Stripe did not accept the secret key")]
    InvalidKey,
    /// Stripe answered with an error of its own (card declined, bad parameter …).
    #[error("Stripe error {status}: {message}")]
    Api {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// Stripe could not be reached or answered something unreadable.
    #[error("could not reach Stripe: {0}")]
    Unavailable(String),
}

impl From<StripeError> for PaymentsError {
    fn from(err: StripeError) -> Self {
        match err {
            StripeError::Stripe(api, 401) => {
                tracing::debug!(message = %api.message.as_deref().unwrap_or_default(), "stripe refused key");
                Self::InvalidKey
            }
            // Still busy or broken after our retries: the caller may try again later.
            StripeError::Stripe(api, status) if is_transient_status(status) => {
                Self::Unavailable(format!("{status}: {}", api.message.unwrap_or_default()))
            }
            StripeError::Stripe(api, status) => Self::Api {
                status,
                code: api.code.map(|c| c.to_string()),
                message: api.message.unwrap_or_default(),
            },
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// How hard one Stripe call tries: each attempt is cut off after `timeout`; a transient failure
/// (429, 409, 5xx, a timeout, a connection error) is retried after `base_delay × 2ⁿ` plus jitter, up to `attempts` in all.
/// Every attempt sends the same request, so the same idempotency key.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            timeout: Duration::from_secs(20),
        }
    }
}

/// Where the API lives (`None` is api.stripe.com) and how calls to it are retried.
#[derive(Debug, Clone, Default)]
pub struct StripeEndpoint {
    pub api_base: Option<String>,
    pub retry: RetryPolicy,
}

/// A client for one merchant's account. Every call goes through its [`Transport`] (timeout,
/// retries, one idempotency key per write); nothing else here holds the HTTP client.
pub struct StripeAccount {
    transport: Transport,
}

impl StripeAccount {
    pub fn new(
        secret_key: &SecretString,
        endpoint: &StripeEndpoint,
    ) -> Result<Self, PaymentsError> {
        let mut builder = ClientBuilder::new(secret_key.expose_secret());
        if let Some(base) = &endpoint.api_base {
            builder = builder.url(base.clone());
        }
        let client = builder
            .build()
            .map_err(|e| PaymentsError::Unavailable(e.to_string()))?;
        Ok(Self {
            transport: Transport::new(client, endpoint.retry.clone()),
        })
    }

    /// `GET /v1/account`: proves the key works and tells whose account it is.
    pub async fn account(&self) -> Result<AccountSummary, PaymentsError> {
        let request = Plain::<AccountSummary>::get("/account");
        Ok(self
            .transport
            .send("retrieve account", &request, None)
            .await?)
    }

    /// Registers our webhook URL for every event type and returns the endpoint's signing secret.
    /// Its attempts share one idempotency key: a lost answer never registers the URL twice.
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
    ) -> Result<WebhookEndpoint, PaymentsError> {
        #[derive(serde::Serialize)]
        struct Form<'a> {
            url: &'a str,
            enabled_events: [&'a str; 1],
        }
        let request = Plain::<WebhookEndpoint>::post(
            "/webhook_endpoints",
            &Form {
                url,
                enabled_events: ["*"],
            },
        );
        Ok(self
            .transport
            .send("create webhook endpoint", &request, Some(Key::PerCall))
            .await?)
    }
}

impl StripeAccount {
    /// `GET /v1/webhook_endpoints`: the account's endpoints (the first hundred; we register one).
    pub async fn webhook_endpoints(&self) -> Result<Vec<ListedWebhookEndpoint>, PaymentsError> {
        #[derive(miniserde::Deserialize)]
        struct Page {
            data: Vec<ListedWebhookEndpoint>,
        }
        #[derive(serde::Serialize)]
        struct Query {
            limit: u8,
        }
        let request = Plain::<Page>::get("/webhook_endpoints").query(&Query { limit: 100 });
        let page = self
            .transport
            .send("list webhook endpoints", &request, None)
            .await?;
        Ok(page.data)
    }

    /// `POST /v1/webhook_endpoints/{id}` with a new `url`: the endpoint keeps its signing secret.
    pub async fn move_webhook_endpoint(&self, id: &str, url: &str) -> Result<(), PaymentsError> {
        #[derive(serde::Serialize)]
        struct Form<'a> {
            url: &'a str,
        }
        let request =
            Plain::<ListedWebhookEndpoint>::post(format!("/webhook_endpoints/{id}"), &Form { url });
        // Setting the same URL again is harmless, so a call-scoped key is enough.
        self.transport
            .send("update webhook endpoint", &request, Some(Key::PerCall))
            .await?;
        Ok(())
    }
}

/// A webhook endpoint as listed (without its secret).
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct ListedWebhookEndpoint {
    pub id: String,
    pub url: String,
}

/// The part of Stripe's Account object we show.
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct AccountSummary {
    pub id: String,
}

#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub secret: Option<String>,
}

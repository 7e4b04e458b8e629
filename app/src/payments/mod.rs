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
pub mod webhook_signature;

use std::future::Future;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use stripe::{Client, ClientBuilder, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod};

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

/// 429 (rate limited), 409 (the same idempotency key is still being processed) and 5xx: the
/// request may be sent again with the same idempotency key.
fn is_transient_status(status: u16) -> bool {
    status == 429 || status == 409 || status >= 500
}

fn is_transient(err: &StripeError) -> bool {
    match err {
        StripeError::Stripe(_, status) => is_transient_status(*status),
        StripeError::ClientError(_) | StripeError::Timeout => true,
        StripeError::JSONDeserialize(_) | StripeError::ConfigError(_) => false,
    }
}

/// How hard one Stripe call tries: each attempt is cut off after `timeout`; a transient failure
/// (see [`is_transient`]) is retried after `base_delay × 2ⁿ` plus jitter, up to `attempts` in all.
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

/// A client for one merchant's account.
pub struct StripeAccount {
    client: Client,
    retry: RetryPolicy,
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
            client,
            retry: endpoint.retry.clone(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `call` under the account's [`RetryPolicy`]. Only for calls that are safe to repeat:
    /// reads, and writes that carry an idempotency key (Stripe then answers a repeat with the
    /// first answer instead of acting twice).
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        what: &str,
        mut call: F,
    ) -> Result<T, StripeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StripeError>>,
    {
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let error = match tokio::time::timeout(self.retry.timeout, call()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(err)) if !is_transient(&err) => return Err(err),
                Ok(Err(err)) => err,
                Err(_) => StripeError::Timeout,
            };
            if attempt >= attempts {
                tracing::warn!(what, attempts, error = %error, "stripe call gave up");
                return Err(error);
            }
            let backoff = self
                .retry
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(10));
            // Up to half the backoff again, so many clients retrying at once spread out.
            let jitter_ms = u64::try_from(backoff.as_millis() / 2).unwrap_or(0);
            let jitter = Duration::from_millis(rand::random::<u64>() % (jitter_ms + 1));
            tracing::info!(what, attempt, error = %error, "stripe call failed; retrying");
            tokio::time::sleep(backoff + jitter).await;
            attempt += 1;
        }
    }

    /// `GET /v1/account`: proves the key works and tells whose account it is.
    pub async fn account(&self) -> Result<AccountSummary, PaymentsError> {
        Ok(RequestBuilder::new(StripeMethod::Get, "/account")
            .customize::<AccountSummary>()
            .send(&self.client)
            .await?)
    }

    /// Registers our webhook URL for every event type and returns the endpoint's signing secret.
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
    ) -> Result<WebhookEndpoint, PaymentsError> {
        #[derive(serde::Serialize)]
        struct Form<'a> {
            url: &'a str,
            enabled_events: [&'a str; 1],
        }
        Ok(
            RequestBuilder::new(StripeMethod::Post, "/webhook_endpoints")
                .form(&Form {
                    url,
                    enabled_events: ["*"],
                })
                .customize::<WebhookEndpoint>()
                .send(&self.client)
                .await?,
        )
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
        let page = RequestBuilder::new(StripeMethod::Get, "/webhook_endpoints")
            .query(&Query { limit: 100 })
            .customize::<Page>()
            .send(&self.client)
            .await?;
        Ok(page.data)
    }

    /// `POST /v1/webhook_endpoints/{id}` with a new `url`: the endpoint keeps its signing secret.
    pub async fn move_webhook_endpoint(&self, id: &str, url: &str) -> Result<(), PaymentsError> {
        #[derive(serde::Serialize)]
        struct Form<'a> {
            url: &'a str,
        }
        RequestBuilder::new(StripeMethod::Post, format!("/webhook_endpoints/{id}"))
            .form(&Form { url })
            .customize::<ListedWebhookEndpoint>()
            .send(&self.client)
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

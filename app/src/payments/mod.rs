//! The one place that talks to Stripe (server-only).
//!
//! async-stripe 1.0 split crates, default features off: only the resources we call are compiled,
//! which keeps build time and the server binary small. The API base URL is configuration, so the
//! same code runs against api.stripe.com or the in-process emulator.

pub mod keys;
pub mod operations;
pub mod webhook_signature;

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
            StripeError::Stripe(api, status) => Self::Api {
                status,
                code: api.code.map(|c| c.to_string()),
                message: api.message.unwrap_or_default(),
            },
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Where the API lives: `None` is api.stripe.com.
#[derive(Debug, Clone, Default)]
pub struct StripeEndpoint {
    pub api_base: Option<String>,
}

/// A client for one merchant's account.
pub struct StripeAccount {
    client: Client,
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
        Ok(Self { client })
    }

    pub fn client(&self) -> &Client {
        &self.client
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

//! The only way a request reaches Stripe: [`Transport::send`]. Each attempt is cut off after the
//! policy's timeout; 429, 409, 5xx, timeouts and connection errors are retried with exponential
//! backoff and jitter, up to the policy's attempts; every attempt of a write carries the same
//! `Idempotency-Key`, so Stripe acts once however often it is sent.
//!
//! The HTTP client lives in this private module on purpose: the operations beside it cannot reach
//! it, so a new Stripe call cannot skip the timeout or the retries.

use std::marker::PhantomData;
use std::time::Duration;

use stripe::{Client, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod, StripeRequest};

use super::RetryPolicy;

pub(super) struct Transport {
    client: Client,
    retry: RetryPolicy,
}

/// What a write is sent with on every attempt.
pub(super) enum Key<'a> {
    /// The caller's own key: stable across separate calls too (a charge's, a card request's).
    Caller(&'a str),
    /// A key made for this call, shared by its attempts only: enough for writes that a later
    /// call may safely repeat (a detach, registering a webhook endpoint, a cancel).
    PerCall,
}

impl Transport {
    pub(super) fn new(client: Client, retry: RetryPolicy) -> Self {
        Self { client, retry }
    }

    /// Sends `request` under the retry policy. Reads go out without a key; writes (`POST`, `DELETE`)
    /// always with one (`key`, or one made for this call when `None`).
    pub(super) async fn send<R>(
        &self,
        what: &str,
        request: &R,
        key: Option<Key<'_>>,
    ) -> Result<R::Output, StripeError>
    where
        R: StripeRequest,
        R::Output: miniserde::Deserialize,
    {
        let built = request.build();
        let strategy = match (built.method, key) {
            (StripeMethod::Get, None) => RequestStrategy::Once,
            (_, Some(Key::Caller(key))) => RequestStrategy::Idempotent(parse_key(key)?),
            (_, Some(Key::PerCall) | None) => RequestStrategy::Idempotent(parse_key(&format!(
                "cof-{}",
                uuid::Uuid::new_v4().simple()
            ))?),
        };
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let once = copy(&built)
                .customize::<R::Output>()
                .request_strategy(strategy.clone())
                .send(&self.client);
            let error = match tokio::time::timeout(self.retry.timeout, once).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(err)) if !is_transient(&err) => return Err(err),
                Ok(Err(err)) => err,
                Err(_) => StripeError::Timeout,
            };
            if attempt >= attempts {
                tracing::warn!(what, attempts, error = %error, "stripe call gave up");
                return Err(error);
            }
            tracing::info!(what, attempt, error = %error, "stripe call failed; retrying");
            tokio::time::sleep(self.retry.backoff(attempt)).await;
            attempt += 1;
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based): `base_delay × 2ⁿ⁻¹` plus up to half of
    /// that again, so many clients retrying at once spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(10));
        let jitter_ms = u64::try_from(backoff.as_millis() / 2).unwrap_or(0);
        backoff + Duration::from_millis(rand::random::<u64>() % (jitter_ms + 1))
    }

    /// The longest one call can take with all its attempts and waits: what a caller (a request
    /// timeout around it) must allow for Stripe's own clear error to arrive first.
    pub fn worst_case(&self) -> Duration {
        let attempts = self.attempts.max(1);
        let waits: Duration = (1..attempts)
            .map(|n| {
                let backoff = self.base_delay.saturating_mul(1 << (n - 1).min(10));
                backoff + backoff / 2
            })
            .sum();
        self.timeout.saturating_mul(attempts) + waits
    }
}

fn parse_key(key: &str) -> Result<IdempotencyKey, StripeError> {
    IdempotencyKey::new(key).map_err(|e| StripeError::ConfigError(format!("idempotency key: {e}")))
}

/// `RequestBuilder` is not `Clone`; each attempt needs its own.
fn copy(built: &RequestBuilder) -> RequestBuilder {
    RequestBuilder {
        query: built.query.clone(),
        body: built.body.clone(),
        path: built.path.clone(),
        method: built.method,
    }
}

/// 429 (rate limited), 409 (the same idempotency key is still being processed) and 5xx: the
/// request may be sent again with the same idempotency key.
pub(super) fn is_transient_status(status: u16) -> bool {
    status == 429 || status == 409 || status >= 500
}

fn is_transient(err: &StripeError) -> bool {
    match err {
        StripeError::Stripe(_, status) => is_transient_status(*status),
        StripeError::ClientError(_) | StripeError::Timeout => true,
        StripeError::JSONDeserialize(_) | StripeError::ConfigError(_) => false,
    }
}

/// A request we spell out ourselves (a method, a path, a query or a form), for endpoints whose
/// async-stripe crate we do not compile.
pub(super) struct Plain<T> {
    built: RequestBuilder,
    output: PhantomData<fn() -> T>,
}

impl<T> Plain<T> {
    pub(super) fn get(path: impl Into<String>) -> Self {
        Self {
            built: RequestBuilder::new(StripeMethod::Get, path),
            output: PhantomData,
        }
    }

    pub(super) fn post(path: impl Into<String>, form: &impl serde::Serialize) -> Self {
        Self {
            built: RequestBuilder::new(StripeMethod::Post, path).form(form),
            output: PhantomData,
        }
    }

    pub(super) fn query(self, query: &impl serde::Serialize) -> Self {
        Self {
            built: self.built.query(query),
            output: PhantomData,
        }
    }
}

impl<T> StripeRequest for Plain<T> {
    type Output = T;

    fn build(&self) -> RequestBuilder {
        copy(&self.built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_covers_every_attempt_and_every_wait() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            timeout: Duration::from_secs(2),
        };
        // 3 × 2 s, then waits of at most 150 ms and 300 ms.
        assert_eq!(policy.worst_case(), Duration::from_millis(6_450));
        for attempt in 1..=2 {
            assert!(policy.backoff(attempt) <= Duration::from_millis(150 * (1 << (attempt - 1))));
        }
    }

    #[test]
    fn only_trouble_that_may_pass_is_retried() {
        for status in [409, 429, 500, 502, 503, 504] {
            assert!(is_transient_status(status), "{status}");
        }
        for status in [400, 401, 402, 403, 404] {
            assert!(!is_transient_status(status), "{status}");
        }
    }
}

//! Test helpers: an emulator per test, async-stripe clients, raw HTTP calls (for what
//! async-stripe cannot send: publishable-key calls, exact headers), a webhook receiver, and a
//! parse check with async-stripe's own types.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use stripe_emulator::{Emulator, EmulatorConfig};

/// One emulator and one account (fresh random keys) per test.
pub struct Env {
    pub emu: Emulator,
    pub sk: String,
    pub pk: String,
    pub client: stripe::Client,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Resp {
    /// The `error` object of an error response.
    pub fn error(&self) -> &Value {
        &self.json["error"]
    }
}

fn suffix() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("t{nanos}x{}", N.fetch_add(1, Ordering::Relaxed))
}

pub fn client_for(emu: &Emulator, key: &str) -> stripe::Client {
    stripe::ClientBuilder::new(key)
        .url(emu.base_url())
        .build()
        .unwrap()
}

pub async fn env() -> Env {
    let emu = Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    // Tests cannot wait seconds between webhook retries.
    emu.set_webhook_retry(Duration::from_millis(50), 4);
    let s = suffix();
    let sk = format!("sk_test_{s}");
    let pk = format!("pk_test_{s}");
    let client = client_for(&emu, &sk);
    Env {
        emu,
        sk,
        pk,
        client,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

/// A card expiry year safely in the future.
pub fn exp_year() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (1970 + secs / 31_556_952 + 3).to_string()
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path.trim_start_matches('/'))
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Resp {
            status,
            headers,
            json,
        }
    }

    pub async fn post(&self, key: &str, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(self.http.post(self.url(path)).bearer_auth(key).form(form))
            .await
    }

    pub async fn post_idem(
        &self,
        key: &str,
        path: &str,
        form: &[(&str, &str)],
        idem: &str,
    ) -> Resp {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(key)
                .header("Idempotency-Key", idem)
                .form(form),
        )
        .await
    }

    pub async fn get(&self, key: &str, path: &str) -> Resp {
        self.send(self.http.get(self.url(path)).bearer_auth(key))
            .await
    }

    /// A customer created through async-stripe.
    pub async fn customer(&self) -> String {
        stripe_core::customer::CreateCustomer::new()
            .email("jenny@example.com")
            .name("Jenny Rosen")
            .send(&self.client)
            .await
            .unwrap()
            .id
            .to_string()
    }

    /// A SetupIntent for the customer, as the product's server creates it.
    pub async fn setup_intent(&self, customer: &str) -> stripe_shared::SetupIntent {
        stripe_core::setup_intent::CreateSetupIntent::new()
            .customer(customer)
            .usage(stripe_core::setup_intent::CreateSetupIntentUsage::OffSession)
            .send(&self.client)
            .await
            .unwrap()
    }

    /// Confirms a SetupIntent from the browser as Stripe.js does: publishable key, client
    /// secret, card details in `payment_method_data`.
    pub async fn browser_confirm(&self, si: &stripe_shared::SetupIntent, number: &str) -> Resp {
        let year = exp_year();
        let secret = si.client_secret.clone().unwrap();
        self.post(
            &self.pk,
            &format!("/v1/setup_intents/{}/confirm", si.id),
            &[
                ("client_secret", secret.as_str()),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", year.as_str()),
                ("payment_method_data[card][cvc]", "123"),
                ("payment_method_data[billing_details][name]", "Jenny Rosen"),
                ("use_stripe_sdk", "true"),
                ("payment_user_agent", "stripe.js/emulated"),
            ],
        )
        .await
    }

    /// Completes or fails the 3-D Secure challenge of an intent.
    pub async fn authenticate(&self, intent_id: &str, client_secret: &str, outcome: &str) -> Resp {
        self.send(
            self.http
                .post(self.url(&format!("/emulator/authenticate/{intent_id}")))
                .form(&[("client_secret", client_secret), ("outcome", outcome)]),
        )
        .await
    }

    /// An off-session PaymentIntent, as the product charges a saved card.
    pub async fn charge_off_session(
        &self,
        customer: &str,
        pm: &str,
        amount: i64,
    ) -> Result<stripe_shared::PaymentIntent, stripe::StripeError> {
        use stripe_core::payment_intent::*;
        let mut apm = CreatePaymentIntentAutomaticPaymentMethods::new(true);
        apm.allow_redirects = Some(CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never);
        CreatePaymentIntent::new(amount, stripe_types::Currency::USD)
            .customer(customer)
            .payment_method(pm)
            .automatic_payment_methods(apm)
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
            .send(&self.client)
            .await
    }
}

/// Parses a JSON value with async-stripe's type, both ways: serde (whose errors name the field)
/// and miniserde (what async-stripe's client actually uses).
pub fn assert_parses<T>(value: &Value) -> T
where
    T: serde::de::DeserializeOwned + miniserde::Deserialize,
{
    let text = value.to_string();
    if let Err(e) = serde_json::from_str::<T>(&text) {
        panic!(
            "{} does not parse with serde: {e}\n{text}",
            std::any::type_name::<T>()
        );
    }
    miniserde::json::from_str::<T>(&text).unwrap_or_else(|_| {
        panic!(
            "{} does not parse with miniserde:\n{text}",
            std::any::type_name::<T>()
        )
    })
}

/// The Stripe API error of a failed async-stripe call.
pub fn api_error(err: stripe::StripeError) -> (stripe::ApiErrors, u16) {
    match err {
        stripe::StripeError::Stripe(e, status) => (*e, status),
        other => panic!("expected a Stripe API error, got {other:?}"),
    }
}

/// Every event of the account, signed and parsed by async-stripe-webhook, which checks that
/// `data.object` parses as the object type of the event.
pub fn assert_events_parse(env: &Env) -> Vec<stripe_webhook::Event> {
    let secret = "whsec_parse_check";
    env.emu
        .events(&env.sk)
        .iter()
        .map(|e| {
            let payload = e.to_string();
            let header = stripe_webhook::Webhook::generate_test_header(&payload, secret, None);
            stripe_webhook::Webhook::construct_event(&payload, &header, secret)
                .unwrap_or_else(|err| panic!("event does not parse: {err:?}\n{payload}"))
        })
        .collect()
}

pub fn event_types(env: &Env) -> Vec<String> {
    env.emu
        .events(&env.sk)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// A webhook receiver: records each request (signature header and body); answers 500 to the
/// first `fail_first` requests.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<(String, String)>>>,
    pub attempts: Arc<AtomicUsize>,
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        let r = Receiver {
            url,
            received: Arc::default(),
            attempts: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
        };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/webhooks/stripe",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.attempts.fetch_add(1, Ordering::SeqCst);
                    let failing = state
                        .fail_first
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if failing {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let sig = headers
                        .get("stripe-signature")
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default();
                    state.received.lock().unwrap().push((sig, body));
                    StatusCode::OK
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    pub fn received(&self) -> Vec<(String, String)> {
        self.received.lock().unwrap().clone()
    }
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

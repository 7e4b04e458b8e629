//! Browsers: the merchant's (see `TestMerchant`) and the customer's, who opens a link. A server
//! function is called by its own type (`CreateBooking { .. }`), which names its endpoint and the
//! type of its answer.

use std::ops::Deref;
use std::time::Duration;

use leptos::server_fn::ServerFn;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, REFERER};
use reqwest::{RequestBuilder, Response, StatusCode, redirect};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    AppError, CardPage, CardView, CompleteCardSetup, CompletePaymentConfirmation, ConnectStripe,
    CreateCustomer, CustomerDetail, FieldError, LoadCardPage, PaymentConfirmed, SignUp,
    StripeConnectionView, authenticate,
};

/// A server function's answer: its value, or the app's refusal.
pub type Answer<T> = Result<T, Refused>;

/// A server function's error answer: the HTTP status and the app's error.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub error: AppError,
}

impl Refused {
    /// The error's stable code: `NOT_FOUND`, `VALIDATION`, `LINK_USED` …
    pub fn code(&self) -> &'static str {
        self.error.code()
    }

    /// The field errors of a validation refusal, in the app's order (none for other refusals).
    pub fn errors(&self) -> &[FieldError] {
        match &self.error {
            AppError::Validation { errors } => errors,
            _ => &[],
        }
    }

    /// The fields a validation refusal names, in the app's order.
    pub fn fields(&self) -> Vec<&str> {
        self.errors().iter().map(|e| e.field.as_str()).collect()
    }
}

/// Reads a server function's response: its value on 200, the app's error otherwise.
pub async fn answer<T: DeserializeOwned>(response: Response) -> Answer<T> {
    let status = response.status();
    let body = response.text().await.unwrap();
    if status == StatusCode::OK {
        Ok(serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("not a {} ({err}): {body}", std::any::type_name::<T>())))
    } else {
        let error = serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("not the app's error ({status}, {err}): {body}"));
        Err(Refused { status, error })
    }
}

/// A browser-like client with its own cookie jar that does not follow redirects.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

impl Browser {
    /// A browser of the app at `base`; a request hanging longer than `timeout` fails the test
    /// instead of holding CI until its limit.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(redirect::Policy::none())
                .timeout(timeout)
                .build()
                .unwrap(),
        }
    }

    /// The address of server function `F`.
    pub fn url<F: ServerFn>(&self) -> String {
        format!("{}{}", self.base, F::PATH)
    }

    /// The request the hydrated app sends for a server function (form-encoded in, JSON out), to
    /// send as it is or with headers of the test's choosing.
    pub fn request<F: ServerFn + Serialize>(&self, args: &F) -> RequestBuilder {
        self.client.post(self.url::<F>()).form(args)
    }

    /// Calls a server function and returns the response as it came.
    pub async fn post<F: ServerFn + Serialize>(&self, args: &F) -> Response {
        self.request(args).send().await.unwrap()
    }

    /// Calls a server function the way the hydrated app does and reads its answer.
    pub async fn call<F>(&self, args: &F) -> Answer<F::Output>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        answer(self.post(args).await).await
    }

    /// Submits a server function's form the way a browser without JavaScript does.
    pub async fn submit_form<F: ServerFn + Serialize>(&self, args: &F, referer: &str) -> Response {
        self.request(args)
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, format!("{}{referer}", self.base))
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
        self.post(&SignUp {
            business_name: business.to_owned(),
            name: name.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
        })
        .await
    }

    pub async fn create_customer(
        &self,
        first: &str,
        last: &str,
        email: &str,
        phone: &str,
    ) -> CustomerDetail {
        self.call(&CreateCustomer {
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: email.to_owned(),
            phone: phone.to_owned(),
            notes: String::new(),
        })
        .await
        .expect("create_customer failed")
    }

    /// Settings' Connect MioPay (Stripe) with pasted keys.
    pub async fn connect_stripe(
        &self,
        publishable_key: &str,
        secret_key: &str,
        webhook_secret: &str,
    ) -> Answer<StripeConnectionView> {
        self.call(&ConnectStripe {
            publishable_key: publishable_key.to_owned(),
            secret_key: secret_key.to_owned(),
            webhook_secret: webhook_secret.to_owned(),
        })
        .await
    }
}

/// A customer's browser on the page an emailed link opened (its cookie holds the link).
pub struct Customer {
    pub browser: Browser,
    pub(super) emulator_base: String,
}

impl Deref for Customer {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl Customer {
    /// The customer's browser at another server than a `TestApp` (a server process of its own),
    /// once it has opened its link there.
    pub fn new(browser: Browser, emulator_base: &str) -> Self {
        Self {
            browser,
            emulator_base: emulator_base.to_owned(),
        }
    }

    /// What the card page (or the confirm page) loads.
    pub async fn card_page(&self) -> Answer<CardPage> {
        self.call(&LoadCardPage {}).await
    }

    /// The card page's own check after Stripe.js confirmed the card.
    pub async fn complete_card_setup(&self) -> Answer<CardView> {
        self.call(&CompleteCardSetup {}).await
    }

    /// The confirm page's own check after Stripe.js confirmed the payment.
    pub async fn complete_payment(&self) -> Answer<PaymentConfirmed> {
        self.call(&CompletePaymentConfirmation {}).await
    }

    /// What Stripe.js does on the card page: confirms the SetupIntent with the publishable key,
    /// its client secret and a card. Returns the SetupIntent as Stripe answers.
    pub async fn confirm_card(&self, page: &CardPage, payment_method: &str) -> Value {
        confirm_setup_intent(
            &self.emulator_base,
            &page.setup.publishable_key,
            &page.setup.client_secret,
            payment_method,
        )
        .await
    }

    /// What Stripe.js does on the confirm page: confirms the PaymentIntent on-session with the
    /// saved card (which asks for 3-D Secure), then the customer answers the bank's challenge
    /// (`complete` or `fail`).
    pub async fn confirm_payment(&self, page: &CardPage, challenge: &str) {
        let secret = page.setup.client_secret.as_str();
        let intent_id = secret.split("_secret_").next().unwrap();
        let payment = page.payment.as_ref().expect("a payment to confirm");
        let confirmed: Value = reqwest::Client::new()
            .post(format!(
                "{}/v1/payment_intents/{intent_id}/confirm",
                self.emulator_base
            ))
            .basic_auth(&page.setup.publishable_key, Some(""))
            .form(&[
                ("client_secret", secret),
                ("payment_method", payment.payment_method_id.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(confirmed["status"], "requires_action");
        authenticate(&self.emulator_base, intent_id, secret, challenge).await;
    }
}

/// What Stripe.js does with a SetupIntent: confirm it with the publishable key, its client secret
/// and a card. Returns the SetupIntent as Stripe answers.
pub(super) async fn confirm_setup_intent(
    emulator_base: &str,
    publishable_key: &str,
    client_secret: &str,
    payment_method: &str,
) -> Value {
    let id = client_secret.split("_secret_").next().unwrap();
    let response = reqwest::Client::new()
        .post(format!("{emulator_base}/v1/setup_intents/{id}/confirm"))
        .basic_auth(publishable_key, Some(""))
        .form(&[
            ("client_secret", client_secret),
            ("payment_method", payment_method),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
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

/// Calls server function `F` (with no fields) with exactly this Cookie header and no jar.
pub async fn call_with_cookie<F: ServerFn>(base: &str, cookie: &str) -> Response {
    reqwest::Client::new()
        .post(format!("{base}{}", F::PATH))
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

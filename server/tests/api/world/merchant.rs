//! A merchant in the test world: signed up, signed in, connected to Stripe as the test asks, with
//! its customer — and what its staff do on that customer's profile.

use std::future::{Future, IntoFuture};
use std::ops::Deref;
use std::pin::Pin;

use app::entities::{customer, new_id, payment_option, staff_user};
use app::payments::operations::SetupState;
use app::payments::{StripeAccount, StripeEndpoint};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::SecretString;
use serde_json::Value;
use stripe_emulator::ObjectKind;

use super::browser::{Answer, Browser, confirm_setup_intent};
use super::test_app::{TestApp, authenticate};
use super::{
    Amounts, BookingPage, BookingView, CardRequestSent, ChargePaymentOption, ChargeView,
    ConnectDemoStripe, CreateBooking, CustomerDetail, CustomerPage, CustomerPayments, GetCustomer,
    GetCustomerPayments, GetSettings, ListBookings, ListCustomers, MakeDefaultPaymentOption,
    MerchantSettings, PaymentOptionSetup, PaymentOptionView, RefundCharge, RemovePaymentOption,
    ResendPaymentConfirmation, SavePaymentOption, SendCardRequest, SignIn, StartPaymentOption,
    WEBHOOK_SECRET, fresh_key, insert_booking, insert_card, test_keys,
};

/// How a merchant's MioPay (Stripe) is connected.
pub enum Stripe {
    NotConnected,
    /// Settings' **Connect demo Stripe**: an account at the app's own emulator.
    Demo,
    /// Test keys pasted by hand, with `WEBHOOK_SECRET`. No endpoint is registered at the
    /// emulator, so the only events that arrive are those the test delivers, in its order.
    PastedKeys,
    /// Test keys pasted after registering this app's webhook URL at the emulator, as a merchant
    /// does in Stripe's dashboard: Stripe's events reach the app.
    PastedKeysWithWebhooks,
}

/// What `TestApp::merchant` builds; `.await` it for the `TestMerchant`.
pub struct MerchantBuilder<'a> {
    app: &'a TestApp,
    business: String,
    stripe: Stripe,
    customer: Option<[String; 4]>,
    confirmed: bool,
}

impl<'a> MerchantBuilder<'a> {
    pub(super) fn new(app: &'a TestApp, business: &str) -> Self {
        Self {
            app,
            business: business.to_owned(),
            stripe: Stripe::NotConnected,
            customer: None,
            confirmed: true,
        }
    }

    /// Leaves the owner's email address unconfirmed (the link unopened in their inbox).
    pub fn unconfirmed(mut self) -> Self {
        self.confirmed = false;
        self
    }

    pub fn connected(mut self, stripe: Stripe) -> Self {
        self.stripe = stripe;
        self
    }

    /// The merchant's customer, created through the app once the merchant is connected.
    pub fn with_customer(mut self, first: &str, last: &str, email: &str, phone: &str) -> Self {
        self.customer = Some([first, last, email, phone].map(ToOwned::to_owned));
        self
    }

    async fn build(self) -> TestMerchant<'a> {
        let app = self.app;
        let browser = app.browser();
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = browser
            .sign_up(
                &self.business,
                "Owner Name",
                &email,
                "correct horse battery",
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "sign up failed");
        if self.confirmed {
            let token = app.confirmation_link_to(&email).await;
            let opened = app
                .browser()
                .get_page(&format!("/confirm-email/{token}"))
                .await;
            assert_eq!(opened.status(), StatusCode::OK, "email confirmation failed");
        }
        let id = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(email.as_str()))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the owner was stored")
            .merchant_id;

        let secret_key = match self.stripe {
            Stripe::NotConnected => None,
            Stripe::Demo => {
                browser.call(&ConnectDemoStripe {}).await.unwrap();
                None
            }
            Stripe::PastedKeys => {
                let (pk, sk) = test_keys();
                browser
                    .connect_stripe(&pk, &sk, WEBHOOK_SECRET)
                    .await
                    .unwrap();
                Some(sk)
            }
            Stripe::PastedKeysWithWebhooks => {
                let (pk, sk) = test_keys();
                let endpoint = stripe_account(app, &sk)
                    .create_webhook_endpoint(&format!("{}/webhooks/stripe/{id}", app.address))
                    .await
                    .unwrap();
                let whsec = endpoint
                    .secret
                    .expect("a new endpoint shows its signing secret");
                browser.connect_stripe(&pk, &sk, &whsec).await.unwrap();
                Some(sk)
            }
        };
        if !matches!(self.stripe, Stripe::NotConnected) {
            let settings: MerchantSettings = browser.call(&GetSettings {}).await.unwrap();
            assert!(settings.stripe.connected);
        }
        let customer = match self.customer {
            Some([first, last, email, phone]) => {
                Some(browser.create_customer(&first, &last, &email, &phone).await)
            }
            None => None,
        };
        TestMerchant {
            app,
            browser,
            id,
            email,
            secret_key,
            customer,
        }
    }
}

impl<'a> IntoFuture for MerchantBuilder<'a> {
    type Output = TestMerchant<'a>;
    type IntoFuture = Pin<Box<dyn Future<Output = TestMerchant<'a>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.build())
    }
}

fn stripe_account(app: &TestApp, secret_key: &str) -> StripeAccount {
    StripeAccount::new(
        &SecretString::from(secret_key.to_owned()),
        &StripeEndpoint {
            api_base: Some(app.emulator_base.clone()),
            ..StripeEndpoint::default()
        },
    )
    .unwrap()
}

/// A merchant's signed-in browser (it derefs to it), with the merchant's id, its customer and,
/// for pasted keys, its Stripe account.
pub struct TestMerchant<'a> {
    pub app: &'a TestApp,
    pub browser: Browser,
    /// The merchant's id: its webhook URL, its rows.
    pub id: String,
    /// The owner's email address (the one confirmed, or to confirm).
    pub email: String,
    secret_key: Option<String>,
    customer: Option<CustomerDetail>,
}

impl Deref for TestMerchant<'_> {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl<'a> TestMerchant<'a> {
    /// A merchant that exists already (the seeded demo), signed in with its owner's login, on
    /// its customer with this email address.
    pub async fn signed_in(
        app: &'a TestApp,
        email: &str,
        password: &str,
        customer_email: &str,
    ) -> TestMerchant<'a> {
        let browser = app.browser();
        browser
            .call(&SignIn {
                email: email.to_owned(),
                password: password.to_owned(),
                next: None,
            })
            .await
            .unwrap();
        let id = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(email))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the staff member exists")
            .merchant_id;
        let customer_id = customer::Entity::find()
            .filter(customer::Column::MerchantId.eq(id.as_str()))
            .filter(customer::Column::Email.eq(customer_email))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the customer exists")
            .id;
        let customer = browser
            .call(&GetCustomer { id: customer_id })
            .await
            .unwrap();
        TestMerchant {
            app,
            browser,
            id,
            email: email.to_owned(),
            secret_key: None,
            customer: Some(customer),
        }
    }
}

impl TestMerchant<'_> {
    /// The merchant's customer (see `TestApp::merchant_with_customer`).
    pub fn customer_id(&self) -> &str {
        &self
            .customer
            .as_ref()
            .expect("this merchant was built without a customer")
            .id
    }

    /// The secret key of the merchant's account at the emulator (pasted keys only).
    pub fn secret_key(&self) -> &str {
        self.secret_key
            .as_deref()
            .expect("this merchant did not paste keys")
    }

    /// The merchant's Stripe account, to act at "Stripe" directly (as its dashboard does).
    pub fn stripe_account(&self) -> StripeAccount {
        stripe_account(self.app, self.secret_key())
    }

    /// How many PaymentIntents the merchant's account holds at "Stripe".
    pub fn payment_intents(&self) -> usize {
        self.app
            .emulator
            .count(self.secret_key(), ObjectKind::PaymentIntent)
    }

    /// A payment method as "Stripe" has it now.
    pub async fn payment_method_at_stripe(&self, payment_method_id: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/v1/payment_methods/{payment_method_id}",
                self.app.emulator_base
            ))
            .basic_auth(self.secret_key(), Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn customer(&self, id: &str) -> Answer<CustomerDetail> {
        self.call(&GetCustomer { id: id.to_owned() }).await
    }

    /// The customer list's first page for a search (empty: everyone).
    pub async fn customers(&self, query: &str) -> CustomerPage {
        self.call(&ListCustomers {
            query: query.to_owned(),
            after: None,
            before: None,
        })
        .await
        .unwrap()
    }

    pub async fn settings(&self) -> MerchantSettings {
        self.call(&GetSettings {}).await.unwrap()
    }

    /// The customer's profile: cards, notifications, bookings, charges, activity.
    pub async fn profile(&self) -> CustomerPayments {
        self.profile_of(self.customer_id()).await.unwrap()
    }

    pub async fn profile_of(&self, customer_id: &str) -> Answer<CustomerPayments> {
        self.call(&GetCustomerPayments {
            customer_id: customer_id.to_owned(),
        })
        .await
    }

    /// The customer's activity as stored, oldest first: its summaries.
    pub async fn activity(&self) -> Vec<String> {
        self.app
            .activity_of(self.customer_id())
            .await
            .into_iter()
            .map(|a| a.summary)
            .collect()
    }

    /// Send Email: a card request to the customer.
    pub async fn send_card_request(&self, note: &str) -> Answer<CardRequestSent> {
        self.send_card_request_to(self.customer_id(), note).await
    }

    pub async fn send_card_request_to(
        &self,
        customer_id: &str,
        note: &str,
    ) -> Answer<CardRequestSent> {
        self.call(&SendCardRequest {
            customer_id: customer_id.to_owned(),
            note: note.to_owned(),
        })
        .await
    }

    /// Sends a card request, delivers it and returns the token from the email.
    pub async fn send_and_read_link(&self) -> String {
        self.send_card_request("").await.unwrap();
        let before = self.app.smtp.messages().len();
        self.app.deliver_emails().await;
        let message = self.app.smtp.messages()[before..]
            .last()
            .cloned()
            .expect("the card request was delivered");
        self.app.link_in_email(&message)
    }

    /// Create Payment Option, step 1: a SetupIntent for the customer.
    pub async fn start_payment_option(&self) -> PaymentOptionSetup {
        self.call(&StartPaymentOption {
            customer_id: self.customer_id().to_owned(),
        })
        .await
        .unwrap()
    }

    /// What Stripe.js does in the merchant's browser: confirm the SetupIntent with the
    /// publishable key, its client secret and a card.
    pub async fn confirm_at_stripe(&self, setup: &PaymentOptionSetup, card: &str) -> Value {
        assert!(
            setup
                .client_secret
                .starts_with(&format!("{}_secret_", setup.setup_intent_id))
        );
        confirm_setup_intent(
            &self.app.emulator_base,
            &setup.publishable_key,
            &setup.client_secret,
            card,
        )
        .await
    }

    /// Create Payment Option, step 2: record the confirmed card.
    pub async fn save_payment_option(&self, setup_intent_id: &str) -> Answer<PaymentOptionView> {
        self.call(&SavePaymentOption {
            customer_id: self.customer_id().to_owned(),
            setup_intent_id: setup_intent_id.to_owned(),
        })
        .await
    }

    /// Create Payment Option end to end with one of Stripe's test cards.
    pub async fn add_card(&self, test_card: &str) -> PaymentOptionView {
        let setup = self.start_payment_option().await;
        let intent = self.confirm_at_stripe(&setup, test_card).await;
        assert_eq!(intent["status"], "succeeded");
        self.save_payment_option(&setup.setup_intent_id)
            .await
            .unwrap()
    }

    pub async fn make_default(&self, payment_option_id: &str) -> Answer<()> {
        self.call(&MakeDefaultPaymentOption {
            payment_option_id: payment_option_id.to_owned(),
        })
        .await
    }

    pub async fn remove_card(&self, payment_option_id: &str, reason: &str) -> Answer<()> {
        self.call(&RemovePaymentOption {
            payment_option_id: payment_option_id.to_owned(),
            reason: reason.to_owned(),
        })
        .await
    }

    /// Puts a card on file the way a confirmed SetupIntent does (Payment Options' own flows are
    /// tested elsewhere): a Stripe customer, the card set up at the emulator — with the 3-D
    /// Secure step completed when the card asks for one — and its payment option row.
    pub async fn card_on_file(&self, test_payment_method: &str) -> String {
        let account = self.stripe_account();
        let ours = self
            .customer
            .as_ref()
            .expect("this merchant was built without a customer");
        let customer_id = ours.id.as_str();
        let stored = customer::Entity::find_by_id(customer_id.to_owned())
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap();
        let stripe_customer = match stored.stripe_customer_id {
            Some(id) => id,
            None => {
                let id = account
                    .create_customer(
                        &ours.full_name(),
                        ours.email.as_deref(),
                        customer_id,
                        &new_id(),
                    )
                    .await
                    .unwrap();
                customer::Entity::update_many()
                    .col_expr(customer::Column::StripeCustomerId, Expr::value(id.clone()))
                    .filter(customer::Column::Id.eq(customer_id))
                    .exec(&self.app.db)
                    .await
                    .unwrap();
                id
            }
        };
        let intent = account
            .create_setup_intent(&stripe_customer, &new_id())
            .await
            .unwrap();
        let mut confirmed = account
            .confirm_setup_intent(&intent.id, test_payment_method)
            .await
            .unwrap();
        if confirmed.state == SetupState::RequiresAction {
            authenticate(
                &self.app.emulator_base,
                &intent.id,
                &intent.client_secret,
                "complete",
            )
            .await;
            confirmed = account.retrieve_setup_intent(&intent.id).await.unwrap();
        }
        let SetupState::Succeeded { payment_method_id } = confirmed.state else {
            panic!("setting up {test_payment_method} did not succeed: {confirmed:?}");
        };
        let card = account
            .retrieve_card(&payment_method_id)
            .await
            .unwrap()
            .unwrap();
        self.insert_option(&payment_method_id, &card.brand, &card.last4)
            .await
    }

    /// A card on file whose stored PaymentMethod is one of Stripe's test ids for a card that
    /// declines when charged (`pm_card_chargeDeclinedExpiredCard` …): the state of a card that
    /// was fine when saved and declines now.
    pub async fn declining_card_on_file(&self, test_payment_method: &str) -> String {
        self.card_on_file("pm_card_visa").await;
        self.insert_option(test_payment_method, "visa", "0000")
            .await
    }

    async fn insert_option(&self, payment_method_id: &str, brand: &str, last4: &str) -> String {
        let has_cards = payment_option::Entity::find()
            .filter(payment_option::Column::CustomerId.eq(self.customer_id()))
            .count(&self.app.db)
            .await
            .unwrap()
            > 0;
        insert_card(
            &self.app.db,
            self.customer_id(),
            payment_method_id,
            brand,
            last4,
            !has_cards,
        )
        .await
    }

    /// A booking of the customer put in place directly (New booking has its own tests), to be
    /// paid by `card`.
    pub async fn booking(&self, title: &str, amounts: Amounts, card: Option<&str>) -> String {
        insert_booking(&self.app.db, self.customer_id(), title, amounts, card).await
    }

    /// The New booking form for the customer as the tests usually fill it: a Sunset kayak tour
    /// for two on 2031-07-14 at 18:30, 120.00, no card.
    pub fn new_booking(&self) -> CreateBooking {
        CreateBooking {
            customer_id: self.customer_id().to_owned(),
            title: "Sunset kayak tour".to_owned(),
            starts_at: "2031-07-14T18:30".to_owned(),
            participants: "2".to_owned(),
            total: "120".to_owned(),
            payment_option_id: Some(String::new()),
        }
    }

    pub async fn create_booking(&self, form: &CreateBooking) -> Answer<BookingView> {
        self.call(form).await
    }

    /// The Bookings page: from today on, or with past ones; `after` a page's cursor.
    pub async fn bookings(&self, include_past: bool, after: Option<&str>) -> Answer<BookingPage> {
        self.call(&ListBookings {
            include_past,
            after: after.map(ToOwned::to_owned),
        })
        .await
    }

    /// The Charge dialog for the customer as the tests usually fill it: "Sunset kayak tour",
    /// a fresh request key, a receipt asked for, no booking.
    pub fn charge_form(&self, card: &str, amount: &str) -> ChargePaymentOption {
        ChargePaymentOption {
            customer_id: self.customer_id().to_owned(),
            payment_option_id: card.to_owned(),
            amount: amount.to_owned(),
            description: "Sunset kayak tour".to_owned(),
            booking_id: None,
            request_key: fresh_key(),
            send_receipt: Some("on".to_owned()),
            confirm_duplicate: None,
        }
    }

    /// Charges `card` once, as a new submission of the Charge dialog.
    pub async fn charge(
        &self,
        card: &str,
        amount: &str,
        booking: Option<&str>,
    ) -> Answer<ChargeView> {
        self.charge_with_key(card, amount, booking, &fresh_key())
            .await
    }

    /// Charges `card` with the dialog's request key (the same submission, sent again).
    pub async fn charge_with_key(
        &self,
        card: &str,
        amount: &str,
        booking: Option<&str>,
        request_key: &str,
    ) -> Answer<ChargeView> {
        self.call(&ChargePaymentOption {
            booking_id: booking.map(ToOwned::to_owned),
            request_key: request_key.to_owned(),
            ..self.charge_form(card, amount)
        })
        .await
    }

    /// Refunds `amount` (empty: all that is left) of a charge.
    pub async fn refund(&self, charge_id: &str, amount: &str, reason: &str) -> Answer<ChargeView> {
        self.call(&RefundCharge {
            charge_id: charge_id.to_owned(),
            amount: amount.to_owned(),
            reason: reason.to_owned(),
            request_key: fresh_key(),
        })
        .await
    }

    /// Resend link of a charge waiting for the customer; answers with the address.
    pub async fn resend_payment_confirmation(&self, charge_id: &str) -> Answer<String> {
        self.call(&ResendPaymentConfirmation {
            charge_id: charge_id.to_owned(),
        })
        .await
    }
}

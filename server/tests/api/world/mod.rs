//! The test world: the running app (`TestApp`), merchants signed in to it (`TestMerchant`, from
//! `app.merchant(..)` / `app.merchant_with_customer(..)`), customers who open the links they are
//! sent (`Customer`), and what Stripe and the mail server do around them.
//!
//! A server function is called by its own type (`CreateBooking { .. }`): the type names its
//! endpoint and the type of its answer, the app's DTO.

use leptos::server_fn::ServerFn;

mod browser;
mod logs;
mod merchant;
mod process;
mod rows;
mod test_app;

pub use browser::Customer;
pub use browser::{Browser, Refused, answer, call_with_cookie, location, session_cookie};
pub use logs::captured_logs;
pub use merchant::{Stripe, TestMerchant};
pub use process::{ServerCommand, ServerProcess, free_port};
pub use rows::{Amounts, insert_booking, insert_card};
pub use test_app::{
    DemoData, MAIL_FROM, TestApp, confirmation_token, eventually, spawn_app, spawn_app_adjusted,
    spawn_app_with, spawn_production_app, test_database,
};

use merchant::MerchantBuilder;
use test_app::authenticate;

// The app's server functions, wire types and the parts of its features the tests drive directly —
// imported here and nowhere else, so that moving them in the app means fixing this block alone.
pub use app::cards::CardView;
pub use app::error::{AppError, FieldError};
pub use app::features::auth::api::{CurrentSession, SignIn, SignOut};
pub use app::features::auth::dto::SessionInfo;
pub use app::features::auth::throttle::{GUESSED_ACCOUNT_DELAY, MAX_FAILURES_PER_EMAIL};
pub use app::features::bookings::api::{CreateBooking, ListBookings};
pub use app::features::bookings::dto::{BookingPage, BookingView};
pub use app::features::card_requests::api::SendCardRequest;
pub use app::features::card_requests::dto::CardRequestSent;
pub use app::features::charges::api::{
    ChargePaymentOption, RefundCharge, ResendPaymentConfirmation,
};
pub use app::features::charges::dto::{ChargeView, PaymentConfirmed};
pub use app::features::charges::reconciler::run_once as run_reconciler;
pub use app::features::charges::refund_settle::reconcile_refunds;
pub use app::features::customers::api::{
    CreateCustomer, GetCustomer, ListCustomers, UpdateCustomer,
};
pub use app::features::customers::dto::{CustomerDetail, CustomerPage};
pub use app::features::links::guesses::MAX_GUESSES_PER_CLIENT;
pub use app::features::links::token::digest as link_digest;
pub use app::features::notifications::api::RetryEmail;
pub use app::features::notifications::dto::NotificationState;
pub use app::features::notifications::outbox;
pub use app::features::onboarding::api::{ResendEmailConfirmation, SignUp};
pub use app::features::pay::api::{CompleteCardSetup, CompletePaymentConfirmation, LoadCardPage};
pub use app::features::pay::dto::CardPage;
pub use app::features::payment_options::api::{
    MakeDefaultPaymentOption, RemovePaymentOption, SavePaymentOption, StartPaymentOption,
};
pub use app::features::payment_options::dto::{ExpiryState, PaymentOptionSetup, PaymentOptionView};
pub use app::features::profile::api::GetCustomerPayments;
pub use app::features::profile::dto::CustomerPayments;
pub use app::features::settings::api::{
    ConnectDemoStripe, ConnectStripe, DisconnectStripe, GetSettings, UpdateCardLinkValidity,
    UpdateCurrency,
};
pub use app::features::settings::connection::require as stripe_connection_of;
pub use app::features::settings::dto::{MerchantSettings, StripeConnectionView};
pub use app::states::{
    ActorKind, CardSource, ChargeStatus, EmailKind, EmailState, LinkStatus, RefundStatus,
};

/// The path of server function `F`: `/api/create_booking` …
pub fn path_of<F: ServerFn>() -> &'static str {
    F::PATH
}

/// The signing secret a merchant pastes with its keys (`Stripe::PastedKeys`).
pub const WEBHOOK_SECRET: &str = "whsec_test_0123456789abcdef";

/// Keys of a fresh emulator account (the emulator treats every sk_test_ key as its own account).
pub fn test_keys() -> (String, String) {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    (format!("pk_test_{suffix}"), format!("sk_test_{suffix}"))
}

/// A token of the right shape that no link has: what a guesser tries.
pub fn unknown_link_token() -> String {
    app::features::links::token::new_token().0
}

/// A new request key: a new submission of a form (Charge, Refund).
pub fn fresh_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

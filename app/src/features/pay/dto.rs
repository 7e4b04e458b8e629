//! Wire types of the customer's `/pay` page.

use serde::{Deserialize, Serialize};

use crate::features::charges::dto::PaymentToConfirm;

/// The customer's card page, once the link has been checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPage {
    pub merchant_name: String,
    pub customer_first_name: String,
    /// What the card is for, in the merchant's words, e.g. "to keep on file for your bookings
    /// with Demo Tours".
    pub purpose: String,
    /// `YYYY-MM-DD`, the link's last day.
    pub expires_on: String,
    /// The merchant is connected to the built-in Stripe emulator: no real card is charged.
    pub demo: bool,
    pub setup: CardSetup,
    /// Set when the link asks the customer to confirm a payment (3-D Secure) instead of saving a
    /// card; `setup.client_secret` is then the PaymentIntent's.
    pub payment: Option<PaymentToConfirm>,
}

/// What Stripe.js needs for this link's SetupIntent (or PaymentIntent, for a payment to confirm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSetup {
    pub publishable_key: String,
    pub client_secret: String,
    /// `https://js.stripe.com/v3/` in production, the emulator's `/v3/` offline.
    pub stripe_js_url: String,
}

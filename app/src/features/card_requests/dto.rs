//! Wire types of card requests: the merchant's view on the profile and the customer's card page.

use serde::{Deserialize, Serialize};

/// A saved card as people see it: "Visa •••• 4242 — expires 12/34".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    /// Display name of the brand: "Visa", "Mastercard", "American Express", …
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl CardView {
    /// `12/34`.
    pub fn expiry(&self) -> String {
        format!("{:02}/{:02}", self.exp_month, self.exp_year.rem_euclid(100))
    }

    /// `Visa •••• 4242 — expires 12/34`.
    pub fn describe(&self) -> String {
        format!(
            "{} •••• {} — expires {}",
            self.brand,
            self.last4,
            self.expiry()
        )
    }
}

/// One email in the profile's Notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: String,
    /// "Card request", "Card saved notice".
    pub title: String,
    pub recipient: String,
    /// `queued`, `sending`, `sent`, `opened`, `completed`, `failed`, `expired`, `revoked`.
    pub state: String,
    /// The state as a person reads it: "Sent — accepted by the mail server", "Failed: …".
    pub state_label: String,
    pub attempts: i32,
    /// Times of the steps that happened, oldest first: ("Queued", "2026-11-29 14:03 UTC"), …
    pub timeline: Vec<(String, String)>,
}

/// What the Actions panel needs to offer Send Email / Resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRequestAction {
    /// Why sending is not possible now ("Connect MioPay (Stripe) in Settings first." …); `None`
    /// when it is.
    pub blocked_reason: Option<String>,
    /// "Jane Doe <jane@example.com>".
    pub recipient: Option<String>,
    /// How long a new link stays valid.
    pub validity_days: u32,
    /// The pending request, if one is out: the button then offers Resend.
    pub pending_until: Option<String>,
}

/// The result of Send Email / Resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRequestSent {
    pub recipient: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub expires_at: String,
}

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
    pub payment: Option<crate::features::charges::dto::PaymentToConfirm>,
}

/// What Stripe.js needs for this link's SetupIntent (or PaymentIntent, for a payment to confirm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSetup {
    pub publishable_key: String,
    pub client_secret: String,
    /// `https://js.stripe.com/v3/` in production, the emulator's `/v3/` offline.
    pub stripe_js_url: String,
}

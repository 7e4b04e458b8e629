use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantSettings {
    pub business_name: String,
    /// How long a card link stays valid, in days.
    pub card_link_validity_days: u32,
    /// ISO 4217, lower case: the currency of new bookings and charges.
    pub currency: String,
    pub stripe: StripeConnectionView,
}

/// What Settings shows about the MioPay (Stripe) connection. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeConnectionView {
    pub connected: bool,
    pub account_id: Option<String>,
    /// `test` or `live`.
    pub mode: Option<String>,
    pub publishable_key: Option<String>,
    /// Connected to the built-in Stripe emulator: no real payments.
    pub emulated: bool,
    /// Demo mode with the emulator running: offer **Connect demo Stripe**.
    pub demo_available: bool,
}

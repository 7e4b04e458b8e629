//! Wire types of Payment Options.

use serde::{Deserialize, Serialize};

use crate::features::card_requests::dto::CardView;

/// Whether a card can still be charged by its printed expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryState {
    Valid,
    /// Expires this month or next: worth asking the customer for a new card.
    ExpiringSoon,
    Expired,
}

/// One card on file in the profile's Payment Options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOptionView {
    pub id: String,
    pub card: CardView,
    pub expiry: ExpiryState,
    pub is_default: bool,
    /// "Added by the customer via email link" / "Added by Sam Staff".
    pub added_by: String,
    /// `YYYY-MM-DD`, UTC.
    pub added_on: String,
    /// This customer's bookings with a balance due that this card is meant to pay ("Sunset
    /// kayak tour on 2026-12-05"), soonest first: removing the card then needs a reason.
    pub backs_bookings_due: Vec<String>,
}

/// What Stripe.js needs to mount the Payment Element in the merchant app for a new card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOptionSetup {
    pub setup_intent_id: String,
    pub client_secret: String,
    pub publishable_key: String,
    pub stripe_js_url: String,
    pub business_name: String,
}

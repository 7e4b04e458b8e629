//! Wire types of Payment Options.

use serde::{Deserialize, Serialize};

use crate::cards::CardView;

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
    /// Why the card cannot be charged ("Saved in another Stripe account …"); `None` when it can.
    #[serde(default)]
    pub unusable: Option<String>,
}

impl PaymentOptionView {
    /// Whether Charge may offer it: not expired, and usable with the merchant's Stripe account.
    pub fn can_be_charged(&self) -> bool {
        self.expiry != ExpiryState::Expired && self.unusable.is_none()
    }
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

/// A customer's cards as the card actions need them (Create Payment Option, New booking,
/// Charge): the cards, whether payments are possible now, and the merchant's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardsOnFile {
    pub payment_options: Vec<PaymentOptionView>,
    /// Why cards can't be added or charged now ("Connect MioPay (Stripe) in Settings first.");
    /// `None` when they can.
    pub payments_blocked_reason: Option<String>,
    /// The merchant's currency (ISO 4217, lower case) for new bookings and charges.
    pub currency: String,
}

/// Page data that holds a customer's cards (the profile's). The card actions take the page's
/// own resource and read their part through this, so they need not know the page above them.
pub trait WithCards: Clone + Send + Sync + Serialize + for<'de> Deserialize<'de> + 'static {
    fn cards(&self) -> &CardsOnFile;
}

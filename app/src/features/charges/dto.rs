//! Wire types of charges and refunds. Amounts are minor units with their currency code; the
//! `_text` fields are the same amounts formatted for people.

use serde::{Deserialize, Serialize};

use crate::states::{ChargeStatus, RefundStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub id: String,
    pub amount: i64,
    pub amount_text: String,
    pub reason: String,
    pub status: RefundStatus,
    /// "Refunded", "Refund pending", "Refund failed: …".
    pub status_label: String,
    /// "Sam Staff", or "Stripe dashboard" for a refund made there.
    pub by: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeView {
    pub id: String,
    pub booking_id: Option<String>,
    pub booking_title: Option<String>,
    pub description: String,
    /// ISO 4217, lower case.
    pub currency: String,
    pub amount: i64,
    pub amount_text: String,
    /// "Visa •••• 4242".
    pub card: String,
    pub status: ChargeStatus,
    /// "Succeeded", "Waiting for the customer to confirm", "Declined: insufficient funds",
    /// "Pending — waiting for Stripe's answer", "Unknown — check Stripe".
    pub status_label: String,
    /// Stripe's code for a failure (`card_declined`, `expired_card`, `authentication_required` …).
    pub failure_code: Option<String>,
    pub refunded: i64,
    pub refunded_text: String,
    /// What can still be refunded (0 unless succeeded).
    pub refundable: i64,
    pub refundable_text: String,
    pub refunds: Vec<RefundView>,
    pub by: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
}

/// What the customer's confirm page shows for a charge waiting for them. The PaymentIntent's
/// client secret is the page's `CardSetup::client_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentToConfirm {
    pub amount_text: String,
    pub description: String,
    /// "Visa •••• 3184".
    pub card: String,
    /// For `stripe.confirmPayment({clientSecret, confirmParams: {payment_method}})`.
    pub payment_method_id: String,
    /// The PaymentIntent waits in `requires_action`: `handleNextAction` instead of confirm.
    pub requires_action: bool,
}

/// The confirm page's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentConfirmed {
    pub amount_text: String,
    pub card: String,
}

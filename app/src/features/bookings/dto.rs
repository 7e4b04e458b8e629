//! Wire types of bookings. Amounts are minor units (cents) with their currency code; the `_text`
//! fields are the same amounts formatted for people.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    /// What was booked: "Sunset kayak tour".
    pub title: String,
    /// `YYYY-MM-DD HH:MM`.
    pub starts_at: String,
    pub participants: u32,
    /// ISO 4217, lower case.
    pub currency: String,
    pub total: i64,
    pub paid: i64,
    pub refunded: i64,
    /// total − paid + refunded.
    pub balance: i64,
    pub total_text: String,
    pub paid_text: String,
    pub balance_text: String,
    /// "Paid", "Balance due", "Not paid", "Credit".
    pub status_label: String,
    /// The card meant to pay for it: "Visa •••• 4242 — expires 12/34".
    pub card: Option<String>,
    pub payment_option_id: Option<String>,
}

/// One page of the Bookings list, soonest first from today on (or all, past included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPage {
    pub items: Vec<BookingView>,
    /// Opaque; `None` on the last page.
    pub next_cursor: Option<String>,
}

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub id: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One page of the customer list. Cursors are opaque to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub items: Vec<CustomerSummary>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    /// `YYYY-MM-DD`, UTC.
    pub created_on: String,
}

impl CustomerDetail {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

pub fn full_name(first: &str, last: &str) -> String {
    if last.is_empty() {
        first.to_owned()
    } else {
        format!("{first} {last}")
    }
}

/// Everything about payments on one customer's profile; refetched as one piece when the server
/// says something changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPayments {
    pub payment_options: Vec<crate::features::payment_options::dto::PaymentOptionView>,
    pub notifications: Vec<crate::features::card_requests::dto::NotificationView>,
    pub card_request: crate::features::card_requests::dto::CardRequestAction,
    pub bookings: Vec<crate::features::bookings::dto::BookingView>,
    pub charges: Vec<crate::features::charges::dto::ChargeView>,
    pub activity: Vec<crate::features::activity::dto::ActivityView>,
    /// Why cards can't be added or charged now ("Connect MioPay (Stripe) in Settings first.");
    /// `None` when they can.
    pub payments_blocked_reason: Option<String>,
    /// The merchant's currency (ISO 4217, lower case) for new bookings and charges.
    pub currency: String,
}

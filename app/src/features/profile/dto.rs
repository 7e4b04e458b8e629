//! Wire types of the profile: its sections' data in one answer.

use serde::{Deserialize, Serialize};

use crate::features::activity::dto::ActivityView;
use crate::features::bookings::dto::BookingView;
use crate::features::card_requests::dto::CardRequestAction;
use crate::features::charges::dto::ChargeView;
use crate::features::notifications::dto::NotificationView;
use crate::features::payment_options::dto::{CardsOnFile, WithCards};

/// Everything about payments on one customer's profile; refetched as one piece when the server
/// says something changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPayments {
    /// Payment Options, and what the card actions need (flattened: the fields sit at the top).
    #[serde(flatten)]
    pub cards: CardsOnFile,
    pub notifications: Vec<NotificationView>,
    pub card_request: CardRequestAction,
    pub bookings: Vec<BookingView>,
    pub charges: Vec<ChargeView>,
    pub activity: Vec<ActivityView>,
}

impl WithCards for CustomerPayments {
    fn cards(&self) -> &CardsOnFile {
        &self.cards
    }
}

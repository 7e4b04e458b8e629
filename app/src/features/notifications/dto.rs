//! Wire types of notifications: the emails a profile lists.

use serde::{Deserialize, Serialize};

/// One email in the profile's Notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: String,
    /// "Card request", "Card saved notice".
    pub title: String,
    pub recipient: String,
    pub state: NotificationState,
    /// The state as a person reads it: "Sent — accepted by the mail server", "Failed: …".
    pub state_label: String,
    pub attempts: i32,
    /// Failed, and nothing it carried stops it going out again: the item offers **Retry**.
    pub can_retry: bool,
    /// Times of the steps that happened, oldest first: ("Queued", "2026-11-29 14:03 UTC"), …
    pub timeline: Vec<(String, String)>,
}

/// Where an email got to, the link it carried included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    Queued,
    Sending,
    /// Accepted by the mail server.
    Sent,
    /// The link was visited.
    Opened,
    /// The link was used: the card saved, or the payment answered.
    Completed,
    Failed,
    Expired,
    /// Replaced by a newer link.
    Revoked,
}

impl NotificationState {
    /// The CSS/data-attribute name: `queued`, `sent`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Opened => "opened",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

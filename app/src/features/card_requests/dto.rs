//! Wire types of card requests: the merchant's view on the profile and the customer's card page.

use serde::{Deserialize, Serialize};

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
    /// Sending is blocked until the merchant confirms its email address: offer to send the
    /// confirmation link again.
    pub offers_confirmation_resend: bool,
}

/// The result of Send Email / Resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRequestSent {
    pub recipient: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub expires_at: String,
}

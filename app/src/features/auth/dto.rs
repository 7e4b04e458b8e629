use serde::{Deserialize, Serialize};

/// Who is signed in, as the merchant app's chrome shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub business_name: String,
    pub user_name: String,
    pub email: String,
    /// The merchant's Stripe connection is the emulator: show "Demo — no real payments".
    pub demo_payments: bool,
}

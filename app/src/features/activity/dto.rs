use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub id: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
    /// The staff member's name, "Customer" or "Stripe".
    pub who: String,
    pub summary: String,
}

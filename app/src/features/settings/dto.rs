use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantSettings {
    pub business_name: String,
    pub stripe_connected: bool,
}

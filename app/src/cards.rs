//! A saved card as people see it — "Visa •••• 4242 — expires 12/34" — shared by every capability
//! that shows one (Payment Options, bookings, charges, the card page).

use serde::{Deserialize, Serialize};

/// A saved card as people see it: "Visa •••• 4242 — expires 12/34".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    /// Display name of the brand: "Visa", "Mastercard", "American Express", …
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl CardView {
    /// `12/34`.
    pub fn expiry(&self) -> String {
        format!("{:02}/{:02}", self.exp_month, self.exp_year.rem_euclid(100))
    }

    /// `Visa •••• 4242 — expires 12/34`.
    pub fn describe(&self) -> String {
        format!(
            "{} •••• {} — expires {}",
            self.brand,
            self.last4,
            self.expiry()
        )
    }
}

/// Stripe's brand code (`visa`, `amex`, …) as people write it.
pub fn brand_name(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        "cartes_bancaires" => "Cartes Bancaires".into(),
        "eftpos_au" => "eftpos".into(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(
                || "Card".to_owned(),
                |first| first.to_uppercase().chain(chars).collect(),
            )
        }
    }
}

pub fn card_view(brand: &str, last4: &str, exp_month: i32, exp_year: i32) -> CardView {
    CardView {
        brand: brand_name(brand),
        last4: last4.to_owned(),
        exp_month: u32::try_from(exp_month).unwrap_or(0),
        exp_year,
    }
}

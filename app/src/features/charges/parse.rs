//! The Charge and Refund forms as typed, parsed into what the commands need; and Stripe's decline
//! codes as people read them.

use crate::error::AppError;
use crate::money::Currency;

/// The failure code of a charge whose customer never confirmed before the link expired.
pub const CONFIRMATION_EXPIRED: &str = "confirmation_expired";

/// The failure code of a charge that never reached Stripe (looked up after its key expired):
/// nothing was charged.
pub const NEVER_SENT: &str = "never_sent";

/// The Charge form as typed; parsed against the merchant's currency.
#[derive(Debug, Clone)]
pub struct ChargeForm {
    pub customer_id: String,
    pub payment_option_id: String,
    pub amount: String,
    pub description: String,
    pub booking_id: Option<String>,
    pub request_key: String,
    pub send_receipt: bool,
    /// **Charge anyway**: the id of the unsettled charge of the same amount the merchant was
    /// warned about.
    pub confirm_duplicate: Option<String>,
}

/// A form's key for one submission: 16–64 characters of `[A-Za-z0-9_-]` (the browser makes one
/// per opening of the dialog).
pub fn parse_request_key(raw: &str) -> Result<String, AppError> {
    let key = raw.trim();
    let valid = (16..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(key.to_owned())
    } else {
        Err(AppError::field(
            "request_key",
            "This form is out of date: close it and open it again.",
        ))
    }
}

/// One line of text, required, at most `max` characters.
pub fn parse_line(raw: &str, max: usize, empty: &str, label: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(empty.to_owned());
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{label} must be a single line of text."));
    }
    if value.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(value.to_owned())
}

pub fn currency_of(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code).map_err(|_| AppError::internal(format!("unknown currency {code}")))
}

/// A decline as people read it, from Stripe's code and decline code.
pub fn decline_reason(code: &str, decline_code: Option<&str>) -> String {
    let reason = match decline_code.unwrap_or(code) {
        "insufficient_funds" => "insufficient funds",
        "lost_card" => "the card was reported lost",
        "stolen_card" => "the card was reported stolen",
        "expired_card" => "the card has expired",
        "incorrect_cvc" => "the security code is incorrect",
        "incorrect_number" => "the card number is incorrect",
        "processing_error" => "a processing error at the bank — try again",
        "authentication_required" => "the bank requires the customer to authenticate",
        "payment_intent_authentication_failure" => "the customer did not complete authentication",
        "do_not_honor" | "generic_decline" | "card_declined" => "the card was declined",
        "fraudulent" => "the bank suspects fraud",
        "card_velocity_exceeded" => "the card's limit was exceeded",
        "invalid_key" => "Stripe refused this account's key: reconnect MioPay in Settings",
        "confirmation_expired" => "the customer did not confirm before the link expired",
        "never_sent" => "the charge never reached Stripe, so nothing was charged",
        _ => "the card was declined",
    };
    reason.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keys_are_bounded_and_plain() {
        assert!(parse_request_key("0123456789abcdef").is_ok());
        assert!(parse_request_key("short").is_err());
        assert!(parse_request_key(&"a".repeat(65)).is_err());
        assert!(parse_request_key("0123456789abcdef\r\n").is_ok());
        assert!(parse_request_key("0123456789abcdef;drop").is_err());
    }

    #[test]
    fn declines_read_as_their_reason() {
        assert_eq!(
            decline_reason("card_declined", Some("insufficient_funds")),
            "insufficient funds"
        );
        assert_eq!(decline_reason("expired_card", None), "the card has expired");
        assert_eq!(
            decline_reason("card_declined", Some("generic_decline")),
            "the card was declined"
        );
    }
}

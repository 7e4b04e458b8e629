//! Domain types that parse input once; code that holds one never re-checks it.
//!
//! Every parser trims, rejects control characters (so no CR/LF ever reaches an email header
//! later) and bounds the length, and its error is the sentence shown under the form field.

use std::fmt;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A single-line, required piece of text such as a name.
fn required_line(raw: &str, max: usize, empty: &str, what: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(empty.to_owned());
    }
    if has_control(value) {
        return Err(format!(
            "{what} can't contain line breaks or control characters."
        ));
    }
    if value.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    Ok(value.to_owned())
}

/// A person's first or last name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str, empty_message: &str) -> Result<Self, String> {
        required_line(raw, Self::MAX, empty_message, "A name").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The business name a merchant's customers see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessName(String);

impl BusinessName {
    pub const MAX: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, String> {
        required_line(
            raw,
            Self::MAX,
            "Enter your business name.",
            "The business name",
        )
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address in the plain `local@domain` form we can safely put in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX: usize = 254;
    const INVALID: &'static str = "Enter a valid email address, like name@example.com.";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Enter an email address.".into());
        }
        if value.len() > Self::MAX {
            return Err(format!(
                "An email address must be at most {} characters.",
                Self::MAX
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(Self::INVALID.into());
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2);
        if !(local_ok && domain_ok) {
            return Err(Self::INVALID.into());
        }
        Ok(Self(value.to_owned()))
    }

    /// As typed (trimmed): what we show and send to.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased: what uniqueness and sign-in compare.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number as people write it: digits with optional `+`, spaces, dots, dashes, brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub const MAX: usize = 40;
    const INVALID: &'static str = "Enter a phone number using digits, spaces and + - ( ) only.";

    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.len() > Self::MAX {
            return Err(format!(
                "A phone number must be at most {} characters.",
                Self::MAX
            ));
        }
        if !value
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && i == 0))
        {
            return Err(Self::INVALID.into());
        }
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !(5..=20).contains(&digits) {
            return Err("A phone number needs between 5 and 20 digits.".into());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

/// Free-text notes; may span lines but holds no other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notes(String);

impl Notes {
    pub const MAX: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, String> {
        free_text(raw, Self::MAX, "Notes").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many days a card link stays valid: a whole number from 1 to 30.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkValidityDays(u8);

impl LinkValidityDays {
    pub const MAX: u8 = 30;

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().parse::<u8>() {
            Ok(days) if (1..=Self::MAX).contains(&days) => Ok(Self(days)),
            _ => Err(format!(
                "Enter a whole number of days from 1 to {}.",
                Self::MAX
            )),
        }
    }

    pub fn days(self) -> u8 {
        self.0
    }
}

/// The optional personal note a merchant adds to a card request email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalNote(String);

impl PersonalNote {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, String> {
        free_text(raw, Self::MAX, "The note").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Multi-line text: trimmed, line breaks and tabs allowed, other control characters not.
fn free_text(raw: &str, max: usize, label: &str) -> Result<String, String> {
    let value = raw.trim();
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!("{label} can't contain control characters."));
    }
    if value.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(value.replace("\r\n", "\n"))
}

/// A new password. Long passphrases welcome; the upper bound keeps hashing cheap to refuse.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let count = raw.chars().count();
        if count < Self::MIN {
            return Err(format!("Use at least {} characters.", Self::MIN));
        }
        if count > Self::MAX {
            return Err(format!("Use at most {} characters.", Self::MAX));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_emails_and_normalizes_case() {
        let email = EmailAddress::parse("  Ada.Lovelace+tours@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace+tours@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace+tours@example.com");
    }

    #[test]
    fn rejects_header_injection_and_lists_in_emails() {
        for bad in [
            "a@example.com\r\nBcc: x@evil.test",
            "a@example.com, b@example.com",
            "Ada <a@example.com>",
            "a@@example.com",
            "a@example",
            "@example.com",
            "a..b@example.com",
            "a@-example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn phone_numbers_need_digits_and_allow_common_punctuation() {
        let phone = PhoneNumber::parse("+1 (555) 010-9999").unwrap();
        assert_eq!(phone.digits(), "15550109999");
        assert!(PhoneNumber::parse("555-CALL-NOW").is_err());
        assert!(PhoneNumber::parse("12").is_err());
        assert!(PhoneNumber::parse("1+2345678").is_err());
    }

    #[test]
    fn names_are_required_single_lines() {
        assert_eq!(
            PersonName::parse("   ", "Enter a first name.").unwrap_err(),
            "Enter a first name."
        );
        assert!(PersonName::parse("Ada\nBcc: x", "e").is_err());
        assert_eq!(PersonName::parse(" Ada ", "e").unwrap().as_str(), "Ada");
    }

    #[test]
    fn password_bounds() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("a long enough passphrase").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-passphrase").unwrap()),
            "NewPassword(***)"
        );
    }

    proptest! {
        #[test]
        fn parsed_emails_never_hold_header_breaking_characters(raw in "\\PC{0,80}") {
            if let Ok(email) = EmailAddress::parse(&raw) {
                let s = email.as_str();
                prop_assert!(!s.contains(['\r', '\n', ',', '<', '>', ' ', ';', ':']));
                prop_assert_eq!(s.matches('@').count(), 1);
            }
        }

        #[test]
        fn generated_valid_emails_parse(local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", domain in "[a-z0-9]{1,20}", tld in "[a-z]{2,6}") {
            prop_assume!(!local.contains(".."));
            let raw = format!("{local}@{domain}.{tld}");
            let parsed = EmailAddress::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }

        #[test]
        fn names_round_trip_trimmed(raw in "\\PC{0,150}") {
            match PersonName::parse(&raw, "empty") {
                Ok(name) => {
                    prop_assert_eq!(name.as_str(), raw.trim());
                    prop_assert!(name.as_str().chars().count() <= PersonName::MAX);
                }
                Err(_) => prop_assert!(raw.trim().is_empty() || raw.trim().chars().count() > PersonName::MAX || raw.chars().any(char::is_control)),
            }
        }

        #[test]
        fn link_validity_accepts_exactly_1_to_30_days(n in -100_i64..200) {
            let parsed = LinkValidityDays::parse(&n.to_string());
            prop_assert_eq!(parsed.is_ok(), (1..=30).contains(&n));
            if let Ok(days) = parsed {
                prop_assert_eq!(i64::from(days.days()), n);
            }
        }

        #[test]
        fn personal_notes_keep_lines_and_refuse_other_controls(raw in "\\PC{0,600}") {
            match PersonalNote::parse(&raw) {
                Ok(note) => prop_assert!(note.as_str().chars().count() <= PersonalNote::MAX),
                Err(_) => prop_assert!(raw.trim().chars().count() > PersonalNote::MAX || raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))),
            }
        }

        #[test]
        fn phone_digits_are_a_subsequence(raw in "[+0-9 ().-]{0,30}") {
            if let Ok(phone) = PhoneNumber::parse(&raw) {
                let digits = phone.digits();
                prop_assert!((5..=20).contains(&digits.len()));
                prop_assert_eq!(digits, raw.chars().filter(char::is_ascii_digit).collect::<String>());
            }
        }
    }
}

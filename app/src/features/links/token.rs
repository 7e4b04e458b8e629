//! Link tokens: 256 bits from the OS CSPRNG, base64url in the URL, only the SHA-256 kept.

use crate::crypto::{random_token, sha256_hex};

/// The length of every token [`new_token`] makes: 32 bytes in unpadded base64url.
pub const TOKEN_LENGTH: usize = 43;

/// A link token as it arrives (in `/pay/<token>` or the page cookie): exactly the shape
/// [`new_token`] makes — 43 characters of the base64url alphabet. Anything else is no link of
/// ours, is answered "not found" without a lookup, and never travels further (into a cookie, a
/// header, the database). Not `Debug`-printable: it opens the link.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == TOKEN_LENGTH
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What is stored of it.
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

/// A new link token and the digest to store.
pub fn new_token() -> (String, String) {
    let token = random_token();
    let digest = digest(&token);
    (token, digest)
}

/// Hex SHA-256 of a token. Any input hashes, so an unknown and a tampered token take the same
/// path (one indexed lookup that finds nothing).
pub fn digest(token: &str) -> String {
    sha256_hex(token)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url_and_only_their_digest_is_kept() {
        let (token, digest_hex) = new_token();
        assert_eq!(token.len(), 43);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).map(|b| b.len()), Ok(32));
        assert_eq!(digest_hex, digest(&token));
        assert_eq!(digest_hex.len(), 64);
        assert!(!digest_hex.contains(&token));
        let (other, _) = new_token();
        assert_ne!(token, other);
    }

    #[test]
    fn only_the_exact_token_shape_parses() {
        let (token, digest_hex) = new_token();
        let parsed = LinkToken::parse(&token).expect("a new token parses");
        assert_eq!(parsed.digest(), digest_hex);
        assert_eq!(format!("{parsed:?}"), "LinkToken(…)");
        let long = format!("{token}A");
        let with = |c: char| format!("{}{c}", &token[..42]);
        for bad in [
            "",
            ";x",
            &token[..42],
            long.as_str(),
            &with(';'),
            &with('='),
            &with('+'),
            &with('/'),
            &with('.'),
            &with(' '),
            &with('é'),
            "never-issued",
        ] {
            assert!(LinkToken::parse(bad).is_none(), "{bad:?} parsed");
        }
    }

    proptest::proptest! {
        #[test]
        fn what_parses_is_43_base64url_characters(text in "\\PC{0,60}") {
            if let Some(token) = LinkToken::parse(&text) {
                proptest::prop_assert_eq!(token.as_str().len(), TOKEN_LENGTH);
                proptest::prop_assert!(token.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }

        #[test]
        fn every_base64url_string_of_43_characters_parses(text in "[A-Za-z0-9_-]{43}") {
            proptest::prop_assert!(LinkToken::parse(&text).is_some());
        }
    }

    #[test]
    fn one_changed_character_is_another_digest() {
        let (token, digest_hex) = new_token();
        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_ne!(digest(&tampered), digest_hex);
    }
}

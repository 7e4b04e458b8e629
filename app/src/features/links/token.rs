//! Link tokens: 256 bits from the OS CSPRNG, base64url in the URL, only the SHA-256 kept.

use crate::crypto::{random_token, sha256_hex};

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
    fn one_changed_character_is_another_digest() {
        let (token, digest_hex) = new_token();
        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_ne!(digest(&tampered), digest_hex);
    }
}

//! Secrets at rest: bearer tokens (session cookies, customer links) of which only a digest is
//! stored, and sealed values (merchants' Stripe keys) under AES-256-GCM.
//!
//! A sealed value is `v1:` + base64(nonce ‖ ciphertext). Each value is bound to its row and column
//! through the associated data, so a sealed secret copied into another merchant's row won't open.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

/// A bearer token: 256 bits from the OS CSPRNG, base64url without padding (43 characters).
pub fn random_token() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256: what is stored of a bearer token, so a copy of the database opens nothing.
pub fn sha256_hex(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(value.as_bytes()))
}

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes of base64")]
    BadKey,
    #[error("a sealed value could not be opened (wrong key, wrong row, or tampered)")]
    Unseal,
    #[error("sealing failed")]
    Seal,
}

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn from_base64_key(key: &SecretString) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// A new random key, base64: for `APP__SECRETS__MASTER_KEY` or the demo key file.
    pub fn generate_key() -> String {
        STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// `context` names where the value lives, e.g. `"stripe_connections.secret_key:<merchant id>"`.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Whether `value` has the shape [`SecretBox::seal`] gives (it may still not open).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, CryptoError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(CryptoError::Unseal)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| CryptoError::Unseal)?;
        if bytes.len() <= NONCE_LEN {
            return Err(CryptoError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Unseal)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret_box() -> SecretBox {
        SecretBox::from_base64_key(&SecretString::from(SecretBox::generate_key())).unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_own_context() {
        let sb = secret_box();
        let sealed = sb.seal("sk_test_abc", "stripe.secret:m1").unwrap();
        assert!(!sealed.contains("sk_test_abc"));
        assert_eq!(
            sb.open(&sealed, "stripe.secret:m1")
                .unwrap()
                .expose_secret(),
            "sk_test_abc"
        );
        assert!(sb.open(&sealed, "stripe.secret:m2").is_err());
        assert!(
            secret_box().open(&sealed, "stripe.secret:m1").is_err(),
            "another key must not open it"
        );
    }

    #[test]
    fn tampering_is_detected() {
        let sb = secret_box();
        let sealed = sb.seal("whsec_123", "c").unwrap();
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(
            sb.open(&format!("v1:{}", STANDARD.encode(bytes)), "c")
                .is_err()
        );
        assert!(sb.open("v1:", "c").is_err());
        assert!(sb.open("plain", "c").is_err());
    }

    #[test]
    fn rejects_short_keys() {
        assert!(SecretBox::from_base64_key(&SecretString::from("c2hvcnQ=")).is_err());
    }

    proptest! {
        #[test]
        fn seal_open_round_trips(plaintext in "\\PC{0,200}", context in "[a-z:._0-9-]{0,40}") {
            let sb = secret_box();
            let sealed = sb.seal(&plaintext, &context).unwrap();
            let opened = sb.open(&sealed, &context).unwrap();
            prop_assert_eq!(opened.expose_secret(), plaintext.as_str());
        }
    }
}

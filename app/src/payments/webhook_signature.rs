//! Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
//! Checked in constant time, with Stripe's default 300-second tolerance against replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing or malformed Stripe-Signature header")]
    Malformed,
    #[error("no v1 signature matches")]
    Mismatch,
    #[error("timestamp outside the tolerance")]
    Stale,
}

pub fn verify(payload: &[u8], header: &str, secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Malformed)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let matches = signatures.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// Signs like Stripe does (tests, and the emulator's counterpart).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"setup_intent.succeeded"}"#;

    #[test]
    fn accepts_a_fresh_valid_signature_among_several() {
        let header = sign(BODY, SECRET, 1_000);
        let header = format!("{header},v1=deadbeef,v0=ignored");
        assert_eq!(verify(BODY, &header, SECRET, 1_100), Ok(()));
    }

    #[test]
    fn refuses_wrong_secret_altered_body_stale_and_garbage() {
        let header = sign(BODY, SECRET, 1_000);
        assert_eq!(
            verify(BODY, &header, "whsec_other", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"{}", &header, SECRET, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(BODY, &header, SECRET, 1_000 + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(BODY, "nonsense", SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(BODY, "t=1000", SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
    }
}

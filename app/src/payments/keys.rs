//! Stripe key formats. Parsing here keeps a live key out of demo mode and a mix of test and live
//! keys out of any connection.

use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    Test,
    Live,
}

pub struct ParsedKeys {
    pub publishable: String,
    pub secret: SecretString,
    pub webhook_secret: SecretString,
    pub mode: KeyMode,
}

fn mode_of(key: &str, prefixes: [(&str, KeyMode); 2]) -> Option<KeyMode> {
    prefixes
        .into_iter()
        .find(|(prefix, _)| key.starts_with(prefix) && key.len() > prefix.len() + 8)
        .map(|(_, mode)| mode)
}

fn plain_token(key: &str) -> bool {
    key.len() <= 255 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks the three values a merchant pastes from Stripe's dashboard; errors are per field.
pub fn parse(
    publishable: &str,
    secret: &str,
    webhook_secret: &str,
) -> Result<ParsedKeys, Vec<(&'static str, String)>> {
    let (publishable, secret, webhook_secret) =
        (publishable.trim(), secret.trim(), webhook_secret.trim());
    let mut errors = Vec::new();
    let pk_mode = mode_of(
        publishable,
        [("pk_test_", KeyMode::Test), ("pk_live_", KeyMode::Live)],
    )
    .filter(|_| plain_token(publishable));
    if pk_mode.is_none() {
        errors.push((
            "publishable_key",
            "Enter the publishable key; it starts with pk_test_ or pk_live_.".to_owned(),
        ));
    }
    let sk_mode = mode_of(
        secret,
        [("sk_test_", KeyMode::Test), ("sk_live_", KeyMode::Live)],
    )
    .or_else(|| {
        mode_of(
            secret,
            [("rk_test_", KeyMode::Test), ("rk_live_", KeyMode::Live)],
        )
    })
    .filter(|_| plain_token(secret));
    if sk_mode.is_none() {
        errors.push((
            "secret_key",
            "Enter the secret key; it starts with sk_test_ or sk_live_.".to_owned(),
        ));
    }
    if !(webhook_secret.starts_with("whsec_")
        && webhook_secret.len() > 14
        && plain_token(webhook_secret))
    {
        errors.push((
            "webhook_secret",
            "Enter the webhook signing secret; it starts with whsec_.".to_owned(),
        ));
    }
    if let (Some(pk), Some(sk)) = (pk_mode, sk_mode)
        && pk != sk
    {
        errors.push((
            "secret_key",
            "The keys must both be test keys or both be live keys.".to_owned(),
        ));
    }
    match (pk_mode, errors.is_empty()) {
        (Some(mode), true) => Ok(ParsedKeys {
            publishable: publishable.to_owned(),
            secret: SecretString::from(secret.to_owned()),
            webhook_secret: SecretString::from(webhook_secret.to_owned()),
            mode,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "pk_test_51AbCdEfGhIjKlMn";
    const SK: &str = "sk_test_51AbCdEfGhIjKlMn";
    const WH: &str = "whsec_0123456789abcdef";

    #[test]
    fn accepts_matching_test_keys() {
        let keys = parse(PK, SK, WH).unwrap();
        assert_eq!(keys.mode, KeyMode::Test);
    }

    #[test]
    fn refuses_mixed_modes_and_malformed_values() {
        let errors = parse("pk_live_51AbCdEfGhIjKlMn", SK, WH).err().unwrap();
        assert_eq!(errors[0].0, "secret_key");
        let errors = parse("pk_nope", "sk_test_x", "secret").err().unwrap();
        let fields: Vec<_> = errors.iter().map(|e| e.0).collect();
        assert_eq!(fields, ["publishable_key", "secret_key", "webhook_secret"]);
        assert!(parse(PK, "sk_test_51AbCd\r\nX-Evil: 1", WH).is_err());
    }
}

//! Conventions shared by every resource: metadata, list objects with cursor pagination, amounts
//! and currencies.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::form::Params;

pub(crate) type Metadata = BTreeMap<String, String>;

/// Applies `metadata[...]` the way Stripe does: `metadata=` clears everything,
/// `metadata[key]=` removes one key, any other value sets it. Limits: 50 keys, keys up to 40
/// characters, values up to 500.
pub(crate) fn apply_metadata(current: &mut Metadata, params: &Params<'_>) -> Result<(), ApiError> {
    let Some(md) = params.sub("metadata")? else {
        return Ok(());
    };
    if md.is_empty() {
        current.clear();
        return Ok(());
    }
    for key in md.keys() {
        let value = md.str(key)?.unwrap_or_default();
        if key.chars().count() > 40 {
            return Err(ApiError::param_error(
                format!(
                    "Metadata keys can have up to 40 characters. You passed in a key with {} characters.",
                    key.chars().count()
                ),
                &md.name(key),
            ));
        }
        if value.chars().count() > 500 {
            return Err(ApiError::param_error(
                format!(
                    "Metadata values can have up to 500 characters, but you passed in a value that is {} characters.",
                    value.chars().count()
                ),
                &md.name(key),
            ));
        }
        if value.is_empty() {
            current.remove(key.as_str());
        } else {
            current.insert(key.clone(), value.to_string());
        }
    }
    if current.len() > 50 {
        return Err(ApiError::param_error(
            "You can have up to 50 metadata keys. You tried to add more than 50.",
            "metadata",
        ));
    }
    Ok(())
}

pub(crate) fn metadata_json(md: &Metadata) -> Value {
    json!(md)
}

/// List parameters every list endpoint accepts.
pub(crate) const LIST_PARAMS: &[&str] = &["limit", "starting_after", "ending_before", "expand"];

/// Builds a Stripe list object from `(sequence, id, object)` entries, newest first, honouring
/// `limit` (1–100, default 10), `starting_after` and `ending_before`.
pub(crate) fn list(
    mut items: Vec<(u64, String, Value)>,
    params: &Params<'_>,
    url: &str,
) -> Result<Value, ApiError> {
    items.sort_by_key(|item| std::cmp::Reverse(item.0));
    let limit = params.i64("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::param_error(
            "Invalid limit: must be an integer between 1 and 100.",
            "limit",
        ));
    }
    let limit = usize::try_from(limit).unwrap_or(10);
    let position = |cursor: &str, param: &str| {
        items
            .iter()
            .position(|(_, id, _)| id == cursor)
            .ok_or_else(|| ApiError::no_such("object", cursor, param))
    };
    let (page, has_more): (Vec<Value>, bool) =
        if let Some(after) = params.non_empty("starting_after")? {
            let start = position(after, "starting_after")? + 1;
            let rest = &items[start..];
            (
                rest.iter().take(limit).map(|(_, _, v)| v.clone()).collect(),
                rest.len() > limit,
            )
        } else if let Some(before) = params.non_empty("ending_before")? {
            let end = position(before, "ending_before")?;
            let head = &items[..end];
            let start = head.len().saturating_sub(limit);
            (
                head[start..].iter().map(|(_, _, v)| v.clone()).collect(),
                start > 0,
            )
        } else {
            (
                items
                    .iter()
                    .take(limit)
                    .map(|(_, _, v)| v.clone())
                    .collect(),
                items.len() > limit,
            )
        };
    Ok(json!({ "object": "list", "data": page, "has_more": has_more, "url": url }))
}

/// A lowercase ISO currency code. Stripe accepts three letters in any case and renders them in
/// lowercase.
pub(crate) fn currency(params: &Params<'_>, key: &str) -> Result<String, ApiError> {
    let raw = params.required_str(key)?;
    let c = raw.to_ascii_lowercase();
    if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_lowercase()) {
        return Err(ApiError::param_error(
            format!(
                "Invalid currency: {raw}. Stripe currently supports these currencies: usd, eur, gbp, …"
            ),
            &params.name(key),
        ));
    }
    Ok(c)
}

/// Currencies without minor units, where `amount` counts whole units.
pub(crate) fn zero_decimal(currency: &str) -> bool {
    matches!(
        currency,
        "bif"
            | "clp"
            | "djf"
            | "gnf"
            | "jpy"
            | "kmf"
            | "krw"
            | "mga"
            | "pyg"
            | "rwf"
            | "ugx"
            | "vnd"
            | "vuv"
            | "xaf"
            | "xof"
            | "xpf"
    )
}

/// The smallest charge amount Stripe accepts for a currency (in the currency's smallest unit).
pub(crate) fn minimum_amount(currency: &str) -> i64 {
    match currency {
        "gbp" => 30,
        "dkk" => 250,
        "sek" | "nok" => 300,
        "hkd" => 400,
        "mxn" => 1000,
        "czk" => 1500,
        "huf" => 17500,
        "pln" => 200,
        "aed" | "myr" | "ron" => 200,
        "thb" => 1000,
        "bgn" => 100,
        _ => 50,
    }
}

/// Formats an amount for error messages the way Stripe does: `$0.50 usd`-like text.
pub(crate) fn format_amount(amount: i64, currency: &str) -> String {
    if zero_decimal(currency) {
        format!("{amount} {currency}")
    } else {
        let symbol = match currency {
            "usd" | "cad" | "aud" | "nzd" | "sgd" | "hkd" | "mxn" => "$",
            "eur" => "€",
            "gbp" => "£",
            _ => "",
        };
        format!("{symbol}{}.{:02} {currency}", amount / 100, amount % 100)
    }
}

/// Validates a charge amount: a positive integer at least the currency's minimum and at most
/// 99,999,999 (Stripe's eight-digit limit).
pub(crate) fn validate_amount(amount: i64, currency: &str, param: &str) -> Result<(), ApiError> {
    let min = minimum_amount(currency);
    if amount < 1 {
        return Err(ApiError::param_error(
            "This value must be greater than or equal to 1.",
            param,
        ));
    }
    if amount < min {
        return Err(ApiError::param_error(
            format!("Amount must be at least {}", format_amount(min, currency)),
            param,
        )
        .with_code("amount_too_small"));
    }
    if amount > 99_999_999 {
        return Err(ApiError::param_error(
            format!(
                "Amount must be no more than {}",
                format_amount(99_999_999, currency)
            ),
            param,
        )
        .with_code("amount_too_large"));
    }
    Ok(())
}

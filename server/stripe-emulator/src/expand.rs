//! `expand[]`: replaces object ids in a response by the objects, following dotted paths
//! (`latest_charge`, `data.payment_method`, `latest_charge.payment_intent`), up to Stripe's four
//! levels.

use serde_json::Value;

use crate::errors::ApiError;
use crate::state::Account;

/// Renders the object an id refers to, by its prefix.
fn render(acct: &Account, id: &str) -> Option<Value> {
    let (prefix, _) = id.split_once('_')?;
    match prefix {
        "cus" => acct
            .customers
            .get(id)
            .map(crate::customers::Customer::to_json),
        "pm" => acct
            .payment_methods
            .get(id)
            .map(crate::payment_methods::PaymentMethod::to_json),
        "seti" => acct
            .setup_intents
            .get(id)
            .map(crate::setup_intents::SetupIntent::to_json),
        "pi" => acct
            .payment_intents
            .get(id)
            .map(crate::payment_intents::PaymentIntent::to_json),
        "ch" => acct.charges.get(id).map(crate::charges::Charge::to_json),
        "re" => acct.refunds.get(id).map(crate::refunds::Refund::to_json),
        _ => None,
    }
}

fn not_expandable(path: &str) -> ApiError {
    ApiError::param_error(
        format!("This property cannot be expanded ({path})."),
        "expand",
    )
}

fn expand_path(
    acct: &Account,
    value: &mut Value,
    segments: &[&str],
    full: &str,
) -> Result<(), ApiError> {
    let Some((first, rest)) = segments.split_first() else {
        return Ok(());
    };
    match value {
        // Lists (`data.…`) expand in every element.
        Value::Array(items) if *first != "data" => {
            for item in items {
                expand_path(acct, item, segments, full)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            let Some(field) = map.get_mut(*first) else {
                return Err(not_expandable(full));
            };
            if *first == "data" && field.is_array() {
                if let Value::Array(items) = field {
                    for item in items {
                        expand_path(acct, item, rest, full)?;
                    }
                }
                return Ok(());
            }
            match field {
                Value::Null => Ok(()),
                Value::String(id) => {
                    let id = id.clone();
                    let mut object = render(acct, &id).ok_or_else(|| not_expandable(full))?;
                    expand_path(acct, &mut object, rest, full)?;
                    *field = object;
                    Ok(())
                }
                Value::Object(_) if !rest.is_empty() => expand_path(acct, field, rest, full),
                Value::Object(_) => Ok(()),
                _ => Err(not_expandable(full)),
            }
        }
        _ => Err(not_expandable(full)),
    }
}

/// Applies every `expand[]` path to a response.
pub(crate) fn expand(acct: &Account, value: &mut Value, paths: &[String]) -> Result<(), ApiError> {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        if segments.len() > 4 {
            return Err(ApiError::param_error(
                format!("You cannot expand more than 4 levels of a property. Property: {path}"),
                "expand",
            ));
        }
        expand_path(acct, value, &segments, path)?;
    }
    Ok(())
}

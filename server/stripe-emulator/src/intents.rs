//! What SetupIntents and PaymentIntents share: payment method type settings, client secrets and
//! what a publishable key may see, 3-D Secure `next_action`s, and confirmation parameters.

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::form::Params;
use crate::payment_methods::STRIPE_JS_PARAMS;
use crate::state::{Ctx, random_alnum};

/// `automatic_payment_methods` of an intent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Automatic {
    pub(crate) enabled: bool,
    /// `always` or `never`.
    pub(crate) allow_redirects: String,
}

/// The payment method type settings of an intent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Types {
    pub(crate) payment_method_types: Vec<String>,
    pub(crate) allowed_payment_method_types: Option<Vec<String>>,
    pub(crate) automatic: Option<Automatic>,
}

impl Types {
    /// Stripe refuses to confirm server-side an intent whose automatic payment methods allow
    /// redirects unless a `return_url` is given, even when the method is a card: some methods it
    /// might have offered redirect.
    pub(crate) fn needs_return_url(&self) -> bool {
        self.automatic
            .as_ref()
            .is_some_and(|a| a.enabled && a.allow_redirects != "never")
    }

    pub(crate) fn automatic_json(&self) -> Value {
        self.automatic.as_ref().map_or(
            Value::Null,
            |a| json!({ "allow_redirects": a.allow_redirects, "enabled": a.enabled }),
        )
    }
}

/// Reads `allowed_payment_method_types[]` (async-stripe 1.0's name), `payment_method_types[]`
/// (the older name, still what curl examples use) and `automatic_payment_methods[...]`. Without
/// any of them, automatic payment methods are enabled, as for API versions since 2023-08-16.
pub(crate) fn parse_types(params: &Params<'_>) -> Result<Types, ApiError> {
    let allowed = params.str_list("allowed_payment_method_types")?;
    let legacy = params.str_list("payment_method_types")?;
    let automatic = match params.sub("automatic_payment_methods")? {
        Some(a) if !a.is_empty() => {
            a.only(&["enabled", "allow_redirects"])?;
            let enabled = a
                .bool("enabled")?
                .ok_or_else(|| ApiError::missing_param("automatic_payment_methods[enabled]"))?;
            let allow_redirects = a
                .one_of("allow_redirects", &["always", "never"])?
                .unwrap_or("always");
            Some(Automatic {
                enabled,
                allow_redirects: allow_redirects.to_string(),
            })
        }
        _ => None,
    };
    let explicit = allowed.clone().or(legacy);
    if let Some(types) = &explicit {
        if automatic.as_ref().is_some_and(|a| a.enabled) {
            return Err(ApiError::param_error(
                "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
                "automatic_payment_methods",
            ));
        }
        if types.is_empty() {
            return Err(ApiError::param_error(
                "payment_method_types must not be empty.",
                "payment_method_types",
            ));
        }
        if let Some(other) = types.iter().find(|t| t.as_str() != "card") {
            return Err(ApiError::param_error(
                format!(
                    "The payment method type \"{other}\" is invalid. The Stripe emulator supports only \"card\"; \
                     please ensure the provided type is activated in your dashboard."
                ),
                "payment_method_types",
            )
            .with_code("payment_method_invalid_parameter"));
        }
        return Ok(Types {
            payment_method_types: types.clone(),
            allowed_payment_method_types: allowed,
            automatic: None,
        });
    }
    Ok(Types {
        payment_method_types: vec!["card".to_string()],
        allowed_payment_method_types: None,
        automatic: Some(automatic.unwrap_or(Automatic {
            enabled: true,
            allow_redirects: "always".to_string(),
        })),
    })
}

/// The error Stripe gives when a server-side confirm lacks the `return_url` that automatic
/// payment methods with redirects require.
pub(crate) fn return_url_required(kind: &str) -> ApiError {
    ApiError::param_error(
        format!(
            "This {kind} is configured to accept payment methods enabled in your Dashboard, because \
             automatic_payment_methods is enabled. Some of these payment methods might redirect your customer off of \
             your page and you must provide a `return_url`. If you don't want to accept redirect-based payment \
             methods, set `automatic_payment_methods[enabled]` to `true` and \
             `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
        ),
        "return_url",
    )
}

/// `<id>_secret_<random>`, Stripe's client secret format.
pub(crate) fn client_secret(id: &str) -> String {
    format!("{id}_secret_{}", random_alnum(25))
}

/// With a publishable key, intents are reachable only through their client secret.
pub(crate) fn check_client_secret(
    ctx: &Ctx<'_>,
    params: &Params<'_>,
    expected: &str,
    kind: &str,
) -> Result<(), ApiError> {
    if ctx.is_secret() {
        return Ok(());
    }
    match params.non_empty("client_secret")? {
        None => Err(ApiError::param_error(
            format!("A `client_secret` is required to use a {kind} with a publishable API key."),
            "client_secret",
        )),
        Some(s) if s == expected => Ok(()),
        Some(_) => Err(ApiError::param_error(
            format!(
                "The client_secret provided does not match any associated {kind} on this account. Ensure the \
                 publishable key used belongs to the same account that created the {kind}."
            ),
            "client_secret",
        )),
    }
}

/// Keeps only the fields Stripe returns to a publishable key (the client-side view Stripe.js
/// gets): customer, metadata and the like stay server-side.
pub(crate) fn publishable_view(full: Value, fields: &[&str]) -> Value {
    match full {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// The `next_action` for 3-D Secure. Stripe.js (`use_stripe_sdk=true`) gets `use_stripe_sdk`
/// pointing at the challenge page; a server-side confirm with a `return_url` gets
/// `redirect_to_url`. Both pages belong to the emulator's origin (`/emulator/3ds/{intent}`), and
/// the challenge completes through `POST /emulator/authenticate/{intent}`.
pub(crate) fn three_d_secure_action(
    base_url: &str,
    intent_id: &str,
    client_secret: &str,
    return_url: Option<&str>,
    use_stripe_sdk: bool,
) -> Value {
    let page = format!("{base_url}emulator/3ds/{intent_id}?client_secret={client_secret}");
    match return_url {
        Some(r) if !use_stripe_sdk => {
            let encoded: String = form_urlencoded::byte_serialize(r.as_bytes()).collect();
            json!({
                "type": "redirect_to_url",
                "redirect_to_url": { "return_url": r, "url": format!("{page}&return_url={encoded}") },
            })
        }
        _ => json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": page,
                "source": format!("src_{}", random_alnum(24)),
                "known_frame_issues": "false",
            },
        }),
    }
}

/// `payment_method_options[card][request_three_d_secure]`: `any`/`challenge` ask for
/// authentication even when the card does not require it.
pub(crate) fn request_three_d_secure(params: &Params<'_>) -> Result<Option<String>, ApiError> {
    let Some(options) = params.sub("payment_method_options")? else {
        return Ok(None);
    };
    options.only(&["card"])?;
    let Some(card) = options.sub("card")? else {
        return Ok(None);
    };
    card.only(&[
        "request_three_d_secure",
        "mandate_options",
        "network",
        "moto",
        "cvc_token",
        "setup_future_usage",
        "require_cvc_recollection",
        "installments",
        "statement_descriptor_suffix_kana",
        "statement_descriptor_suffix_kanji",
        "three_d_secure",
        "capture_method",
    ])?;
    Ok(card
        .one_of("request_three_d_secure", &["automatic", "any", "challenge"])?
        .map(str::to_string))
}

/// The parameters of a confirmation, common to both intents (and to `confirm=true` on create).
#[derive(Debug, Default)]
pub(crate) struct Confirm {
    /// A PaymentMethod id (or test id) from `payment_method`.
    pub(crate) payment_method: Option<String>,
    /// A PaymentMethod created from `payment_method_data`.
    pub(crate) created_payment_method: Option<String>,
    pub(crate) return_url: Option<String>,
    pub(crate) use_stripe_sdk: bool,
    pub(crate) off_session: bool,
    pub(crate) error_on_requires_action: bool,
    pub(crate) request_three_d_secure: Option<String>,
}

/// Parameters a confirm endpoint accepts besides the intent-specific ones.
pub(crate) const CONFIRM_PARAMS: &[&str] = &[
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "return_url",
    "use_stripe_sdk",
    "mandate_data",
    "client_secret",
    "expand",
    "expected_payment_method_type",
    "confirmation_token",
];

impl Ctx<'_> {
    /// Reads the confirmation parameters, creating the PaymentMethod of `payment_method_data`.
    pub(crate) fn parse_confirm(&mut self, params: &Params<'_>) -> Result<Confirm, ApiError> {
        if params.non_empty("confirmation_token")?.is_some() {
            return Err(ApiError::param_error(
                "ConfirmationTokens are not supported by the Stripe emulator; pass `payment_method` or `payment_method_data`.",
                "confirmation_token",
            ));
        }
        let mut c = Confirm {
            payment_method: params.non_empty("payment_method")?.map(str::to_string),
            return_url: params.non_empty("return_url")?.map(str::to_string),
            use_stripe_sdk: params.bool("use_stripe_sdk")?.unwrap_or(false),
            request_three_d_secure: request_three_d_secure(params)?,
            ..Confirm::default()
        };
        if let Some(data) = params.sub("payment_method_data")? {
            if c.payment_method.is_some() {
                return Err(ApiError::param_error(
                    "You cannot pass both `payment_method` and `payment_method_data`.",
                    "payment_method_data",
                ));
            }
            c.created_payment_method =
                Some(self.create_card_payment_method(&data, STRIPE_JS_PARAMS)?);
        }
        Ok(c)
    }
}

//! `GET /v1/account`: the account behind the secret key. Applications call it to validate a key
//! before saving it; the id (`acct_…`) is derived from the key so it is stable across restarts.

use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::form::Params;
use crate::state::Ctx;

/// The name under which emulated accounts appear (dashboard display name, statement descriptor).
pub(crate) const DISPLAY_NAME: &str = "Stripe emulator (test mode)";

/// `GET /v1/account`
pub(crate) fn retrieve(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    _: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["expand"])?;
    let a = &ctx.acct;
    Ok(json!({
        "id": a.id,
        "object": "account",
        "business_profile": {
            "annual_revenue": null,
            "estimated_worker_count": null,
            "mcc": null,
            "name": DISPLAY_NAME,
            "support_address": null,
            "support_email": null,
            "support_phone": null,
            "support_url": null,
            "url": null,
        },
        "business_type": null,
        "capabilities": { "card_payments": "active", "transfers": "active" },
        "charges_enabled": true,
        "country": "US",
        "created": a.created,
        "default_currency": "usd",
        "details_submitted": true,
        "email": format!("{}@emulator.invalid", a.id),
        "metadata": {},
        "payouts_enabled": true,
        "settings": {
            "branding": { "icon": null, "logo": null, "primary_color": null, "secondary_color": null },
            "card_payments": {
                "decline_on": { "avs_failure": false, "cvc_failure": false },
                "statement_descriptor_prefix": null,
                "statement_descriptor_prefix_kana": null,
                "statement_descriptor_prefix_kanji": null,
            },
            "dashboard": { "display_name": DISPLAY_NAME, "timezone": "Etc/UTC" },
            "payments": {
                "statement_descriptor": "STRIPE EMULATOR",
                "statement_descriptor_kana": null,
                "statement_descriptor_kanji": null,
            },
        },
        "type": "standard",
    }))
}

//! Server functions of charges and refunds. Merchant functions resolve the signed-in staff
//! member first; the confirm page's functions resolve the link from its page cookie.

// `charge_payment_option`'s arguments are the Charge form's fields, posted flat as an HTML form
// posts them. The allowance is for the whole file because `#[server]` also generates functions
// with those arguments that an attribute on the function does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::dto::ChargeView;
use crate::error::AppError;

/// Charge (from the profile or a booking's Charge balance). `request_key` comes from the form
/// and stays the same for every retry of one submission: a double click or a retry after a lost
/// response finds the same charge instead of charging again. `amount` is what a person typed, in
/// the merchant's currency. `confirm_duplicate` (from **Charge anyway**) names the unsettled
/// charge of the same amount the merchant was warned about.
#[server(endpoint = "charge_payment_option")]
pub async fn charge_payment_option(
    customer_id: String,
    payment_option_id: String,
    amount: String,
    description: String,
    booking_id: Option<String>,
    request_key: String,
    send_receipt: Option<String>,
    confirm_duplicate: Option<String>,
) -> Result<ChargeView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let form = super::parse::ChargeForm {
            customer_id,
            payment_option_id,
            amount,
            description,
            booking_id: booking_id.filter(|id| !id.is_empty()),
            request_key,
            // An HTML checkbox sends its value only when ticked.
            send_receipt: send_receipt.is_some_and(|v| !v.is_empty() && v != "false"),
            confirm_duplicate: confirm_duplicate.filter(|id| !id.is_empty()),
        };
        super::command::charge(&state, &auth, form).await
    })
    .await
}

/// Refund all of a charge (`amount` empty) or part of it, with a reason.
#[server(endpoint = "refund_charge")]
pub async fn refund_charge(
    charge_id: String,
    amount: String,
    reason: String,
    request_key: String,
) -> Result<ChargeView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let form = super::refunds::RefundForm {
            charge_id,
            amount,
            reason,
            request_key,
        };
        super::refunds::refund(&state, &auth, form).await
    })
    .await
}

/// Resend link: emails the customer a new link to confirm a charge waiting for them; the earlier
/// link stops working. Answers with the address it went to.
#[server(endpoint = "resend_payment_confirmation")]
pub async fn resend_payment_confirmation(charge_id: String) -> Result<String, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::confirmation::resend_confirmation(&state, &auth, &charge_id).await
    })
    .await
}

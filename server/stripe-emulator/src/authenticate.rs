//! The 3-D Secure step: `POST /emulator/authenticate/{intent_id}` with `client_secret=<the
//! intent's client secret>` and `outcome=complete|fail`.
//!
//! This is the emulator's stand-in for the bank's challenge page. The emulated Stripe.js
//! challenge frame (or a test) calls it when the customer presses **Complete** or **Fail**; it
//! needs no API key (the client secret is the credential, as for Stripe.js), works for a
//! SetupIntent (`seti_…`) or PaymentIntent (`pi_…`) in `requires_action`, and answers with the
//! intent as a publishable key sees it:
//!
//! - `complete`: a SetupIntent succeeds (its PaymentMethod is set up and attached to the
//!   customer); a PaymentIntent is charged and succeeds (or goes to `requires_confirmation`
//!   when `confirmation_method=manual`).
//! - `fail`: the intent goes back to `requires_payment_method` with `last_setup_error` /
//!   `last_payment_error` code `setup_intent_authentication_failure` /
//!   `payment_intent_authentication_failure`, as Stripe does when the customer fails the
//!   challenge.

use serde_json::Value;

use crate::errors::ApiError;
use crate::form::Params;
use crate::payment_methods::first;
use crate::state::Ctx;

/// `POST /emulator/authenticate/{intent_id}`
pub(crate) fn authenticate(
    ctx: &mut Ctx<'_>,
    params: Params<'_>,
    ids: &[&str],
) -> Result<Value, ApiError> {
    params.only(&["client_secret", "outcome", "key"])?;
    let id = first(ids);
    let outcome = params
        .one_of("outcome", &["complete", "fail"])?
        .ok_or_else(|| ApiError::missing_param("outcome"))?;
    let secret = params.required_str("client_secret")?;
    if id.starts_with("seti_") {
        let si = ctx
            .acct
            .setup_intents
            .get(id)
            .ok_or_else(|| ApiError::no_such("setup_intent", id, "intent"))?;
        check(secret, &si.client_secret, si.status)?;
        if outcome == "complete" {
            ctx.succeed_setup(id);
        } else {
            let error = ApiError::invalid(
                "The latest attempt to set up the payment method has failed because authentication failed.",
            )
            .with_code("setup_intent_authentication_failure");
            ctx.fail_setup(id, error);
        }
        Ok(ctx.setup_intent_view(id))
    } else {
        let pi = ctx.payment_intent(id)?;
        check(secret, &pi.client_secret, pi.status)?;
        let manual = pi.confirmation_method == "manual";
        if outcome == "complete" {
            if manual {
                if let Some(p) = ctx.acct.payment_intents.get_mut(id) {
                    p.status = "requires_confirmation";
                    p.next_action = None;
                    p.authenticated = true;
                }
            } else {
                ctx.succeed_payment(id, true)?;
            }
        } else {
            let pm = ctx
                .acct
                .payment_intents
                .get(id)
                .and_then(|p| p.payment_method.clone())
                .unwrap_or_default();
            let error = ApiError::invalid(
                "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new \
                 PaymentMethod to attempt to fulfill this PaymentIntent again.",
            )
            .with_code("payment_intent_authentication_failure")
            .with("payment_method", ctx.payment_method_json(&pm));
            ctx.record_payment_failure(id, &error, None);
        }
        Ok(ctx.payment_intent_view(id))
    }
}

fn check(given: &str, expected: &str, status: &str) -> Result<(), ApiError> {
    if given != expected {
        return Err(ApiError::param_error(
            "The client_secret provided does not match this intent.",
            "client_secret",
        ));
    }
    if status != "requires_action" {
        return Err(ApiError::invalid(format!(
            "This intent has a status of {status}; only an intent in requires_action can be authenticated."
        )));
    }
    Ok(())
}

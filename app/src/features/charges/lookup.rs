//! A charge left pending past Stripe's idempotency window is never sent again (a resend would be
//! a new charge): it is looked up at Stripe by our id in its PaymentIntent's metadata, among the
//! customer's PaymentIntents. Found: settled from it, whatever it says. Not there: Stripe never
//! made it, so nothing was charged. Stripe can't say (the customer or the account at Stripe is
//! gone, the key is refused): the charge becomes `Unknown`, and the merchant is told to check
//! Stripe's dashboard before charging again — never "declined", which invites a second charge.

use chrono::{Duration as Span, Utc};
use sea_orm::TransactionTrait;
use sea_orm::sea_query::Expr;

use super::parse::{NEVER_SENT, currency_of};
use super::settle::{close_charge, settle};
use crate::entities::charge;
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::customers::service::find_model;
use crate::features::links::service as links;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::operations::ChargeOutcome;
use crate::payments::{PaymentsError, StripeAccount};
use crate::state::AppState;
use crate::states::{ActivityKind, ChargeStatus};

/// PaymentIntents are looked for from a little before the row was written: Stripe's clock and
/// ours may differ.
const CLOCK_SLACK: Span = Span::minutes(10);

/// Settles a pending charge from the PaymentIntent Stripe made for it, if any (see the module
/// doc). Stripe being unreachable leaves it pending for the next run.
pub(super) async fn settle_by_lookup(
    state: &AppState,
    account: &StripeAccount,
    row: &charge::Model,
) -> Result<(), AppError> {
    let customer = find_model(
        &state.db,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?;
    let Some(stripe_customer) = customer.stripe_customer_id else {
        return mark_unknown(state, row, FROM_PENDING, STRIPE_CANT_TELL).await;
    };
    let since = (row.created_at - CLOCK_SLACK).timestamp();
    match account
        .find_payment_by_charge_id(&stripe_customer, &row.id, since)
        .await
    {
        Ok(Some(outcome)) => settle(state, row, outcome, Actor::Stripe).await,
        Ok(None) if !account.still_has_customer(&stripe_customer).await? => {
            tracing::warn!(charge_id = %row.id, "Stripe no longer has the customer");
            mark_unknown(state, row, FROM_PENDING, STRIPE_CANT_TELL).await
        }
        Ok(None) => {
            let outcome = ChargeOutcome::Declined {
                payment_intent_id: None,
                code: NEVER_SENT.to_owned(),
                decline_code: None,
                message: "Stripe has no PaymentIntent for this charge".to_owned(),
            };
            settle(state, row, outcome, Actor::Stripe).await
        }
        Err(err @ PaymentsError::Unavailable(_)) => Err(err.into()),
        Err(err) => {
            tracing::warn!(charge_id = %row.id, error = %err, "looking the charge up failed");
            mark_unknown(state, row, FROM_PENDING, STRIPE_CANT_TELL).await
        }
    }
}

/// What the merchant is told when Stripe can't say what became of a charge.
const STRIPE_CANT_TELL: &str = "Stripe could not tell whether it went through. Check Stripe's dashboard before charging again.";

/// A pending charge is the one a lookup may find unknown (a webhook may have moved it on).
const FROM_PENDING: &[ChargeStatus] = &[ChargeStatus::Pending];

/// `from → unknown`, once, with an activity entry saying why and what to do (`why`, a sentence
/// for the merchant). A charge that moved on meanwhile (a webhook) is known after all: left be.
pub(super) async fn mark_unknown(
    state: &AppState,
    row: &charge::Model,
    from: &[ChargeStatus],
    why: &str,
) -> Result<(), AppError> {
    tracing::error!(charge_id = %row.id, why, "charge outcome unknown; the merchant must check Stripe");
    let txn = state.db.begin().await?;
    let left = close_charge(
        &txn,
        &row.id,
        from,
        ChargeStatus::Unknown,
        Utc::now(),
        |update| {
            update.col_expr(
                charge::Column::FailureMessage,
                Expr::value(why.chars().take(500).collect::<String>()),
            )
        },
    )
    .await?;
    if left.is_none() {
        txn.rollback().await?;
        return Ok(());
    }
    // A link still asking the customer to confirm it would only fail now.
    links::revoke_for_charge(&txn, &row.merchant_id, &row.id).await?;
    let amount = currency_of(&row.currency)?.format(row.amount);
    activity::record(
        &txn,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
        Actor::Stripe,
        ActivityKind::ChargeUnknown,
        format!("Charge of {amount} — outcome unknown: {why}"),
    )
    .await?;
    txn.commit().await?;
    live::publish(MerchantId(&row.merchant_id), CustomerId(&row.customer_id));
    Ok(())
}

//! A refund's outcome, recorded once: `pending → succeeded` adds its amount to the charge and the
//! booking (with an activity entry) in one transaction, whoever learns it first. Refunds made in
//! Stripe's dashboard are recorded from the webhook; the reconciler reads refunds from Stripe.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};

use super::command::reload;
use super::parse::currency_of;
use super::refunds::{mark_refund_failed, send_refund};
use crate::entities::{booking, charge, new_id, refund};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::settings::connection::{self, StripeConnection};
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::StripeAccount;
use crate::payments::operations::RefundSummary;
use crate::state::AppState;
use crate::states::{ActivityKind, RefundStatus};

/// Records a refund's outcome once: `pending → succeeded` adds its amount to the charge and the
/// booking, with an activity entry, in one transaction.
pub(super) async fn settle_refund(
    state: &AppState,
    row: &refund::Model,
    summary: &RefundSummary,
) -> Result<(), AppError> {
    let db = &state.db;
    let now = Utc::now();
    match summary.status.as_str() {
        "succeeded" => {}
        "failed" | "canceled" => {
            let reason = summary
                .failure_reason
                .as_deref()
                .unwrap_or("Stripe could not refund it");
            return mark_refund_failed(state, row, reason).await;
        }
        // Pending at Stripe: keep its id; the `charge.refunded` webhook or the reconciler settles it.
        _ => {
            refund::Entity::update_many()
                .col_expr(
                    refund::Column::StripeRefundId,
                    Expr::value(summary.id.clone()),
                )
                .filter(refund::Column::Id.eq(row.id.as_str()))
                .exec(db)
                .await?;
            return Ok(());
        }
    }
    let txn = db.begin().await?;
    let won = refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::value(RefundStatus::Succeeded))
        .col_expr(
            refund::Column::StripeRefundId,
            Expr::value(summary.id.clone()),
        )
        .col_expr(refund::Column::UpdatedAt, Expr::value(now))
        .filter(refund::Column::Id.eq(row.id.as_str()))
        .filter(refund::Column::Status.eq(RefundStatus::Pending))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        txn.rollback().await?;
        return Ok(());
    }
    let charge_row = apply_refunded_amount(&txn, &row.charge_id, row.amount, now).await?;
    let currency = currency_of(&charge_row.currency)?;
    let summary_text = format!(
        "Refunded {} of {} — reason: {}",
        currency.format(row.amount),
        charge_row.description,
        row.reason
    );
    let actor = row
        .created_by_staff_id
        .as_deref()
        .map_or(Actor::Stripe, Actor::Staff);
    activity::record(
        &txn,
        MerchantId(&charge_row.merchant_id),
        CustomerId(&charge_row.customer_id),
        actor,
        ActivityKind::Refund,
        summary_text,
    )
    .await?;
    txn.commit().await?;
    live::publish(
        MerchantId(&charge_row.merchant_id),
        CustomerId(&charge_row.customer_id),
    );
    tracing::info!(refund_id = %row.id, "refund succeeded");
    Ok(())
}

/// Adds a succeeded refund to its charge and the charge's booking.
async fn apply_refunded_amount(
    txn: &impl ConnectionTrait,
    charge_id: &str,
    amount: i64,
    now: chrono::DateTime<Utc>,
) -> Result<charge::Model, AppError> {
    charge::Entity::update_many()
        .col_expr(
            charge::Column::RefundedAmount,
            Expr::col(charge::Column::RefundedAmount).add(amount),
        )
        .col_expr(charge::Column::UpdatedAt, Expr::value(now))
        .filter(charge::Column::Id.eq(charge_id))
        .exec(txn)
        .await?;
    let charge_row = reload(txn, charge_id).await?;
    if let Some(booking_id) = &charge_row.booking_id {
        booking::Entity::update_many()
            .col_expr(
                booking::Column::RefundedAmount,
                Expr::col(booking::Column::RefundedAmount).add(amount),
            )
            .col_expr(booking::Column::UpdatedAt, Expr::value(now))
            .filter(booking::Column::Id.eq(booking_id.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(charge_row)
}

/// `charge.refunded`: every refund of the PaymentIntent as Stripe lists it — ours are settled,
/// ones made in Stripe's dashboard are recorded (once: unique Stripe refund id per merchant).
pub async fn reconcile_refunds(
    state: &AppState,
    connection: &StripeConnection,
    merchant_id: &str,
    payment_intent_id: &str,
) -> Result<(), AppError> {
    let db = &state.db;
    let Some(charge_row) = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::StripePaymentIntentId.eq(payment_intent_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let account = connection.account(state)?;
    let refunds = account.list_refunds(payment_intent_id).await?;
    for summary in refunds {
        if let Some(ours) = &summary.our_refund_id {
            if let Some(row) = refund::Entity::find_by_id(ours.clone())
                .filter(refund::Column::MerchantId.eq(merchant_id))
                .one(db)
                .await?
            {
                settle_refund(state, &row, &summary).await?;
            }
            continue;
        }
        if summary.status != "succeeded" {
            continue;
        }
        record_dashboard_refund(state, &charge_row, &summary).await?;
    }
    Ok(())
}

async fn record_dashboard_refund(
    state: &AppState,
    charge_row: &charge::Model,
    summary: &RefundSummary,
) -> Result<(), AppError> {
    let db = &state.db;
    let now = Utc::now();
    let txn = db.begin().await?;
    let inserted = refund::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(charge_row.merchant_id.clone()),
        charge_id: Set(charge_row.id.clone()),
        request_key: Set(summary.id.clone()),
        idempotency_key: Set(summary.id.clone()),
        amount: Set(summary.amount),
        reason: Set("Refunded in Stripe's dashboard".to_owned()),
        status: Set(RefundStatus::Succeeded),
        stripe_refund_id: Set(Some(summary.id.clone())),
        failure_message: Set(None),
        created_by_staff_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        // Already recorded (a repeated or concurrent event).
        Err(err) if crate::error::is_unique_violation(&err) => {
            txn.rollback().await?;
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    }
    let updated = apply_refunded_amount(&txn, &charge_row.id, summary.amount, now).await?;
    let currency = currency_of(&updated.currency)?;
    activity::record(
        &txn,
        MerchantId(&updated.merchant_id),
        CustomerId(&updated.customer_id),
        Actor::Stripe,
        ActivityKind::Refund,
        format!(
            "Refunded {} of {} in Stripe's dashboard",
            currency.format(summary.amount),
            updated.description
        ),
    )
    .await?;
    txn.commit().await?;
    live::publish(
        MerchantId(&updated.merchant_id),
        CustomerId(&updated.customer_id),
    );
    Ok(())
}

/// How long after its row was written a request may still be sent to Stripe with the row's
/// idempotency key: Stripe keeps keys for 24 hours, and past that a resend is a new request (a
/// second refund, a second charge). An hour's margin for clocks and queues.
pub(super) const RESEND_WINDOW: chrono::Duration = chrono::Duration::hours(23);

/// What the reconciler says when a refund never reached Stripe and its key is too old to send.
const NEVER_REACHED_STRIPE: &str =
    "Stripe never received this refund, so nothing was refunded: refund again if it is still due";

/// Settles a refund whose outcome was never recorded by reading Stripe, never by sending it
/// again: the refund itself when its id is known, else the PaymentIntent's refunds matched by our
/// id in their metadata. Only a refund Stripe has no trace of is sent — with its own key while
/// that key is still honoured ([`RESEND_WINDOW`]), never after: then nothing was refunded.
pub(crate) async fn reconcile_refund(
    state: &AppState,
    row: &refund::Model,
) -> Result<(), AppError> {
    let charge_row = reload(&state.db, &row.charge_id).await?;
    let connection = connection::require(state, &row.merchant_id).await?;
    let account = connection.account(state)?;
    refund::Entity::update_many()
        .col_expr(refund::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(refund::Column::Id.eq(row.id.as_str()))
        .exec(&state.db)
        .await?;
    let payment_intent_id = charge_row
        .stripe_payment_intent_id
        .ok_or_else(|| AppError::internal("refund of a charge without a PaymentIntent"))?;
    match refund_at_stripe(&account, row, &payment_intent_id).await? {
        Some(summary) => settle_refund(state, row, &summary).await,
        None if Utc::now() - row.created_at < RESEND_WINDOW => {
            send_refund(state, &account, row, &payment_intent_id).await
        }
        None => {
            tracing::warn!(refund_id = %row.id, "refund never reached Stripe; too old to send");
            mark_refund_failed(state, row, NEVER_REACHED_STRIPE).await
        }
    }
}

/// Our refund as Stripe has it, if Stripe made it.
async fn refund_at_stripe(
    account: &StripeAccount,
    row: &refund::Model,
    payment_intent_id: &str,
) -> Result<Option<RefundSummary>, AppError> {
    if let Some(id) = &row.stripe_refund_id {
        return Ok(Some(account.retrieve_refund(id).await?));
    }
    let refunds = account.list_refunds(payment_intent_id).await?;
    Ok(refunds
        .into_iter()
        .find(|r| r.our_refund_id.as_deref() == Some(row.id.as_str())))
}

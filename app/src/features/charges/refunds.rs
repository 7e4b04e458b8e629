//! Refund: a refund row (with its idempotency key) is written before Stripe is asked, then sent;
//! its outcome is recorded once by `refund_settle`, whoever learns it first — the request, the
//! `charge.refunded` webhook, or the reconciler.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};

use super::command::{made_in_other_account, reload};
use super::dto::ChargeView;
use super::parse::{currency_of, parse_line, parse_request_key};
use super::refund_settle::{reconcile_refund, settle_refund};
use super::view::charge_view;
use crate::entities::{charge, new_id, refund};
use crate::error::{AppError, FieldError};
use crate::features::auth::service::Authenticated;
use crate::features::settings::connection;
use crate::money::{Currency, refundable};
use crate::payments::{PaymentsError, StripeAccount};
use crate::state::AppState;
use crate::states::{ChargeStatus, RefundStatus};

/// The Refund form as typed.
#[derive(Debug, Clone)]
pub struct RefundForm {
    pub charge_id: String,
    pub amount: String,
    pub reason: String,
    pub request_key: String,
}

/// Refund all (empty amount) or part of a succeeded charge, with a reason.
pub async fn refund(
    state: &AppState,
    auth: &Authenticated,
    form: RefundForm,
) -> Result<ChargeView, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let request_key = parse_request_key(&form.request_key)?;
    if let Some(existing) = find_refund_by_request_key(db, merchant_id, &request_key).await? {
        return resume_refund(state, existing).await;
    }
    let row = charge::Entity::find_by_id(form.charge_id.clone())
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let asked = check_refund(&row, &form)?;
    let connection = connection::require(state, merchant_id).await?;
    if let Some(account) = made_in_other_account(db, &connection, &row).await? {
        return Err(AppError::field(
            "amount",
            format!(
                "This charge was made in another Stripe account ({account}): refund it from that \
                 account's dashboard."
            ),
        ));
    }
    let payment_intent_id = row
        .stripe_payment_intent_id
        .clone()
        .ok_or_else(|| AppError::internal("succeeded charge without a PaymentIntent"))?;
    let new = NewRefund {
        merchant_id,
        charge: &row,
        request_key: &request_key,
        staff_user_id: &auth.staff_user_id,
        asked,
    };
    let Some(refund_row) = write_refund(db, new).await? else {
        // The same submission raced this one (a double click): continue with its row.
        let existing = find_refund_by_request_key(db, merchant_id, &request_key)
            .await?
            .ok_or_else(|| AppError::internal("refund vanished after a unique violation"))?;
        return resume_refund(state, existing).await;
    };
    let account = connection.account(state)?;
    answered_or_pending(send_refund(state, &account, &refund_row, &payment_intent_id).await)?;
    let row = reload(db, &row.id).await?;
    charge_view(db, &row).await
}

/// Stripe not answering is no error the merchant should act on: the refund stays pending, the
/// reconciler completes it (it reads before it ever sends again), and the form shows it pending
/// in Payments — not "try again", which would only resume the same refund anyway.
fn answered_or_pending(sent: Result<(), AppError>) -> Result<(), AppError> {
    match sent {
        Err(AppError::StripeUnavailable) => Ok(()),
        other => other,
    }
}

/// A refund as the form asked for it: `amount` `None` means whatever is left.
struct AskedRefund {
    amount: Option<i64>,
    reason: String,
    currency: Currency,
}

fn check_refund(row: &charge::Model, form: &RefundForm) -> Result<AskedRefund, AppError> {
    let currency = currency_of(&row.currency)?;
    if row.status != ChargeStatus::Succeeded {
        return Err(AppError::field(
            "amount",
            "Only a succeeded charge can be refunded.",
        ));
    }
    let mut errors = Vec::new();
    let reason = parse_line(
        &form.reason,
        500,
        "Give a reason for the refund.",
        "The reason",
    )
    .map_err(|m| errors.push(FieldError::new("reason", m)))
    .ok();
    let amount = if form.amount.trim().is_empty() {
        None
    } else {
        currency
            .parse_amount(&form.amount)
            .map(Some)
            .map_err(|m| errors.push(FieldError::new("amount", m)))
            .unwrap_or(None)
    };
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    Ok(AskedRefund {
        amount,
        reason,
        currency,
    })
}

struct NewRefund<'a> {
    merchant_id: &'a str,
    charge: &'a charge::Model,
    request_key: &'a str,
    staff_user_id: &'a str,
    asked: AskedRefund,
}

/// Commits the refund row if the charge still has that much to refund. Written first: the
/// charge row is locked until commit, so two refunds can't both take the same refundable rest.
/// `None` when a row with the same request key won the race.
async fn write_refund(
    db: &DatabaseConnection,
    new: NewRefund<'_>,
) -> Result<Option<refund::Model>, AppError> {
    let NewRefund {
        merchant_id,
        charge: row,
        request_key,
        staff_user_id,
        asked,
    } = new;
    let now = Utc::now();
    let txn = db.begin().await?;
    charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(now))
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .exec(&txn)
        .await?;
    let fresh = reload(&txn, &row.id).await?;
    let pending: i64 = refund::Entity::find()
        .filter(refund::Column::MerchantId.eq(merchant_id))
        .filter(refund::Column::ChargeId.eq(row.id.as_str()))
        .filter(refund::Column::Status.eq(RefundStatus::Pending))
        .all(&txn)
        .await?
        .iter()
        .map(|r| r.amount)
        .sum();
    let left = refundable(fresh.amount, fresh.refunded_amount + pending);
    let amount = asked.amount.unwrap_or(left);
    if left <= 0 || amount > left {
        txn.rollback().await?;
        let message = if left <= 0 {
            "This charge has been refunded in full.".to_owned()
        } else {
            format!("At most {} can be refunded.", asked.currency.format(left))
        };
        return Err(AppError::field("amount", message));
    }
    let id = new_id();
    let inserted = refund::ActiveModel {
        idempotency_key: Set(format!("cof-refund-{id}")),
        id: Set(id),
        merchant_id: Set(merchant_id.to_owned()),
        charge_id: Set(row.id.clone()),
        request_key: Set(request_key.to_owned()),
        amount: Set(amount),
        reason: Set(asked.reason),
        status: Set(RefundStatus::Pending),
        stripe_refund_id: Set(None),
        failure_message: Set(None),
        created_by_staff_id: Set(Some(staff_user_id.to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(r) => {
            txn.commit().await?;
            Ok(Some(r))
        }
        Err(err) if crate::error::is_unique_violation(&err) => {
            txn.rollback().await?;
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

async fn find_refund_by_request_key(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    request_key: &str,
) -> Result<Option<refund::Model>, AppError> {
    Ok(refund::Entity::find()
        .filter(refund::Column::MerchantId.eq(merchant_id))
        .filter(refund::Column::RequestKey.eq(request_key))
        .one(db)
        .await?)
}

/// A submission seen before: a refund still pending is settled from what Stripe has (the same
/// path as the reconciler: read, and send only what Stripe never got).
async fn resume_refund(state: &AppState, row: refund::Model) -> Result<ChargeView, AppError> {
    if row.status == RefundStatus::Pending {
        answered_or_pending(reconcile_refund(state, &row).await)?;
    }
    let charge_row = reload(&state.db, &row.charge_id).await?;
    charge_view(&state.db, &charge_row).await
}

/// Sends the refund (its own idempotency key) and records Stripe's answer.
pub(crate) async fn send_refund(
    state: &AppState,
    account: &StripeAccount,
    row: &refund::Model,
    payment_intent_id: &str,
) -> Result<(), AppError> {
    match account
        .refund(
            payment_intent_id,
            Some(row.amount),
            &row.id,
            &row.idempotency_key,
        )
        .await
    {
        Ok(summary) => settle_refund(state, row, &summary).await,
        Err(PaymentsError::Api { message, .. }) => mark_refund_failed(state, row, &message).await,
        Err(err) => Err(AppError::from(err)),
    }
}

pub(super) async fn mark_refund_failed(
    state: &AppState,
    row: &refund::Model,
    message: &str,
) -> Result<(), AppError> {
    refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::value(RefundStatus::Failed))
        .col_expr(
            refund::Column::FailureMessage,
            Expr::value(message.chars().take(500).collect::<String>()),
        )
        .col_expr(refund::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(refund::Column::Id.eq(row.id.as_str()))
        .filter(refund::Column::Status.eq(RefundStatus::Pending))
        .exec(&state.db)
        .await?;
    Ok(())
}

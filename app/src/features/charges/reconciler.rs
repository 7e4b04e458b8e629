//! Settles charges and refunds whose outcome was never recorded — the process died between the
//! Stripe call and the commit, Stripe's answer was lost, a webhook never came — from Stripe
//! itself. Runs at start-up and then periodically; each row is settled through the same
//! conditional transitions as everything else, so running it twice (or on two instances) is safe.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{Duration as Span, Utc};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::command::{made_in_other_account, send_to_stripe};
use super::lookup::{mark_unknown, settle_by_lookup};
use super::parse::CONFIRMATION_EXPIRED;
use super::refund_settle::{self, RESEND_WINDOW};
use super::settle::settle;
use crate::entities::{charge, refund, stripe_connection};
use crate::error::AppError;
use crate::features::activity::service::Actor;
use crate::features::links::service as links;
use crate::features::settings::connection;
use crate::payments::PaymentsError;
use crate::payments::operations::ChargeOutcome;
use crate::state::AppState;
use crate::states::{ChargeStatus, LinkStatus, RefundStatus};

/// Rows looked at per run; the oldest first, each touched so a failing one does not block.
const BATCH: u64 = 100;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub charges: usize,
    pub refunds: usize,
    pub failed: usize,
}

/// One pass over unsettled rows untouched for `stripe.reconcile_after_secs`, of merchants whose
/// Stripe connection can be used now.
pub async fn run_once(state: &AppState) -> Result<Reconciled, AppError> {
    let after = chrono::Duration::seconds(
        i64::try_from(state.config.stripe.reconcile_after_secs).unwrap_or(i64::MAX / 2),
    );
    let (charges, refunds) = workable(state, Utc::now() - after).await?;
    let mut done = Reconciled::default();
    for row in &charges {
        match reconcile_charge(state, row).await {
            Ok(()) => done.charges += 1,
            Err(err) => {
                done.failed += 1;
                tracing::warn!(charge_id = %row.id, error = %err, "reconciling a charge failed; will retry");
            }
        }
    }
    for row in &refunds {
        match refund_settle::reconcile_refund(state, row).await {
            Ok(()) => done.refunds += 1,
            Err(err) => {
                done.failed += 1;
                tracing::warn!(refund_id = %row.id, error = %err, "reconciling a refund failed; will retry");
            }
        }
    }
    if done != Reconciled::default() {
        tracing::info!(?done, "reconciler run");
    }
    Ok(done)
}

// ---------------------------------------------------------------------------------------------
// Charges

/// How often a charge waiting for the customer is checked with Stripe in case its webhook was
/// missed: a customer may take days, and each check is a Stripe call.
const WAITING_RECHECK: Span = Span::minutes(15);

/// Charges and refunds the reconciler should look at: unsettled and untouched for `older_than`
/// (charges waiting for the customer: for [`WAITING_RECHECK`] at least).
/// Only merchants with a Stripe connection, and none of `passed_over`: a row nothing can settle
/// is never touched, so it stays the oldest and would otherwise fill every batch.
async fn unsettled(
    db: &impl ConnectionTrait,
    older_than: chrono::DateTime<Utc>,
    limit: u64,
    passed_over: &BTreeSet<String>,
) -> Result<(Vec<charge::Model>, Vec<refund::Model>), AppError> {
    let waiting_older_than = std::cmp::min(older_than, Utc::now() - WAITING_RECHECK);
    let charges = charge::Entity::find()
        .filter(charge::Column::MerchantId.in_subquery(connected_merchants()))
        .filter(charge::Column::MerchantId.is_not_in(passed_over.iter().cloned()))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(charge::Column::Status.eq(ChargeStatus::Pending))
                        .add(charge::Column::UpdatedAt.lte(older_than)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(charge::Column::Status.eq(ChargeStatus::RequiresAction))
                        .add(charge::Column::UpdatedAt.lte(waiting_older_than)),
                ),
        )
        .order_by_asc(charge::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let refunds = refund::Entity::find()
        .filter(refund::Column::MerchantId.in_subquery(connected_merchants()))
        .filter(refund::Column::MerchantId.is_not_in(passed_over.iter().cloned()))
        .filter(refund::Column::Status.eq(RefundStatus::Pending))
        .filter(refund::Column::UpdatedAt.lte(older_than))
        .order_by_asc(refund::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok((charges, refunds))
}

/// How many times a run looks again for rows after passing over merchants it cannot reach.
const MAX_LOOKS: usize = 4;

type Unsettled = (Vec<charge::Model>, Vec<refund::Model>);

/// The rows this run settles: [`unsettled`] ones, passing over merchants whose connection does
/// not open (a secret sealed under a key since replaced) and filling the batch from the others.
/// Nothing is written about them: once the merchant connects again, its rows are picked up.
async fn workable(
    state: &AppState,
    older_than: chrono::DateTime<Utc>,
) -> Result<Unsettled, AppError> {
    let mut opens: BTreeMap<String, bool> = BTreeMap::new();
    let mut passed_over: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_LOOKS {
        let rows = unsettled(&state.db, older_than, BATCH, &passed_over).await?;
        let closed = closed_connections(state, &rows, &mut opens).await;
        if closed.is_empty() {
            return Ok(rows);
        }
        passed_over.extend(closed);
    }
    // Yet more unreachable merchants: their rows fail this run, the others are settled.
    unsettled(&state.db, older_than, BATCH, &passed_over).await
}

/// The merchants of `rows` whose connection does not open; `opens` remembers the answers.
async fn closed_connections(
    state: &AppState,
    (charges, refunds): &Unsettled,
    opens: &mut BTreeMap<String, bool>,
) -> Vec<String> {
    let merchants: BTreeSet<&str> = charges
        .iter()
        .map(|c| c.merchant_id.as_str())
        .chain(refunds.iter().map(|r| r.merchant_id.as_str()))
        .collect();
    let mut closed = Vec::new();
    for merchant_id in merchants {
        let open = match opens.get(merchant_id) {
            Some(open) => *open,
            None => connection_opens(state, merchant_id).await,
        };
        opens.insert(merchant_id.to_owned(), open);
        if !open {
            closed.push(merchant_id.to_owned());
        }
    }
    closed
}

/// The merchants that have a Stripe connection (it may still fail to open).
fn connected_merchants() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(stripe_connection::Column::MerchantId)
        .from(stripe_connection::Entity)
        .to_owned()
}

/// Whether the merchant's connection opens into a Stripe client; says why in the log if not.
async fn connection_opens(state: &AppState, merchant_id: &str) -> bool {
    let opened = connection::require(state, merchant_id)
        .await
        .and_then(|connection| connection.account(state).map(drop));
    if let Err(err) = &opened {
        tracing::warn!(merchant_id, error = %err, "reconciler passes over a merchant whose Stripe connection does not open");
    }
    opened.is_ok()
}

/// Settles one charge from Stripe: a pending one is sent again with its own idempotency key
/// (Stripe replays the first answer, or makes the charge the merchant asked for if it never
/// arrived) while Stripe still honours the key, and looked up after (`lookup`); one waiting for
/// the customer is asked about.
async fn reconcile_charge(state: &AppState, row: &charge::Model) -> Result<(), AppError> {
    let connection = connection::require(state, &row.merchant_id).await?;
    if let Some(other) = made_in_other_account(&state.db, &connection, row).await? {
        // Our keys can't reach it, and asking the wrong account would only say "no such
        // PaymentIntent": the merchant has to look in the account it was made in.
        return mark_unknown(
            state,
            row,
            &[ChargeStatus::Pending, ChargeStatus::RequiresAction],
            &format!(
                "it was made in another Stripe account ({other}). Check that account's \
                 dashboard before charging again."
            ),
        )
        .await;
    }
    let account = connection.account(state)?;
    // Touched first, so a failing row goes to the back of the queue instead of blocking it.
    charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .exec(&state.db)
        .await?;
    match (row.status, row.stripe_payment_intent_id.as_deref()) {
        // Stripe keeps idempotency keys for 24 hours; past that a resend could charge twice,
        // so the charge is looked up instead.
        (ChargeStatus::Pending, None) if Utc::now() - row.created_at > RESEND_WINDOW => {
            settle_by_lookup(state, &account, row).await
        }
        (ChargeStatus::Pending, None) => send_to_stripe(state, &account, row).await,
        (ChargeStatus::RequiresAction, Some(payment_intent_id))
            if confirmation_expired(&state.db, row).await? =>
        {
            // The customer let the link expire: cancel the PaymentIntent so it can't be paid
            // later behind our back, and tell the merchant it failed.
            match account.cancel_abandoned_payment(payment_intent_id).await {
                Ok(()) => {
                    settle(
                        state,
                        row,
                        ChargeOutcome::Declined {
                            payment_intent_id: Some(payment_intent_id.to_owned()),
                            code: CONFIRMATION_EXPIRED.to_owned(),
                            decline_code: None,
                            message: "The customer did not confirm before the link expired"
                                .to_owned(),
                        },
                        Actor::Stripe,
                    )
                    .await
                }
                // Stripe refuses to cancel an intent that succeeded at the last moment: record
                // what it is.
                Err(PaymentsError::Api { .. }) => {
                    let outcome = account.retrieve_payment(payment_intent_id).await?;
                    settle(state, row, outcome, Actor::Stripe).await
                }
                Err(err) => Err(AppError::from(err)),
            }
        }
        (_, Some(payment_intent_id)) => {
            let outcome = account.retrieve_payment(payment_intent_id).await?;
            settle(state, row, outcome, Actor::Stripe).await
        }
        _ => Ok(()),
    }
}

/// True when the newest confirmation link of a charge waiting for its customer has expired
/// unanswered.
async fn confirmation_expired(
    db: &impl ConnectionTrait,
    row: &charge::Model,
) -> Result<bool, AppError> {
    let newest = links::newest_for_charge(db, &row.merchant_id, &row.id).await?;
    Ok(newest
        .is_some_and(|link| link.status == LinkStatus::Pending && link.expires_at <= Utc::now()))
}

/// Runs [`run_once`] now and then every `stripe.reconcile_interval_secs` until `shutdown`.
pub fn spawn(state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
    let interval = Duration::from_secs(state.config.stripe.reconcile_interval_secs.max(1));
    tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = run_once(&state).await {
                tracing::error!(error = %err, "reconciler run failed");
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
    });
}

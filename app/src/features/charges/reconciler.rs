//! Settles charges and refunds whose outcome was never recorded — the process died between the
//! Stripe call and the commit, Stripe's answer was lost, a webhook never came — from Stripe
//! itself. Runs at start-up and then periodically; each row is settled through the same
//! conditional transitions as everything else, so running it twice (or on two instances) is safe.

use std::time::Duration;

use chrono::Utc;

use super::{refunds, service};
use crate::error::AppError;
use crate::state::AppState;

/// Rows looked at per run; the oldest first, each touched so a failing one does not block.
const BATCH: u64 = 100;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub charges: usize,
    pub refunds: usize,
    pub failed: usize,
}

/// One pass over unsettled rows untouched for `stripe.reconcile_after_secs`.
pub async fn run_once(state: &AppState) -> Result<Reconciled, AppError> {
    let after = chrono::Duration::seconds(
        i64::try_from(state.config.stripe.reconcile_after_secs).unwrap_or(i64::MAX / 2),
    );
    let (charges, refunds) = service::unsettled(&state.db, Utc::now() - after, BATCH).await?;
    let mut done = Reconciled::default();
    for row in &charges {
        match service::reconcile_charge(state, row).await {
            Ok(()) => done.charges += 1,
            Err(err) => {
                done.failed += 1;
                tracing::warn!(charge_id = %row.id, error = %err, "reconciling a charge failed; will retry");
            }
        }
    }
    for row in &refunds {
        match refunds::reconcile_refund(state, row).await {
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

//! Live profile updates: whatever changes a customer's payment data (an email sent, a link
//! opened, a card saved) announces it here, and the profile's server-sent-events stream passes it
//! on to the merchants who have that profile open.
//!
//! Every announcement reaches this process' streams at once. On Postgres, where several instances
//! may share the database, [`postgres`] also sends it to the others (`NOTIFY`) and passes theirs
//! on here (`LISTEN`); on SQLite (one process) the in-process bus is all there is.

pub mod postgres;

use std::sync::{LazyLock, Mutex};

use tokio::sync::{broadcast, mpsc, watch};

use crate::ids::{CustomerId, MerchantId};

/// Something about this customer's cards, requests or emails changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerChanged {
    pub merchant_id: String,
    pub customer_id: String,
}

/// What open streams hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Customer(CustomerChanged),
    /// Announcements from other instances may have been lost (the connection that listens for
    /// them dropped): any customer may have changed, every open profile should refetch.
    Unknown,
}

static CHANGES: LazyLock<broadcast::Sender<Change>> = LazyLock::new(|| broadcast::channel(1024).0);

/// Where announcements go to reach other instances, when a bridge runs.
static OUTGOING: Mutex<Option<mpsc::Sender<CustomerChanged>>> = Mutex::new(None);

static SHUTDOWN: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

/// Announces a change (after its transaction committed). Nobody listening is fine. Never waits:
/// the bridge sends it on to other instances in the background.
pub fn publish(merchant_id: MerchantId<'_>, customer_id: CustomerId<'_>) {
    let change = CustomerChanged {
        merchant_id: merchant_id.as_str().to_owned(),
        customer_id: customer_id.as_str().to_owned(),
    };
    let _ = CHANGES.send(Change::Customer(change.clone()));
    let outgoing = OUTGOING.lock().ok().and_then(|queue| queue.clone());
    if let Some(queue) = outgoing
        && let Err(mpsc::error::TrySendError::Full(_)) = queue.try_send(change)
    {
        tracing::warn!("live updates queue full: other instances miss one change");
    }
}

pub fn subscribe() -> broadcast::Receiver<Change> {
    CHANGES.subscribe()
}

/// A change announced by another instance, for this process' streams only.
fn relay(change: Change) {
    let _ = CHANGES.send(change);
}

/// From now on every announcement is also handed to `queue` (the latest bridge wins).
fn forward_to(queue: mpsc::Sender<CustomerChanged>) {
    if let Ok(mut slot) = OUTGOING.lock() {
        *slot = Some(queue);
    }
}

/// Ends every open stream: they would otherwise hold a graceful shutdown open forever.
pub fn shut_down() {
    SHUTDOWN.send_replace(true);
}

/// Completes once [`shut_down`] has been called.
pub async fn shutting_down() {
    let mut rx = SHUTDOWN.subscribe();
    let _ = rx.wait_for(|stopped| *stopped).await;
}

//! Live profile updates: whatever changes a customer's payment data (an email sent, a link
//! opened, a card saved) announces it here, and the profile's server-sent-events stream passes it
//! on to the merchants who have that profile open.
//!
//! In-process only: with several server instances an announcement reaches the browsers connected
//! to the instance where the change happened (a Postgres LISTEN/NOTIFY bridge would lift that).

use std::sync::LazyLock;

use tokio::sync::{broadcast, watch};

use crate::ids::{CustomerId, MerchantId};

/// Something about this customer's cards, requests or emails changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerChanged {
    pub merchant_id: String,
    pub customer_id: String,
}

static CHANGES: LazyLock<broadcast::Sender<CustomerChanged>> =
    LazyLock::new(|| broadcast::channel(1024).0);

static SHUTDOWN: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

/// Announces a change (after its transaction committed). Nobody listening is fine.
pub fn publish(merchant_id: MerchantId<'_>, customer_id: CustomerId<'_>) {
    let _ = CHANGES.send(CustomerChanged {
        merchant_id: merchant_id.as_str().to_owned(),
        customer_id: customer_id.as_str().to_owned(),
    });
}

pub fn subscribe() -> broadcast::Receiver<CustomerChanged> {
    CHANGES.subscribe()
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

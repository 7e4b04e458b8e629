//! The bridge between instances that share one Postgres database. Each process runs one: it sends
//! every change announced here to the others with `pg_notify` (the announcement is made after the
//! change committed, so whoever hears it can read it) and passes theirs on to its own streams,
//! listening on one connection of its own (`LISTEN`). Notifications are not stored: while that
//! connection is down others' changes are missed, so after reconnecting every open profile is
//! told to refetch ([`Change::Unknown`]).

use std::sync::LazyLock;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use super::{Change, CustomerChanged};

/// The `LISTEN`/`NOTIFY` channel.
pub const CHANNEL: &str = "cof_customer_changed";

/// Announcements waiting to be sent; beyond this a burst drops some (logged) rather than grow.
const QUEUE: usize = 1024;

/// Waits between attempts to listen again, doubling from the first to the last.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// This process, in its own notifications: it has already told its streams, it skips them.
static ORIGIN: LazyLock<String> = LazyLock::new(|| uuid::Uuid::new_v4().simple().to_string());

/// What travels in a notification's payload (JSON, far below Postgres' 8000-byte limit).
#[derive(serde::Serialize, serde::Deserialize)]
struct Notice {
    origin: String,
    #[serde(flatten)]
    change: CustomerChanged,
}

/// A connected bridge, listening already; [`Bridge::spawn`] starts passing changes both ways.
pub struct Bridge {
    db: DatabaseConnection,
    url: SecretString,
    listener: PgListener,
}

impl Bridge {
    /// Listens before it returns, so that nothing another instance announces once this one
    /// serves is missed. `url` is the database's: the listener has a connection of its own,
    /// outside the pool.
    pub async fn connect(
        db: &DatabaseConnection,
        url: &SecretString,
    ) -> Result<Self, sea_orm::sqlx::Error> {
        Ok(Self {
            db: db.clone(),
            url: url.clone(),
            listener: listen(url).await?,
        })
    }

    /// Sends this process' announcements out and passes the others' on, until shutdown.
    pub fn spawn(self) {
        let (queue, outgoing) = mpsc::channel(QUEUE);
        tokio::spawn(notify_others(self.db, outgoing));
        tokio::spawn(async move {
            tokio::select! {
                () = pass_on_others(self.listener, self.url) => {}
                () = super::shutting_down() => {}
            }
        });
        super::forward_to(queue);
    }
}

async fn listen(url: &SecretString) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url.expose_secret()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn notify_others(db: DatabaseConnection, mut outgoing: mpsc::Receiver<CustomerChanged>) {
    while let Some(change) = outgoing.recv().await {
        let notice = Notice {
            origin: ORIGIN.clone(),
            change,
        };
        let Ok(payload) = serde_json::to_string(&notice) else {
            continue;
        };
        let sent = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            ))
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not announce a change to other instances");
        }
    }
}

async fn pass_on_others(mut listener: PgListener, url: SecretString) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => pass_on(notification.payload()),
            // sqlx noticed the connection drop and listens again on a new one.
            Ok(None) => {
                tracing::warn!("listening for other instances' changes again after a drop");
                super::relay(Change::Unknown);
            }
            Err(err) => {
                tracing::warn!(error = %err, "lost the connection listening for other instances' changes");
                listener = listen_again(&url).await;
                super::relay(Change::Unknown);
            }
        }
    }
}

fn pass_on(payload: &str) {
    match serde_json::from_str::<Notice>(payload) {
        Ok(notice) if notice.origin == *ORIGIN => {}
        Ok(notice) => super::relay(Change::Customer(notice.change)),
        Err(err) => tracing::warn!(error = %err, "ignored a malformed change notification"),
    }
}

async fn listen_again(url: &SecretString) -> PgListener {
    let mut wait = RECONNECT_FIRST;
    loop {
        tokio::time::sleep(wait).await;
        match listen(url).await {
            Ok(listener) => return listener,
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?wait, "could not listen for other instances' changes");
                wait = (wait * 2).min(RECONNECT_MAX);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_small_json_naming_its_origin_and_the_customer() {
        let notice = Notice {
            origin: "abc".into(),
            change: CustomerChanged {
                merchant_id: "m1".into(),
                customer_id: "c1".into(),
            },
        };
        let json = serde_json::to_string(&notice).unwrap();
        assert_eq!(
            json,
            r#"{"origin":"abc","merchant_id":"m1","customer_id":"c1"}"#
        );
        let back: Notice = serde_json::from_str(&json).unwrap();
        assert_eq!(back.change.customer_id, "c1");
    }
}

//! Migration 0015: the profile's two lists that walked all of a merchant's rows are read through
//! an index of their own after it, and `down` takes both indexes away again. (After `down` the
//! test lists the indexes rather than asking for plans: a statement prepared before keeps its
//! plan.)
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const MIGRATION: &str = "m20261130_000015_profile_indexes";

/// The links a page of Notifications carried, as `links::carried_by_emails` asks.
const LINKS_OF_EMAILS: &str = "SELECT id FROM customer_links \
     WHERE merchant_id = 'm1' AND outbox_email_id IN ('e1', 'e2')";
/// Today's emails to customers, as the daily quota counts them.
const EMAILS_TODAY: &str = "SELECT COUNT(*) FROM outbox_emails \
     WHERE merchant_id = 'm1' AND kind IN ('card_request', 'payment_confirmation') \
     AND created_at >= '2026-11-30T00:00:00Z'";

/// The migration's indexes that exist.
async fn indexes(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN \
         ('ix_customer_links_outbox_email', 'ix_outbox_emails_merchant_created') ORDER BY name",
    ))
    .await
    .expect("list indexes")
    .iter()
    .map(|row| row.try_get::<String>("", "name").expect("a name"))
    .collect()
}

/// SQLite's plan for `sql`, one step a line.
async fn plan(db: &DatabaseConnection, sql: &str) -> String {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!("EXPLAIN QUERY PLAN {sql}"),
    ))
    .await
    .expect("explain")
    .iter()
    .map(|row| row.try_get::<String>("", "detail").expect("a detail"))
    .collect::<Vec<_>>()
    .join("\n")
}

#[tokio::test]
async fn the_profiles_lists_are_read_through_their_own_index_and_down_removes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, MIGRATION).await;
    let before = plan(&db, LINKS_OF_EMAILS).await;
    assert!(
        !before.contains("ix_customer_links_outbox_email"),
        "{before}"
    );

    Migrator::up(&db, Some(1)).await.expect("migration 0015");
    let links = plan(&db, LINKS_OF_EMAILS).await;
    assert!(
        links.contains("ix_customer_links_outbox_email (merchant_id=? AND outbox_email_id=?)"),
        "{links}"
    );
    let emails = plan(&db, EMAILS_TODAY).await;
    assert!(
        emails.contains("ix_outbox_emails_merchant_created (merchant_id=? AND created_at>?)"),
        "{emails}"
    );

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0015 down");
    assert!(indexes(&db).await.is_empty(), "both indexes are gone");
}

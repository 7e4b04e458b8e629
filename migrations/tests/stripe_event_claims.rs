//! Migration 0010 on a database with Stripe events in it: every event keeps its state and has no
//! claim; `down` gives the old table back, rows included.
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const CLAIMS: &str = "m20261130_000010_stripe_event_claims";

async fn insert_event(db: &DatabaseConnection, id: &str, processed_at: &str) {
    db.execute_unprepared(&format!(
        "INSERT INTO stripe_events (id, merchant_id, stripe_event_id, event_type, payload, \
         received_at, processed_at) VALUES ('{id}', 'm1', 'evt_{id}', 'setup_intent.succeeded', \
         '{{}}', '2026-11-30T10:00:00Z', {processed_at})"
    ))
    .await
    .expect("insert an event");
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<[Option<String>; 3]> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| [0, 1, 2].map(|i| row.try_get_by_index::<Option<String>>(i).ok().flatten()))
        .collect()
}

#[tokio::test]
async fn stored_events_keep_their_state_without_a_claim_and_down_restores_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, CLAIMS).await;
    insert_event(&db, "processed", "'2026-11-30T10:00:01Z'").await;
    insert_event(&db, "unprocessed", "NULL").await;

    Migrator::up(&db, Some(1)).await.expect("migration 0010");
    let events = rows(
        &db,
        "SELECT id, processed_at, processing_until FROM stripe_events ORDER BY id",
    )
    .await;
    assert_eq!(
        events,
        [
            [
                Some("processed".to_owned()),
                Some("2026-11-30T10:00:01Z".to_owned()),
                None
            ],
            [Some("unprocessed".to_owned()), None, None],
        ]
    );

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0010 down");
    let back = rows(
        &db,
        "SELECT id, processed_at, event_type FROM stripe_events ORDER BY id",
    )
    .await;
    assert_eq!(back.len(), 2, "{back:?}");
    let claim_column = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT processing_until FROM stripe_events",
        ))
        .await;
    assert!(claim_column.is_err(), "the column is gone");
}

//! Migration 0008 on a database that already holds both kinds of link: every row survives with
//! its token and state, and each gets the purpose its `charge_id` implied. `down` gives the old
//! table back, rows included.
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const MIGRATION: &str = "m20261130_000008_customer_links";

async fn insert_link(db: &DatabaseConnection, id: &str, status: &str, charge_id: Option<&str>) {
    let charge = charge_id.map_or("NULL".to_owned(), |c| format!("'{c}'"));
    db.execute_unprepared(&format!(
        "INSERT INTO card_requests (id, merchant_id, customer_id, token_hash, status, expires_at, \
         note, sent_by, created_at, updated_at, charge_id) VALUES ('{id}', 'm1', 'c1', \
         'digest-{id}', '{status}', '2026-12-07T10:00:00Z', 'a note', 's1', \
         '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z', {charge})"
    ))
    .await
    .expect("insert a link");
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| {
            (0..4)
                .map(|i| row.try_get_by_index::<String>(i).unwrap_or_default())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn both_kinds_of_link_migrate_with_their_purpose_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, MIGRATION).await;
    insert_link(&db, "card-request", "completed", None).await;
    insert_link(&db, "confirm-payment", "pending", Some("ch1")).await;

    Migrator::up(&db, Some(1)).await.expect("migration 0008");
    let links = rows(
        &db,
        "SELECT id, purpose, status, token_hash FROM customer_links ORDER BY id",
    )
    .await;
    assert_eq!(
        links,
        [
            [
                "card-request",
                "save_card",
                "completed",
                "digest-card-request"
            ],
            [
                "confirm-payment",
                "confirm_payment",
                "pending",
                "digest-confirm-payment"
            ],
        ]
    );

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0008 down");
    let back = rows(
        &db,
        "SELECT id, status, token_hash, note FROM card_requests ORDER BY id",
    )
    .await;
    assert_eq!(back.len(), 2, "{back:?}");
    assert_eq!(back[1][0], "confirm-payment");
}

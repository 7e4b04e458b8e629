//! Migration 0014 on SQLite with customers in it: the trigram index starts with every existing
//! customer, follows inserts, edits and deletes, and `down` removes it.
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const SEARCH: &str = "m20261130_000014_customer_search";

async fn insert_customer(db: &DatabaseConnection, id: &str, search_text: &str) {
    db.execute_unprepared(&format!(
        "INSERT INTO customers (id, merchant_id, first_name, last_name, notes, sort_key, \
         search_text, created_at, updated_at) VALUES ('{id}', 'm-1', 'First', 'Last', '', \
         '{search_text}', '{search_text}', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')"
    ))
    .await
    .expect("insert a customer");
}

/// The customers the index finds for `%term%`.
async fn found(db: &DatabaseConnection, term: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id FROM customers WHERE rowid IN \
                 (SELECT rowid FROM customers_search WHERE search_text LIKE '%{term}%') ORDER BY id"
            ),
        ))
        .await
        .expect("search");
    rows.iter()
        .map(|row| row.try_get::<String>("", "id").expect("an id"))
        .collect()
}

#[tokio::test]
async fn the_index_holds_existing_customers_and_follows_every_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, SEARCH).await;
    insert_customer(&db, "c-ada", "ada lovelace ada@example.com").await;
    insert_customer(&db, "c-grace", "grace hopper grace@navy.example").await;

    Migrator::up(&db, Some(1)).await.expect("migration 0014");
    assert_eq!(
        found(&db, "lovelace").await,
        ["c-ada"],
        "existing rows indexed"
    );
    assert_eq!(found(&db, "example").await, ["c-ada", "c-grace"]);

    insert_customer(&db, "c-alan", "alan turing alan@bletchley.example").await;
    assert_eq!(found(&db, "bletchley").await, ["c-alan"], "an insert");
    db.execute_unprepared(
        "UPDATE customers SET search_text = 'ada byron ada@example.com' WHERE id = 'c-ada'",
    )
    .await
    .expect("edit");
    assert!(
        found(&db, "lovelace").await.is_empty(),
        "the old text is gone"
    );
    assert_eq!(
        found(&db, "byron").await,
        ["c-ada"],
        "the new text is found"
    );
    db.execute_unprepared("UPDATE customers SET notes = 'x' WHERE id = 'c-grace'")
        .await
        .expect("a change that leaves the text");
    assert_eq!(found(&db, "hopper").await, ["c-grace"]);
    db.execute_unprepared("DELETE FROM customers WHERE id = 'c-alan'")
        .await
        .expect("delete");
    assert!(found(&db, "bletchley").await.is_empty(), "a delete");

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0014 down");
    let gone = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT rowid FROM customers_search",
        ))
        .await;
    assert!(gone.is_err(), "the index is gone");
    insert_customer(&db, "c-after", "after down").await;
}

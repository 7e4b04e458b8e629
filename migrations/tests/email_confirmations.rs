//! Migration 0013 on a database with merchants in it: owners who signed up before email
//! confirmation existed are confirmed (they keep sending), other staff get nothing, and no
//! token can match their rows; `down` removes the table.
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const CONFIRMATIONS: &str = "m20261130_000013_email_confirmations";

async fn insert_staff(db: &DatabaseConnection, id: &str, role: &str) {
    db.execute_unprepared(&format!(
        "INSERT INTO staff_users (id, merchant_id, name, email, password_hash, role, created_at) \
         VALUES ('{id}', 'm-{id}', 'Name', '{id}@example.com', 'x', '{role}', \
         '2026-11-30T10:00:00Z')"
    ))
    .await
    .expect("insert a staff member");
}

#[tokio::test]
async fn owners_before_the_migration_are_confirmed_and_down_drops_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, CONFIRMATIONS).await;
    insert_staff(&db, "owner", "owner").await;
    insert_staff(&db, "clerk", "staff").await;

    Migrator::up(&db, Some(1)).await.expect("migration 0013");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT merchant_id, email, token_digest, confirmed_at FROM email_confirmations",
        ))
        .await
        .expect("query");
    assert_eq!(rows.len(), 1, "only the owner is confirmed");
    let get = |column: &str| {
        rows[0]
            .try_get::<Option<String>>("", column)
            .expect("a column")
    };
    assert_eq!(get("merchant_id").as_deref(), Some("m-owner"));
    assert_eq!(get("email").as_deref(), Some("owner@example.com"));
    assert!(get("confirmed_at").is_some());
    let digest = get("token_digest").expect("a digest");
    assert!(
        !digest.chars().all(|c| c.is_ascii_hexdigit()),
        "no SHA-256 of a token can equal {digest}"
    );

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0013 down");
    let gone = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM email_confirmations",
        ))
        .await;
    assert!(gone.is_err(), "the table is gone");
}

//! Migration 0009 on a database with Stripe ids already saved: customers and cards of a connected
//! merchant get that connection's account and mode; those of a merchant not connected stay
//! unknown (NULL). `down` removes the columns and keeps the rows.
#![allow(clippy::expect_used)]

mod support;

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const MIGRATION: &str = "m20261130_000009_stripe_account_scope";

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| {
            (0..3)
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            row.try_get_by_index::<Option<bool>>(i)
                                .ok()
                                .flatten()
                                .map(|b| b.to_string())
                        })
                        .unwrap_or_else(|| "NULL".to_owned())
                })
                .collect()
        })
        .collect()
}

async fn customer(db: &DatabaseConnection, id: &str, merchant: &str, stripe: &str) {
    exec(
        db,
        &format!(
            "INSERT INTO customers (id, merchant_id, first_name, last_name, notes, \
             stripe_customer_id, sort_key, search_text, created_at, updated_at) VALUES \
             ('{id}', '{merchant}', 'Ada', 'Lovelace', '', {stripe}, 'k', 's', \
             '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')"
        ),
    )
    .await;
}

async fn card(db: &DatabaseConnection, id: &str, merchant: &str) {
    exec(
        db,
        &format!(
            "INSERT INTO payment_options (id, merchant_id, customer_id, stripe_payment_method_id, \
             brand, last4, exp_month, exp_year, is_default, source, created_at, updated_at) \
             VALUES ('{id}', '{merchant}', 'c-{merchant}', 'pm_{id}', 'visa', '4242', 12, 2034, \
             true, 'staff', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00Z')"
        ),
    )
    .await;
}

#[tokio::test]
async fn saved_stripe_ids_get_the_account_of_their_merchants_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = support::database_before(&dir, MIGRATION).await;
    exec(
        &db,
        "INSERT INTO stripe_connections (merchant_id, account_id, publishable_key, \
         secret_key_sealed, webhook_secret_sealed, livemode, emulated, connected_at) VALUES \
         ('connected', 'acct_A', 'pk_test_a', 's', 'w', false, false, '2026-11-30T10:00:00Z')",
    )
    .await;
    customer(&db, "c-connected", "connected", "'cus_A'").await;
    customer(&db, "c-never-asked", "connected", "NULL").await;
    customer(&db, "c-offline", "offline", "'cus_B'").await;
    card(&db, "connected", "connected").await;
    card(&db, "offline", "offline").await;

    Migrator::up(&db, Some(1)).await.expect("migration 0009");
    assert_eq!(
        rows(
            &db,
            "SELECT id, stripe_account_id, stripe_livemode FROM customers ORDER BY id"
        )
        .await,
        [
            ["c-connected", "acct_A", "false"],
            ["c-never-asked", "NULL", "NULL"],
            ["c-offline", "NULL", "NULL"],
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT id, stripe_account_id, stripe_livemode FROM payment_options ORDER BY id"
        )
        .await,
        [
            ["connected", "acct_A", "false"],
            ["offline", "NULL", "NULL"]
        ]
    );

    Migrator::down(&db, Some(1))
        .await
        .expect("migration 0009 down");
    let back = rows(
        &db,
        "SELECT id, stripe_customer_id, merchant_id FROM customers ORDER BY id",
    )
    .await;
    assert_eq!(back.len(), 3);
    assert_eq!(back[0], ["c-connected", "cus_A", "connected"]);
}

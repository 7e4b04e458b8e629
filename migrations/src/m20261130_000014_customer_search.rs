//! Customer search served by an index. The list's search is a substring match ("ada" finds
//! "Lovelace, Ada"; "0109" finds "+1 555 010 9999"), which a b-tree cannot serve: without this,
//! each search reads every customer of the merchant (90 ms at 100,000 customers against 2 ms at
//! 100). Both databases get a trigram index over `customers.search_text`:
//!
//! - Postgres: `pg_trgm`'s GIN operator class, which serves `LIKE '%term%'` directly.
//! - SQLite: an FTS5 table with the trigram tokenizer, `customers_search`, whose rows are the
//!   customers' (external content, same rowid) and kept in step by triggers. The list asks it for
//!   candidates and still checks `search_text` on the customer row, so the answer is exact.
//!
//! SQLite's `VACUUM` may renumber the rowids of a table without an INTEGER PRIMARY KEY; after
//! one, rebuild the index: `INSERT INTO customers_search(customers_search) VALUES ('rebuild')`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE customers_search USING fts5(\
        search_text, content='customers', content_rowid='rowid', tokenize='trigram')",
    "INSERT INTO customers_search(customers_search) VALUES ('rebuild')",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN \
        INSERT INTO customers_search(rowid, search_text) VALUES (new.rowid, new.search_text); \
     END",
    "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN \
        INSERT INTO customers_search(customers_search, rowid, search_text) \
            VALUES ('delete', old.rowid, old.search_text); \
     END",
    // Only when the text changes: saving a customer's Stripe id rewrites the row, not its text.
    "CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers \
     WHEN old.search_text IS NOT new.search_text BEGIN \
        INSERT INTO customers_search(customers_search, rowid, search_text) \
            VALUES ('delete', old.rowid, old.search_text); \
        INSERT INTO customers_search(rowid, search_text) VALUES (new.rowid, new.search_text); \
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS customers_search_update",
    "DROP TRIGGER IF EXISTS customers_search_delete",
    "DROP TRIGGER IF EXISTS customers_search_insert",
    "DROP TABLE IF EXISTS customers_search",
];

// The extension ships with Postgres (contrib); creating it needs a role allowed to (the database
// owner on Postgres 13+, as pg_trgm is a trusted extension).
const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_customers_search_trgm ON customers \
        USING gin (search_text gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX IF EXISTS ix_customers_search_trgm"];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, SQLITE_UP).await,
            DbBackend::Postgres => run(manager, POSTGRES_UP).await,
            other => Err(DbErr::Migration(format!("unsupported database: {other:?}"))),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, SQLITE_DOWN).await,
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            other => Err(DbErr::Migration(format!("unsupported database: {other:?}"))),
        }
    }
}

//! What every migration test starts from: a SQLite file of its own, through one connection with
//! foreign keys off — so the rows a test inserts can stand alone, without the merchants and
//! customers their keys name — migrated up to just before the migration under test.

use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// A database in `dir` with every migration before `migration` (its name) applied.
pub async fn database_before(dir: &tempfile::TempDir, migration: &str) -> DatabaseConnection {
    let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
    // One connection, so the pragma holds for every statement.
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).min_connections(1);
    let db = Database::connect(options).await.expect("connect");
    db.execute_unprepared("PRAGMA foreign_keys = OFF")
        .await
        .expect("pragma");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == migration)
        .expect("the migration is listed");
    Migrator::up(&db, Some(u32::try_from(before).expect("a few migrations")))
        .await
        .expect("the migrations before it");
    db
}

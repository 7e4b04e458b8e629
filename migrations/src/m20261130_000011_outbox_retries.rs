//! A failed email can be retried by the merchant: `requeued_at` is when that last happened, and
//! the outbox's retry time counts from it instead of from the email's creation (a retry gets the
//! whole budget again). Emails already stored have never been retried.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    RequeuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .add_column(
                        ColumnDef::new(OutboxEmails::RequeuedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .drop_column(OutboxEmails::RequeuedAt)
                    .to_owned(),
            )
            .await
    }
}

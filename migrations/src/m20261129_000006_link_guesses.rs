//! Unknown card-link tokens per client, kept briefly: a client guessing tokens is slowed down.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LinkGuesses {
    Table,
    Id,
    ClientIp,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkGuesses::Table)
                    .col(
                        ColumnDef::new(LinkGuesses::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LinkGuesses::ClientIp)
                            .string_len(45)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LinkGuesses::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_link_guesses_ip")
                    .table(LinkGuesses::Table)
                    .col(LinkGuesses::ClientIp)
                    .col(LinkGuesses::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LinkGuesses::Table).to_owned())
            .await
    }
}

//! Sign-up attempts per client address, kept briefly: a client signing up in bulk is refused.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignUpAttempts {
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
                    .table(SignUpAttempts::Table)
                    .col(
                        ColumnDef::new(SignUpAttempts::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SignUpAttempts::ClientIp)
                            .string_len(45)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignUpAttempts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sign_up_attempts_ip")
                    .table(SignUpAttempts::Table)
                    .col(SignUpAttempts::ClientIp)
                    .col(SignUpAttempts::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignUpAttempts::Table).to_owned())
            .await
    }
}

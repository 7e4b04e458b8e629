//! Failed sign-ins, kept briefly to slow down password guessing. Lives in the database so every
//! server instance sees the same counts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Id,
    EmailDigest,
    ClientIp,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    .col(
                        ColumnDef::new(SignInFailures::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    // SHA-256 of the lower-cased email: counts guesses without keeping addresses.
                    .col(
                        ColumnDef::new(SignInFailures::EmailDigest)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInFailures::ClientIp)
                            .string_len(45)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SignInFailures::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sign_in_failures_email")
                    .table(SignInFailures::Table)
                    .col(SignInFailures::EmailDigest)
                    .col(SignInFailures::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sign_in_failures_ip")
                    .table(SignInFailures::Table)
                    .col(SignInFailures::ClientIp)
                    .col(SignInFailures::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInFailures::Table).to_owned())
            .await
    }
}

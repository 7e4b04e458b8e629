//! A merchant proves its email address before anything is sent to its customers: each row is a
//! confirmation link sent to the owner (only the token's SHA-256 is kept), `confirmed_at` set
//! once it was opened. A merchant is confirmed when one of its rows is. Merchants that signed up
//! before confirmation existed keep sending: their owners get a confirmed row here.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailConfirmations {
    Table,
    Id,
    MerchantId,
    StaffUserId,
    Email,
    TokenDigest,
    ExpiresAt,
    ConfirmedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailConfirmations::Table)
                    .col(
                        ColumnDef::new(EmailConfirmations::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::MerchantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::StaffUserId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::Email)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::TokenDigest)
                            .string_len(80)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::ConfirmedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(EmailConfirmations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailConfirmations::Table, EmailConfirmations::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_email_confirmations_merchant")
                    .table(EmailConfirmations::Table)
                    .col(EmailConfirmations::MerchantId)
                    .col(EmailConfirmations::ConfirmedAt)
                    .to_owned(),
            )
            .await?;
        // Owners who signed up before this migration: confirmed as of their sign-up. The digest
        // is no SHA-256 (not hex), so no token can ever match it.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO email_confirmations \
                 (id, merchant_id, staff_user_id, email, token_digest, expires_at, confirmed_at, \
                 created_at) \
                 SELECT id, merchant_id, id, email, 'before-confirmation:' || id, created_at, \
                 created_at, created_at FROM staff_users WHERE role = 'owner'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailConfirmations::Table).to_owned())
            .await
    }
}

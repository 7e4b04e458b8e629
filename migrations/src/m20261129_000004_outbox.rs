//! The email outbox: every email is written here first (in the caller's transaction) and a worker
//! sends it, with retries, leases and a stable Message-ID.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    Id,
    MerchantId,
    CustomerId,
    /// `card_request`, `card_saved_notice`, …
    Kind,
    Recipient,
    /// The merchant's display name in From.
    FromName,
    ReplyTo,
    Subject,
    BodyText,
    BodyHtml,
    /// RFC 5322 Message-ID fixed at enqueue, so a resend after a crash is the same message.
    MessageId,
    /// `queued` | `sending` | `sent` | `failed`
    State,
    Attempts,
    NextAttemptAt,
    /// While `sending`: the claim expires then, and another worker may take the row over.
    LeaseUntil,
    LastError,
    SentAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEmails::Table)
                    .col(
                        ColumnDef::new(OutboxEmails::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::MerchantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::CustomerId)
                            .string_len(36)
                            .null(),
                    )
                    .col(ColumnDef::new(OutboxEmails::Kind).string_len(50).not_null())
                    .col(
                        ColumnDef::new(OutboxEmails::Recipient)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::FromName)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEmails::ReplyTo).string_len(254).null())
                    .col(
                        ColumnDef::new(OutboxEmails::Subject)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEmails::BodyText).text().not_null())
                    .col(ColumnDef::new(OutboxEmails::BodyHtml).text().not_null())
                    .col(
                        ColumnDef::new(OutboxEmails::MessageId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::State)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEmails::Attempts).integer().not_null())
                    .col(
                        ColumnDef::new(OutboxEmails::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(OutboxEmails::LastError).text().null())
                    .col(
                        ColumnDef::new(OutboxEmails::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxEmails::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboxEmails::Table, OutboxEmails::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker: due rows in order.
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_emails_due")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::State)
                    .col(OutboxEmails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The profile's Notifications list, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_emails_customer")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MerchantId)
                    .col(OutboxEmails::CustomerId)
                    .col(OutboxEmails::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxEmails::Table).to_owned())
            .await
    }
}

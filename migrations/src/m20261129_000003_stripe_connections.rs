//! A merchant's MioPay (Stripe) connection, and the Stripe events we have received.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StripeConnections {
    Table,
    MerchantId,
    AccountId,
    PublishableKey,
    /// AES-256-GCM sealed; never stored in clear.
    SecretKeySealed,
    WebhookSecretSealed,
    Livemode,
    /// Connected to the in-process emulator (demo), not to api.stripe.com.
    Emulated,
    ConnectedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    MerchantId,
    StripeEventId,
    EventType,
    Payload,
    ReceivedAt,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StripeConnections::Table)
                    .col(
                        ColumnDef::new(StripeConnections::MerchantId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::AccountId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::PublishableKey)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::SecretKeySealed)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::WebhookSecretSealed)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::Livemode)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::Emulated)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeConnections::ConnectedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StripeConnections::Table, StripeConnections::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(
                        ColumnDef::new(StripeEvents::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::MerchantId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::StripeEventId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::EventType)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(StripeEvents::Payload).text().not_null())
                    .col(
                        ColumnDef::new(StripeEvents::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::ProcessedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StripeEvents::Table, StripeEvents::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Stripe may deliver an event more than once: the unique index makes the second a no-op.
        manager
            .create_index(
                Index::create()
                    .name("ux_stripe_events_event")
                    .table(StripeEvents::Table)
                    .col(StripeEvents::MerchantId)
                    .col(StripeEvents::StripeEventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_stripe_events_unprocessed")
                    .table(StripeEvents::Table)
                    .col(StripeEvents::ProcessedAt)
                    .col(StripeEvents::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StripeConnections::Table).to_owned())
            .await
    }
}

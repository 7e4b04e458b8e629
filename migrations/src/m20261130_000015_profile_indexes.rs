//! Two lists the customer profile reads on every load had only the merchant's prefix of an index
//! to go on, so each read walked all of the merchant's rows, a number that only grows:
//!
//! - the links its Notifications carried (`customer_links` by `outbox_email_id`), and
//! - today's emails to customers, for the daily quota the Actions panel shows (`outbox_emails`
//!   by `created_at`; Send Email asks the same before it writes).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerLinks {
    Table,
    MerchantId,
    OutboxEmailId,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    MerchantId,
    CreatedAt,
}

const LINKS_BY_EMAIL: &str = "ix_customer_links_outbox_email";
const EMAILS_BY_DAY: &str = "ix_outbox_emails_merchant_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(LINKS_BY_EMAIL)
                    .table(CustomerLinks::Table)
                    .col(CustomerLinks::MerchantId)
                    .col(CustomerLinks::OutboxEmailId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EMAILS_BY_DAY)
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MerchantId)
                    .col(OutboxEmails::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(EMAILS_BY_DAY)
                    .table(OutboxEmails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(LINKS_BY_EMAIL)
                    .table(CustomerLinks::Table)
                    .to_owned(),
            )
            .await
    }
}

//! A Stripe event is claimed before its handler runs: `processing_until` is the end of the claim
//! of the delivery (on any instance) processing it now. Another delivery of the same event leaves
//! it alone until then; a claim that ran out — its process died mid-run — can be taken again.
//! Events already stored have no claim.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    ProcessingUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StripeEvents::Table)
                    .add_column(
                        ColumnDef::new(StripeEvents::ProcessingUntil)
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
                    .table(StripeEvents::Table)
                    .drop_column(StripeEvents::ProcessingUntil)
                    .to_owned(),
            )
            .await
    }
}

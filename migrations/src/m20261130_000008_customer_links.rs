//! A customer link is its own concept: `card_requests` becomes `customer_links`, and each row says
//! what it is for (`purpose`: `save_card`, or `confirm_payment` for the links that ask a customer
//! to confirm a charge). Existing rows keep their ids, tokens and states; the purpose of each is
//! read from `charge_id`, which only payment-confirmation links have.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CardRequests {
    Table,
}

#[derive(DeriveIden)]
enum CustomerLinks {
    Table,
    Purpose,
    ChargeId,
    MerchantId,
    CustomerId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .rename_table(
                Table::rename()
                    .table(CardRequests::Table, CustomerLinks::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerLinks::Table)
                    .add_column(
                        ColumnDef::new(CustomerLinks::Purpose)
                            .string_len(24)
                            .not_null()
                            .default("save_card"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(CustomerLinks::Table)
                    .value(CustomerLinks::Purpose, "confirm_payment")
                    .and_where(Expr::col(CustomerLinks::ChargeId).is_not_null())
                    .to_owned(),
            )
            .await?;
        // "The customer's pending card request" and "the charge's links" are the lookups by
        // purpose: one index serves both with the customer's newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_links_purpose")
                    .table(CustomerLinks::Table)
                    .col(CustomerLinks::MerchantId)
                    .col(CustomerLinks::CustomerId)
                    .col(CustomerLinks::Purpose)
                    .col(CustomerLinks::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_customer_links_purpose")
                    .table(CustomerLinks::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerLinks::Table)
                    .drop_column(CustomerLinks::Purpose)
                    .to_owned(),
            )
            .await?;
        manager
            .rename_table(
                Table::rename()
                    .table(CustomerLinks::Table, CardRequests::Table)
                    .to_owned(),
            )
            .await
    }
}

//! Stripe ids belong to one Stripe account, in one mode (test or live): a customer's Stripe
//! customer and a saved card are unusable in any other. Each row that keeps such an id now also
//! keeps the account (`acct_…`) and `livemode` it was made in. Existing rows are given the
//! merchant's current connection, the only account they can have been made in so far; rows of a
//! merchant not connected now stay NULL ("not known", treated as the current account).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    StripeAccountId,
    StripeLivemode,
}

#[derive(DeriveIden)]
enum PaymentOptions {
    Table,
    StripeAccountId,
    StripeLivemode,
}

/// Fills both columns of `table` from the merchant's connection, for rows where `has_id` holds.
fn backfill(table: &str, has_id: &str) -> String {
    let from = |column: &str| {
        format!(
            "(SELECT stripe_connections.{column} FROM stripe_connections \
             WHERE stripe_connections.merchant_id = {table}.merchant_id)"
        )
    };
    format!(
        "UPDATE {table} SET stripe_account_id = {}, stripe_livemode = {} WHERE {has_id}",
        from("account_id"),
        from("livemode")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns: [(DynIden, DynIden, bool); 4] = [
            (
                Customers::Table.into_iden(),
                Customers::StripeAccountId.into_iden(),
                false,
            ),
            (
                Customers::Table.into_iden(),
                Customers::StripeLivemode.into_iden(),
                true,
            ),
            (
                PaymentOptions::Table.into_iden(),
                PaymentOptions::StripeAccountId.into_iden(),
                false,
            ),
            (
                PaymentOptions::Table.into_iden(),
                PaymentOptions::StripeLivemode.into_iden(),
                true,
            ),
        ];
        for (table, column, boolean) in columns {
            let mut def = ColumnDef::new(column);
            if boolean {
                def.boolean().null();
            } else {
                def.string_len(64).null();
            }
            manager
                .alter_table(Table::alter().table(table).add_column(&mut def).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(&backfill("customers", "stripe_customer_id IS NOT NULL"))
            .await?;
        db.execute_unprepared(&backfill("payment_options", "1 = 1"))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns: [(DynIden, DynIden); 4] = [
            (
                Customers::Table.into_iden(),
                Customers::StripeAccountId.into_iden(),
            ),
            (
                Customers::Table.into_iden(),
                Customers::StripeLivemode.into_iden(),
            ),
            (
                PaymentOptions::Table.into_iden(),
                PaymentOptions::StripeAccountId.into_iden(),
            ),
            (
                PaymentOptions::Table.into_iden(),
                PaymentOptions::StripeLivemode.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

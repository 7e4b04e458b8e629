//! Merchants, their staff, server-side sessions and customers.
//!
//! Ids are UUIDv7 strings: not guessable across merchants, time-ordered for index locality, and the
//! same column type on SQLite and Postgres. Timestamps are UTC.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    BusinessName,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
    MerchantId,
    Name,
    Email,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    StaffUserId,
    MerchantId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    MerchantId,
    FirstName,
    LastName,
    Email,
    EmailNormalized,
    Phone,
    Notes,
    StripeCustomerId,
    SortKey,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

fn id_col<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(36)
        .not_null()
        .primary_key()
        .take()
}

fn fk_col<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).string_len(36).not_null().take()
}

fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .col(id_col(Merchants::Id))
                    .col(
                        ColumnDef::new(Merchants::BusinessName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(timestamp(Merchants::CreatedAt))
                    .col(timestamp(Merchants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffUsers::Table)
                    .col(id_col(StaffUsers::Id))
                    .col(fk_col(StaffUsers::MerchantId))
                    .col(ColumnDef::new(StaffUsers::Name).string_len(120).not_null())
                    // Stored lower-cased: sign-in looks staff up by email across merchants.
                    .col(ColumnDef::new(StaffUsers::Email).string_len(254).not_null())
                    .col(ColumnDef::new(StaffUsers::PasswordHash).string().not_null())
                    // owner | staff — invitations of further staff reuse this table.
                    .col(ColumnDef::new(StaffUsers::Role).string_len(16).not_null())
                    .col(timestamp(StaffUsers::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffUsers::Table, StaffUsers::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_staff_users_email")
                    .table(StaffUsers::Table)
                    .col(StaffUsers::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_staff_users_merchant")
                    .table(StaffUsers::Table)
                    .col(StaffUsers::MerchantId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    // SHA-256 (hex) of the cookie's token: a copy of the table grants no session.
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(fk_col(Sessions::StaffUserId))
                    .col(fk_col(Sessions::MerchantId))
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::StaffUserId)
                            .to(StaffUsers::Table, StaffUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_staff_user")
                    .table(Sessions::Table)
                    .col(Sessions::StaffUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(id_col(Customers::Id))
                    .col(fk_col(Customers::MerchantId))
                    .col(
                        ColumnDef::new(Customers::FirstName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Customers::LastName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Customers::Email).string_len(254).null())
                    .col(
                        ColumnDef::new(Customers::EmailNormalized)
                            .string_len(254)
                            .null(),
                    )
                    .col(ColumnDef::new(Customers::Phone).string_len(40).null())
                    .col(ColumnDef::new(Customers::Notes).text().not_null())
                    .col(
                        ColumnDef::new(Customers::StripeCustomerId)
                            .string_len(255)
                            .null(),
                    )
                    // Lower-cased "last first": the list's order and its keyset cursor.
                    .col(
                        ColumnDef::new(Customers::SortKey)
                            .string_len(210)
                            .not_null(),
                    )
                    // Lower-cased name, email and phone (digits too) for the list's search box.
                    .col(ColumnDef::new(Customers::SearchText).text().not_null())
                    .col(timestamp(Customers::CreatedAt))
                    .col(timestamp(Customers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // NULL emails never collide (NULLs are distinct in both engines).
        manager
            .create_index(
                Index::create()
                    .name("ux_customers_merchant_email")
                    .table(Customers::Table)
                    .col(Customers::MerchantId)
                    .col(Customers::EmailNormalized)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_merchant_sort")
                    .table(Customers::Table)
                    .col(Customers::MerchantId)
                    .col(Customers::SortKey)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Customers::Table.into_iden(),
            Sessions::Table.into_iden(),
            StaffUsers::Table.into_iden(),
            Merchants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Card requests (the emailed link, stored as a SHA-256 of its token) and payment options (the
//! cards on file), plus how long a merchant's links stay valid.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    /// Days a card link stays valid (default 7).
    CardLinkValidityDays,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CardRequests {
    Table,
    Id,
    MerchantId,
    CustomerId,
    /// Hex SHA-256 of the link's token; the token itself is never stored.
    TokenHash,
    /// `pending` | `completed` | `revoked` (expiry is read from `expires_at`).
    Status,
    ExpiresAt,
    Note,
    /// The staff member who sent it; told when the card is saved.
    SentBy,
    /// The email that carried the link (its delivery state shows in Notifications).
    OutboxEmailId,
    /// Created when the customer first opens the page, reused after.
    SetupIntentId,
    OpenedAt,
    CompletedAt,
    RevokedAt,
    PaymentOptionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentOptions {
    Table,
    Id,
    MerchantId,
    CustomerId,
    StripePaymentMethodId,
    Brand,
    Last4,
    ExpMonth,
    ExpYear,
    IsDefault,
    /// `customer_link` | `staff`
    Source,
    AddedByStaffId,
    CardRequestId,
    CreatedAt,
    UpdatedAt,
}

fn id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(36).not_null().to_owned()
}

fn time_col<T: IntoIden>(col: T, required: bool) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.timestamp_with_time_zone();
    if required {
        def.not_null()
    } else {
        def.null()
    };
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .add_column(
                        ColumnDef::new(Merchants::CardLinkValidityDays)
                            .integer()
                            .not_null()
                            .default(7),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentOptions::Table)
                    .col(id_col(PaymentOptions::Id).primary_key())
                    .col(id_col(PaymentOptions::MerchantId))
                    .col(id_col(PaymentOptions::CustomerId))
                    .col(
                        ColumnDef::new(PaymentOptions::StripePaymentMethodId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::Brand)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::Last4)
                            .string_len(4)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::ExpMonth)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PaymentOptions::ExpYear).integer().not_null())
                    .col(
                        ColumnDef::new(PaymentOptions::IsDefault)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::Source)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::AddedByStaffId)
                            .string_len(36)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PaymentOptions::CardRequestId)
                            .string_len(36)
                            .null(),
                    )
                    .col(time_col(PaymentOptions::CreatedAt, true))
                    .col(time_col(PaymentOptions::UpdatedAt, true))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentOptions::Table, PaymentOptions::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentOptions::Table, PaymentOptions::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One row per Stripe payment method: the page and the webhook completing together
        // cannot both insert it.
        manager
            .create_index(
                Index::create()
                    .name("ux_payment_options_stripe_pm")
                    .table(PaymentOptions::Table)
                    .col(PaymentOptions::MerchantId)
                    .col(PaymentOptions::StripePaymentMethodId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The profile's Payment Options.
        manager
            .create_index(
                Index::create()
                    .name("ix_payment_options_customer")
                    .table(PaymentOptions::Table)
                    .col(PaymentOptions::MerchantId)
                    .col(PaymentOptions::CustomerId)
                    .col(PaymentOptions::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CardRequests::Table)
                    .col(id_col(CardRequests::Id).primary_key())
                    .col(id_col(CardRequests::MerchantId))
                    .col(id_col(CardRequests::CustomerId))
                    .col(
                        ColumnDef::new(CardRequests::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CardRequests::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(time_col(CardRequests::ExpiresAt, true))
                    .col(ColumnDef::new(CardRequests::Note).text().not_null())
                    .col(id_col(CardRequests::SentBy))
                    .col(
                        ColumnDef::new(CardRequests::OutboxEmailId)
                            .string_len(36)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CardRequests::SetupIntentId)
                            .string_len(255)
                            .null(),
                    )
                    .col(time_col(CardRequests::OpenedAt, false))
                    .col(time_col(CardRequests::CompletedAt, false))
                    .col(time_col(CardRequests::RevokedAt, false))
                    .col(
                        ColumnDef::new(CardRequests::PaymentOptionId)
                            .string_len(36)
                            .null(),
                    )
                    .col(time_col(CardRequests::CreatedAt, true))
                    .col(time_col(CardRequests::UpdatedAt, true))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CardRequests::Table, CardRequests::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CardRequests::Table, CardRequests::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The card page's lookup.
        manager
            .create_index(
                Index::create()
                    .name("ux_card_requests_token_hash")
                    .table(CardRequests::Table)
                    .col(CardRequests::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The profile: the pending request and the Notifications timeline.
        manager
            .create_index(
                Index::create()
                    .name("ix_card_requests_customer")
                    .table(CardRequests::Table)
                    .col(CardRequests::MerchantId)
                    .col(CardRequests::CustomerId)
                    .col(CardRequests::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The webhook's lookup by SetupIntent.
        manager
            .create_index(
                Index::create()
                    .name("ix_card_requests_setup_intent")
                    .table(CardRequests::Table)
                    .col(CardRequests::MerchantId)
                    .col(CardRequests::SetupIntentId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CardRequests::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PaymentOptions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .drop_column(Merchants::CardLinkValidityDays)
                    .to_owned(),
            )
            .await
    }
}

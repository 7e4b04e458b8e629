//! Charging: bookings, charges (written before Stripe is called, with their idempotency key),
//! refunds, the activity log, the merchant's currency, removed cards kept for history, and card
//! links that ask a customer to confirm a payment instead of saving a card.
//!
//! Money is always an integer count of the currency's minor units (`BIGINT`), never a float.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Merchants {
    Table,
    Id,
    /// ISO 4217, lower case (`usd`): the currency of new bookings and charges.
    Currency,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentOptions {
    Table,
    /// Set when the card is removed (detached at Stripe); the row stays for history.
    RemovedAt,
    RemovedByStaffId,
    RemovalReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum CardRequests {
    Table,
    /// Set when the link asks the customer to confirm this charge (3-D Secure) instead of
    /// saving a card.
    ChargeId,
    MerchantId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Bookings {
    Table,
    Id,
    MerchantId,
    CustomerId,
    /// What was booked: "Sunset kayak tour".
    Title,
    StartsAt,
    Participants,
    TotalAmount,
    Currency,
    /// Sum of succeeded charges.
    PaidAmount,
    /// Sum of succeeded refunds of those charges.
    RefundedAmount,
    /// The card meant to pay for it (the default card when the booking was made).
    PaymentOptionId,
    CreatedByStaffId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Charges {
    Table,
    Id,
    MerchantId,
    CustomerId,
    BookingId,
    PaymentOptionId,
    /// The browser's key for one submission of the charge form: a double click or a retry of
    /// the same submission finds this row instead of making another.
    RequestKey,
    /// Sent to Stripe as `Idempotency-Key`; derived from the row, never reused for another charge.
    IdempotencyKey,
    Amount,
    Currency,
    Description,
    /// `pending` (row written, Stripe's answer not recorded yet) | `succeeded` | `requires_action`
    /// (waiting for the customer) | `failed`.
    Status,
    StripePaymentIntentId,
    FailureCode,
    DeclineCode,
    FailureMessage,
    RefundedAmount,
    SendReceipt,
    CreatedByStaffId,
    /// Stripe calls made for this row (the reconciler's included).
    Attempts,
    CreatedAt,
    UpdatedAt,
    SettledAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    Id,
    MerchantId,
    ChargeId,
    RequestKey,
    IdempotencyKey,
    Amount,
    Reason,
    /// `pending` | `succeeded` | `failed`
    Status,
    StripeRefundId,
    FailureMessage,
    /// `None` for refunds made in Stripe's dashboard (learnt from `charge.refunded`).
    CreatedByStaffId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
    MerchantId,
    CustomerId,
    /// `staff` | `customer` | `stripe`
    Actor,
    /// Set when `actor` is `staff`.
    StaffUserId,
    Kind,
    Summary,
    CreatedAt,
}

fn id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(36).not_null().to_owned()
}

fn optional_id_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(36).null().to_owned()
}

fn text_col<T: IntoIden>(col: T, len: u32, required: bool) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.string_len(len);
    if required {
        def.not_null()
    } else {
        def.null()
    };
    def
}

fn money_col<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
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

fn belongs_to_merchant<T: IntoIden + Copy>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Merchants::Table, Merchants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn belongs_to_customer<T: IntoIden + Copy>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Customers::Table, Customers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index<T: IntoIden + Copy>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .add_column(
                        ColumnDef::new(Merchants::Currency)
                            .string_len(3)
                            .not_null()
                            .default("usd"),
                    )
                    .to_owned(),
            )
            .await?;
        for col in [
            time_col(PaymentOptions::RemovedAt, false),
            optional_id_col(PaymentOptions::RemovedByStaffId),
            text_col(PaymentOptions::RemovalReason, 500, false),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PaymentOptions::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CardRequests::Table)
                    .add_column(optional_id_col(CardRequests::ChargeId))
                    .to_owned(),
            )
            .await?;
        // Settling a charge completes its confirmation link.
        manager
            .create_index(index(
                "ix_card_requests_charge",
                CardRequests::Table,
                &[CardRequests::MerchantId, CardRequests::ChargeId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bookings::Table)
                    .col(id_col(Bookings::Id).primary_key())
                    .col(id_col(Bookings::MerchantId))
                    .col(id_col(Bookings::CustomerId))
                    .col(text_col(Bookings::Title, 200, true))
                    .col(time_col(Bookings::StartsAt, true))
                    .col(ColumnDef::new(Bookings::Participants).integer().not_null())
                    .col(money_col(Bookings::TotalAmount))
                    .col(text_col(Bookings::Currency, 3, true))
                    .col(money_col(Bookings::PaidAmount).default(0))
                    .col(money_col(Bookings::RefundedAmount).default(0))
                    .col(optional_id_col(Bookings::PaymentOptionId))
                    .col(id_col(Bookings::CreatedByStaffId))
                    .col(time_col(Bookings::CreatedAt, true))
                    .col(time_col(Bookings::UpdatedAt, true))
                    .foreign_key(&mut belongs_to_merchant(
                        Bookings::Table,
                        Bookings::MerchantId,
                    ))
                    .foreign_key(&mut belongs_to_customer(
                        Bookings::Table,
                        Bookings::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The Bookings page (by date) and the profile's bookings.
        manager
            .create_index(index(
                "ix_bookings_starts",
                Bookings::Table,
                &[Bookings::MerchantId, Bookings::StartsAt],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_bookings_customer",
                Bookings::Table,
                &[
                    Bookings::MerchantId,
                    Bookings::CustomerId,
                    Bookings::StartsAt,
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Charges::Table)
                    .col(id_col(Charges::Id).primary_key())
                    .col(id_col(Charges::MerchantId))
                    .col(id_col(Charges::CustomerId))
                    .col(optional_id_col(Charges::BookingId))
                    .col(id_col(Charges::PaymentOptionId))
                    .col(text_col(Charges::RequestKey, 64, true))
                    .col(text_col(Charges::IdempotencyKey, 255, true))
                    .col(money_col(Charges::Amount))
                    .col(text_col(Charges::Currency, 3, true))
                    .col(text_col(Charges::Description, 500, true))
                    .col(text_col(Charges::Status, 20, true))
                    .col(text_col(Charges::StripePaymentIntentId, 255, false))
                    .col(text_col(Charges::FailureCode, 100, false))
                    .col(text_col(Charges::DeclineCode, 100, false))
                    .col(text_col(Charges::FailureMessage, 500, false))
                    .col(money_col(Charges::RefundedAmount).default(0))
                    .col(ColumnDef::new(Charges::SendReceipt).boolean().not_null())
                    .col(id_col(Charges::CreatedByStaffId))
                    .col(
                        ColumnDef::new(Charges::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(time_col(Charges::CreatedAt, true))
                    .col(time_col(Charges::UpdatedAt, true))
                    .col(time_col(Charges::SettledAt, false))
                    .foreign_key(&mut belongs_to_merchant(
                        Charges::Table,
                        Charges::MerchantId,
                    ))
                    .foreign_key(&mut belongs_to_customer(
                        Charges::Table,
                        Charges::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One row per form submission, and one per Stripe idempotency key.
        manager
            .create_index(
                index(
                    "ux_charges_request_key",
                    Charges::Table,
                    &[Charges::MerchantId, Charges::RequestKey],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_charges_idempotency_key",
                    Charges::Table,
                    &[Charges::IdempotencyKey],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_charges_customer",
                Charges::Table,
                &[Charges::MerchantId, Charges::CustomerId, Charges::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_charges_booking",
                Charges::Table,
                &[Charges::MerchantId, Charges::BookingId],
            ))
            .await?;
        // Webhooks find the charge by its PaymentIntent.
        manager
            .create_index(index(
                "ix_charges_payment_intent",
                Charges::Table,
                &[Charges::MerchantId, Charges::StripePaymentIntentId],
            ))
            .await?;
        // The reconciler's scan of unsettled rows.
        manager
            .create_index(index(
                "ix_charges_status",
                Charges::Table,
                &[Charges::Status, Charges::UpdatedAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(id_col(Refunds::Id).primary_key())
                    .col(id_col(Refunds::MerchantId))
                    .col(id_col(Refunds::ChargeId))
                    .col(text_col(Refunds::RequestKey, 64, true))
                    .col(text_col(Refunds::IdempotencyKey, 255, true))
                    .col(money_col(Refunds::Amount))
                    .col(text_col(Refunds::Reason, 500, true))
                    .col(text_col(Refunds::Status, 20, true))
                    .col(text_col(Refunds::StripeRefundId, 255, false))
                    .col(text_col(Refunds::FailureMessage, 500, false))
                    .col(optional_id_col(Refunds::CreatedByStaffId))
                    .col(time_col(Refunds::CreatedAt, true))
                    .col(time_col(Refunds::UpdatedAt, true))
                    .foreign_key(&mut belongs_to_merchant(
                        Refunds::Table,
                        Refunds::MerchantId,
                    ))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Refunds::Table, Refunds::ChargeId)
                            .to(Charges::Table, Charges::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_refunds_request_key",
                    Refunds::Table,
                    &[Refunds::MerchantId, Refunds::RequestKey],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // A refund made in Stripe's dashboard is recorded once however often Stripe reports it.
        manager
            .create_index(
                index(
                    "ux_refunds_stripe_id",
                    Refunds::Table,
                    &[Refunds::MerchantId, Refunds::StripeRefundId],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_refunds_charge",
                Refunds::Table,
                &[Refunds::MerchantId, Refunds::ChargeId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(id_col(Activities::Id).primary_key())
                    .col(id_col(Activities::MerchantId))
                    .col(id_col(Activities::CustomerId))
                    .col(text_col(Activities::Actor, 20, true))
                    .col(optional_id_col(Activities::StaffUserId))
                    .col(text_col(Activities::Kind, 40, true))
                    .col(text_col(Activities::Summary, 1000, true))
                    .col(time_col(Activities::CreatedAt, true))
                    .foreign_key(&mut belongs_to_merchant(
                        Activities::Table,
                        Activities::MerchantId,
                    ))
                    .foreign_key(&mut belongs_to_customer(
                        Activities::Table,
                        Activities::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_activities_customer",
                Activities::Table,
                &[
                    Activities::MerchantId,
                    Activities::CustomerId,
                    Activities::CreatedAt,
                ],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Activities::Table.into_iden(),
            Refunds::Table.into_iden(),
            Charges::Table.into_iden(),
            Bookings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_card_requests_charge")
                    .table(CardRequests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CardRequests::Table)
                    .drop_column(CardRequests::ChargeId)
                    .to_owned(),
            )
            .await?;
        for col in [
            PaymentOptions::RemovalReason,
            PaymentOptions::RemovedByStaffId,
            PaymentOptions::RemovedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PaymentOptions::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Merchants::Table)
                    .drop_column(Merchants::Currency)
                    .to_owned(),
            )
            .await
    }
}

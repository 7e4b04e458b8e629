use sea_orm::entity::prelude::*;

use crate::states::CardSource;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_options")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    pub stripe_payment_method_id: String,
    /// The Stripe account (`acct_…`) and mode the card was saved in; only there can it be
    /// charged. `None` when not known (see the customers' column of the same name).
    pub stripe_account_id: Option<String>,
    pub stripe_livemode: Option<bool>,
    /// Stripe's brand id: `visa`, `mastercard`, `amex`, …
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub is_default: bool,
    pub source: CardSource,
    pub added_by_staff_id: Option<String>,
    pub card_request_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the card was removed (detached at Stripe); kept for the history of charges.
    pub removed_at: Option<DateTimeUtc>,
    pub removed_by_staff_id: Option<String>,
    pub removal_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    pub title: String,
    pub starts_at: DateTimeUtc,
    pub participants: i32,
    /// Minor units of `currency`.
    pub total_amount: i64,
    pub currency: String,
    /// Sum of succeeded charges, minor units.
    pub paid_amount: i64,
    /// Sum of succeeded refunds of those charges, minor units.
    pub refunded_amount: i64,
    pub payment_option_id: Option<String>,
    pub created_by_staff_id: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

use crate::states::RefundStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub charge_id: String,
    pub request_key: String,
    pub idempotency_key: String,
    /// Minor units of the charge's currency.
    pub amount: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub stripe_refund_id: Option<String>,
    pub failure_message: Option<String>,
    /// `None` for a refund made in Stripe's dashboard.
    pub created_by_staff_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

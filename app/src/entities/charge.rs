use sea_orm::entity::prelude::*;

use crate::states::ChargeStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    pub booking_id: Option<String>,
    pub payment_option_id: String,
    /// The browser's key for one submission of the charge form.
    pub request_key: String,
    /// Sent to Stripe as `Idempotency-Key`.
    pub idempotency_key: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub status: ChargeStatus,
    pub stripe_payment_intent_id: Option<String>,
    pub failure_code: Option<String>,
    pub decline_code: Option<String>,
    pub failure_message: Option<String>,
    pub refunded_amount: i64,
    pub send_receipt: bool,
    pub created_by_staff_id: String,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

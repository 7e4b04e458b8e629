use sea_orm::entity::prelude::*;

pub const PENDING: &str = "pending";
pub const COMPLETED: &str = "completed";
pub const REVOKED: &str = "revoked";

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    /// Hex SHA-256 of the link's token.
    pub token_hash: String,
    pub status: String,
    pub expires_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub sent_by: String,
    pub outbox_email_id: Option<String>,
    pub setup_intent_id: Option<String>,
    pub opened_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub payment_option_id: Option<String>,
    /// Set when the link asks the customer to confirm this charge instead of saving a card.
    pub charge_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

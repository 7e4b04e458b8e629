//! A link emailed to a customer (no login): to save a card, or to confirm a payment. Owned by
//! the `links` capability; only the digest of its token is stored.

use sea_orm::entity::prelude::*;

use crate::states::{LinkPurpose, LinkStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    pub purpose: LinkPurpose,
    /// Hex SHA-256 of the link's token.
    pub token_hash: String,
    pub status: LinkStatus,
    pub expires_at: DateTimeUtc,
    /// The merchant's personal note (card requests; empty otherwise).
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// The staff member the link went out for.
    pub sent_by: String,
    pub outbox_email_id: Option<String>,
    /// The SetupIntent of a `SaveCard` link, once the page has asked Stripe for one.
    pub setup_intent_id: Option<String>,
    pub opened_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The card a `SaveCard` link put on file.
    pub payment_option_id: Option<String>,
    /// The charge a `ConfirmPayment` link asks the customer to confirm.
    pub charge_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

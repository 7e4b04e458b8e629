use sea_orm::entity::prelude::*;

/// A link that confirms a merchant owner's email address (only its token's digest is kept).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_confirmations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub staff_user_id: String,
    /// The address the link was sent to.
    pub email: String,
    #[sea_orm(unique)]
    pub token_digest: String,
    pub expires_at: DateTimeUtc,
    /// When the link was opened; a link works once.
    pub confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

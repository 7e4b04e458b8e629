use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: String,
    pub account_id: String,
    pub publishable_key: String,
    #[sea_orm(column_type = "Text")]
    pub secret_key_sealed: String,
    #[sea_orm(column_type = "Text")]
    pub webhook_secret_sealed: String,
    pub livemode: bool,
    pub emulated: bool,
    pub connected_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub phone: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    pub stripe_customer_id: Option<String>,
    /// The Stripe account (`acct_…`) and mode `stripe_customer_id` was made in; `None` when not
    /// known (made before this was recorded, by a merchant not connected at the time).
    pub stripe_account_id: Option<String>,
    pub stripe_livemode: Option<bool>,
    pub sort_key: String,
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

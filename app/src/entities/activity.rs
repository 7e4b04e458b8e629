use sea_orm::entity::prelude::*;

use crate::states::{ActivityKind, ActorKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub merchant_id: String,
    pub customer_id: String,
    pub actor: ActorKind,
    /// Set when `actor` is `staff`.
    pub staff_user_id: Option<String>,
    pub kind: ActivityKind,
    /// The sentence the profile shows: "Charged $50.00 to Visa •••• 4242".
    pub summary: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

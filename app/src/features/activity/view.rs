//! Reading the activity log: the profile's Activity, and staff names for any list that shows who
//! did something.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::dto::ActivityView;
use crate::entities::{activity, staff_user};
use crate::error::AppError;
use crate::ids::{CustomerId, MerchantId};
use crate::states::ActorKind;

/// How many entries the profile shows, newest first.
const SHOWN: u64 = 100;

/// The profile's Activity: two queries (entries, then the names of the staff in them).
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Vec<ActivityView>, AppError> {
    let entries = activity::Entity::find()
        .filter(activity::Column::MerchantId.eq(merchant_id))
        .filter(activity::Column::CustomerId.eq(customer_id))
        .order_by_desc(activity::Column::CreatedAt)
        .order_by_desc(activity::Column::Id)
        .limit(SHOWN)
        .all(db)
        .await?;
    let names = staff_names(
        db,
        merchant_id.as_str(),
        entries.iter().filter_map(|e| e.staff_user_id.clone()),
    )
    .await?;
    Ok(entries
        .into_iter()
        .map(|e| ActivityView {
            who: match (e.actor, &e.staff_user_id) {
                (ActorKind::Customer, _) => "Customer".to_owned(),
                (ActorKind::Stripe, _) => "Stripe".to_owned(),
                (ActorKind::Staff, Some(id)) => names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "A staff member".to_owned()),
                (ActorKind::Staff, None) => "A staff member".to_owned(),
            },
            at: crate::time::minute(e.created_at),
            summary: e.summary,
            id: e.id,
        })
        .collect())
}

/// Names of the given staff members of one merchant, in one query.
pub async fn staff_names(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::MerchantId.eq(merchant_id))
        .filter(staff_user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

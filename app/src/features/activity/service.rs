//! Writing and reading the activity log. `record` takes the caller's transaction so an entry
//! exists exactly when the change it describes was committed.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::ActivityView;
use crate::entities::{activity, new_id, staff_user};
use crate::error::AppError;
use crate::ids::{CustomerId, MerchantId};
use crate::states::{ActivityKind, ActorKind};

/// How many entries the profile shows, newest first.
const SHOWN: u64 = 100;

/// Who did it: a staff member, the customer (through a link) or Stripe (a webhook, the reconciler).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    Staff(&'a str),
    Customer,
    Stripe,
}

pub async fn record(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
    actor: Actor<'_>,
    kind: ActivityKind,
    summary: impl Into<String>,
) -> Result<(), AppError> {
    let (actor, staff_user_id) = match actor {
        Actor::Staff(id) => (ActorKind::Staff, Some(id.to_owned())),
        Actor::Customer => (ActorKind::Customer, None),
        Actor::Stripe => (ActorKind::Stripe, None),
    };
    activity::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.as_str().to_owned()),
        customer_id: Set(customer_id.as_str().to_owned()),
        actor: Set(actor),
        staff_user_id: Set(staff_user_id),
        kind: Set(kind),
        summary: Set(summary.into()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

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

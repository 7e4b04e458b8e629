//! Writing the activity log: `record` takes the caller's transaction so an entry exists exactly
//! when the change it describes was committed. There is no update or delete.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::entities::{activity, new_id};
use crate::error::AppError;
use crate::ids::{CustomerId, MerchantId};
use crate::states::{ActivityKind, ActorKind};

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

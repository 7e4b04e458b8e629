//! The Stripe customer behind each of our customers: created on first need, once.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::dto::full_name;
use crate::entities::customer;
use crate::error::AppError;
use crate::payments::StripeAccount;

/// The customer's Stripe customer id, created (once: the idempotency key is our customer id) if
/// there is none yet.
pub async fn ensure_stripe_customer(
    db: &impl ConnectionTrait,
    account: &StripeAccount,
    customer: &customer::Model,
) -> Result<String, AppError> {
    if let Some(id) = &customer.stripe_customer_id {
        return Ok(id.clone());
    }
    let stripe_id = account
        .create_customer(
            &full_name(&customer.first_name, &customer.last_name),
            customer.email.as_deref(),
            &customer.id,
            &format!("cof-customer-{}", customer.id),
        )
        .await?;
    customer::Entity::update_many()
        .col_expr(
            customer::Column::StripeCustomerId,
            Expr::value(stripe_id.clone()),
        )
        .filter(customer::Column::Id.eq(customer.id.as_str()))
        .filter(customer::Column::StripeCustomerId.is_null())
        .exec(db)
        .await?;
    // A concurrent caller may have stored its own id first (same key: the same customer).
    let stored = customer::Entity::find_by_id(customer.id.clone())
        .one(db)
        .await?
        .and_then(|c| c.stripe_customer_id);
    Ok(stored.unwrap_or(stripe_id))
}

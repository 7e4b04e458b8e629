//! The Stripe customer behind each of our customers: created on first need, once per Stripe
//! account.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::dto::full_name;
use crate::entities::customer;
use crate::error::AppError;
use crate::features::settings::connection;
use crate::payments::StripeAccount;

/// The customer's Stripe customer id in the merchant's current account, created (once per
/// account: the idempotency key is our customer id, and Stripe scopes keys to the account) if
/// there is none yet, or if the one we have was made in another account or mode.
pub async fn ensure_stripe_customer(
    db: &impl ConnectionTrait,
    account: &StripeAccount,
    customer: &customer::Model,
) -> Result<String, AppError> {
    let scope = connection::scope_of(db, &customer.merchant_id)
        .await?
        .ok_or(AppError::StripeNotConnected)?;
    if let Some(id) = &customer.stripe_customer_id
        && scope.holds(
            customer.stripe_account_id.as_deref(),
            customer.stripe_livemode,
        )
    {
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
    // Only over the id we saw: a concurrent caller may have stored one of its own already.
    let unchanged = match &customer.stripe_customer_id {
        Some(old) => customer::Column::StripeCustomerId.eq(old.as_str()),
        None => customer::Column::StripeCustomerId.is_null(),
    };
    customer::Entity::update_many()
        .col_expr(
            customer::Column::StripeCustomerId,
            Expr::value(stripe_id.clone()),
        )
        .col_expr(
            customer::Column::StripeAccountId,
            Expr::value(scope.account_id.clone()),
        )
        .col_expr(
            customer::Column::StripeLivemode,
            Expr::value(scope.livemode),
        )
        .filter(customer::Column::Id.eq(customer.id.as_str()))
        .filter(unchanged)
        .exec(db)
        .await?;
    // A concurrent caller may have stored its own id first (same key: the same customer).
    let stored = customer::Entity::find_by_id(customer.id.clone())
        .one(db)
        .await?
        .and_then(|c| c.stripe_customer_id);
    Ok(stored.unwrap_or(stripe_id))
}

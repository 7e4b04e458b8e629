//! Payment Options, read side: the customer's cards with expiry marks, who added them, and the
//! bookings with a balance due that each card pays (three queries, whatever the number of cards).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::dto::{ExpiryState, PaymentOptionView};
use crate::cards::{brand_name, card_view};
use crate::entities::{booking, payment_option};
use crate::error::AppError;
use crate::features::activity::view::staff_names;
use crate::features::settings::connection::{self, StripeScope};
use crate::ids::{CustomerId, MerchantId};
use crate::money::balance_due;
use crate::states::CardSource;

/// Expired after its printed month; "expiring soon" in that month and the one before.
pub fn expiry_state(exp_month: i32, exp_year: i32, today: NaiveDate) -> ExpiryState {
    let card = exp_year * 12 + (exp_month - 1);
    let now = today.year() * 12 + (today.month0() as i32);
    if card < now {
        ExpiryState::Expired
    } else if card - now <= 1 {
        ExpiryState::ExpiringSoon
    } else {
        ExpiryState::Valid
    }
}

/// "Mastercard •••• 4444", as the activity log names a card.
pub fn card_label(option: &payment_option::Model) -> String {
    format!("{} •••• {}", brand_name(&option.brand), option.last4)
}

/// The customer's cards on file (removed ones excluded), newest first: three queries (cards,
/// the staff who added them, the bookings with a balance due that they pay for).
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Vec<PaymentOptionView>, AppError> {
    let options = payment_option::Entity::find()
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::CustomerId.eq(customer_id))
        .filter(payment_option::Column::RemovedAt.is_null())
        .order_by_desc(payment_option::Column::CreatedAt)
        .order_by_desc(payment_option::Column::Id)
        .all(db)
        .await?;
    views(db, merchant_id, customer_id, options).await
}

pub(super) async fn views(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
    options: Vec<payment_option::Model>,
) -> Result<Vec<PaymentOptionView>, AppError> {
    // None of the three reads needs another: each takes a pooled connection of its own, so the
    // list waits for the slowest, not for all three (in a transaction they simply take turns).
    let (names, mut backing, scope) = tokio::try_join!(
        staff_names(
            db,
            merchant_id.as_str(),
            options.iter().filter_map(|o| o.added_by_staff_id.clone()),
        ),
        bookings_due_by_card(
            db,
            merchant_id,
            customer_id,
            options.iter().map(|o| o.id.clone()).collect(),
        ),
        connection::scope_of(db, merchant_id.as_str()),
    )?;
    let today = Utc::now().date_naive();
    Ok(options
        .into_iter()
        .map(|o| {
            let backs = backing.remove(&o.id).unwrap_or_default();
            let unusable = unusable_reason(scope.as_ref(), &o).map(ToOwned::to_owned);
            PaymentOptionView {
                unusable,
                ..option_view(o, &names, backs, today)
            }
        })
        .collect())
}

fn option_view(
    o: payment_option::Model,
    names: &HashMap<String, String>,
    backs_bookings_due: Vec<String>,
    today: NaiveDate,
) -> PaymentOptionView {
    let added_by = match (&o.added_by_staff_id, o.source) {
        (Some(id), _) => format!(
            "Added by {}",
            names.get(id).map_or("a staff member", String::as_str)
        ),
        (None, CardSource::CustomerLink) => "Added by the customer via email link".to_owned(),
        (None, _) => "Added by staff".to_owned(),
    };
    PaymentOptionView {
        card: card_view(&o.brand, &o.last4, o.exp_month, o.exp_year),
        expiry: expiry_state(o.exp_month, o.exp_year, today),
        is_default: o.is_default,
        added_by,
        added_on: crate::time::day(o.created_at),
        backs_bookings_due,
        unusable: None,
        id: o.id,
    }
}

/// Why a card cannot be charged with the merchant's current connection (`scope`), if it cannot:
/// it was saved in another Stripe account or mode, where its id means nothing.
pub fn unusable_reason(
    scope: Option<&StripeScope>,
    option: &payment_option::Model,
) -> Option<&'static str> {
    let scope = scope?;
    (!scope.holds(option.stripe_account_id.as_deref(), option.stripe_livemode)).then_some(
        "Saved in another Stripe account: it can't be charged with the account connected now. \
         Ask the customer for a new card.",
    )
}

/// For each of the given cards, the bookings it is meant to pay that still have a balance due
/// ("Sunset kayak tour on 2026-12-05"), soonest first: one query.
pub(super) async fn bookings_due_by_card(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
    option_ids: Vec<String>,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let mut by_card: HashMap<String, Vec<String>> = HashMap::new();
    if option_ids.is_empty() {
        return Ok(by_card);
    }
    let bookings = booking::Entity::find()
        .filter(booking::Column::MerchantId.eq(merchant_id))
        .filter(booking::Column::CustomerId.eq(customer_id))
        .filter(booking::Column::PaymentOptionId.is_in(option_ids))
        .order_by_asc(booking::Column::StartsAt)
        .all(db)
        .await?;
    for b in bookings {
        if balance_due(b.total_amount, b.paid_amount, b.refunded_amount) > 0
            && let Some(card) = b.payment_option_id
        {
            by_card.entry(card).or_default().push(format!(
                "{} on {}",
                b.title,
                b.starts_at.format("%Y-%m-%d")
            ));
        }
    }
    Ok(by_card)
}

/// The card a repeated save already recorded, if it is this customer's.
pub(super) async fn existing_view(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
    existing: payment_option::Model,
) -> Result<PaymentOptionView, AppError> {
    if existing.customer_id != customer_id.as_str() {
        return Err(AppError::NotFound);
    }
    one_view(db, merchant_id, customer_id, existing).await
}

pub(super) async fn one_view(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
    option: payment_option::Model,
) -> Result<PaymentOptionView, AppError> {
    views(db, merchant_id, customer_id, vec![option])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("payment option view missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_card_expires_after_its_printed_month_and_is_flagged_a_month_before() {
        let today = day(2026, 11, 29);
        assert_eq!(expiry_state(10, 2026, today), ExpiryState::Expired);
        assert_eq!(expiry_state(12, 2025, today), ExpiryState::Expired);
        // Valid until the end of its month.
        assert_eq!(expiry_state(11, 2026, today), ExpiryState::ExpiringSoon);
        assert_eq!(expiry_state(12, 2026, today), ExpiryState::ExpiringSoon);
        assert_eq!(expiry_state(1, 2027, today), ExpiryState::Valid);
        assert_eq!(expiry_state(12, 2034, today), ExpiryState::Valid);
    }

    #[test]
    fn the_year_boundary_counts_months_not_years() {
        let december = day(2026, 12, 1);
        assert_eq!(expiry_state(1, 2027, december), ExpiryState::ExpiringSoon);
        assert_eq!(expiry_state(2, 2027, december), ExpiryState::Valid);
        assert_eq!(expiry_state(11, 2026, december), ExpiryState::Expired);
        let january = day(2027, 1, 31);
        assert_eq!(expiry_state(12, 2026, january), ExpiryState::Expired);
        assert_eq!(expiry_state(1, 2027, january), ExpiryState::ExpiringSoon);
    }
}

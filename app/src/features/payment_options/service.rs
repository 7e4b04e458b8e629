//! Payment Options, server side: the list with expiry marks, Create Payment Option (a SetupIntent
//! confirmed in the merchant's browser, recorded as added by that staff member), Make default and
//! Remove (detached at Stripe, the row kept with its reason).
//!
//! Every change to a customer's cards starts its transaction with [`lock_customer`], so "one
//! default per customer" holds whatever runs at the same time.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::dto::{ExpiryState, PaymentOptionSetup, PaymentOptionView};
use crate::entities::{booking, customer, new_id, payment_option};
use crate::error::{AppError, is_unique_violation};
use crate::features::activity::service::{self as activity, Actor, staff_names};
use crate::features::auth::service::Authenticated;
use crate::features::card_requests::service::{brand_name, card_view, ensure_stripe_customer};
use crate::features::customers::service::find_model;
use crate::features::notifications::live;
use crate::features::settings::connection::{self, payments_error};
use crate::money::balance_due;
use crate::payments::operations::SetupState;
use crate::state::AppState;

pub const REASON_REQUIRED: &str =
    "This card pays for a booking with a balance due: give a reason for removing it.";
/// The column's size.
const REASON_MAX_CHARS: usize = 500;
/// Set on the SetupIntents of Create Payment Option: only those are recorded as added by staff
/// (a card request's SetupIntent is completed by its link, never from here).
const METADATA_SOURCE: &str = "source";
const METADATA_CUSTOMER: &str = "customer_id";

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
pub(crate) fn card_label(option: &payment_option::Model) -> String {
    format!("{} •••• {}", brand_name(&option.brand), option.last4)
}

// ---------------------------------------------------------------------------------------------
// The profile's list

/// The customer's cards on file (removed ones excluded), newest first: three queries (cards,
/// the staff who added them, the bookings with a balance due that they pay for).
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
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

async fn views(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
    options: Vec<payment_option::Model>,
) -> Result<Vec<PaymentOptionView>, AppError> {
    let names = staff_names(
        db,
        merchant_id,
        options.iter().filter_map(|o| o.added_by_staff_id.clone()),
    )
    .await?;
    let mut backing = bookings_due_by_card(
        db,
        merchant_id,
        customer_id,
        options.iter().map(|o| o.id.clone()).collect(),
    )
    .await?;
    let today = Utc::now().date_naive();
    Ok(options
        .into_iter()
        .map(|o| {
            let backs = backing.remove(&o.id).unwrap_or_default();
            option_view(o, &names, backs, today)
        })
        .collect())
}

fn option_view(
    o: payment_option::Model,
    names: &HashMap<String, String>,
    backs_bookings_due: Vec<String>,
    today: NaiveDate,
) -> PaymentOptionView {
    let added_by = match (&o.added_by_staff_id, o.source.as_str()) {
        (Some(id), _) => format!(
            "Added by {}",
            names.get(id).map_or("a staff member", String::as_str)
        ),
        (None, payment_option::SOURCE_CUSTOMER_LINK) => {
            "Added by the customer via email link".to_owned()
        }
        (None, _) => "Added by staff".to_owned(),
    };
    PaymentOptionView {
        card: card_view(&o.brand, &o.last4, o.exp_month, o.exp_year),
        expiry: expiry_state(o.exp_month, o.exp_year, today),
        is_default: o.is_default,
        added_by,
        added_on: o.created_at.format("%Y-%m-%d").to_string(),
        backs_bookings_due,
        id: o.id,
    }
}

/// For each of the given cards, the bookings it is meant to pay that still have a balance due
/// ("Sunset kayak tour on 2026-12-05"), soonest first: one query.
async fn bookings_due_by_card(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
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

// ---------------------------------------------------------------------------------------------
// Create Payment Option

/// A SetupIntent for the customer's Stripe customer (created if missing) that the merchant's
/// browser confirms with the Payment Element. Each opening of the dialog gets its own; one left
/// unconfirmed stays unused at Stripe.
pub async fn start(
    state: &AppState,
    auth: &Authenticated,
    customer_id: &str,
) -> Result<PaymentOptionSetup, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let customer = find_model(db, merchant_id, customer_id).await?;
    let connection = connection::require(state, merchant_id).await?;
    let merchant = crate::features::settings::service::find_merchant(db, merchant_id).await?;
    let account = connection.account(state)?;
    let stripe_customer = ensure_stripe_customer(db, &account, &customer).await?;
    let intent = account
        .create_setup_intent_with_metadata(
            &stripe_customer,
            &[
                (METADATA_SOURCE, payment_option::SOURCE_STAFF),
                (METADATA_CUSTOMER, &customer.id),
                ("added_by_staff_id", &auth.staff_user_id),
            ],
            &format!("cof-staff-setup-{}", new_id()),
        )
        .await
        .map_err(payments_error)?;
    Ok(PaymentOptionSetup {
        setup_intent_id: intent.id,
        client_secret: intent.client_secret,
        publishable_key: connection.publishable_key.clone(),
        stripe_js_url: state.stripe_js_url(connection.emulated),
        business_name: merchant.business_name,
    })
}

/// `seti_` and Stripe's id alphabet: anything else never reaches Stripe's URL.
fn is_setup_intent_id(id: &str) -> bool {
    id.len() <= 255
        && id.strip_prefix("seti_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// After Stripe.js confirmed the SetupIntent: records its card for this customer once (a repeat
/// answers with the same card), as added by the signed-in staff member, default if the customer
/// has no default card.
pub async fn save(
    state: &AppState,
    auth: &Authenticated,
    customer_id: &str,
    setup_intent_id: &str,
) -> Result<PaymentOptionView, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let customer = find_model(db, merchant_id, customer_id).await?;
    let Some(stripe_customer) = customer.stripe_customer_id.as_deref() else {
        return Err(AppError::NotFound);
    };
    if !is_setup_intent_id(setup_intent_id) {
        return Err(AppError::NotFound);
    }
    let connection = connection::require(state, merchant_id).await?;
    let account = connection.account(state)?;
    // Stripe says whose SetupIntent it is and how it ended; the browser's word is not enough.
    let intent = account
        .find_setup_intent(setup_intent_id)
        .await
        .map_err(payments_error)?
        .filter(|si| {
            si.customer_id.as_deref() == Some(stripe_customer)
                && si.metadata.get(METADATA_SOURCE).map(String::as_str)
                    == Some(payment_option::SOURCE_STAFF)
                && si.metadata.get(METADATA_CUSTOMER) == Some(&customer.id)
        })
        .ok_or(AppError::NotFound)?;
    let SetupState::Succeeded { payment_method_id } = intent.state else {
        return Err(AppError::SetupIncomplete);
    };
    if let Some(existing) = find_by_payment_method(db, merchant_id, &payment_method_id).await? {
        return existing_view(db, merchant_id, &customer.id, existing).await;
    }
    let card = account
        .retrieve_card(&payment_method_id)
        .await
        .map_err(payments_error)?
        .ok_or_else(|| AppError::internal("saved payment method is not a card"))?;

    let now = Utc::now();
    let txn = db.begin().await?;
    lock_customer(&txn, merchant_id, &customer.id).await?;
    if let Some(existing) = find_by_payment_method(&txn, merchant_id, &payment_method_id).await? {
        txn.rollback().await?;
        return existing_view(db, merchant_id, &customer.id, existing).await;
    }
    let has_default = has_default_card(&txn, merchant_id, &customer.id).await?;
    let inserted = payment_option::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(customer.id.clone()),
        stripe_payment_method_id: Set(card.payment_method_id.clone()),
        brand: Set(card.brand.clone()),
        last4: Set(card.last4.clone()),
        exp_month: Set(i32::try_from(card.exp_month).unwrap_or(0)),
        exp_year: Set(i32::try_from(card.exp_year).unwrap_or(0)),
        is_default: Set(!has_default),
        source: Set(payment_option::SOURCE_STAFF.to_owned()),
        added_by_staff_id: Set(Some(auth.staff_user_id.clone())),
        card_request_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        removed_at: Set(None),
        removed_by_staff_id: Set(None),
        removal_reason: Set(None),
    }
    .insert(&txn)
    .await;
    let option = match inserted {
        Ok(option) => option,
        // Only another customer's row could hold this payment method: not ours to show.
        Err(err) if is_unique_violation(&err) => {
            txn.rollback().await?;
            let existing = find_by_payment_method(db, merchant_id, &payment_method_id)
                .await?
                .ok_or(AppError::NotFound)?;
            return existing_view(db, merchant_id, &customer.id, existing).await;
        }
        Err(err) => return Err(err.into()),
    };
    activity::record(
        &txn,
        merchant_id,
        &customer.id,
        Actor::Staff(&auth.staff_user_id),
        activity::CARD_ADDED,
        format!("Added {}", card_label(&option)),
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_id, &customer.id);
    tracing::info!(payment_option_id = %option.id, customer_id = %customer.id, "card added by staff");
    one_view(db, merchant_id, &customer.id, option).await
}

/// Whether the customer has a default card on file: a new card becomes the default only when
/// there is none. Call it after [`lock_customer`] in the same transaction.
pub(crate) async fn has_default_card(
    txn: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
) -> Result<bool, AppError> {
    Ok(payment_option::Entity::find()
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::CustomerId.eq(customer_id))
        .filter(payment_option::Column::RemovedAt.is_null())
        .filter(payment_option::Column::IsDefault.eq(true))
        .count(txn)
        .await?
        > 0)
}

async fn find_by_payment_method(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    payment_method_id: &str,
) -> Result<Option<payment_option::Model>, AppError> {
    Ok(payment_option::Entity::find()
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::StripePaymentMethodId.eq(payment_method_id))
        .one(db)
        .await?)
}

/// The card a repeated save already recorded, if it is this customer's.
async fn existing_view(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
    existing: payment_option::Model,
) -> Result<PaymentOptionView, AppError> {
    if existing.customer_id != customer_id {
        return Err(AppError::NotFound);
    }
    one_view(db, merchant_id, customer_id, existing).await
}

async fn one_view(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
    option: payment_option::Model,
) -> Result<PaymentOptionView, AppError> {
    views(db, merchant_id, customer_id, vec![option])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("payment option view missing"))
}

// ---------------------------------------------------------------------------------------------
// Make default and Remove

/// The first statement of every change to a customer's cards: a write to the customer's row. It
/// serialises those changes — on Postgres through the row lock, on SQLite through the database
/// write lock, taken before any read of the transaction.
pub(crate) async fn lock_customer(
    txn: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
) -> Result<(), AppError> {
    let locked = customer::Entity::update_many()
        .col_expr(
            customer::Column::UpdatedAt,
            Expr::col(customer::Column::UpdatedAt),
        )
        .filter(customer::Column::Id.eq(customer_id))
        .filter(customer::Column::MerchantId.eq(merchant_id))
        .exec(txn)
        .await?
        .rows_affected;
    if locked == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A card of this merchant that has not been removed.
async fn find_live(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    payment_option_id: &str,
) -> Result<Option<payment_option::Model>, AppError> {
    Ok(
        payment_option::Entity::find_by_id(payment_option_id.to_owned())
            .filter(payment_option::Column::MerchantId.eq(merchant_id))
            .filter(payment_option::Column::RemovedAt.is_null())
            .one(db)
            .await?,
    )
}

/// Makes this card the one charged by default; the customer's previous default stops being it
/// in the same transaction.
pub async fn make_default(
    state: &AppState,
    auth: &Authenticated,
    payment_option_id: &str,
) -> Result<(), AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let option = find_live(db, merchant_id, payment_option_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    lock_customer(&txn, merchant_id, &option.customer_id).await?;
    let Some(option) = find_live(&txn, merchant_id, payment_option_id).await? else {
        txn.rollback().await?;
        return Err(AppError::NotFound);
    };
    if option.is_default {
        txn.rollback().await?;
        return Ok(());
    }
    payment_option::Entity::update_many()
        .col_expr(payment_option::Column::IsDefault, Expr::value(false))
        .col_expr(payment_option::Column::UpdatedAt, Expr::value(now))
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::CustomerId.eq(option.customer_id.as_str()))
        .filter(payment_option::Column::IsDefault.eq(true))
        .exec(&txn)
        .await?;
    payment_option::Entity::update_many()
        .col_expr(payment_option::Column::IsDefault, Expr::value(true))
        .col_expr(payment_option::Column::UpdatedAt, Expr::value(now))
        .filter(payment_option::Column::Id.eq(option.id.as_str()))
        .exec(&txn)
        .await?;
    activity::record(
        &txn,
        merchant_id,
        &option.customer_id,
        Actor::Staff(&auth.staff_user_id),
        activity::DEFAULT_CARD,
        format!("Made {} the default card", card_label(&option)),
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_id, &option.customer_id);
    Ok(())
}

/// Detaches the card at Stripe, then marks it removed (kept for the history of its charges). A
/// card meant to pay a booking with a balance due is removed only with a reason. If it was the
/// default, the newest remaining card becomes the default.
pub async fn remove(
    state: &AppState,
    auth: &Authenticated,
    payment_option_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(AppError::field(
            "reason",
            format!("Keep the reason to {REASON_MAX_CHARS} characters or fewer."),
        ));
    }
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let Some(option) = payment_option::Entity::find_by_id(payment_option_id.to_owned())
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    // A second click, or another tab, got there first: the card is gone as asked.
    if option.removed_at.is_some() {
        return Ok(());
    }
    let due = bookings_due_by_card(
        db,
        merchant_id,
        &option.customer_id,
        vec![option.id.clone()],
    )
    .await?;
    if reason.is_empty() && !due.is_empty() {
        return Err(AppError::field("reason", REASON_REQUIRED));
    }
    // Stripe first: if it fails the card stays on file, still chargeable, and Remove can be
    // tried again. A card Stripe no longer has attached is removed here too.
    let connection = connection::require(state, merchant_id).await?;
    let detached = connection
        .account(state)?
        .detach_card_if_attached(&option.stripe_payment_method_id)
        .await
        .map_err(payments_error)?;

    let now = Utc::now();
    let txn = db.begin().await?;
    lock_customer(&txn, merchant_id, &option.customer_id).await?;
    let Some(option) = find_live(&txn, merchant_id, payment_option_id).await? else {
        txn.rollback().await?;
        return Ok(());
    };
    payment_option::Entity::update_many()
        .col_expr(payment_option::Column::RemovedAt, Expr::value(now))
        .col_expr(
            payment_option::Column::RemovedByStaffId,
            Expr::value(auth.staff_user_id.clone()),
        )
        .col_expr(
            payment_option::Column::RemovalReason,
            Expr::value((!reason.is_empty()).then(|| reason.to_owned())),
        )
        .col_expr(payment_option::Column::IsDefault, Expr::value(false))
        .col_expr(payment_option::Column::UpdatedAt, Expr::value(now))
        .filter(payment_option::Column::Id.eq(option.id.as_str()))
        .exec(&txn)
        .await?;
    if option.is_default
        && let Some(next) = payment_option::Entity::find()
            .filter(payment_option::Column::MerchantId.eq(merchant_id))
            .filter(payment_option::Column::CustomerId.eq(option.customer_id.as_str()))
            .filter(payment_option::Column::RemovedAt.is_null())
            .order_by_desc(payment_option::Column::CreatedAt)
            .order_by_desc(payment_option::Column::Id)
            .one(&txn)
            .await?
    {
        payment_option::Entity::update_many()
            .col_expr(payment_option::Column::IsDefault, Expr::value(true))
            .col_expr(payment_option::Column::UpdatedAt, Expr::value(now))
            .filter(payment_option::Column::Id.eq(next.id.as_str()))
            .exec(&txn)
            .await?;
    }
    let summary = match reason {
        "" => format!("Removed {}", card_label(&option)),
        reason => format!("Removed {} — reason: {reason}", card_label(&option)),
    };
    activity::record(
        &txn,
        merchant_id,
        &option.customer_id,
        Actor::Staff(&auth.staff_user_id),
        activity::CARD_REMOVED,
        summary,
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_id, &option.customer_id);
    tracing::info!(payment_option_id = %option.id, ?detached, "card removed");
    Ok(())
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

    #[test]
    fn only_setup_intent_ids_reach_stripe() {
        assert!(is_setup_intent_id("seti_1AbC2dEf"));
        assert!(!is_setup_intent_id("seti_"));
        assert!(!is_setup_intent_id("pi_123"));
        assert!(!is_setup_intent_id("seti_1/../customers"));
        assert!(!is_setup_intent_id(&format!("seti_{}", "a".repeat(300))));
    }
}

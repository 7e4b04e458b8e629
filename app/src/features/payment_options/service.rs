//! Payment Options, server side: the list with expiry marks, Create Payment Option (a SetupIntent
//! confirmed in the merchant's browser, recorded as added by that staff member), Make default and
//! Remove (detached at Stripe, the row kept with its reason).

use chrono::{Datelike, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::dto::{ExpiryState, PaymentOptionSetup, PaymentOptionView};
use crate::entities::payment_option;
use crate::error::AppError;
use crate::features::activity::service::staff_names;
use crate::features::auth::service::Authenticated;
use crate::features::card_requests::service::card_view;
use crate::state::AppState;

/// Expired after its printed month; "expiring soon" in that month and the one before.
pub fn expiry_state(exp_month: i32, exp_year: i32, today: chrono::NaiveDate) -> ExpiryState {
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

/// The customer's cards on file (removed ones excluded), newest first: two queries.
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
        .all(db)
        .await?;
    let names = staff_names(
        db,
        merchant_id,
        options.iter().filter_map(|o| o.added_by_staff_id.clone()),
    )
    .await?;
    let today = Utc::now().date_naive();
    Ok(options
        .into_iter()
        .map(|o| {
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
                // Filled in by the bookings part of this slice.
                backs_bookings_due: Vec::new(),
                id: o.id,
            }
        })
        .collect())
}

pub async fn start(
    _state: &AppState,
    _auth: &Authenticated,
    _customer_id: &str,
) -> Result<PaymentOptionSetup, AppError> {
    Err(AppError::internal("start_payment_option: not built yet"))
}

pub async fn save(
    _state: &AppState,
    _auth: &Authenticated,
    _customer_id: &str,
    _setup_intent_id: &str,
) -> Result<PaymentOptionView, AppError> {
    Err(AppError::internal("save_payment_option: not built yet"))
}

pub async fn make_default(
    _state: &AppState,
    _auth: &Authenticated,
    _payment_option_id: &str,
) -> Result<(), AppError> {
    Err(AppError::internal(
        "make_default_payment_option: not built yet",
    ))
}

pub async fn remove(
    _state: &AppState,
    _auth: &Authenticated,
    _payment_option_id: &str,
    _reason: &str,
) -> Result<(), AppError> {
    Err(AppError::internal("remove_payment_option: not built yet"))
}

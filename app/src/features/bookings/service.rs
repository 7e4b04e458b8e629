//! Bookings, commands: New booking, parsed against the merchant's currency and recorded in the
//! activity log in the same transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};

use super::dto::BookingView;
use super::input::{BookingTitle, Participants, StartsAt, show_starts_at};
use super::view::to_view;
use crate::entities::{booking, customer, new_id, payment_option};
use crate::error::{AppError, FieldError};
use crate::features::activity::service::{Actor, record};
use crate::features::auth::service::Authenticated;
use crate::features::customers::dto::full_name;
use crate::features::customers::service::find_model as find_customer;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::money::Currency;
use crate::state::AppState;
use crate::states::ActivityKind;

const NOT_THIS_CUSTOMERS_CARD: &str = "Choose one of this customer's cards, or No card.";

/// The New booking form as typed; parsed by [`create`] against the merchant's currency.
#[derive(Debug, Clone)]
pub struct BookingForm {
    pub title: String,
    pub starts_at: String,
    pub participants: String,
    pub total: String,
    /// `None`: no card.
    pub payment_option_id: Option<String>,
}

/// One of this merchant's bookings; another merchant's id is `NotFound`.
pub async fn find_model(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    booking_id: &str,
) -> Result<booking::Model, AppError> {
    booking::Entity::find_by_id(booking_id.to_owned())
        .filter(booking::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// New booking for one of the merchant's customers, in the merchant's currency, unpaid. Every
/// field's problem is reported at once; nothing is stored unless all are right.
pub async fn create(
    state: &AppState,
    auth: &Authenticated,
    customer_id: &str,
    form: BookingForm,
) -> Result<BookingView, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let customer = find_customer(db, MerchantId(merchant_id), CustomerId(customer_id)).await?;
    let merchant = crate::features::settings::service::find_merchant(db, merchant_id).await?;
    let currency = Currency::parse(&merchant.currency).map_err(|_| {
        AppError::internal(format!("merchant currency {:?} unknown", merchant.currency))
    })?;
    // Another merchant's card is as unknown as one that does not exist.
    let card = match form.payment_option_id.as_deref() {
        None => None,
        Some(id) => Some(
            payment_option::Entity::find_by_id(id.to_owned())
                .filter(payment_option::Column::MerchantId.eq(merchant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
    };
    let parsed = parse(&form, currency, &customer, card.as_ref())?;
    let summary = format!(
        "Booked {} on {} — {}",
        parsed.title.as_str(),
        show_starts_at(parsed.starts_at.at()),
        currency.format(parsed.total)
    );
    let now = Utc::now();
    let row = booking::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(customer.id.clone()),
        title: Set(parsed.title.as_str().to_owned()),
        starts_at: Set(parsed.starts_at.at()),
        participants: Set(i32::from(parsed.participants.count())),
        total_amount: Set(parsed.total),
        currency: Set(currency.code.to_owned()),
        paid_amount: Set(0),
        refunded_amount: Set(0),
        payment_option_id: Set(card.as_ref().map(|c| c.id.clone())),
        created_by_staff_id: Set(auth.staff_user_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    let saved = row.insert(&txn).await?;
    record(
        &txn,
        MerchantId(merchant_id),
        CustomerId(&customer.id),
        Actor::Staff(&auth.staff_user_id),
        ActivityKind::BookingCreated,
        summary,
    )
    .await?;
    txn.commit().await?;
    live::publish(MerchantId(merchant_id), CustomerId(&customer.id));
    tracing::info!(booking_id = %saved.id, customer_id = %customer.id, "booking created");
    Ok(to_view(
        saved,
        full_name(&customer.first_name, &customer.last_name),
        card.as_ref(),
    ))
}

/// The New booking form, parsed; every field's error reported at once.
struct ParsedBooking {
    title: BookingTitle,
    starts_at: StartsAt,
    participants: Participants,
    total: i64,
}

fn parse(
    form: &BookingForm,
    currency: Currency,
    customer: &customer::Model,
    card: Option<&payment_option::Model>,
) -> Result<ParsedBooking, AppError> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError::new(field, message));
        }
    };
    let title = BookingTitle::parse(&form.title);
    check("title", title.clone().map(drop));
    let starts_at = StartsAt::parse(&form.starts_at);
    check("starts_at", starts_at.clone().map(drop));
    let participants = Participants::parse(&form.participants);
    check("participants", participants.clone().map(drop));
    let total = currency.parse_amount(&form.total);
    check("total", total.clone().map(drop));
    if card.is_some_and(|c| c.customer_id != customer.id || c.removed_at.is_some()) {
        check("payment_option_id", Err(NOT_THIS_CUSTOMERS_CARD.to_owned()));
    }
    let (Ok(title), Ok(starts_at), Ok(participants), Ok(total), true) =
        (title, starts_at, participants, total, errors.is_empty())
    else {
        return Err(AppError::validation(errors));
    };
    Ok(ParsedBooking {
        title,
        starts_at,
        participants,
        total,
    })
}

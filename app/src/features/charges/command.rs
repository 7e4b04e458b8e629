//! Charge: the row and its idempotency key are committed before the PaymentIntent is sent, so a
//! double click, a retry after a lost answer, or a crash never charges twice; the answer is
//! recorded by `settle`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::dto::ChargeView;
use super::parse::{ChargeForm, currency_of, parse_line, parse_request_key};
use super::settle::settle;
use super::view::{charge_view, status_label};
use crate::entities::{booking, charge, new_id, payment_option};
use crate::error::{AppError, FieldError};
use crate::features::activity::service::Actor;
use crate::features::auth::service::Authenticated;
use crate::features::customers::service::find_model;
use crate::features::payment_options::view::unusable_reason;
use crate::features::settings::connection;
use crate::features::settings::service::find_merchant;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::money::{Currency, balance_due};
use crate::payments::operations::{ChargeOutcome, OffSessionCharge};
use crate::payments::{PaymentsError, StripeAccount};
use crate::state::AppState;
use crate::states::ChargeStatus;

/// Charge: validates, writes the row, sends the PaymentIntent and records the outcome. A
/// submission seen before (same `request_key`) is resumed, never charged again.
pub async fn charge(
    state: &AppState,
    auth: &Authenticated,
    form: ChargeForm,
) -> Result<ChargeView, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let request_key = parse_request_key(&form.request_key)?;
    if let Some(existing) = find_by_request_key(db, merchant_id, &request_key).await? {
        return resume(state, existing).await;
    }
    let checked = check(state, merchant_id, &form).await?;
    // Checked before anything is written: without a connection there is nothing to charge with.
    let connection = connection::require(state, merchant_id).await?;
    // Its outcome may email the customer (a receipt, a link to confirm the payment).
    crate::features::onboarding::gate::require_confirmed(db, merchant_id).await?;
    refuse_unconfirmed_duplicate(db, merchant_id, &request_key, &form, &checked).await?;
    let id = new_id();
    let now = Utc::now();
    let row = charge::ActiveModel {
        id: Set(id.clone()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(form.customer_id.clone()),
        booking_id: Set(checked.booking.as_ref().map(|b| b.id.clone())),
        payment_option_id: Set(form.payment_option_id.clone()),
        request_key: Set(request_key.clone()),
        idempotency_key: Set(format!("cof-charge-{id}")),
        amount: Set(checked.amount),
        currency: Set(checked.currency_code.clone()),
        description: Set(checked.description.clone()),
        status: Set(ChargeStatus::Pending),
        stripe_payment_intent_id: Set(None),
        failure_code: Set(None),
        decline_code: Set(None),
        failure_message: Set(None),
        refunded_amount: Set(0),
        send_receipt: Set(form.send_receipt),
        created_by_staff_id: Set(auth.staff_user_id.clone()),
        attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        settled_at: Set(None),
    };
    let Some(row) = write(db, merchant_id, &checked, row).await? else {
        // The same submission raced this one (a double click): continue with its row.
        let existing = find_by_request_key(db, merchant_id, &request_key)
            .await?
            .ok_or_else(|| AppError::internal("charge vanished after a unique violation"))?;
        return resume(state, existing).await;
    };
    tracing::info!(charge_id = %row.id, amount = row.amount, "charge written; sending to Stripe");
    live::publish(MerchantId(merchant_id), CustomerId(&row.customer_id));
    let account = connection.account(state)?;
    send_and_show(state, &account, &row).await
}

/// Sends the charge and shows it as it now is. When Stripe did not answer the charge is shown
/// pending — it is, and the reconciler completes it with the same key — rather than as an error
/// inviting the merchant to charge again.
async fn send_and_show(
    state: &AppState,
    account: &StripeAccount,
    row: &charge::Model,
) -> Result<ChargeView, AppError> {
    match send_to_stripe(state, account, row).await {
        Ok(()) | Err(AppError::StripeUnavailable) => {}
        Err(err) => return Err(err),
    }
    let row = reload(&state.db, &row.id).await?;
    charge_view(&state.db, &row).await
}

/// Open states a second charge could duplicate: Stripe may take (or have taken) the money.
const UNSETTLED: [ChargeStatus; 3] = [
    ChargeStatus::Pending,
    ChargeStatus::RequiresAction,
    ChargeStatus::Unknown,
];

/// A new charge of the same amount to the same customer while another is unsettled is refused
/// with a warning naming that charge, unless the form confirms it (`confirm_duplicate` is that
/// charge's id: **Charge anyway**). The same submission sent twice (a double click) is no
/// duplicate: it finds its own row and resumes it.
async fn refuse_unconfirmed_duplicate(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    request_key: &str,
    form: &ChargeForm,
    checked: &Checked,
) -> Result<(), AppError> {
    let Some(open) = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::CustomerId.eq(form.customer_id.as_str()))
        .filter(charge::Column::Amount.eq(checked.amount))
        .filter(charge::Column::Status.is_in(UNSETTLED))
        .filter(charge::Column::RequestKey.ne(request_key))
        .order_by_desc(charge::Column::CreatedAt)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if form.confirm_duplicate.as_deref() == Some(open.id.as_str()) {
        return Ok(());
    }
    Err(AppError::PossibleDuplicateCharge {
        charge_id: open.id.clone(),
        amount_text: checked.currency.format(open.amount),
        status_label: status_label(&open),
        at: crate::time::minute(open.created_at),
    })
}

/// A charge the form asked for, checked against the merchant's data.
struct Checked {
    amount: i64,
    currency: Currency,
    currency_code: String,
    description: String,
    booking: Option<booking::Model>,
}

/// The customer, card and booking must be this merchant's (else "not found"); amount and
/// description must parse; every field error is reported at once.
async fn check(
    state: &AppState,
    merchant_id: &str,
    form: &ChargeForm,
) -> Result<Checked, AppError> {
    let db = &state.db;
    let customer = find_model(db, MerchantId(merchant_id), CustomerId(&form.customer_id)).await?;
    let merchant = find_merchant(db, merchant_id).await?;
    let currency = currency_of(&merchant.currency)?;
    let option = payment_option::Entity::find_by_id(form.payment_option_id.clone())
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::CustomerId.eq(customer.id.as_str()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let booking = match &form.booking_id {
        Some(id) => Some(
            booking::Entity::find_by_id(id.clone())
                .filter(booking::Column::MerchantId.eq(merchant_id))
                .filter(booking::Column::CustomerId.eq(customer.id.as_str()))
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let mut errors = Vec::new();
    let amount = currency
        .parse_amount(&form.amount)
        .map_err(|m| errors.push(FieldError::new("amount", m)))
        .ok();
    let description = parse_line(
        &form.description,
        200,
        "Enter a description.",
        "The description",
    )
    .map_err(|m| errors.push(FieldError::new("description", m)))
    .ok();
    if option.removed_at.is_some() {
        errors.push(FieldError::new(
            "payment_option_id",
            "This card was removed: choose another one.",
        ));
    }
    if let Some(b) = &booking
        && b.currency != merchant.currency
    {
        errors.push(FieldError::new(
            "amount",
            format!(
                "This booking is in {}: change the currency in Settings back to charge it.",
                b.currency.to_uppercase()
            ),
        ));
    }
    // A card of another Stripe account: refused here, before anything is sent to Stripe.
    let scope = connection::scope_of(db, merchant_id).await?;
    if let Some(why) = unusable_reason(scope.as_ref(), &option) {
        errors.push(FieldError::new("payment_option_id", why));
    }
    let (Some(amount), Some(description), true) = (amount, description, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    if customer.stripe_customer_id.is_none() {
        return Err(AppError::internal("card on file without a Stripe customer"));
    }
    Ok(Checked {
        amount,
        currency,
        currency_code: merchant.currency,
        description,
        booking,
    })
}

/// Commits the row (after taking the booking's balance, if it charges one). `None` when a row
/// with the same request key won the race.
async fn write(
    db: &DatabaseConnection,
    merchant_id: &str,
    checked: &Checked,
    row: charge::ActiveModel,
) -> Result<Option<charge::Model>, AppError> {
    let txn = db.begin().await?;
    if let Some(booking) = &checked.booking
        && let Err(err) = take_balance(&txn, merchant_id, booking, checked).await
    {
        txn.rollback().await?;
        return Err(err);
    }
    match row.insert(&txn).await {
        Ok(row) => {
            txn.commit().await?;
            Ok(Some(row))
        }
        Err(err) if crate::error::is_unique_violation(&err) => {
            txn.rollback().await?;
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// Refuses an amount over what the booking still owes, counting charges in flight. Written
/// first: the booking row is locked (SQLite: the database) until commit, so two charges of one
/// booking can't both take the same balance.
async fn take_balance(
    txn: &impl ConnectionTrait,
    merchant_id: &str,
    booking: &booking::Model,
    checked: &Checked,
) -> Result<(), AppError> {
    booking::Entity::update_many()
        .col_expr(booking::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(booking::Column::Id.eq(booking.id.as_str()))
        .exec(txn)
        .await?;
    let fresh = booking::Entity::find_by_id(booking.id.clone())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let in_flight: i64 = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::BookingId.eq(booking.id.as_str()))
        .filter(charge::Column::Status.is_in(UNSETTLED))
        .all(txn)
        .await?
        .iter()
        .map(|c| c.amount)
        .sum();
    let available =
        balance_due(fresh.total_amount, fresh.paid_amount, fresh.refunded_amount) - in_flight;
    if checked.amount <= available {
        return Ok(());
    }
    let message = if available <= 0 {
        "Nothing is due on this booking.".to_owned()
    } else {
        format!(
            "The balance due is {}: charge at most that.",
            checked.currency.format(available)
        )
    };
    Err(AppError::field("amount", message))
}

async fn find_by_request_key(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    request_key: &str,
) -> Result<Option<charge::Model>, AppError> {
    Ok(charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::RequestKey.eq(request_key))
        .one(db)
        .await?)
}

/// The Stripe account a charge was made in (its card's), when that is not the connected one:
/// its PaymentIntent and refunds live there, out of reach of the keys we hold now.
pub(super) async fn made_in_other_account(
    db: &impl ConnectionTrait,
    connection: &connection::StripeConnection,
    row: &charge::Model,
) -> Result<Option<String>, AppError> {
    let card = payment_option::Entity::find_by_id(row.payment_option_id.clone())
        .one(db)
        .await?;
    Ok(card
        .filter(|card| {
            !connection
                .scope()
                .holds(card.stripe_account_id.as_deref(), card.stripe_livemode)
        })
        .map(|card| card.stripe_account_id.unwrap_or_default()))
}

pub async fn reload(db: &impl ConnectionTrait, id: &str) -> Result<charge::Model, AppError> {
    charge::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("charge row missing"))
}

/// A submission seen before: a settled charge is shown as it is; one still pending is sent again
/// with its own idempotency key (Stripe answers with the first attempt's result if it got it).
async fn resume(state: &AppState, row: charge::Model) -> Result<ChargeView, AppError> {
    if row.status == ChargeStatus::Pending {
        let connection = connection::require(state, &row.merchant_id).await?;
        let account = connection.account(state)?;
        return send_and_show(state, &account, &row).await;
    }
    charge_view(&state.db, &row).await
}

/// Sends the charge's PaymentIntent (`off_session=true, confirm=true`, the row's idempotency key)
/// and records the answer. When Stripe can't be reached the row stays pending and the caller gets
/// a retryable error; a retry or the reconciler finishes it.
pub async fn send_to_stripe(
    state: &AppState,
    account: &StripeAccount,
    row: &charge::Model,
) -> Result<(), AppError> {
    let db = &state.db;
    charge::Entity::update_many()
        .col_expr(
            charge::Column::Attempts,
            Expr::col(charge::Column::Attempts).add(1),
        )
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .exec(db)
        .await?;
    let option = payment_option::Entity::find_by_id(row.payment_option_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("charge without its payment option"))?;
    let customer = find_model(
        db,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?;
    let stripe_customer = customer
        .stripe_customer_id
        .ok_or_else(|| AppError::internal("charge for a customer without a Stripe customer"))?;
    let result = account
        .charge_off_session(OffSessionCharge {
            charge_id: &row.id,
            customer_id: &stripe_customer,
            payment_method_id: &option.stripe_payment_method_id,
            amount: row.amount,
            currency: &row.currency,
            description: &row.description,
            idempotency_key: &row.idempotency_key,
        })
        .await;
    let outcome = match result {
        Ok(outcome) => outcome,
        // Stripe refused the request itself (a detached card, a bad parameter): nothing was
        // charged and sending it again would get the same answer.
        Err(PaymentsError::Api { code, message, .. }) => ChargeOutcome::Declined {
            payment_intent_id: None,
            code: code.unwrap_or_else(|| "card_declined".to_owned()),
            decline_code: None,
            message,
        },
        Err(PaymentsError::InvalidKey) => ChargeOutcome::Declined {
            payment_intent_id: None,
            code: "invalid_key".to_owned(),
            decline_code: None,
            message: "Stripe did not accept the secret key".to_owned(),
        },
        Err(err @ PaymentsError::Unavailable(_)) => {
            tracing::warn!(charge_id = %row.id, error = %err, "charge left pending: Stripe unavailable");
            return Err(AppError::from(err));
        }
    };
    let fresh = reload(db, &row.id).await?;
    settle(
        state,
        &fresh,
        outcome,
        Actor::Staff(&row.created_by_staff_id),
    )
    .await
}

//! Charges and refunds, server side.
//!
//! A charge is written (status `pending`, with its idempotency key) and committed before Stripe
//! is called; Stripe's answer then moves it on with a conditional UPDATE, so whoever records an
//! outcome — the request itself, a retry of the same submission, the webhook, the reconciler —
//! records it once. The same holds for refunds. A charge's form submission carries a
//! `request_key`: a double click or a retry finds the row it already made.

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::dto::{ChargeView, PaymentConfirmed, PaymentToConfirm, RefundView};
use super::emails::{ConfirmPaymentEmail, PaymentOutcomeEmail, ReceiptEmail};
use crate::domain::EmailAddress;
use crate::entities::{
    booking, card_request, charge, merchant, new_id, payment_option, refund, staff_user,
};
use crate::error::{AppError, FieldError};
use crate::features::activity::service::{self as activity, Actor, staff_names};
use crate::features::auth::service::Authenticated;
use crate::features::card_requests::link;
use crate::features::customers::dto::full_name;
use crate::features::customers::service::find_model;
use crate::features::notifications::{live, outbox};
use crate::features::payment_options::service::card_label;
use crate::features::settings::connection::{self, StripeConnection, payments_error};
use crate::features::settings::service::find_merchant;
use crate::money::{Currency, balance_due, refundable};
use crate::payments::operations::{ChargeOutcome, OffSessionCharge};
use crate::payments::{PaymentsError, StripeAccount};
use crate::state::AppState;

pub const KIND_RECEIPT: &str = "charge_receipt";
pub const KIND_PAYMENT_CONFIRMATION: &str = "payment_confirmation";
pub const KIND_PAYMENT_OUTCOME: &str = "payment_outcome_notice";

/// How many charges the profile lists, newest first.
const CHARGES_SHOWN: u64 = 100;

/// The Charge form as typed; parsed against the merchant's currency.
#[derive(Debug, Clone)]
pub struct ChargeForm {
    pub customer_id: String,
    pub payment_option_id: String,
    pub amount: String,
    pub description: String,
    pub booking_id: Option<String>,
    pub request_key: String,
    pub send_receipt: bool,
}

pub(super) fn minute(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A form's key for one submission: 16–64 characters of `[A-Za-z0-9_-]` (the browser makes one
/// per opening of the dialog).
pub(super) fn parse_request_key(raw: &str) -> Result<String, AppError> {
    let key = raw.trim();
    let valid = (16..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(key.to_owned())
    } else {
        Err(AppError::field(
            "request_key",
            "This form is out of date: close it and open it again.",
        ))
    }
}

/// One line of text, required, at most `max` characters.
pub(super) fn parse_line(
    raw: &str,
    max: usize,
    empty: &str,
    label: &str,
) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(empty.to_owned());
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{label} must be a single line of text."));
    }
    if value.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(value.to_owned())
}

pub(super) fn currency_of(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code).map_err(|_| AppError::internal(format!("unknown currency {code}")))
}

/// A decline as people read it, from Stripe's code and decline code.
pub fn decline_reason(code: &str, decline_code: Option<&str>) -> String {
    let reason = match decline_code.unwrap_or(code) {
        "insufficient_funds" => "insufficient funds",
        "lost_card" => "the card was reported lost",
        "stolen_card" => "the card was reported stolen",
        "expired_card" => "the card has expired",
        "incorrect_cvc" => "the security code is incorrect",
        "incorrect_number" => "the card number is incorrect",
        "processing_error" => "a processing error at the bank — try again",
        "authentication_required" => "the bank requires the customer to authenticate",
        "payment_intent_authentication_failure" => "the customer did not complete authentication",
        "do_not_honor" | "generic_decline" | "card_declined" => "the card was declined",
        "fraudulent" => "the bank suspects fraud",
        "card_velocity_exceeded" => "the card's limit was exceeded",
        "invalid_key" => "Stripe refused this account's key: reconnect MioPay in Settings",
        "confirmation_expired" => "the customer did not confirm before the link expired",
        _ => "the card was declined",
    };
    reason.to_owned()
}

fn status_label(charge: &charge::Model) -> String {
    match charge.status.as_str() {
        charge::SUCCEEDED if charge.refunded_amount >= charge.amount => "Refunded".to_owned(),
        charge::SUCCEEDED if charge.refunded_amount > 0 => "Partly refunded".to_owned(),
        charge::SUCCEEDED => "Succeeded".to_owned(),
        charge::REQUIRES_ACTION => "Waiting for the customer to confirm".to_owned(),
        charge::FAILED if charge.failure_code.as_deref() == Some(CONFIRMATION_EXPIRED) => {
            "Not confirmed — the customer's link expired".to_owned()
        }
        charge::FAILED => format!(
            "Declined: {}",
            decline_reason(
                charge.failure_code.as_deref().unwrap_or("card_declined"),
                charge.decline_code.as_deref()
            )
        ),
        _ => "Checking with Stripe…".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The profile's Payments

/// The customer's charges with their refunds: five queries, whatever the number of rows.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
) -> Result<Vec<ChargeView>, AppError> {
    let charges = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::CustomerId.eq(customer_id))
        .order_by_desc(charge::Column::CreatedAt)
        .limit(CHARGES_SHOWN)
        .all(db)
        .await?;
    if charges.is_empty() {
        return Ok(Vec::new());
    }
    let charge_ids: Vec<String> = charges.iter().map(|c| c.id.clone()).collect();
    let refunds = refund::Entity::find()
        .filter(refund::Column::MerchantId.eq(merchant_id))
        .filter(refund::Column::ChargeId.is_in(charge_ids))
        .order_by_asc(refund::Column::CreatedAt)
        .all(db)
        .await?;
    let options: std::collections::HashMap<String, payment_option::Model> =
        payment_option::Entity::find()
            .filter(payment_option::Column::MerchantId.eq(merchant_id))
            .filter(
                payment_option::Column::Id
                    .is_in(charges.iter().map(|c| c.payment_option_id.clone())),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
    let booking_ids: Vec<String> = charges
        .iter()
        .filter_map(|c| c.booking_id.clone())
        .collect();
    let bookings: std::collections::HashMap<String, String> = if booking_ids.is_empty() {
        Default::default()
    } else {
        booking::Entity::find()
            .filter(booking::Column::MerchantId.eq(merchant_id))
            .filter(booking::Column::Id.is_in(booking_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.id, b.title))
            .collect()
    };
    let names = staff_names(
        db,
        merchant_id,
        charges
            .iter()
            .map(|c| c.created_by_staff_id.clone())
            .chain(refunds.iter().filter_map(|r| r.created_by_staff_id.clone())),
    )
    .await?;
    let name_of = |id: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "A staff member".to_owned())
    };
    charges
        .into_iter()
        .map(|c| {
            let currency = currency_of(&c.currency)?;
            let refunds = refunds
                .iter()
                .filter(|r| r.charge_id == c.id)
                .map(|r| RefundView {
                    id: r.id.clone(),
                    amount: r.amount,
                    amount_text: currency.format(r.amount),
                    reason: r.reason.clone(),
                    status: r.status.clone(),
                    status_label: match r.status.as_str() {
                        refund::SUCCEEDED => "Refunded".to_owned(),
                        refund::FAILED => format!(
                            "Refund failed: {}",
                            r.failure_message.as_deref().unwrap_or("Stripe refused it")
                        ),
                        _ => "Refund pending".to_owned(),
                    },
                    by: r
                        .created_by_staff_id
                        .as_deref()
                        .map_or_else(|| "Stripe dashboard".to_owned(), name_of),
                    at: minute(r.created_at),
                })
                .collect();
            let left = if c.status == charge::SUCCEEDED {
                refundable(c.amount, c.refunded_amount)
            } else {
                0
            };
            Ok(ChargeView {
                booking_title: c
                    .booking_id
                    .as_ref()
                    .and_then(|id| bookings.get(id).cloned()),
                booking_id: c.booking_id.clone(),
                amount_text: currency.format(c.amount),
                card: options
                    .get(&c.payment_option_id)
                    .map_or_else(|| "Card".to_owned(), card_label),
                status_label: status_label(&c),
                refunded_text: currency.format(c.refunded_amount),
                refundable: left,
                refundable_text: currency.format(left),
                refunds,
                by: name_of(&c.created_by_staff_id),
                at: minute(c.created_at),
                failure_code: c.failure_code.clone(),
                refunded: c.refunded_amount,
                status: c.status.clone(),
                amount: c.amount,
                currency: c.currency.clone(),
                description: c.description.clone(),
                id: c.id,
            })
        })
        .collect()
}

pub(super) async fn charge_view(
    db: &impl ConnectionTrait,
    row: &charge::Model,
) -> Result<ChargeView, AppError> {
    // The profile's own rendering, so a dialog and the list never disagree.
    for_customer(db, &row.merchant_id, &row.customer_id)
        .await?
        .into_iter()
        .find(|c| c.id == row.id)
        .ok_or_else(|| AppError::internal("charge missing from its customer's list"))
}

// ---------------------------------------------------------------------------------------------
// Charge

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

    let customer = find_model(db, merchant_id, &form.customer_id).await?;
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
    let (Some(amount), Some(description), true) = (amount, description, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    // Checked before anything is written: without a connection there is nothing to charge with.
    let connection = connection::require(state, merchant_id).await?;
    if customer.stripe_customer_id.is_none() {
        return Err(AppError::internal("card on file without a Stripe customer"));
    }

    let now = Utc::now();
    let id = new_id();
    let row = charge::ActiveModel {
        id: Set(id.clone()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(customer.id.clone()),
        booking_id: Set(booking.as_ref().map(|b| b.id.clone())),
        payment_option_id: Set(option.id.clone()),
        request_key: Set(request_key.clone()),
        idempotency_key: Set(format!("cof-charge-{id}")),
        amount: Set(amount),
        currency: Set(merchant.currency.clone()),
        description: Set(description),
        status: Set(charge::PENDING.to_owned()),
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
    let txn = db.begin().await?;
    if let Some(booking) = &booking {
        // Written first: the booking row is locked (SQLite: the database) until commit, so two
        // charges of one booking can't both take the same balance.
        booking::Entity::update_many()
            .col_expr(booking::Column::UpdatedAt, Expr::value(now))
            .filter(booking::Column::Id.eq(booking.id.as_str()))
            .exec(&txn)
            .await?;
        let fresh = booking::Entity::find_by_id(booking.id.clone())
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let in_flight: i64 = charge::Entity::find()
            .filter(charge::Column::MerchantId.eq(merchant_id))
            .filter(charge::Column::BookingId.eq(booking.id.as_str()))
            .filter(charge::Column::Status.is_in([charge::PENDING, charge::REQUIRES_ACTION]))
            .all(&txn)
            .await?
            .iter()
            .map(|c| c.amount)
            .sum();
        let available =
            balance_due(fresh.total_amount, fresh.paid_amount, fresh.refunded_amount) - in_flight;
        if amount > available {
            txn.rollback().await?;
            let message = if available <= 0 {
                "Nothing is due on this booking.".to_owned()
            } else {
                format!(
                    "The balance due is {}: charge at most that.",
                    currency.format(available)
                )
            };
            return Err(AppError::field("amount", message));
        }
    }
    let inserted = row.insert(&txn).await;
    let row = match inserted {
        Ok(row) => {
            txn.commit().await?;
            row
        }
        Err(err) if crate::error::is_unique_violation(&err) => {
            // The same submission raced this one (a double click): continue with its row.
            txn.rollback().await?;
            let existing = find_by_request_key(db, merchant_id, &request_key)
                .await?
                .ok_or_else(|| AppError::internal("charge vanished after a unique violation"))?;
            return resume(state, existing).await;
        }
        Err(err) => return Err(err.into()),
    };
    tracing::info!(charge_id = %row.id, amount, "charge written; sending to Stripe");
    live::publish(merchant_id, &row.customer_id);
    let account = connection.account(state)?;
    send_to_stripe(state, &account, &row).await?;
    let row = reload(db, &row.id).await?;
    charge_view(db, &row).await
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

pub(super) async fn reload(db: &impl ConnectionTrait, id: &str) -> Result<charge::Model, AppError> {
    charge::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("charge row missing"))
}

/// A submission seen before: a settled charge is shown as it is; one still pending is sent again
/// with its own idempotency key (Stripe answers with the first attempt's result if it got it).
async fn resume(state: &AppState, row: charge::Model) -> Result<ChargeView, AppError> {
    if row.status == charge::PENDING {
        let connection = connection::require(state, &row.merchant_id).await?;
        let account = connection.account(state)?;
        send_to_stripe(state, &account, &row).await?;
    }
    let row = reload(&state.db, &row.id).await?;
    charge_view(&state.db, &row).await
}

/// Sends the charge's PaymentIntent (`off_session=true, confirm=true`, the row's idempotency key)
/// and records the answer. When Stripe can't be reached the row stays pending and the caller gets
/// a retryable error; a retry or the reconciler finishes it.
pub(crate) async fn send_to_stripe(
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
    let customer = find_model(db, &row.merchant_id, &row.customer_id).await?;
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
            return Err(payments_error(err));
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

/// Moves a charge on from what Stripe says, once: each transition is a conditional UPDATE from
/// the states it may leave, and only the caller whose UPDATE changed the row does what follows
/// (the booking's paid amount, the activity entry, emails) in the same transaction.
pub(crate) async fn settle(
    state: &AppState,
    row: &charge::Model,
    outcome: ChargeOutcome,
    actor: Actor<'_>,
) -> Result<(), AppError> {
    let db = &state.db;
    let now = Utc::now();
    let merchant = find_merchant(db, &row.merchant_id).await?;
    let currency = currency_of(&row.currency)?;
    let amount_text = currency.format(row.amount);
    let txn = db.begin().await?;
    let mut published = false;
    match outcome {
        ChargeOutcome::Succeeded { payment_intent_id } => {
            let from = close_open_charge(&txn, &row.id, charge::SUCCEEDED, now, |update| {
                update
                    .col_expr(
                        charge::Column::StripePaymentIntentId,
                        Expr::value(payment_intent_id.clone()),
                    )
                    .col_expr(charge::Column::FailureCode, Expr::value(None::<String>))
            })
            .await?;
            if let Some(from) = from {
                if let Some(booking_id) = &row.booking_id {
                    booking::Entity::update_many()
                        .col_expr(
                            booking::Column::PaidAmount,
                            Expr::col(booking::Column::PaidAmount).add(row.amount),
                        )
                        .col_expr(booking::Column::UpdatedAt, Expr::value(now))
                        .filter(booking::Column::Id.eq(booking_id.as_str()))
                        .exec(&txn)
                        .await?;
                }
                let card = card_of(&txn, row).await?;
                let summary = format!("Charged {amount_text} to {card} — {}", row.description);
                let actor = if from == charge::REQUIRES_ACTION {
                    Actor::Customer
                } else {
                    actor
                };
                activity::record(
                    &txn,
                    &row.merchant_id,
                    &row.customer_id,
                    actor,
                    activity::CHARGE_SUCCEEDED,
                    summary,
                )
                .await?;
                if row.send_receipt {
                    enqueue_receipt(&txn, &merchant, row, &amount_text, &card).await?;
                }
                if from == charge::REQUIRES_ACTION {
                    finish_confirmation(state, &txn, &merchant, row, &amount_text, None).await?;
                }
                published = true;
                tracing::info!(charge_id = %row.id, "charge succeeded");
            }
        }
        ChargeOutcome::AuthenticationRequired {
            payment_intent_id, ..
        } => {
            let won = charge::Entity::update_many()
                .col_expr(charge::Column::Status, Expr::value(charge::REQUIRES_ACTION))
                .col_expr(charge::Column::UpdatedAt, Expr::value(now))
                .filter(charge::Column::Id.eq(row.id.as_str()))
                .filter(charge::Column::Status.eq(charge::PENDING))
                .col_expr(
                    charge::Column::StripePaymentIntentId,
                    Expr::value(payment_intent_id.clone()),
                )
                .col_expr(
                    charge::Column::FailureCode,
                    Expr::value("authentication_required"),
                )
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if won {
                let emailed =
                    send_confirmation_link(state, &txn, &merchant, row, &amount_text).await?;
                let summary = match &emailed {
                    Some(to) => format!(
                        "Charge of {amount_text} needs the customer to confirm — emailed {to} a link"
                    ),
                    None => format!(
                        "Charge of {amount_text} needs the customer to confirm — add an email address to send them a link"
                    ),
                };
                activity::record(
                    &txn,
                    &row.merchant_id,
                    &row.customer_id,
                    actor,
                    activity::CHARGE_REQUIRES_ACTION,
                    summary,
                )
                .await?;
                published = true;
                tracing::info!(charge_id = %row.id, "charge waits for the customer");
            }
        }
        ChargeOutcome::Declined {
            payment_intent_id,
            code,
            decline_code,
            message,
        } => {
            let from = close_open_charge(&txn, &row.id, charge::FAILED, now, |update| {
                update
                    .col_expr(
                        charge::Column::StripePaymentIntentId,
                        Expr::value(
                            payment_intent_id
                                .clone()
                                .or(row.stripe_payment_intent_id.clone()),
                        ),
                    )
                    .col_expr(charge::Column::FailureCode, Expr::value(code.clone()))
                    .col_expr(
                        charge::Column::DeclineCode,
                        Expr::value(decline_code.clone()),
                    )
                    .col_expr(
                        charge::Column::FailureMessage,
                        Expr::value(message.chars().take(500).collect::<String>()),
                    )
            })
            .await?;
            if let Some(from) = from {
                let reason = decline_reason(&code, decline_code.as_deref());
                let summary = format!("Charge of {amount_text} declined: {reason}");
                let actor = if from == charge::REQUIRES_ACTION {
                    Actor::Customer
                } else {
                    actor
                };
                activity::record(
                    &txn,
                    &row.merchant_id,
                    &row.customer_id,
                    actor,
                    activity::CHARGE_FAILED,
                    summary,
                )
                .await?;
                if from == charge::REQUIRES_ACTION {
                    finish_confirmation(state, &txn, &merchant, row, &amount_text, Some(&reason))
                        .await?;
                }
                published = true;
                tracing::info!(charge_id = %row.id, code, "charge declined");
            }
        }
        ChargeOutcome::Pending {
            payment_intent_id, ..
        } => {
            // Stripe is still processing: keep the PaymentIntent so the webhook and the
            // reconciler can find it.
            charge::Entity::update_many()
                .col_expr(
                    charge::Column::StripePaymentIntentId,
                    Expr::value(payment_intent_id),
                )
                .col_expr(charge::Column::UpdatedAt, Expr::value(now))
                .filter(charge::Column::Id.eq(row.id.as_str()))
                .filter(charge::Column::StripePaymentIntentId.is_null())
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    if published {
        outbox::wake_worker();
        live::publish(&row.merchant_id, &row.customer_id);
    }
    Ok(())
}

/// Moves an open charge (`pending` or `requires_action`) to the final state `to`, with the
/// columns `set` adds, in one conditional UPDATE per open state. Returns the state it left, or
/// `None` when the charge was no longer open (another caller settled it first).
async fn close_open_charge(
    txn: &impl ConnectionTrait,
    charge_id: &str,
    to: &'static str,
    now: chrono::DateTime<Utc>,
    set: impl Fn(sea_orm::UpdateMany<charge::Entity>) -> sea_orm::UpdateMany<charge::Entity>,
) -> Result<Option<&'static str>, AppError> {
    for from in [charge::PENDING, charge::REQUIRES_ACTION] {
        let update = charge::Entity::update_many()
            .col_expr(charge::Column::Status, Expr::value(to))
            .col_expr(charge::Column::UpdatedAt, Expr::value(now))
            .col_expr(charge::Column::SettledAt, Expr::value(now))
            .filter(charge::Column::Id.eq(charge_id))
            .filter(charge::Column::Status.eq(from));
        if set(update).exec(txn).await?.rows_affected == 1 {
            return Ok(Some(from));
        }
    }
    Ok(None)
}

async fn card_of(db: &impl ConnectionTrait, row: &charge::Model) -> Result<String, AppError> {
    Ok(
        payment_option::Entity::find_by_id(row.payment_option_id.clone())
            .one(db)
            .await?
            .map_or_else(|| "card".to_owned(), |o| card_label(&o)),
    )
}

async fn enqueue_receipt(
    txn: &impl ConnectionTrait,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
    card: &str,
) -> Result<(), AppError> {
    let customer = find_model(txn, &row.merchant_id, &row.customer_id).await?;
    let Some(recipient) = customer
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
    else {
        return Ok(());
    };
    let date = Utc::now().format("%Y-%m-%d").to_string();
    let email = ReceiptEmail {
        first_name: &customer.first_name,
        merchant_name: &merchant.business_name,
        amount: amount_text,
        description: &row.description,
        card,
        date: &date,
    };
    let bodies = email.render()?;
    outbox::enqueue(
        txn,
        outbox::NewEmail {
            merchant_id: row.merchant_id.clone(),
            customer_id: Some(customer.id.clone()),
            kind: KIND_RECEIPT.to_owned(),
            recipient,
            from_name: merchant.business_name.clone(),
            reply_to: None,
            subject: email.subject(),
            body_text: bodies.text,
            body_html: bodies.html,
        },
    )
    .await?;
    Ok(())
}

/// Emails the customer a link to confirm the payment on-session (the card-request link machinery:
/// a `card_requests` row with `charge_id`). Returns the address, or `None` without one.
async fn send_confirmation_link(
    state: &AppState,
    txn: &impl ConnectionTrait,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
) -> Result<Option<String>, AppError> {
    let customer = find_model(txn, &row.merchant_id, &row.customer_id).await?;
    let Some(recipient) = customer
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
    else {
        return Ok(None);
    };
    let (token, token_hash) = link::new_token();
    let now = Utc::now();
    let expires_at = now
        + Duration::days(i64::from(std::cmp::max(
            merchant.card_link_validity_days,
            1,
        )));
    let link_url = state
        .config
        .base_url
        .join(&format!("pay/{token}"))
        .map_err(AppError::internal)?
        .to_string();
    let card = card_of(txn, row).await?;
    let expires_text = minute(expires_at);
    let email = ConfirmPaymentEmail {
        first_name: &customer.first_name,
        merchant_name: &merchant.business_name,
        amount: amount_text,
        description: &row.description,
        card: &card,
        link: &link_url,
        expires_at: &expires_text,
    };
    let bodies = email.render()?;
    let staff = staff_user::Entity::find_by_id(row.created_by_staff_id.clone())
        .one(txn)
        .await?;
    let outbox_id = outbox::enqueue(
        txn,
        outbox::NewEmail {
            merchant_id: row.merchant_id.clone(),
            customer_id: Some(customer.id.clone()),
            kind: KIND_PAYMENT_CONFIRMATION.to_owned(),
            recipient: recipient.clone(),
            from_name: merchant.business_name.clone(),
            reply_to: staff.and_then(|s| EmailAddress::parse(&s.email).ok()),
            subject: email.subject(),
            body_text: bodies.text,
            body_html: bodies.html,
        },
    )
    .await?;
    card_request::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(row.merchant_id.clone()),
        customer_id: Set(row.customer_id.clone()),
        token_hash: Set(token_hash),
        status: Set(card_request::PENDING.to_owned()),
        expires_at: Set(expires_at),
        note: Set(String::new()),
        sent_by: Set(row.created_by_staff_id.clone()),
        outbox_email_id: Set(Some(outbox_id)),
        setup_intent_id: Set(None),
        opened_at: Set(None),
        completed_at: Set(None),
        revoked_at: Set(None),
        payment_option_id: Set(None),
        charge_id: Set(Some(row.id.clone())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(Some(recipient.as_str().to_owned()))
}

/// Resend: a new confirmation link for a charge still waiting for its customer (the email was
/// lost, or the customer's address was corrected since). The charge's earlier links stop working.
/// Returns the address it went to.
pub async fn resend_confirmation(
    state: &AppState,
    auth: &Authenticated,
    charge_id: &str,
) -> Result<String, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let now = Utc::now();
    let txn = db.begin().await?;
    // Write the charge row first: a resend serialises with the customer's answer and its webhook,
    // so no link goes out for a charge that has just settled.
    let waiting = charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(now))
        .filter(charge::Column::Id.eq(charge_id))
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::Status.eq(charge::REQUIRES_ACTION))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let row = charge::Entity::find_by_id(charge_id.to_owned())
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if !waiting {
        return Err(AppError::field(
            "charge_id",
            format!(
                "This payment is no longer waiting for the customer ({}).",
                status_label(&row).to_lowercase()
            ),
        ));
    }
    let merchant = find_merchant(&txn, merchant_id).await?;
    card_request::Entity::update_many()
        .col_expr(
            card_request::Column::Status,
            Expr::value(card_request::REVOKED),
        )
        .col_expr(card_request::Column::RevokedAt, Expr::value(now))
        .col_expr(card_request::Column::UpdatedAt, Expr::value(now))
        .filter(card_request::Column::MerchantId.eq(merchant_id))
        .filter(card_request::Column::ChargeId.eq(row.id.as_str()))
        .filter(card_request::Column::Status.eq(card_request::PENDING))
        .exec(&txn)
        .await?;
    let amount_text = currency_of(&row.currency)?.format(row.amount);
    let Some(recipient) =
        send_confirmation_link(state, &txn, &merchant, &row, &amount_text).await?
    else {
        return Err(AppError::field(
            "charge_id",
            "Add an email address to this customer to send them a link.",
        ));
    };
    activity::record(
        &txn,
        merchant_id,
        &row.customer_id,
        Actor::Staff(&auth.staff_user_id),
        activity::CHARGE_REQUIRES_ACTION,
        format!("Sent {recipient} a new link to confirm the payment of {amount_text}"),
    )
    .await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(merchant_id, &row.customer_id);
    tracing::info!(charge_id = %row.id, "confirmation link resent");
    Ok(recipient)
}

/// The customer answered a confirmation (or it failed): the link is used up and the staff member
/// who charged is told.
async fn finish_confirmation(
    state: &AppState,
    txn: &impl ConnectionTrait,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
    failure: Option<&str>,
) -> Result<(), AppError> {
    let now = Utc::now();
    card_request::Entity::update_many()
        .col_expr(
            card_request::Column::Status,
            Expr::value(card_request::COMPLETED),
        )
        .col_expr(card_request::Column::CompletedAt, Expr::value(now))
        .col_expr(card_request::Column::UpdatedAt, Expr::value(now))
        .filter(card_request::Column::MerchantId.eq(row.merchant_id.as_str()))
        .filter(card_request::Column::ChargeId.eq(row.id.as_str()))
        .filter(card_request::Column::Status.eq(card_request::PENDING))
        .exec(txn)
        .await?;
    let Some(staff) = staff_user::Entity::find_by_id(row.created_by_staff_id.clone())
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let Ok(recipient) = EmailAddress::parse(&staff.email) else {
        return Ok(());
    };
    let customer = find_model(txn, &row.merchant_id, &row.customer_id).await?;
    let customer_name = full_name(&customer.first_name, &customer.last_name);
    let profile_link = state
        .config
        .base_url
        .join(&format!("customers/{}", customer.id))
        .map_err(AppError::internal)?
        .to_string();
    let email = PaymentOutcomeEmail {
        staff_name: &staff.name,
        customer_name: &customer_name,
        amount: amount_text,
        description: &row.description,
        succeeded: failure.is_none(),
        reason: failure.unwrap_or_default(),
        profile_link: &profile_link,
    };
    let bodies = email.render()?;
    outbox::enqueue(
        txn,
        outbox::NewEmail {
            merchant_id: row.merchant_id.clone(),
            customer_id: Some(customer.id.clone()),
            kind: KIND_PAYMENT_OUTCOME.to_owned(),
            recipient,
            from_name: merchant.business_name.clone(),
            reply_to: None,
            subject: email.subject(),
            body_text: bodies.text,
            body_html: bodies.html,
        },
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/// `payment_intent.*` events: settles the charge that owns the PaymentIntent from Stripe's
/// current answer (asked again, so order and duplicates don't matter).
pub async fn settle_from_webhook(
    state: &AppState,
    connection: &StripeConnection,
    merchant_id: &str,
    payment_intent_id: &str,
) -> Result<(), AppError> {
    let Some(row) = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::StripePaymentIntentId.eq(payment_intent_id))
        .one(&state.db)
        .await?
    else {
        // A payment made outside this product, or a charge whose row has not recorded its
        // PaymentIntent yet (the reconciler will).
        tracing::info!(
            merchant_id,
            payment_intent_id,
            "payment event for no known charge"
        );
        return Ok(());
    };
    if !matches!(
        row.status.as_str(),
        charge::PENDING | charge::REQUIRES_ACTION
    ) {
        return Ok(());
    }
    let account = connection.account(state)?;
    let outcome = account
        .retrieve_payment(payment_intent_id)
        .await
        .map_err(payments_error)?;
    settle(state, &row, outcome, Actor::Stripe).await
}

// ---------------------------------------------------------------------------------------------
// The customer's confirm page

/// What the card page shows for a confirmation link, with the PaymentIntent's client secret; a
/// charge already settled answers `None` (the link is used).
pub async fn payment_to_confirm(
    state: &AppState,
    account: &StripeAccount,
    request: &card_request::Model,
) -> Result<Option<(PaymentToConfirm, String)>, AppError> {
    let charge_id = request
        .charge_id
        .as_deref()
        .ok_or_else(|| AppError::internal("not a payment confirmation link"))?;
    let row = reload(&state.db, charge_id).await?;
    if row.status != charge::REQUIRES_ACTION {
        return Ok(None);
    }
    let payment_intent_id = row.stripe_payment_intent_id.as_deref().ok_or_else(|| {
        AppError::internal("charge waiting for the customer without a PaymentIntent")
    })?;
    let outcome = account
        .retrieve_payment(payment_intent_id)
        .await
        .map_err(payments_error)?;
    let (client_secret, requires_action) = match outcome {
        ChargeOutcome::AuthenticationRequired {
            client_secret,
            requires_action,
            ..
        } => (client_secret, requires_action),
        settled => {
            // Stripe knows more than we do (a missed webhook): record it, the link is used.
            settle(state, &row, settled, Actor::Stripe).await?;
            return Ok(None);
        }
    };
    let option = payment_option::Entity::find_by_id(row.payment_option_id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("charge without its payment option"))?;
    let currency = currency_of(&row.currency)?;
    Ok(Some((
        PaymentToConfirm {
            amount_text: currency.format(row.amount),
            description: row.description.clone(),
            card: card_label(&option),
            payment_method_id: option.stripe_payment_method_id.clone(),
            requires_action,
        },
        client_secret,
    )))
}

/// After Stripe.js confirmed on the page: settles the charge from Stripe's answer and returns what
/// was paid. Refused (`SetupIncomplete`) while Stripe does not say it succeeded.
pub async fn complete_confirmation(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<PaymentConfirmed, AppError> {
    let request =
        crate::features::card_requests::service::find_by_token(state, token, client_ip).await?;
    let charge_id = request.charge_id.as_deref().ok_or(AppError::LinkNotFound)?;
    let row = reload(&state.db, charge_id).await?;
    if row.status == charge::REQUIRES_ACTION || row.status == charge::PENDING {
        let connection = connection::require(state, &row.merchant_id).await?;
        let account = connection.account(state)?;
        let payment_intent_id = row
            .stripe_payment_intent_id
            .as_deref()
            .ok_or(AppError::SetupIncomplete)?;
        let outcome = account
            .retrieve_payment(payment_intent_id)
            .await
            .map_err(payments_error)?;
        if !matches!(outcome, ChargeOutcome::AuthenticationRequired { .. }) {
            settle(state, &row, outcome, Actor::Customer).await?;
        }
    }
    let row = reload(&state.db, charge_id).await?;
    if row.status != charge::SUCCEEDED {
        return Err(AppError::SetupIncomplete);
    }
    let currency = currency_of(&row.currency)?;
    Ok(PaymentConfirmed {
        amount_text: currency.format(row.amount),
        card: card_of(&state.db, &row).await?,
    })
}

// ---------------------------------------------------------------------------------------------
// The reconciler's part

/// How often a charge waiting for the customer is checked with Stripe in case its webhook was
/// missed: a customer may take days, and each check is a Stripe call.
const WAITING_RECHECK: Duration = Duration::minutes(15);

/// Charges and refunds the reconciler should look at: unsettled and untouched for `older_than`
/// (charges waiting for the customer: for [`WAITING_RECHECK`] at least).
pub(crate) async fn unsettled(
    db: &impl ConnectionTrait,
    older_than: chrono::DateTime<Utc>,
    limit: u64,
) -> Result<(Vec<charge::Model>, Vec<refund::Model>), AppError> {
    let waiting_older_than = std::cmp::min(older_than, Utc::now() - WAITING_RECHECK);
    let charges = charge::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(charge::Column::Status.eq(charge::PENDING))
                        .add(charge::Column::UpdatedAt.lte(older_than)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(charge::Column::Status.eq(charge::REQUIRES_ACTION))
                        .add(charge::Column::UpdatedAt.lte(waiting_older_than)),
                ),
        )
        .order_by_asc(charge::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let refunds = refund::Entity::find()
        .filter(refund::Column::Status.eq(refund::PENDING))
        .filter(refund::Column::UpdatedAt.lte(older_than))
        .order_by_asc(refund::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok((charges, refunds))
}

/// Settles one charge from Stripe: a pending one is sent again with its own idempotency key
/// (Stripe replays the first answer, or makes the charge the merchant asked for if it never
/// arrived); one waiting for the customer is asked about.
pub(crate) async fn reconcile_charge(
    state: &AppState,
    row: &charge::Model,
) -> Result<(), AppError> {
    let connection = connection::require(state, &row.merchant_id).await?;
    let account = connection.account(state)?;
    // Touched first, so a failing row goes to the back of the queue instead of blocking it.
    charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .exec(&state.db)
        .await?;
    match (row.status.as_str(), row.stripe_payment_intent_id.as_deref()) {
        (charge::PENDING, None) => {
            // Stripe keeps idempotency keys for 24 hours; past that a resend could charge twice.
            if Utc::now() - row.created_at > Duration::hours(23) {
                tracing::error!(charge_id = %row.id, "pending charge too old to resend; check Stripe's dashboard");
                return settle(
                    state,
                    row,
                    ChargeOutcome::Declined {
                        payment_intent_id: None,
                        code: "unconfirmed".to_owned(),
                        decline_code: None,
                        message: "Stripe never confirmed this charge: check Stripe's dashboard before charging again".to_owned(),
                    },
                    Actor::Stripe,
                )
                .await;
            }
            send_to_stripe(state, &account, row).await
        }
        (charge::REQUIRES_ACTION, Some(payment_intent_id))
            if confirmation_expired(&state.db, row).await? =>
        {
            // The customer let the link expire: cancel the PaymentIntent so it can't be paid
            // later behind our back, and tell the merchant it failed.
            match account.cancel_abandoned_payment(payment_intent_id).await {
                Ok(()) => {
                    settle(
                        state,
                        row,
                        ChargeOutcome::Declined {
                            payment_intent_id: Some(payment_intent_id.to_owned()),
                            code: CONFIRMATION_EXPIRED.to_owned(),
                            decline_code: None,
                            message: "The customer did not confirm before the link expired"
                                .to_owned(),
                        },
                        Actor::Stripe,
                    )
                    .await
                }
                // Stripe refuses to cancel an intent that succeeded at the last moment: record
                // what it is.
                Err(PaymentsError::Api { .. }) => {
                    let outcome = account
                        .retrieve_payment(payment_intent_id)
                        .await
                        .map_err(payments_error)?;
                    settle(state, row, outcome, Actor::Stripe).await
                }
                Err(err) => Err(payments_error(err)),
            }
        }
        (_, Some(payment_intent_id)) => {
            let outcome = account
                .retrieve_payment(payment_intent_id)
                .await
                .map_err(payments_error)?;
            settle(state, row, outcome, Actor::Stripe).await
        }
        _ => Ok(()),
    }
}

/// The failure code of a charge whose customer never confirmed before the link expired.
pub const CONFIRMATION_EXPIRED: &str = "confirmation_expired";

/// True when the newest confirmation link of a charge waiting for its customer has expired
/// unanswered.
async fn confirmation_expired(
    db: &impl ConnectionTrait,
    row: &charge::Model,
) -> Result<bool, AppError> {
    let newest = card_request::Entity::find()
        .filter(card_request::Column::MerchantId.eq(row.merchant_id.as_str()))
        .filter(card_request::Column::ChargeId.eq(row.id.as_str()))
        .order_by_desc(card_request::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(newest
        .is_some_and(|link| link.status == card_request::PENDING && link.expires_at <= Utc::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keys_are_bounded_and_plain() {
        assert!(parse_request_key("0123456789abcdef").is_ok());
        assert!(parse_request_key("short").is_err());
        assert!(parse_request_key(&"a".repeat(65)).is_err());
        assert!(parse_request_key("0123456789abcdef\r\n").is_ok());
        assert!(parse_request_key("0123456789abcdef;drop").is_err());
    }

    #[test]
    fn declines_read_as_their_reason() {
        assert_eq!(
            decline_reason("card_declined", Some("insufficient_funds")),
            "insufficient funds"
        );
        assert_eq!(decline_reason("expired_card", None), "the card has expired");
        assert_eq!(
            decline_reason("card_declined", Some("generic_decline")),
            "the card was declined"
        );
    }
}

//! The charge state machine: what Stripe says moves a charge on once. Each transition is a
//! conditional UPDATE from the states it may leave; only the caller whose UPDATE changed the row
//! does what follows (the booking's paid amount, the activity entry, emails) in the same
//! transaction — whether that caller is the request, the webhook, the customer or the reconciler.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};

use super::confirmation::{finish_confirmation, send_confirmation_link};
use super::emails::ReceiptEmail;
use super::parse::{NEVER_SENT, currency_of, decline_reason};
use crate::crypto::SecretBox;
use crate::entities::{booking, charge, merchant, payment_option};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::customers::service::{email_recipient, find_model};
use crate::features::notifications::outbox;
use crate::features::payment_options::view::card_label;
use crate::features::settings::connection::StripeConnection;
use crate::features::settings::service::find_merchant;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::operations::ChargeOutcome;
use crate::state::AppState;
use crate::states::{ActivityKind, ChargeStatus, EmailKind};

/// Moves a charge on from what Stripe says, once (see the module doc). `actor` is who learnt it;
/// a charge the customer answered is recorded as the customer's.
pub async fn settle(
    state: &AppState,
    row: &charge::Model,
    outcome: ChargeOutcome,
    actor: Actor<'_>,
) -> Result<(), AppError> {
    let db = &state.db;
    let merchant = find_merchant(db, &row.merchant_id).await?;
    let amount_text = currency_of(&row.currency)?.format(row.amount);
    let txn = db.begin().await?;
    let step = Step {
        state,
        txn: &txn,
        merchant: &merchant,
        row,
        amount_text: &amount_text,
        actor,
    };
    let changed = match outcome {
        ChargeOutcome::Succeeded { payment_intent_id } => {
            succeeded(&step, payment_intent_id).await?
        }
        ChargeOutcome::AuthenticationRequired {
            payment_intent_id, ..
        } => requires_action(&step, payment_intent_id).await?,
        ChargeOutcome::Declined {
            payment_intent_id,
            code,
            decline_code,
            message,
        } => {
            let decline = Decline {
                payment_intent_id,
                code,
                decline_code,
                message,
            };
            declined(&step, decline).await?
        }
        ChargeOutcome::Pending {
            payment_intent_id, ..
        } => {
            keep_payment_intent(&txn, row, payment_intent_id).await?;
            false
        }
    };
    txn.commit().await?;
    if changed {
        outbox::wake_worker();
        live::publish(MerchantId(&row.merchant_id), CustomerId(&row.customer_id));
    }
    Ok(())
}

/// One settlement in progress: the charge as it was read, in the transaction that moves it.
struct Step<'a> {
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    merchant: &'a merchant::Model,
    row: &'a charge::Model,
    amount_text: &'a str,
    actor: Actor<'a>,
}

impl Step<'_> {
    /// The customer answered a charge that waited for them; otherwise whoever learnt it.
    fn actor_leaving(&self, from: ChargeStatus) -> Actor<'_> {
        if from == ChargeStatus::RequiresAction {
            Actor::Customer
        } else {
            self.actor
        }
    }

    async fn record(
        &self,
        actor: Actor<'_>,
        kind: ActivityKind,
        summary: String,
    ) -> Result<(), AppError> {
        let row = self.row;
        activity::record(
            self.txn,
            MerchantId(&row.merchant_id),
            CustomerId(&row.customer_id),
            actor,
            kind,
            summary,
        )
        .await
    }
}

struct Decline {
    payment_intent_id: Option<String>,
    code: String,
    decline_code: Option<String>,
    message: String,
}

/// Paid: the booking's paid amount grows, the receipt goes out if asked for, and a customer who
/// confirmed has their link used up and the staff member told.
async fn succeeded(step: &Step<'_>, payment_intent_id: String) -> Result<bool, AppError> {
    let (row, txn) = (step.row, step.txn);
    let now = Utc::now();
    let from = close_open_charge(txn, &row.id, ChargeStatus::Succeeded, now, |update| {
        update
            .col_expr(
                charge::Column::StripePaymentIntentId,
                Expr::value(payment_intent_id.clone()),
            )
            .col_expr(charge::Column::FailureCode, Expr::value(None::<String>))
    })
    .await?;
    let Some(from) = from else {
        return Ok(false);
    };
    if let Some(booking_id) = &row.booking_id {
        booking::Entity::update_many()
            .col_expr(
                booking::Column::PaidAmount,
                Expr::col(booking::Column::PaidAmount).add(row.amount),
            )
            .col_expr(booking::Column::UpdatedAt, Expr::value(now))
            .filter(booking::Column::Id.eq(booking_id.as_str()))
            .exec(txn)
            .await?;
    }
    let card = card_of(txn, row).await?;
    let summary = format!(
        "Charged {} to {card} — {}",
        step.amount_text, row.description
    );
    step.record(
        step.actor_leaving(from),
        ActivityKind::ChargeSucceeded,
        summary,
    )
    .await?;
    if row.send_receipt {
        enqueue_receipt(
            txn,
            &step.state.secrets,
            step.merchant,
            row,
            step.amount_text,
            &card,
        )
        .await?;
    }
    if from == ChargeStatus::RequiresAction {
        finish_confirmation(step.state, txn, step.merchant, row, step.amount_text, None).await?;
    }
    tracing::info!(charge_id = %row.id, "charge succeeded");
    Ok(true)
}

/// The bank wants the customer: the charge waits and the customer is emailed a link to confirm.
async fn requires_action(step: &Step<'_>, payment_intent_id: String) -> Result<bool, AppError> {
    let (row, txn) = (step.row, step.txn);
    let won = charge::Entity::update_many()
        .col_expr(
            charge::Column::Status,
            Expr::value(ChargeStatus::RequiresAction),
        )
        .col_expr(charge::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            charge::Column::StripePaymentIntentId,
            Expr::value(payment_intent_id),
        )
        .col_expr(
            charge::Column::FailureCode,
            Expr::value("authentication_required"),
        )
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .filter(charge::Column::Status.eq(ChargeStatus::Pending))
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(false);
    }
    let amount_text = step.amount_text;
    let emailed = send_confirmation_link(step.state, txn, step.merchant, row, amount_text).await?;
    let summary = match &emailed {
        Some(to) => {
            format!("Charge of {amount_text} needs the customer to confirm — emailed {to} a link")
        }
        None => format!(
            "Charge of {amount_text} needs the customer to confirm — add an email address to send them a link"
        ),
    };
    step.record(step.actor, ActivityKind::ChargeRequiresAction, summary)
        .await?;
    tracing::info!(charge_id = %row.id, "charge waits for the customer");
    Ok(true)
}

/// Declined (or not confirmed in time): the reason is kept as Stripe gave it, and a customer who
/// was asked to confirm has their link used up and the staff member told.
async fn declined(step: &Step<'_>, decline: Decline) -> Result<bool, AppError> {
    let (row, txn) = (step.row, step.txn);
    let Decline {
        payment_intent_id,
        code,
        decline_code,
        message,
    } = decline;
    let from = close_open_charge(txn, &row.id, ChargeStatus::Failed, Utc::now(), |update| {
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
    let Some(from) = from else {
        return Ok(false);
    };
    let reason = decline_reason(&code, decline_code.as_deref());
    let summary = if code == NEVER_SENT {
        format!("Charge of {} not made: {reason}", step.amount_text)
    } else {
        format!("Charge of {} declined: {reason}", step.amount_text)
    };
    step.record(
        step.actor_leaving(from),
        ActivityKind::ChargeFailed,
        summary,
    )
    .await?;
    if from == ChargeStatus::RequiresAction {
        let merchant = step.merchant;
        finish_confirmation(
            step.state,
            txn,
            merchant,
            row,
            step.amount_text,
            Some(&reason),
        )
        .await?;
    }
    tracing::info!(charge_id = %row.id, code, "charge declined");
    Ok(true)
}

/// Stripe is still processing: keep the PaymentIntent so the webhook and the reconciler can find
/// it.
async fn keep_payment_intent(
    txn: &impl ConnectionTrait,
    row: &charge::Model,
    payment_intent_id: String,
) -> Result<(), AppError> {
    charge::Entity::update_many()
        .col_expr(
            charge::Column::StripePaymentIntentId,
            Expr::value(payment_intent_id),
        )
        .col_expr(charge::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(charge::Column::Id.eq(row.id.as_str()))
        .filter(charge::Column::StripePaymentIntentId.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Moves an open charge (`pending` or `requires_action`) to the final state `to`, with the
/// columns `set` adds. Returns the state it left, or `None` when the charge was no longer open
/// (another caller settled it first).
async fn close_open_charge(
    txn: &impl ConnectionTrait,
    charge_id: &str,
    to: ChargeStatus,
    now: chrono::DateTime<Utc>,
    set: impl Fn(sea_orm::UpdateMany<charge::Entity>) -> sea_orm::UpdateMany<charge::Entity>,
) -> Result<Option<ChargeStatus>, AppError> {
    let open = [ChargeStatus::Pending, ChargeStatus::RequiresAction];
    close_charge(txn, charge_id, &open, to, now, set).await
}

/// Moves a charge that is in one of `from` to the final state `to`, with the columns `set` adds,
/// in one conditional UPDATE per state in `from`: whoever settles it first wins, the others
/// change nothing. Returns the state it left, or `None` when it was in none of them.
pub(super) async fn close_charge(
    txn: &impl ConnectionTrait,
    charge_id: &str,
    from: &[ChargeStatus],
    to: ChargeStatus,
    now: chrono::DateTime<Utc>,
    set: impl Fn(sea_orm::UpdateMany<charge::Entity>) -> sea_orm::UpdateMany<charge::Entity>,
) -> Result<Option<ChargeStatus>, AppError> {
    for &from in from {
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

pub(super) async fn card_of(
    db: &impl ConnectionTrait,
    row: &charge::Model,
) -> Result<String, AppError> {
    Ok(
        payment_option::Entity::find_by_id(row.payment_option_id.clone())
            .one(db)
            .await?
            .map_or_else(|| "card".to_owned(), |o| card_label(&o)),
    )
}

async fn enqueue_receipt(
    txn: &impl ConnectionTrait,
    secrets: &SecretBox,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
    card: &str,
) -> Result<(), AppError> {
    let customer = find_model(
        txn,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?;
    let Some(recipient) = email_recipient(&customer) else {
        return Ok(());
    };
    let date = crate::time::day(Utc::now());
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
        secrets,
        outbox::NewEmail::about_customer(
            merchant,
            &customer.id,
            EmailKind::ChargeReceipt,
            recipient,
            email.subject(),
            bodies,
        ),
    )
    .await?;
    Ok(())
}

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
    if !row.status.is_open() {
        return Ok(());
    }
    let account = connection.account(state)?;
    let outcome = account.retrieve_payment(payment_intent_id).await?;
    settle(state, &row, outcome, Actor::Stripe).await
}

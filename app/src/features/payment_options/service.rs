//! Payment Options, commands: putting a card on file ([`add_card`]), Make default and Remove
//! (detached at Stripe, the row kept with its reason). Create Payment Option is `create`.
//!
//! Every change to a customer's cards starts its transaction with [`lock_customer`], so "one
//! default per customer" holds whatever runs at the same time. Other capabilities put a card on
//! file only through [`add_card`], inside their own transaction.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::view::{bookings_due_by_card, card_label};
use crate::entities::{customer, payment_option};
use crate::error::{AppError, is_unique_violation};
use crate::features::activity::service::{self as activity, Actor};
use crate::features::auth::service::Authenticated;
use crate::features::settings::connection;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::operations::CardSummary;
use crate::state::AppState;
use crate::states::{ActivityKind, CardSource};

pub const REASON_REQUIRED: &str =
    "This card pays for a booking with a balance due: give a reason for removing it.";
/// The column's size.
const REASON_MAX_CHARS: usize = 500;
/// A card to put on file, written in the caller's transaction.
pub struct NewCard<'a> {
    /// Chosen by the caller, who may need to name the card in the same transaction.
    pub id: String,
    pub merchant_id: &'a str,
    pub customer_id: &'a str,
    pub card: &'a CardSummary,
    pub source: CardSource,
    pub added_by_staff_id: Option<&'a str>,
    /// The link it was saved through.
    pub card_request_id: Option<&'a str>,
}

/// What [`add_card`] did.
pub enum Added {
    New(payment_option::Model),
    /// This customer already has this payment method on file.
    AlreadyOnFile(payment_option::Model),
    /// Another customer's row holds this payment method. The transaction is spoiled (Postgres
    /// aborts it): roll back before reading anything.
    Conflict,
}

/// Puts a card on file for a customer, the one way every capability does it: the customer is
/// locked first (so "one default per customer" holds whatever runs at the same time), and the
/// card becomes the default only when the customer has none.
pub async fn add_card(txn: &impl ConnectionTrait, new: NewCard<'_>) -> Result<Added, AppError> {
    lock_customer(
        txn,
        MerchantId(new.merchant_id),
        CustomerId(new.customer_id),
    )
    .await?;
    let card = new.card;
    if let Some(existing) =
        find_by_payment_method(txn, new.merchant_id, &card.payment_method_id).await?
        && existing.customer_id == new.customer_id
    {
        return Ok(Added::AlreadyOnFile(existing));
    }
    let has_default = has_default_card(
        txn,
        MerchantId(new.merchant_id),
        CustomerId(new.customer_id),
    )
    .await?;
    // The card was just read from the merchant's current connection: it lives in that account.
    let scope = connection::scope_of(txn, new.merchant_id).await?;
    let now = Utc::now();
    let inserted = payment_option::ActiveModel {
        id: Set(new.id),
        merchant_id: Set(new.merchant_id.to_owned()),
        customer_id: Set(new.customer_id.to_owned()),
        stripe_payment_method_id: Set(card.payment_method_id.clone()),
        stripe_account_id: Set(scope.as_ref().map(|s| s.account_id.clone())),
        stripe_livemode: Set(scope.as_ref().map(|s| s.livemode)),
        brand: Set(card.brand.clone()),
        last4: Set(card.last4.clone()),
        exp_month: Set(i32::try_from(card.exp_month).unwrap_or(0)),
        exp_year: Set(i32::try_from(card.exp_year).unwrap_or(0)),
        is_default: Set(!has_default),
        source: Set(new.source),
        added_by_staff_id: Set(new.added_by_staff_id.map(ToOwned::to_owned)),
        card_request_id: Set(new.card_request_id.map(ToOwned::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        removed_at: Set(None),
        removed_by_staff_id: Set(None),
        removal_reason: Set(None),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(option) => Ok(Added::New(option)),
        Err(err) if is_unique_violation(&err) => Ok(Added::Conflict),
        Err(err) => Err(err.into()),
    }
}

/// Whether the customer has a default card on file: a new card becomes the default only when
/// there is none. Call it after [`lock_customer`] in the same transaction.
async fn has_default_card(
    txn: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
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

pub(super) async fn find_by_payment_method(
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

// ---------------------------------------------------------------------------------------------
// Make default and Remove

/// The first statement of every change to a customer's cards: a write to the customer's row. It
/// serialises those changes — on Postgres through the row lock, on SQLite through the database
/// write lock, taken before any read of the transaction.
async fn lock_customer(
    txn: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
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
    lock_customer(
        &txn,
        MerchantId(merchant_id),
        CustomerId(&option.customer_id),
    )
    .await?;
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
        MerchantId(merchant_id),
        CustomerId(&option.customer_id),
        Actor::Staff(&auth.staff_user_id),
        ActivityKind::DefaultCard,
        format!("Made {} the default card", card_label(&option)),
    )
    .await?;
    txn.commit().await?;
    live::publish(MerchantId(merchant_id), CustomerId(&option.customer_id));
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
    let customer_id = option.customer_id.clone();
    let (merchant_ref, customer_ref) = (MerchantId(merchant_id), CustomerId(&customer_id));
    // A second click, or another tab, got there first: the card is gone as asked.
    if option.removed_at.is_some() {
        return Ok(());
    }
    let due = bookings_due_by_card(db, merchant_ref, customer_ref, vec![option.id.clone()]).await?;
    if reason.is_empty() && !due.is_empty() {
        return Err(AppError::field("reason", REASON_REQUIRED));
    }
    // Stripe first: if it fails the card stays on file, still chargeable, and Remove can be
    // tried again. A card Stripe no longer has attached is removed here too.
    let connection = connection::require(state, merchant_id).await?;
    let detached = connection
        .account(state)?
        .detach_card_if_attached(&option.stripe_payment_method_id)
        .await?;

    let txn = db.begin().await?;
    lock_customer(&txn, merchant_ref, customer_ref).await?;
    let Some(option) = find_live(&txn, merchant_id, payment_option_id).await? else {
        txn.rollback().await?;
        return Ok(());
    };
    mark_removed(&txn, &option, &auth.staff_user_id, reason).await?;
    if option.is_default {
        promote_newest(&txn, merchant_ref, customer_ref).await?;
    }
    let summary = match reason {
        "" => format!("Removed {}", card_label(&option)),
        reason => format!("Removed {} — reason: {reason}", card_label(&option)),
    };
    activity::record(
        &txn,
        merchant_ref,
        customer_ref,
        Actor::Staff(&auth.staff_user_id),
        ActivityKind::CardRemoved,
        summary,
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_ref, customer_ref);
    tracing::info!(payment_option_id = %option.id, ?detached, "card removed");
    Ok(())
}

/// Marks the card removed (kept for the history of its charges), with who and why.
async fn mark_removed(
    txn: &impl ConnectionTrait,
    option: &payment_option::Model,
    staff_user_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    payment_option::Entity::update_many()
        .col_expr(payment_option::Column::RemovedAt, Expr::value(now))
        .col_expr(
            payment_option::Column::RemovedByStaffId,
            Expr::value(staff_user_id.to_owned()),
        )
        .col_expr(
            payment_option::Column::RemovalReason,
            Expr::value((!reason.is_empty()).then(|| reason.to_owned())),
        )
        .col_expr(payment_option::Column::IsDefault, Expr::value(false))
        .col_expr(payment_option::Column::UpdatedAt, Expr::value(now))
        .filter(payment_option::Column::Id.eq(option.id.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

/// The default card went: the customer's newest remaining card becomes the default.
async fn promote_newest(
    txn: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<(), AppError> {
    let Some(next) = payment_option::Entity::find()
        .filter(payment_option::Column::MerchantId.eq(merchant_id))
        .filter(payment_option::Column::CustomerId.eq(customer_id))
        .filter(payment_option::Column::RemovedAt.is_null())
        .order_by_desc(payment_option::Column::CreatedAt)
        .order_by_desc(payment_option::Column::Id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    payment_option::Entity::update_many()
        .col_expr(payment_option::Column::IsDefault, Expr::value(true))
        .col_expr(payment_option::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment_option::Column::Id.eq(next.id.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

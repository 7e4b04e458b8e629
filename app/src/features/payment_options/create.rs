//! Create Payment Option: a SetupIntent for the customer that the merchant's browser confirms with
//! the Payment Element, then the card recorded as added by that staff member.

use sea_orm::TransactionTrait;

use super::dto::{PaymentOptionSetup, PaymentOptionView};
use super::service::{Added, NewCard, add_card, find_by_payment_method};
use super::view::{card_label, existing_view};
use crate::entities::{new_id, payment_option};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::auth::service::Authenticated;
use crate::features::customers::service::find_model;
use crate::features::customers::stripe::ensure_stripe_customer;
use crate::features::settings::connection;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::StripeAccount;
use crate::payments::operations::SetupState;
use crate::state::AppState;
use crate::states::{ActivityKind, CardSource};

/// Set on the SetupIntents of Create Payment Option: only those are recorded as added by staff
/// (a card request's SetupIntent is completed by its link, never from here).
const METADATA_SOURCE: &str = "source";
const METADATA_CUSTOMER: &str = "customer_id";
const METADATA_STAFF: &str = "added_by_staff_id";

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
    let customer = find_model(db, MerchantId(merchant_id), CustomerId(customer_id)).await?;
    let connection = connection::require(state, merchant_id).await?;
    let merchant = crate::features::settings::service::find_merchant(db, merchant_id).await?;
    let account = connection.account(state)?;
    let stripe_customer = ensure_stripe_customer(db, &account, &customer).await?;
    let intent = account
        .create_setup_intent_with_metadata(
            &stripe_customer,
            &[
                (METADATA_SOURCE, CardSource::Staff.as_str()),
                (METADATA_CUSTOMER, &customer.id),
                (METADATA_STAFF, &auth.staff_user_id),
            ],
            &format!("cof-staff-setup-{}", new_id()),
        )
        .await?;
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
    let customer = find_model(db, MerchantId(merchant_id), CustomerId(customer_id)).await?;
    let Some(stripe_customer) = customer.stripe_customer_id.as_deref() else {
        return Err(AppError::NotFound);
    };
    if !is_setup_intent_id(setup_intent_id) {
        return Err(AppError::NotFound);
    }
    let connection = connection::require(state, merchant_id).await?;
    let account = connection.account(state)?;
    let payment_method_id =
        staff_setup_result(&account, setup_intent_id, stripe_customer, &customer.id).await?;
    let option = record_staff_card(
        state,
        &account,
        StaffCard {
            merchant_id,
            customer_id: &customer.id,
            staff_user_id: &auth.staff_user_id,
            payment_method_id: &payment_method_id,
        },
    )
    .await?;
    existing_view(
        db,
        MerchantId(merchant_id),
        CustomerId(&customer.id),
        option,
    )
    .await
}

/// From `setup_intent.succeeded` for a SetupIntent that no card request owns: the card of a
/// Create Payment Option whose browser closed between `confirmSetup` and [`save`]. Stripe is asked
/// (the event's copy is not trusted) and the SetupIntent's metadata, written by [`start`], names
/// the customer and the staff member; the card is then recorded exactly as [`save`] records it.
/// Whichever of the two comes first puts the card on file; the other finds it there.
pub async fn save_from_webhook(
    state: &AppState,
    connection: &connection::StripeConnection,
    merchant_id: &str,
    setup_intent_id: &str,
) -> Result<(), AppError> {
    let account = connection.account(state)?;
    let Some(intent) = account.find_setup_intent(setup_intent_id).await? else {
        return Ok(());
    };
    let meta = |key: &str| intent.metadata.get(key).map(String::as_str);
    let (Some(customer_id), Some(staff_user_id)) = (meta(METADATA_CUSTOMER), meta(METADATA_STAFF))
    else {
        tracing::info!(
            merchant_id,
            setup_intent_id,
            "setup_intent.succeeded of no card flow of ours"
        );
        return Ok(());
    };
    if meta(METADATA_SOURCE) != Some(CardSource::Staff.as_str()) {
        return Ok(());
    }
    let customer =
        match find_model(&state.db, MerchantId(merchant_id), CustomerId(customer_id)).await {
            Err(AppError::NotFound) => None,
            other => Some(other?),
        };
    let Some(customer) = customer
        .filter(|c| c.stripe_customer_id.is_some() && c.stripe_customer_id == intent.customer_id)
    else {
        tracing::warn!(
            merchant_id,
            setup_intent_id,
            "staff SetupIntent of an unknown customer"
        );
        return Ok(());
    };
    let SetupState::Succeeded { payment_method_id } = intent.state else {
        return Ok(());
    };
    let staff_card = StaffCard {
        merchant_id,
        customer_id: &customer.id,
        staff_user_id,
        payment_method_id: &payment_method_id,
    };
    record_staff_card(state, &account, staff_card).await?;
    Ok(())
}

/// A confirmed Create Payment Option card: whose, entered by whom.
struct StaffCard<'a> {
    merchant_id: &'a str,
    customer_id: &'a str,
    staff_user_id: &'a str,
    payment_method_id: &'a str,
}

/// Puts a staff member's card on file once, with its activity entry and a live update; a card
/// already on file (the browser's save and the webhook both got here) is returned as it is. The
/// row may belong to another customer only if Stripe's ids were reused: the caller's view of it
/// then says "not found".
async fn record_staff_card(
    state: &AppState,
    account: &StripeAccount,
    new: StaffCard<'_>,
) -> Result<payment_option::Model, AppError> {
    let db = &state.db;
    let (merchant_ref, customer_ref) = (MerchantId(new.merchant_id), CustomerId(new.customer_id));
    if let Some(existing) =
        find_by_payment_method(db, new.merchant_id, new.payment_method_id).await?
    {
        return Ok(existing);
    }
    let card = account
        .retrieve_card(new.payment_method_id)
        .await?
        .ok_or_else(|| AppError::internal("saved payment method is not a card"))?;
    let txn = db.begin().await?;
    let added = add_card(
        &txn,
        NewCard {
            id: new_id(),
            merchant_id: new.merchant_id,
            customer_id: new.customer_id,
            card: &card,
            source: CardSource::Staff,
            added_by_staff_id: Some(new.staff_user_id),
            card_request_id: None,
        },
    )
    .await?;
    let option = match added {
        Added::New(option) => option,
        Added::AlreadyOnFile(existing) => {
            txn.rollback().await?;
            return Ok(existing);
        }
        Added::Conflict => {
            txn.rollback().await?;
            return find_by_payment_method(db, new.merchant_id, new.payment_method_id)
                .await?
                .ok_or(AppError::NotFound);
        }
    };
    activity::record(
        &txn,
        merchant_ref,
        customer_ref,
        Actor::Staff(new.staff_user_id),
        ActivityKind::CardAdded,
        format!("Added {}", card_label(&option)),
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_ref, customer_ref);
    tracing::info!(payment_option_id = %option.id, customer_id = %new.customer_id, "card added by staff");
    Ok(option)
}

/// The payment method a Create Payment Option SetupIntent saved. Stripe says whose SetupIntent
/// it is and how it ended; the browser's word is not enough: one of another customer, or not made
/// by Create Payment Option, is "not found".
async fn staff_setup_result(
    account: &StripeAccount,
    setup_intent_id: &str,
    stripe_customer: &str,
    customer_id: &str,
) -> Result<String, AppError> {
    let intent = account
        .find_setup_intent(setup_intent_id)
        .await?
        .filter(|si| {
            si.customer_id.as_deref() == Some(stripe_customer)
                && si.metadata.get(METADATA_SOURCE).map(String::as_str)
                    == Some(CardSource::Staff.as_str())
                && si.metadata.get(METADATA_CUSTOMER).map(String::as_str) == Some(customer_id)
        })
        .ok_or(AppError::NotFound)?;
    match intent.state {
        SetupState::Succeeded { payment_method_id } => Ok(payment_method_id),
        _ => Err(AppError::SetupIncomplete),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_setup_intent_ids_reach_stripe() {
        assert!(is_setup_intent_id("seti_1AbC2dEf"));
        assert!(!is_setup_intent_id("seti_"));
        assert!(!is_setup_intent_id("pi_123"));
        assert!(!is_setup_intent_id("seti_1/../customers"));
        assert!(!is_setup_intent_id(&format!("seti_{}", "a".repeat(300))));
    }
}

//! Create Payment Option: a SetupIntent for the customer that the merchant's browser confirms with
//! the Payment Element, then the card recorded as added by that staff member.

use sea_orm::TransactionTrait;

use super::dto::{PaymentOptionSetup, PaymentOptionView};
use super::service::{Added, NewCard, add_card, find_by_payment_method};
use super::view::{card_label, existing_view, one_view};
use crate::entities::new_id;
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
                ("added_by_staff_id", &auth.staff_user_id),
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
    let (merchant_ref, customer_ref) = (MerchantId(merchant_id), CustomerId(&customer.id));
    let payment_method_id =
        staff_setup_result(&account, setup_intent_id, stripe_customer, &customer.id).await?;
    if let Some(existing) = find_by_payment_method(db, merchant_id, &payment_method_id).await? {
        return existing_view(db, merchant_ref, customer_ref, existing).await;
    }
    let card = account
        .retrieve_card(&payment_method_id)
        .await?
        .ok_or_else(|| AppError::internal("saved payment method is not a card"))?;

    let txn = db.begin().await?;
    let added = add_card(
        &txn,
        NewCard {
            id: new_id(),
            merchant_id,
            customer_id: &customer.id,
            card: &card,
            source: CardSource::Staff,
            added_by_staff_id: Some(&auth.staff_user_id),
            card_request_id: None,
        },
    )
    .await?;
    let option = match added {
        Added::New(option) => option,
        Added::AlreadyOnFile(existing) => {
            txn.rollback().await?;
            return existing_view(db, merchant_ref, customer_ref, existing).await;
        }
        // Only another customer's row could hold this payment method: not ours to show.
        Added::Conflict => {
            txn.rollback().await?;
            let existing = find_by_payment_method(db, merchant_id, &payment_method_id)
                .await?
                .ok_or(AppError::NotFound)?;
            return existing_view(db, merchant_ref, customer_ref, existing).await;
        }
    };
    activity::record(
        &txn,
        merchant_ref,
        customer_ref,
        Actor::Staff(&auth.staff_user_id),
        ActivityKind::CardAdded,
        format!("Added {}", card_label(&option)),
    )
    .await?;
    txn.commit().await?;
    live::publish(merchant_ref, customer_ref);
    tracing::info!(payment_option_id = %option.id, customer_id = %customer.id, "card added by staff");
    one_view(db, merchant_ref, customer_ref, option).await
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

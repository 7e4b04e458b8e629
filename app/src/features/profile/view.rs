//! The payment side of a customer's profile in one answer: each capability contributes its own
//! part with a fixed number of indexed queries, whatever the number of rows.
//!
//! The parts do not depend on one another, so they are read concurrently, each on a connection of
//! its own from the pool: the answer takes as long as its slowest part, not the sum of about
//! twenty queries. (Read one after another outside a transaction, they were no more a snapshot
//! than they are now.) Every list is scoped by merchant and customer, so for another merchant's
//! customer the lists come back empty and the customer's own lookup answers "not found".

use super::dto::CustomerPayments;
use crate::error::AppError;
use crate::features::card_requests::dto::CardRequestAction;
use crate::features::customers::service::find_model;
use crate::features::payment_options::dto::CardsOnFile;
use crate::features::settings::connection;
use crate::features::settings::service::find_merchant;
use crate::features::{
    activity, bookings, card_requests, charges, notifications, onboarding, payment_options,
};
use crate::ids::{CustomerId, MerchantId};
use crate::state::AppState;

pub async fn customer_payments(
    state: &AppState,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<CustomerPayments, AppError> {
    let db = &state.db;
    let ((cards, card_request), notifications, bookings, charges, activity) = tokio::try_join!(
        cards_and_actions(state, merchant_id, customer_id),
        notifications::view::for_customer(db, merchant_id, customer_id),
        bookings::view::for_customer(db, merchant_id, customer_id),
        charges::view::for_customer(db, merchant_id, customer_id),
        activity::view::for_customer(db, merchant_id, customer_id),
    )?;
    Ok(CustomerPayments {
        cards,
        notifications,
        card_request,
        bookings,
        charges,
        activity,
    })
}

/// Payment Options and the Actions panel: both need to know whether Stripe is connected, and
/// the panel needs the customer and the merchant.
async fn cards_and_actions(
    state: &AppState,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<(CardsOnFile, CardRequestAction), AppError> {
    let db = &state.db;
    let (customer, merchant, scope, sending_blocked, payment_options) = tokio::try_join!(
        find_model(db, merchant_id, customer_id),
        find_merchant(db, merchant_id.as_str()),
        connection::scope_of(db, merchant_id.as_str()),
        onboarding::gate::sending_blocked(state, merchant_id.as_str()),
        payment_options::view::for_customer(db, merchant_id, customer_id),
    )?;
    // A connection row is what "connected" means (its scope is read from that row).
    let connected = scope.is_some();
    let card_request = card_requests::view::card_request_action(
        db,
        &merchant,
        &customer,
        connected,
        sending_blocked,
    )
    .await?;
    let cards = CardsOnFile {
        payment_options,
        payments_blocked_reason: (!connected)
            .then(|| "Connect MioPay (Stripe) in Settings first.".to_owned()),
        currency: merchant.currency,
    };
    Ok((cards, card_request))
}

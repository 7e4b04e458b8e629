//! The payment side of a customer's profile in one answer: each capability contributes its own
//! part with a fixed number of indexed queries, whatever the number of rows.

use sea_orm::{EntityTrait, PaginatorTrait};

use super::dto::CustomerPayments;
use crate::entities::stripe_connection;
use crate::error::AppError;
use crate::features::customers::service::find_model;
use crate::features::payment_options::dto::CardsOnFile;
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
    let customer = find_model(db, merchant_id, customer_id).await?;
    let merchant =
        crate::features::settings::service::find_merchant(db, merchant_id.as_str()).await?;
    let connected = stripe_connection::Entity::find_by_id(merchant_id.as_str().to_owned())
        .count(db)
        .await?
        > 0;
    Ok(CustomerPayments {
        cards: CardsOnFile {
            payment_options: payment_options::view::for_customer(db, merchant_id, customer_id)
                .await?,
            payments_blocked_reason: (!connected)
                .then(|| "Connect MioPay (Stripe) in Settings first.".to_owned()),
            currency: merchant.currency.clone(),
        },
        notifications: notifications::view::for_customer(db, merchant_id, customer_id).await?,
        card_request: card_requests::view::card_request_action(
            db,
            &merchant,
            &customer,
            connected,
            onboarding::gate::sending_blocked(state, merchant_id.as_str()).await?,
        )
        .await?,
        bookings: bookings::view::for_customer(db, merchant_id, customer_id).await?,
        charges: charges::view::for_customer(db, merchant_id, customer_id).await?,
        activity: activity::view::for_customer(db, merchant_id, customer_id).await?,
    })
}

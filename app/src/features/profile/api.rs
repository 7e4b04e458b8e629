//! Server functions of the profile.

use leptos::prelude::*;

use super::dto::CustomerPayments;
use crate::error::AppError;

/// The payment side of the profile: Payment Options, Notifications, bookings, charges, activity
/// and what the Actions panel may offer.
#[server(endpoint = "get_customer_payments")]
pub async fn get_customer_payments(customer_id: String) -> Result<CustomerPayments, AppError> {
    use crate::ids::{CustomerId, MerchantId};
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::view::customer_payments(
            &state,
            MerchantId(&auth.merchant_id),
            CustomerId(&customer_id),
        )
        .await
    })
    .await
}

//! Server functions of bookings. Each resolves the signed-in staff member first.

use leptos::prelude::*;

use super::dto::{BookingPage, BookingView};
use crate::error::AppError;

/// The Bookings page: bookings by start time; `include_past` lists earlier ones too.
#[server(endpoint = "list_bookings")]
pub async fn list_bookings(
    include_past: bool,
    after: Option<String>,
) -> Result<BookingPage, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::view::list(&state.db, &auth.merchant_id, include_past, after.as_deref()).await
    })
    .await
}

/// New booking for a customer. `starts_at` is `YYYY-MM-DDTHH:MM` (an `<input type=datetime-local>`),
/// `total` what a person typed ("120", "120.50") in the merchant's currency; `payment_option_id`
/// empty means no card (the form preselects the default card).
#[server(endpoint = "create_booking")]
pub async fn create_booking(
    customer_id: String,
    title: String,
    starts_at: String,
    participants: String,
    total: String,
    payment_option_id: Option<String>,
) -> Result<BookingView, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        // Parsed by the service: the total's currency is the merchant's.
        let form = super::service::BookingForm {
            title,
            starts_at,
            participants,
            total,
            payment_option_id: payment_option_id.filter(|id| !id.is_empty()),
        };
        let booking = super::service::create(&state, &auth, &customer_id, form).await?;
        // Without JavaScript the form came from the profile with its dialog open
        // (`?new_booking`): go back to the profile itself, where the booking now shows.
        if crate::state::submitted_without_javascript() {
            leptos_axum::redirect(&format!("/customers/{}", booking.customer_id));
        }
        Ok(booking)
    })
    .await
}

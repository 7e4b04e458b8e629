//! Bookings, server side.

use sea_orm::ConnectionTrait;

use super::dto::{BookingPage, BookingView};
use crate::error::AppError;
use crate::features::auth::service::Authenticated;
use crate::state::AppState;

/// The New booking form as typed; parsed by [`create`] against the merchant's currency.
#[derive(Debug, Clone)]
pub struct BookingForm {
    pub title: String,
    pub starts_at: String,
    pub participants: String,
    pub total: String,
    pub payment_option_id: Option<String>,
}

pub async fn list(
    _db: &impl ConnectionTrait,
    _merchant_id: &str,
    _include_past: bool,
    _after: Option<&str>,
) -> Result<BookingPage, AppError> {
    Err(AppError::internal("list_bookings: not built yet"))
}

pub async fn create(
    _state: &AppState,
    _auth: &Authenticated,
    _customer_id: &str,
    _form: BookingForm,
) -> Result<BookingView, AppError> {
    Err(AppError::internal("create_booking: not built yet"))
}

pub async fn for_customer(
    _db: &impl ConnectionTrait,
    _merchant_id: &str,
    _customer_id: &str,
) -> Result<Vec<BookingView>, AppError> {
    Ok(Vec::new())
}

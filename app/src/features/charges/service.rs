//! Charges and refunds, server side.

use sea_orm::ConnectionTrait;

use super::dto::{ChargeView, PaymentConfirmed};
use crate::error::AppError;
use crate::features::auth::service::Authenticated;
use crate::state::AppState;

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

/// The Refund form as typed.
#[derive(Debug, Clone)]
pub struct RefundForm {
    pub charge_id: String,
    pub amount: String,
    pub reason: String,
    pub request_key: String,
}

pub async fn charge(
    _state: &AppState,
    _auth: &Authenticated,
    _form: ChargeForm,
) -> Result<ChargeView, AppError> {
    Err(AppError::internal("charge: not built yet"))
}

pub async fn refund(
    _state: &AppState,
    _auth: &Authenticated,
    _form: RefundForm,
) -> Result<ChargeView, AppError> {
    Err(AppError::internal("refund: not built yet"))
}

pub async fn complete_confirmation(
    _state: &AppState,
    _token: &str,
    _client_ip: Option<&str>,
) -> Result<PaymentConfirmed, AppError> {
    Err(AppError::internal("complete_confirmation: not built yet"))
}

pub async fn for_customer(
    _db: &impl ConnectionTrait,
    _merchant_id: &str,
    _customer_id: &str,
) -> Result<Vec<ChargeView>, AppError> {
    Ok(Vec::new())
}

//! Server functions for customers. Each resolves the signed-in merchant first.

use leptos::prelude::*;

use super::dto::{CustomerDetail, CustomerPage};
use crate::error::AppError;

#[server(endpoint = "list_customers")]
pub async fn list_customers(
    query: String,
    after: Option<String>,
    before: Option<String>,
) -> Result<CustomerPage, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        let page = super::view::PageRequest::parse(after.as_deref(), before.as_deref())?;
        super::view::list(&state.db, &auth.merchant_id, &query, page).await
    })
    .await
}

#[server(endpoint = "get_customer")]
pub async fn get_customer(id: String) -> Result<CustomerDetail, AppError> {
    crate::features::auth::session::as_staff(|state, auth| async move {
        super::view::get(&state.db, &auth.merchant_id, &id).await
    })
    .await
}

#[server(endpoint = "create_customer")]
pub async fn create_customer(
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    notes: String,
) -> Result<CustomerDetail, AppError> {
    use super::service;
    crate::features::auth::session::as_staff(|state, auth| async move {
        let input = service::CustomerInput::parse(&first_name, &last_name, &email, &phone, &notes)?;
        let customer = service::create(&state.db, &auth.merchant_id, input).await?;
        tracing::info!(customer_id = %customer.id, "customer created");
        leptos_axum::redirect(&format!("/customers/{}", customer.id));
        Ok(customer)
    })
    .await
}

#[server(endpoint = "update_customer")]
pub async fn update_customer(
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    notes: String,
) -> Result<CustomerDetail, AppError> {
    use super::service;
    crate::features::auth::session::as_staff(|state, auth| async move {
        let input = service::CustomerInput::parse(&first_name, &last_name, &email, &phone, &notes)?;
        let customer = service::update(&state.db, &auth.merchant_id, &id, input).await?;
        leptos_axum::redirect(&format!("/customers/{}", customer.id));
        Ok(customer)
    })
    .await
}

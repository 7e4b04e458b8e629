//! The merchant's own settings: business details and (next) the MioPay (Stripe) connection.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;

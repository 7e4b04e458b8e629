//! The merchant's own settings: business details and (next) the MioPay (Stripe) connection.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod connection;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;

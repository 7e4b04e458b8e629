//! Customers of a merchant: list with search and keyset paging, create, edit, and the Stripe
//! customer behind each (`stripe`). The profile page is its own capability, `profile`.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod stripe;
#[cfg(feature = "ssr")]
pub mod view;

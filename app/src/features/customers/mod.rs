//! Customers of a merchant: list with search and keyset paging, create, edit, profile.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;

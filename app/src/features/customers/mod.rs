//! Customers of a merchant: list with search and keyset paging, create, edit, profile (and the
//! payment side of the profile, assembled from the payment capabilities).

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod service;

//! Bookings: what a customer booked, when, for how many, and for how much — and what is still
//! owed (total − paid + refunded, in minor units), which Charge balance collects.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod input;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod view;

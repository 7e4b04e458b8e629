//! The customer's profile page: contact details, Payment Information, Bookings, Payments,
//! Notifications, Activity and the Actions panel. It composes the sections of the capabilities
//! below it, loads their data as one answer (`view`), and refreshes it live when the server says
//! something changed.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod view;

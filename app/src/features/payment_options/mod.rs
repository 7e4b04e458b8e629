//! Payment Options: the cards on file of a customer — entered by staff through the Payment
//! Element inside the app (Create Payment Option), made default, removed (detached at Stripe).
//! Cards saved by customers through a link arrive from `card_requests`.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;

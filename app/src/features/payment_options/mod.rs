//! Payment Options: the cards on file of a customer — entered by staff through the Payment
//! Element inside the app (Create Payment Option), made default, removed (detached at Stripe).
//! Cards saved by customers through a link arrive from `card_requests` through `service::add_card`.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod create;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod view;

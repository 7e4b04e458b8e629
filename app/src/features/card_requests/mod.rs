//! Card requests: the merchant's Send Email, the customer's card page behind the emailed link,
//! and the completion that puts the card on file (from the page or Stripe's webhook, once).

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod link;
#[cfg(feature = "ssr")]
pub mod service;

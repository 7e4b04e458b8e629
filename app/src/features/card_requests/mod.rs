//! Card requests: the merchant's Send Email (a `SaveCard` customer link and its email), the
//! SetupIntent behind the link's page, and the completion that puts the card on file (from the
//! page or Stripe's webhook, once).

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod view;

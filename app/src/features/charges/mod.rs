//! Charges and refunds: a charge row (with its idempotency key) is written before the
//! PaymentIntent is sent, the outcome updates it, and the reconciler settles any row whose
//! outcome was never recorded. Authentication-required charges email the customer a link to
//! confirm on-session (the card-link machinery of `card_requests`).

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod reconciler;
#[cfg(feature = "ssr")]
pub mod refunds;
#[cfg(feature = "ssr")]
pub mod service;

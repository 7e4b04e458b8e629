//! Charges and refunds: a charge row (with its idempotency key) is written before the
//! PaymentIntent is sent, the outcome updates it, and the reconciler settles any row whose
//! outcome was never recorded. Authentication-required charges email the customer a link to
//! confirm on-session through a `ConfirmPayment` customer link.
//!
//! `parse` (forms) → `command` (write the row, send to Stripe) → `settle` (the state machine) →
//! `confirmation` (the customer's link) · `refunds` · `reconciler` (rows whose outcome was never
//! recorded; `lookup` for those too old to send again) · `view` (the profile's Payments).

pub mod api;
#[cfg(feature = "ssr")]
pub mod command;
pub mod components;
#[cfg(feature = "ssr")]
pub mod confirmation;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
mod lookup;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod reconciler;
#[cfg(feature = "ssr")]
pub mod refund_settle;
#[cfg(feature = "ssr")]
pub mod refunds;
#[cfg(feature = "ssr")]
pub mod settle;
#[cfg(feature = "ssr")]
pub mod view;

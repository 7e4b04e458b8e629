//! The product's capabilities, one folder each. Dependencies point one way: a capability may use
//! the ones on lower rows (and, on its own row, the ones to its right), never one above. Shared
//! leaves outside `features/` (`cards`, `domain`, `money`, `states`, `time`, `error`, `ui`,
//! `stripe_js`, `payments`, `crypto`, `password_hashing`, `live`, `entities`, `state`, `config`,
//! `client_address`) name no capability.
//!
//! ```text
//! profile · pay          the customer page (composes sections, live updates); the /pay page
//! charges                charge, settle, confirmation, refunds, reconciler
//! card_requests · bookings
//! payment_options        add_card(txn, …), make default, remove, views
//! onboarding · notifications · links · activity
//!                        sign-up, the merchant's email confirmation and its daily quota of
//!                        customer emails; the outbox and the Notifications list; customer links
//!                        (token, cookie, guess throttle, /pay/<token>); the activity log
//! customers · settings · auth
//!                        customers and their Stripe customer; the merchant and its Stripe
//!                        connection; sign-in, sessions and the merchant shell
//! ```
//!
//! A capability never writes another capability's table: it calls that capability's function
//! inside its own transaction (`payment_options::service::add_card`, `links::service::issue`).
//! [`LAYERS`] is this table as data; a test reads every file under `features/` and fails, naming
//! the file, when one names a capability above it, or a capability on its own row to its left.

/// The rows above, top first; within a row, a capability may use those after it.
pub const LAYERS: &[&[&str]] = &[
    &["profile", "pay"],
    &["charges"],
    &["card_requests", "bookings"],
    &["payment_options"],
    &["onboarding", "notifications", "links", "activity"],
    &["customers", "settings", "auth"],
];

pub mod activity;
pub mod auth;
pub mod bookings;
pub mod card_requests;
pub mod charges;
pub mod customers;
pub mod links;
pub mod notifications;
pub mod onboarding;
pub mod pay;
pub mod payment_options;
pub mod profile;
pub mod settings;

#[cfg(test)]
mod layering;

//! A new merchant: sign-up, and the proof that its owner's email address is theirs before the
//! platform sends anything to its customers — a single-use, expiring link sent through the
//! outbox (only the token's digest is stored) — with each merchant's daily quota of emails to
//! customers. Without both, an open sign-up is a mail relay: anyone could send card requests in
//! any business name to any address.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod confirmation;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod gate;
#[cfg(feature = "ssr")]
pub mod route;

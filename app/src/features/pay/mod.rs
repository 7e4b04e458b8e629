//! `/pay`: the customer's page behind a link (no login). What it shows depends on the link's
//! purpose: the card form of a card request (`card_requests`), or the confirmation of a payment
//! the bank wants the customer to authenticate (`charges`). Both sit on the same link checks
//! (`links`) and the same Stripe.js bindings.

pub mod api;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;

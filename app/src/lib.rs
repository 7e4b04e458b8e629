//! The merchant app and the customer-facing pages: Leptos components and server functions,
//! compiled for the server (`ssr`) and for the browser: the merchant app (`spa`, a fully hydrated
//! single-page app) and the card page's islands (`hydrate` alone, bundled by the `pay` crate).

// The card page's view types nest deeply (page → panel → island); computing their layout needs
// more than the default 128 levels.
#![recursion_limit = "256"]

// The document shell and the router: on the server, and in the merchant app's bundle (`spa`). The
// card page's bundle (`hydrate` alone) leaves them out, and with them every merchant page: their
// lazy routes are WASM exports, which a bundle keeps once it links them.
#[cfg(any(feature = "ssr", feature = "spa"))]
pub mod app;
pub mod cards;
pub mod domain;
pub mod error;
pub mod features;
pub mod money;
pub mod states;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod client_address;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod ids;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod password_hashing;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "hydrate")]
pub mod stripe_js;
#[cfg(feature = "ssr")]
pub mod time;

#[cfg(any(feature = "ssr", feature = "spa"))]
pub use app::{App, shell};

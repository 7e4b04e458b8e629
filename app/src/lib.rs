//! The merchant app and the customer-facing pages: Leptos components and server functions,
//! compiled for the server (`ssr`) and for the browser (`hydrate`).

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

pub use app::{App, shell};

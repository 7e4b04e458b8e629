//! The axum server: configuration, start-up, Leptos routes, health, and security middleware.

// The routes instantiate the card page's view types, which nest deeper (page → panel → island)
// than the default 128 levels allow when their layout is computed.
#![recursion_limit = "256"]

pub mod card_links;
pub mod emulator;
pub mod health;
pub mod live_events;
pub mod precompressed;
pub mod request_timeout;
pub mod security;
pub mod seed;
pub mod serve;
pub mod startup;
pub mod telemetry;
pub mod webhooks;

//! The axum server: configuration, start-up, Leptos routes, health, and security middleware.

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

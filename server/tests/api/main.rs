//! Integration tests: the whole router on port 0 with a fresh, migrated database per test —
//! SQLite by default, Postgres when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bookings;
mod card_requests;
mod charges;
mod crash;
mod customers;
mod health;
mod outbox;
mod payment_options;
mod payments;
mod security;
mod smtp_sink;
mod stripe_connection;
mod stripe_faults;
mod webhooks;
mod world;

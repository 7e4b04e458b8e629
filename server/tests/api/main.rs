//! Integration tests: the whole router on port 0 with a fresh, migrated database per test —
//! SQLite by default, Postgres when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_switch;
mod auth;
mod auth_load;
mod bookings;
mod card_requests;
mod charges;
mod connections;
mod crash;
mod customers;
mod demo_restart;
mod email_confirmation;
mod email_retry;
mod health;
mod link_pages;
mod many_writers;
mod outbox;
mod payment_options;
mod payments;
mod proxies;
mod reconciler;
mod refunds;
mod scale_out;
mod secrets_at_rest;
mod security;
mod smtp_sink;
mod static_files;
mod stripe_connection;
mod stripe_faults;
mod unsettled_charges;
mod webhook_claims;
mod webhooks;
mod world;

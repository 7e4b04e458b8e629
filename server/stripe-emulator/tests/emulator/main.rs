//! The emulator driven from outside: through async-stripe 1.0.0-rc.10's own client and types
//! (every response it gets must parse), and through raw HTTP for what a browser sends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod auth;
mod cards;
mod customers;
mod faults;
mod idempotency;
mod payment_intents;
mod persistence;
mod refunds;
mod requests;
mod setup_intents;
mod webhooks;

//! SeaORM entities, one per table (schema in the `migrations` crate). Server-only.

pub mod activity;
pub mod booking;
pub mod charge;
pub mod customer;
pub mod customer_link;
pub mod email_confirmation;
pub mod link_guess;
pub mod merchant;
pub mod outbox_email;
pub mod payment_option;
pub mod refund;
pub mod session;
pub mod sign_in_failure;
pub mod sign_up_attempt;
pub mod staff_user;
pub mod stripe_connection;
pub mod stripe_event;

/// A fresh primary key: UUIDv7, time-ordered so inserts append to the index.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

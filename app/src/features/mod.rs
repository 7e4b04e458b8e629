pub mod auth;
pub mod card_requests;
pub mod customers;
pub mod notifications;
pub mod settings;

pub mod auth;
pub mod customers;
pub mod notifications;
pub mod settings;

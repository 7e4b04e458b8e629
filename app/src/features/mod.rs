pub mod auth;
pub mod customers;
pub mod settings;

//! Merchant accounts (created by `onboarding`'s sign-up), sign-in and sign-out with server-side
//! sessions, bounded password hashing, and the signed-in frame (`components::shell`) every
//! merchant page sits in.

pub mod api;
pub mod components;
pub mod dto;
pub mod return_to;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod sign_up_limit;
#[cfg(feature = "ssr")]
pub mod throttle;

//! Notifications: the emails we send on a merchant's behalf.

#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod outbox;

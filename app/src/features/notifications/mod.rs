//! Notifications: the emails we send on a merchant's behalf — the outbox that delivers them at
//! least once, the templates' common shape, and the profile's Notifications list, which shows each
//! email with the progress of the link it carried and a **Retry** for one that failed.

pub mod api;
#[cfg(feature = "ssr")]
pub mod bodies;
pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod mailer;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod retry;
#[cfg(feature = "ssr")]
pub mod template;
#[cfg(feature = "ssr")]
pub mod view;

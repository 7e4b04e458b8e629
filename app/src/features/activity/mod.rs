//! The profile's Activity: every card added or removed, default change, booking, charge and
//! refund, with who did it. Written in the same transaction as the change it records.

pub mod components;
pub mod dto;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod view;

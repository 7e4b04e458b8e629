//! The merchant's Charge and Refund dialogs and the profile's Payments section.

use leptos::prelude::*;

use crate::features::bookings::dto::BookingView;

/// What the Charge dialog is charging: the customer (any amount), or a booking's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeTarget {
    Customer,
    Booking(BookingView),
}

/// Provided by the profile page: setting it to `Some` opens the Charge dialog (the Actions
/// panel's Charge, a booking's Charge balance); the dialog sets it back to `None` when it closes.
#[derive(Debug, Clone, Copy)]
pub struct ChargeLauncher(pub RwSignal<Option<ChargeTarget>>);

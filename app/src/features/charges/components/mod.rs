//! The merchant's Charge and Refund dialogs and the profile's Payments section.

use leptos::prelude::*;

use crate::features::bookings::dto::BookingView;

mod charge_action;
mod charge_dialog;
mod confirm_payment;
mod payments_section;
mod refund_dialog;
mod request_key;

pub use charge_action::{CHARGE_BUTTON_ID, ChargeAction, charge_blocked_reason};
pub use charge_dialog::ChargeDialog;
pub use confirm_payment::ConfirmPayment;
pub use payments_section::PaymentsSection;
pub use refund_dialog::RefundDialog;

/// What the Charge dialog is charging: the customer (any amount), or a booking's balance.
// One value lives at a time, in the launcher's signal: boxing the booking would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeTarget {
    Customer,
    Booking(BookingView),
}

/// Provided by the profile page: setting it to `Some` opens the Charge dialog (the Actions
/// panel's Charge, a booking's Charge balance); the dialog sets it back to `None` when it closes.
#[derive(Debug, Clone, Copy)]
pub struct ChargeLauncher(pub RwSignal<Option<ChargeTarget>>);

/// Provided by the profile page beside [`ChargeLauncher`]: a charge's Refund button sets it to
/// that charge, which opens the Refund dialog. The dialog lives outside the Payments list, so a
/// live refresh of the list does not close it while someone is typing.
#[derive(Debug, Clone, Copy)]
pub struct RefundLauncher(pub RwSignal<Option<crate::features::charges::dto::ChargeView>>);

//! The merchant's Charge and Refund dialogs and the profile's Payments section.

use leptos::prelude::*;

use crate::features::bookings::dto::BookingView;
use crate::features::charges::api::ResendPaymentConfirmation;

mod charge_action;
mod charge_dialog;
mod payments_section;
mod refund_dialog;
mod request_key;

pub use charge_action::{CHARGE_BUTTON_ID, ChargeAction, charge_blocked_reason};
pub use charge_dialog::ChargeDialog;
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

/// Provided by the profile page: **Resend link** of the charges waiting for their customer. It
/// lives with the page, not the Payments list, so its answer ("Sent a new link to …") stays under
/// its charge when a live refresh rebuilds the list.
#[derive(Clone, Copy)]
pub struct ConfirmationResender {
    pub action: ServerAction<ResendPaymentConfirmation>,
    /// The charge the last Resend was for.
    pub charge_id: RwSignal<Option<String>>,
}

impl ConfirmationResender {
    /// `on_sent` runs after each link that went out (the profile refetches: Notifications and
    /// Activity show it).
    pub fn new(on_sent: Callback<()>) -> Self {
        let action = ServerAction::<ResendPaymentConfirmation>::new();
        let charge_id = RwSignal::new(None);
        Effect::new(move |_| {
            if let Some(input) = action.input().get() {
                charge_id.set(Some(input.charge_id));
            }
        });
        Effect::new(move |_| {
            if let Some(Ok(_)) = action.value().get() {
                on_sent.run(());
            }
        });
        Self { action, charge_id }
    }
}

use leptos::prelude::*;

use super::{ChargeLauncher, ChargeTarget};
use crate::features::payment_options::dto::PaymentOptionView;

/// The Actions panel's Charge button: where focus returns when the dialog closes, even after a
/// refresh drew the button again.
pub const CHARGE_BUTTON_ID: &str = "charge-action";

/// Why the customer cannot be charged now: no payment connection (the profile's reason), or no
/// card that can be charged (not expired, saved in the connected account). `None` when Charge
/// can open.
pub fn charge_blocked_reason(
    payments_blocked_reason: Option<&str>,
    payment_options: &[PaymentOptionView],
) -> Option<String> {
    payments_blocked_reason.map(str::to_owned).or_else(|| {
        (!payment_options
            .iter()
            .any(PaymentOptionView::can_be_charged))
        .then(|| "Add a card first".to_owned())
    })
}

/// **Charge** in the Actions panel: opens the Charge dialog for any amount.
#[component]
pub fn ChargeAction(
    /// From [`charge_blocked_reason`]: the button is disabled and says why.
    blocked_reason: Option<String>,
) -> impl IntoView {
    let launcher = use_context::<ChargeLauncher>();
    match (blocked_reason, launcher) {
        (None, Some(ChargeLauncher(open))) => view! {
            <li>
                <button
                    type="button"
                    class="button"
                    id=CHARGE_BUTTON_ID
                    aria-haspopup="dialog"
                    on:click=move |_| open.set(Some(ChargeTarget::Customer))
                >
                    "Charge"
                </button>
            </li>
        }
        .into_any(),
        (reason, _) => view! {
            <li>
                <button type="button" class="button" id=CHARGE_BUTTON_ID disabled=true aria-describedby="charge-reason">
                    "Charge"
                </button>
                <p class="hint" id="charge-reason">{reason}</p>
            </li>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::CardView;
    use crate::features::payment_options::dto::ExpiryState;

    fn card(expiry: ExpiryState) -> PaymentOptionView {
        PaymentOptionView {
            id: "po".into(),
            card: CardView {
                brand: "Visa".into(),
                last4: "4242".into(),
                exp_month: 1,
                exp_year: 2020,
            },
            expiry,
            is_default: true,
            added_by: "Added by Sam Staff".into(),
            added_on: "2019-01-01".into(),
            backs_bookings_due: Vec::new(),
            unusable: None,
        }
    }

    #[test]
    fn charging_needs_a_connection_and_a_live_card() {
        assert_eq!(
            charge_blocked_reason(None, &[card(ExpiryState::Valid)]),
            None
        );
        assert_eq!(
            charge_blocked_reason(None, &[card(ExpiryState::ExpiringSoon)]),
            None
        );
        assert_eq!(
            charge_blocked_reason(None, &[card(ExpiryState::Expired)]).as_deref(),
            Some("Add a card first")
        );
        assert_eq!(
            charge_blocked_reason(None, &[]).as_deref(),
            Some("Add a card first")
        );
        let mut other_account = card(ExpiryState::Valid);
        other_account.unusable = Some("Saved in another Stripe account.".into());
        assert_eq!(
            charge_blocked_reason(None, &[other_account]).as_deref(),
            Some("Add a card first")
        );
        let not_connected = "Connect MioPay (Stripe) in Settings first.";
        assert_eq!(
            charge_blocked_reason(Some(not_connected), &[card(ExpiryState::Valid)]).as_deref(),
            Some(not_connected)
        );
    }
}

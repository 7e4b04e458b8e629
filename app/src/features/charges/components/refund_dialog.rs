//! The Refund dialog, opened by a charge's **Refund** in the Payments list: all of what is left
//! to refund, or part of it, with a reason.

use leptos::html;
use leptos::prelude::*;

use super::RefundLauncher;
use super::charge_dialog::{AmountField, RetryableAlert};
use super::request_key::new_request_key;
use crate::features::charges::api::RefundCharge;
use crate::features::charges::dto::{ChargeView, RefundView};
use crate::money::Currency;
use crate::states::RefundStatus;
use crate::ui::dialog::{CloseButton, Dialog};
use crate::ui::form::{SubmitButton, TextField, last_error};

type RefundAction = ServerAction<RefundCharge>;

/// Mounted once on the profile beside the Charge dialog; opens whenever the [`RefundLauncher`]
/// is set. Every answer refreshes the profile, so the charge and the booking's balance follow.
#[component]
pub fn RefundDialog(on_done: Callback<()>) -> impl IntoView {
    let launcher = use_context::<RefundLauncher>().map(|l| l.0);
    let refund = RefundAction::new();
    Effect::new(move |_| {
        if refund.value().with(Option::is_some) {
            on_done.run(());
        }
    });
    move || {
        let launcher = launcher?;
        let charge = launcher.get()?;
        refund.clear();
        let on_close = Callback::new(move |()| launcher.set(None));
        Some(view! { <RefundDialogBody charge refund on_close/> })
    }
}

/// The refund this dialog made: the one the answer has and the charge had not when it opened.
fn new_refund(before: &ChargeView, after: &ChargeView) -> Option<RefundView> {
    after
        .refunds
        .iter()
        .find(|r| !before.refunds.iter().any(|b| b.id == r.id))
        .cloned()
}

/// What the dialog says once the refund is recorded; `None` while the form is still the answer
/// (nothing yet, an error, or a refund Stripe refused).
fn finished_message(before: &ChargeView, after: &ChargeView) -> Option<String> {
    match new_refund(before, after) {
        Some(r) if r.status == RefundStatus::Failed => None,
        Some(r) if r.status == RefundStatus::Succeeded => {
            Some(format!("Refunded {} to {}", r.amount_text, after.card))
        }
        Some(r) if r.status == RefundStatus::Pending => Some(format!(
            "The refund of {} is pending: Stripe has not answered yet. It completes on its own \
             and shows under Payments.",
            r.amount_text
        )),
        Some(r) => Some(format!("{}: {}", r.status_label, r.amount_text)),
        None => Some(format!("Refunded {} in all", after.refunded_text)),
    }
}

#[component]
fn RefundDialogBody(
    charge: ChargeView,
    refund: RefundAction,
    on_close: Callback<()>,
) -> impl IntoView {
    let before = StoredValue::new(charge.clone());
    let finished = Memo::new(move |_| {
        refund
            .value()
            .get()
            .and_then(Result::ok)
            .and_then(|after| before.with_value(|b| finished_message(b, &after)))
    });
    let intro = format!(
        "{} charged to {} on {} for {}. Up to {} can be refunded.",
        charge.amount_text, charge.card, charge.at, charge.description, charge.refundable_text
    );
    let opener_id = format!("refund-{}", charge.id);
    view! {
        <Dialog title_id="refund-title" on_close busy=refund.pending() opener_id>
            <h2 id="refund-title">"Refund"</h2>
            <p class="charges-intro">{intro}</p>
            {move || match finished.get() {
                Some(message) => view! { <RefundResult message/> }.into_any(),
                None => view! { <RefundFields charge=before.get_value() refund/> }.into_any(),
            }}
        </Dialog>
    }
}

#[component]
fn RefundFields(charge: ChargeView, refund: RefundAction) -> impl IntoView {
    let error = last_error(refund.value());
    let pending = refund.pending();
    let request_key = RwSignal::new(new_request_key());
    let before = StoredValue::new(charge.clone());
    // Stripe refused the refund: another try is a new refund with a new key.
    let refused = Memo::new(move |_| {
        refund.value().get().and_then(Result::ok).and_then(|after| {
            before
                .with_value(|b| new_refund(b, &after))
                .filter(|r| r.status == RefundStatus::Failed)
                .map(|r| r.status_label)
        })
    });
    Effect::new(move |_| {
        if refused.with(Option::is_some) {
            request_key.set(new_request_key());
        }
    });
    let amount = Currency::parse(&charge.currency)
        .map(|c| c.plain(charge.refundable))
        .unwrap_or_default();
    let hint = format!(
        "Up to {}; a smaller amount refunds part of it.",
        charge.refundable_text
    );
    view! {
        <ActionForm action=refund attr:novalidate=true attr:class="charges-form">
            <input type="hidden" name="charge_id" value=charge.id/>
            <input type="hidden" name="request_key" value=move || request_key.get()/>
            <AmountField value=amount hint=Some(hint) error/>
            <TextField label="Reason" name="reason" required=true error/>
            {move || refused.get().map(|label| view! { <p class="alert" role="alert">{label}</p> })}
            <RetryableAlert error pending/>
            <div class="form-actions">
                <SubmitButton label="Refund" pending_label="Refunding…" pending/>
                <CloseButton label="Cancel"/>
            </div>
        </ActionForm>
    }
}

#[component]
fn RefundResult(message: String) -> impl IntoView {
    let close = NodeRef::<html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(actions) = close.get()
            && let Ok(Some(button)) = actions.query_selector("button")
            && let Ok(button) = button.dyn_into::<leptos::web_sys::HtmlElement>()
        {
            let _ = button.focus();
        }
    });
    view! {
        <p class="notice charges-result" role="status">{message}</p>
        <div class="form-actions" node_ref=close><CloseButton label="Close"/></div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::ChargeStatus;

    fn refund(id: &str, status: RefundStatus, label: &str) -> RefundView {
        RefundView {
            id: id.into(),
            amount: 1_000,
            amount_text: "$10.00".into(),
            reason: "Rain day".into(),
            status,
            status_label: label.into(),
            by: "Sam Staff".into(),
            at: "2026-07-02 09:00 UTC".into(),
        }
    }

    fn charge(refunds: Vec<RefundView>) -> ChargeView {
        ChargeView {
            id: "ch1".into(),
            booking_id: None,
            booking_title: None,
            description: "Kayak".into(),
            currency: "usd".into(),
            amount: 5_000,
            amount_text: "$50.00".into(),
            card: "Visa •••• 4242".into(),
            status: ChargeStatus::Succeeded,
            status_label: "Succeeded".into(),
            failure_code: None,
            refunded: 1_000,
            refunded_text: "$10.00".into(),
            refundable: 4_000,
            refundable_text: "$40.00".into(),
            refunds,
            by: "Sam Staff".into(),
            at: "2026-07-01 18:30 UTC".into(),
        }
    }

    #[test]
    fn the_message_is_about_the_refund_this_dialog_made() {
        let before = charge(vec![refund("re0", RefundStatus::Succeeded, "Refunded")]);
        let after = charge(vec![
            refund("re0", RefundStatus::Succeeded, "Refunded"),
            refund("re1", RefundStatus::Succeeded, "Refunded"),
        ]);
        assert_eq!(
            finished_message(&before, &after).as_deref(),
            Some("Refunded $10.00 to Visa •••• 4242")
        );
        let pending = charge(vec![refund("re1", RefundStatus::Pending, "Refund pending")]);
        assert_eq!(
            finished_message(&charge(Vec::new()), &pending).as_deref(),
            Some(
                "The refund of $10.00 is pending: Stripe has not answered yet. It completes on \
                 its own and shows under Payments."
            )
        );
    }

    #[test]
    fn a_refused_refund_keeps_the_form() {
        let after = charge(vec![refund(
            "re1",
            RefundStatus::Failed,
            "Refund failed: charge disputed",
        )]);
        assert_eq!(finished_message(&charge(Vec::new()), &after), None);
    }
}

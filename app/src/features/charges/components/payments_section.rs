use leptos::prelude::*;

use super::{ConfirmationResender, RefundLauncher};
use crate::features::charges::dto::{ChargeView, RefundView};
use crate::states::ChargeStatus;

/// Payments: the customer's charges, newest first, each with its outcome, who charged it and
/// what was refunded. A charge with something left to refund offers **Refund**; one waiting for
/// its customer offers **Resend link**.
#[component]
pub fn PaymentsSection(charges: Vec<ChargeView>) -> impl IntoView {
    let refund = use_context::<RefundLauncher>();
    view! {
        <section class="card" aria-labelledby="payments-heading">
            <h2 id="payments-heading">"Payments"</h2>
            {if charges.is_empty() {
                view! { <p class="empty-state">"No payments yet"</p> }.into_any()
            } else {
                view! {
                    <ol class="charges">
                        {charges
                            .into_iter()
                            .map(|charge| view! { <ChargeItem charge refund/> })
                            .collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn ChargeItem(charge: ChargeView, refund: Option<RefundLauncher>) -> impl IntoView {
    // A booking's Charge balance starts with the booking's title as its description: no need
    // to say it twice.
    let what = match &charge.booking_title {
        Some(title) if !title.is_empty() && *title != charge.description => {
            format!("{} — for {title}", charge.description)
        }
        _ => charge.description.clone(),
    };
    let refund_button = refund
        .filter(|_| charge.refundable > 0)
        .map(|RefundLauncher(open)| {
            let target = charge.clone();
            view! {
                <button
                    type="button"
                    class="button charge-refund"
                    id=format!("refund-{}", charge.id)
                    aria-haspopup="dialog"
                    on:click=move |_| open.set(Some(target.clone()))
                >
                    "Refund"
                </button>
            }
        });
    let resend = use_context::<ConfirmationResender>()
        .filter(|_| charge.status == ChargeStatus::RequiresAction)
        .map(|resender| view! { <ResendLink resender charge_id=charge.id.clone()/> });
    let unknown = (charge.status == ChargeStatus::Unknown).then(|| {
        view! {
            <p class="charge-unknown">
                "Stripe could not tell whether this charge went through: look it up in Stripe's \
                 dashboard before charging again."
            </p>
        }
    });
    let refunded = (charge.refunded > 0).then(|| {
        view! { <p class="charge-refunded">{format!("Refunded {}", charge.refunded_text)}</p> }
    });
    let refunds = (!charge.refunds.is_empty()).then(|| {
        view! {
            <ul class="refunds" aria-label="Refunds">
                {charge.refunds.iter().cloned().map(|r| view! { <RefundItem refund=r/> }).collect_view()}
            </ul>
        }
    });
    view! {
        <li class="charge" data-status=charge.status.as_str()>
            <div class="charge-head">
                <span class="charge-amount">{charge.amount_text.clone()}</span>
                <span class=format!("charge-status status-{}", charge.status.as_str())>{charge.status_label.clone()}</span>
            </div>
            <p class="charge-what">{what}</p>
            <p class="muted small">{format!("{} · {} · by {}", charge.card, charge.at, charge.by)}</p>
            {unknown}
            {refunded}
            {refunds}
            {refund_button}
            {resend}
        </li>
    }
}

/// Resend link: a new email with a new link for a charge waiting for its customer, and what
/// came of it.
#[component]
fn ResendLink(resender: ConfirmationResender, charge_id: String) -> impl IntoView {
    let ConfirmationResender {
        action,
        charge_id: last,
    } = resender;
    let pending = action.pending();
    let this_charge = charge_id.clone();
    let answer = move || {
        if last.with(|last| last.as_deref() != Some(this_charge.as_str())) {
            return None;
        }
        action.value().get().map(|result| match result {
            Ok(to) => view! { <p class="charge-resent" role="status">{format!("Sent a new link to {to}")}</p> }
                .into_any(),
            Err(error) => view! {
                <p class="alert" role="alert">
                    {error.message_for("charge_id").unwrap_or_else(|| error.user_message())}
                </p>
            }
                .into_any(),
        })
    };
    view! {
        <ActionForm action attr:class="charge-resend">
            <input type="hidden" name="charge_id" value=charge_id/>
            <button type="submit" class="button small" disabled=move || pending.get()>
                "Resend link"
            </button>
        </ActionForm>
        {answer}
    }
}

#[component]
fn RefundItem(refund: RefundView) -> impl IntoView {
    view! {
        <li class="refund" data-status=refund.status.as_str()>
            <span class="refund-amount">{refund.amount_text}</span>
            " "
            <span class="refund-status">{refund.status_label}</span>
            " · "
            <span class="refund-reason">{refund.reason}</span>
            <span class="muted small">{format!(" · by {}, {}", refund.by, refund.at)}</span>
        </li>
    }
}

/// The server-rendered list: what a merchant reads before any script runs.
#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::states::RefundStatus;

    fn charge() -> ChargeView {
        ChargeView {
            id: "ch1".into(),
            booking_id: Some("b1".into()),
            booking_title: Some("Sunset kayak tour".into()),
            description: "Balance".into(),
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
            refunds: vec![RefundView {
                id: "re1".into(),
                amount: 1_000,
                amount_text: "$10.00".into(),
                reason: "Rain day".into(),
                status: RefundStatus::Succeeded,
                status_label: "Refunded".into(),
                by: "Sam Staff".into(),
                at: "2026-07-02 09:00 UTC".into(),
            }],
            by: "Sam Staff".into(),
            at: "2026-07-01 18:30 UTC".into(),
        }
    }

    fn render(view: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.set();
        view().to_html()
    }

    #[test]
    fn a_charge_shows_its_outcome_card_staff_and_refunds() {
        let html = render(|| {
            provide_context(RefundLauncher(RwSignal::new(None)));
            view! { <PaymentsSection charges=vec![charge()]/> }.into_any()
        });
        for text in [
            "Payments",
            "$50.00",
            "Succeeded",
            "Balance — for Sunset kayak tour",
            "Visa •••• 4242 · 2026-07-01 18:30 UTC · by Sam Staff",
            "Refunded $10.00",
            "Rain day",
            " · by Sam Staff, 2026-07-02 09:00 UTC",
            ">Refund</button>",
        ] {
            assert!(html.contains(text), "{text} in {html}");
        }
    }

    #[test]
    fn nothing_left_to_refund_offers_no_refund() {
        let mut declined = charge();
        declined.status = ChargeStatus::Failed;
        declined.status_label = "Declined: insufficient funds".into();
        declined.refunded = 0;
        declined.refundable = 0;
        declined.refunds.clear();
        let html = render(move || {
            provide_context(RefundLauncher(RwSignal::new(None)));
            view! { <PaymentsSection charges=vec![declined]/> }.into_any()
        });
        assert!(html.contains("Declined: insufficient funds"), "{html}");
        assert!(!html.contains(">Refund</button>"), "{html}");
        assert!(!html.contains("Refunded"), "{html}");
    }

    #[test]
    fn a_charge_waiting_for_its_customer_offers_resend_link() {
        let mut waiting = charge();
        waiting.status = ChargeStatus::RequiresAction;
        waiting.status_label = "Waiting for the customer to confirm".into();
        waiting.refunded = 0;
        waiting.refundable = 0;
        waiting.refunds.clear();
        let settled = charge();
        let html = render(move || {
            provide_context(RefundLauncher(RwSignal::new(None)));
            provide_context(ConfirmationResender::new(Callback::new(|()| ())));
            view! { <PaymentsSection charges=vec![waiting, settled]/> }.into_any()
        });
        assert!(
            html.contains("Waiting for the customer to confirm"),
            "{html}"
        );
        assert_eq!(html.matches(">Resend link</button>").count(), 1, "{html}");
        assert!(html.contains(r#"name="charge_id" value="ch1""#), "{html}");
    }

    #[test]
    fn a_charge_whose_outcome_is_unknown_says_to_check_stripe() {
        let mut unknown = charge();
        unknown.status = ChargeStatus::Unknown;
        unknown.status_label = "Unknown — check Stripe".into();
        unknown.refunded = 0;
        unknown.refundable = 0;
        unknown.refunds.clear();
        let html = render(move || {
            provide_context(RefundLauncher(RwSignal::new(None)));
            view! { <PaymentsSection charges=vec![unknown]/> }.into_any()
        });
        assert!(html.contains("Unknown — check Stripe"), "{html}");
        assert!(html.contains("status-unknown"), "{html}");
        assert!(html.contains("before charging again"), "{html}");
        assert!(!html.contains(">Refund</button>"), "{html}");
    }

    #[test]
    fn no_charges_yet() {
        let html = render(|| view! { <PaymentsSection charges=Vec::new()/> }.into_any());
        assert!(html.contains("No payments yet"), "{html}");
    }
}

//! What the dialog says after Stripe failed to answer, and when a second charge may duplicate an
//! unsettled one, as the server renders it.

use super::*;

fn render(view: impl FnOnce() -> AnyView) -> String {
    let owner = Owner::new();
    owner.set();
    view().to_html()
}

fn pending_charge() -> ChargeView {
    ChargeView {
        id: "ch1".into(),
        booking_id: None,
        booking_title: None,
        description: "Sunset kayak tour".into(),
        currency: "usd".into(),
        amount: 1_100,
        amount_text: "$11.00".into(),
        card: "Visa •••• 4242".into(),
        status: ChargeStatus::Pending,
        status_label: "Pending — waiting for Stripe's answer".into(),
        failure_code: None,
        refunded: 0,
        refunded_text: "$0.00".into(),
        refundable: 0,
        refundable_text: "$0.00".into(),
        refunds: Vec::new(),
        by: "Sam Staff".into(),
        at: "2026-07-01 18:30 UTC".into(),
    }
}

#[test]
fn a_charge_stripe_did_not_answer_is_reported_pending_not_as_an_error_to_retry() {
    let html = render(|| view! { <ChargeResult result=pending_charge()/> }.into_any());
    assert!(
        html.contains(
            "The charge of $11.00 is pending: Stripe has not answered yet. It completes on \
             its own and shows under Payments"
        ),
        "{html}"
    );
    assert!(html.contains(r#"data-status="pending""#), "{html}");
    assert!(!html.contains("try again"), "{html}");
}

#[test]
fn a_possible_duplicate_is_warned_about_with_charge_anyway_naming_it() {
    let error = AppError::PossibleDuplicateCharge {
        charge_id: "ch1".into(),
        amount_text: "$11.00".into(),
        status_label: "Pending — waiting for Stripe's answer".into(),
        at: "2026-07-01 18:30 UTC".into(),
    };
    let html = render(move || {
        let error: LastError = Signal::derive(move || Some(error.clone()));
        let pending = Memo::new(|_| false);
        view! {
            <RetryableAlert error pending/>
            <DuplicateWarning error pending/>
        }
        .into_any()
    });
    assert!(
        html.contains(
            "A charge of $11.00 to this customer from 2026-07-01 18:30 UTC is not settled yet"
        ),
        "{html}"
    );
    assert!(
        html.contains("Charging again may charge them twice"),
        "{html}"
    );
    assert!(
        html.contains(r#"name="confirm_duplicate" value="ch1""#),
        "{html}"
    );
    assert!(html.contains(">Charge anyway</button>"), "{html}");
    assert_eq!(
        html.matches("role=\"alert\"").count(),
        1,
        "said once: {html}"
    );
}

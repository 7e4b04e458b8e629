use leptos::prelude::*;

use crate::features::payment_options::api::{MakeDefaultPaymentOption, RemovePaymentOption};
use crate::features::payment_options::dto::{ExpiryState, PaymentOptionView};
use crate::ui::dialog::Dialog;
use crate::ui::form::{FormAlert, TextField, last_error};

/// Payment Options: the cards on file, newest first, each with its expiry, who added it, and
/// Make default / Remove.
#[component]
pub fn PaymentOptionsSection(
    options: Vec<PaymentOptionView>,
    /// Called after a card changed here, so the profile shows it at once.
    on_change: Callback<()>,
) -> impl IntoView {
    let make_default = ServerAction::<MakeDefaultPaymentOption>::new();
    let make_default_error = last_error(make_default.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = make_default.value().get() {
            on_change.run(());
        }
    });
    view! {
        <section aria-labelledby="payment-options-heading">
            <h3 id="payment-options-heading">"Payment Options"</h3>
            <FormAlert error=make_default_error/>
            {if options.is_empty() {
                view! { <p class="empty-state">"No card on file"</p> }.into_any()
            } else {
                view! {
                    <ul class="payment-options">
                        {options
                            .into_iter()
                            .map(|option| view! { <PaymentOptionItem option make_default on_change/> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn PaymentOptionItem(
    option: PaymentOptionView,
    make_default: ServerAction<MakeDefaultPaymentOption>,
    on_change: Callback<()>,
) -> impl IntoView {
    let remove = ServerAction::<RemovePaymentOption>::new();
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            confirming.set(false);
            on_change.run(());
        }
    });
    let card_id = format!("card-{}", option.id);
    let remove_id = format!("remove-{}", option.id);
    let expiry = match option.expiry {
        ExpiryState::Expired => Some(view! { <span class="badge badge-expired">"Expired"</span> }),
        ExpiryState::ExpiringSoon => {
            Some(view! { <span class="badge badge-expiring">"Expires soon"</span> })
        }
        ExpiryState::Valid => None,
    };
    let make_default_form = (!option.is_default).then(|| {
        let pending = make_default.pending();
        let (id, card_id) = (option.id.clone(), card_id.clone());
        view! {
            <ActionForm action=make_default>
                <input type="hidden" name="payment_option_id" value=id/>
                <button
                    type="submit"
                    class="button small"
                    disabled=move || pending.get()
                    aria-describedby=card_id
                >
                    "Make default"
                </button>
            </ActionForm>
        }
    });
    let dialog_option = option.clone();
    let opener_id = remove_id.clone();
    view! {
        <li class="payment-option" class:is-default=option.is_default>
            <div class="payment-option-head">
                <span class="card-line" id=card_id.clone()>{option.card.describe()}</span>
                {expiry}
                {option.is_default.then(|| view! { <span class="badge badge-default">"Default"</span> })}
            </div>
            <p class="muted small">{format!("{} on {}", option.added_by, option.added_on)}</p>
            {option
                .unusable
                .clone()
                .map(|why| view! { <p class="payment-option-unusable">{format!("Can't be charged. {why}")}</p> })}
            <div class="payment-option-actions">
                {make_default_form}
                <button
                    type="button"
                    class="button small"
                    id=remove_id
                    aria-haspopup="dialog"
                    aria-describedby=card_id
                    on:click=move |_| {
                        remove.value().set(None);
                        confirming.set(true);
                    }
                >
                    "Remove"
                </button>
            </div>
            {move || confirming.get().then(|| view! {
                <RemoveDialog
                    option=dialog_option.clone()
                    remove
                    on_close=Callback::new(move |()| confirming.set(false))
                    opener_id=opener_id.clone()
                />
            })}
        </li>
    }
}

/// Remove asks first; a card meant to pay a booking with a balance due also asks why.
#[component]
fn RemoveDialog(
    option: PaymentOptionView,
    remove: ServerAction<RemovePaymentOption>,
    on_close: Callback<()>,
    opener_id: String,
) -> impl IntoView {
    let error = last_error(remove.value());
    let pending = remove.pending();
    let title_id = format!("remove-card-title-{}", option.id);
    let card = format!("{} •••• {}", option.card.brand, option.card.last4);
    let bookings = option.backs_bookings_due;
    let reason_field = if bookings.is_empty() {
        view! { <TextField label="Reason (optional)" name="reason" error/> }.into_any()
    } else {
        view! {
            <TextField
                label="Reason"
                name="reason"
                required=true
                hint="Kept with the card's history."
                error
            />
        }
        .into_any()
    };
    let warning = (!bookings.is_empty()).then(|| {
        view! {
            <div class="payment-option-warning">
                <p>"This card pays for bookings with a balance due:"</p>
                <ul>{bookings.into_iter().map(|title| view! { <li>{title}</li> }).collect_view()}</ul>
            </div>
        }
    });
    view! {
        <Dialog title_id=title_id.clone() on_close busy=pending opener_id class="payment-options-dialog">
            <h2 id=title_id>"Remove card"</h2>
            <p>
                "Remove "<strong>{card}</strong>" from this customer's Payment Options? It is \
                 detached at Stripe and can't be charged again."
            </p>
            {warning}
            <ActionForm action=remove attr:novalidate=true>
                <input type="hidden" name="payment_option_id" value=option.id/>
                {reason_field}
                <FormAlert error/>
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button danger"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().then_some("true")
                    >
                        {move || if pending.get() { "Removing…" } else { "Remove card" }}
                    </button>
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// The server-rendered list: what a merchant reads before any script runs.
#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::cards::CardView;

    fn option(id: &str, brand: &str, last4: &str, expiry: ExpiryState) -> PaymentOptionView {
        PaymentOptionView {
            id: id.into(),
            card: CardView {
                brand: brand.into(),
                last4: last4.into(),
                exp_month: 12,
                exp_year: 2034,
            },
            expiry,
            is_default: false,
            added_by: "Added by Sam Staff".into(),
            added_on: "2026-11-29".into(),
            backs_bookings_due: Vec::new(),
            unusable: None,
        }
    }

    fn render(options: Vec<PaymentOptionView>) -> String {
        let owner = Owner::new();
        owner.set();
        view! { <PaymentOptionsSection options on_change=Callback::new(|()| ())/> }.to_html()
    }

    #[test]
    fn each_card_shows_its_expiry_mark_its_origin_and_what_can_be_done() {
        let mut default = option("po-1", "Mastercard", "4444", ExpiryState::Valid);
        default.is_default = true;
        let html = render(vec![
            default,
            option("po-2", "Visa", "4242", ExpiryState::ExpiringSoon),
            option("po-3", "Visa", "0005", ExpiryState::Expired),
        ]);
        assert!(
            html.contains("Mastercard •••• 4444 — expires 12/34"),
            "{html}"
        );
        assert!(html.contains("Added by Sam Staff on 2026-11-29"));
        assert_eq!(html.matches(">Default</span>").count(), 1);
        assert_eq!(html.matches(">Expires soon</span>").count(), 1);
        assert_eq!(html.matches(">Expired</span>").count(), 1);
        // Every card can be removed; only the others can become the default.
        assert_eq!(html.matches(">Remove</button>").count(), 3);
        assert_eq!(html.matches("Make default").count(), 2);
        assert!(!html.contains(r#"value="po-1""#));
        assert!(html.contains(r#"value="po-2""#));
    }

    #[test]
    fn a_card_of_another_stripe_account_says_why_it_cannot_be_charged() {
        let mut old = option("po-1", "Visa", "4242", ExpiryState::Valid);
        old.unusable = Some("Saved in another Stripe account.".into());
        let html = render(vec![
            old,
            option("po-2", "Visa", "0005", ExpiryState::Valid),
        ]);
        assert_eq!(
            html.matches("Can't be charged. Saved in another Stripe account.")
                .count(),
            1,
            "{html}"
        );
    }

    #[test]
    fn no_card_says_so() {
        assert!(render(Vec::new()).contains("No card on file"));
    }
}

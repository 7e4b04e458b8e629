//! `/pay` when the link asks the customer to confirm a payment: an off-session charge their bank
//! wants authenticated. No card is typed here — the card is on file; **Confirm payment** lets
//! Stripe.js run the bank's step (3-D Secure in Stripe's frame), then our server records the
//! outcome.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::features::charges::dto::{PaymentConfirmed, PaymentToConfirm};
use crate::features::pay::components::PayDone;
use crate::features::pay::dto::CardSetup;

/// Where the page is; the button is usable only in `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Server-rendered, not hydrated yet.
    Loading,
    Ready,
    /// Between the click and the answer (the bank's step included).
    Confirming,
}

#[derive(Clone, Copy)]
struct ConfirmState {
    phase: RwSignal<Phase>,
    error: RwSignal<Option<String>>,
    confirmed: RwSignal<Option<PaymentConfirmed>>,
    /// The PaymentIntent still waits in `requires_action`: the first try only runs that step.
    /// Once tried, the intent has moved on, and a retry confirms it again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    next_action: StoredValue<bool>,
    /// Stripe has confirmed; a retry after a server error only asks our server again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    stripe_done: StoredValue<bool>,
}

/// The confirm page as the server renders it. Only the button and what replaces it
/// ([`ConfirmEntry`]) is an island, hydrated by the page's own small bundle.
#[component]
pub fn ConfirmPayment(
    merchant_name: String,
    /// "Hi Jane,".
    greeting: String,
    demo: bool,
    setup: CardSetup,
    payment: PaymentToConfirm,
) -> impl IntoView {
    let sentence = confirm_sentence(&merchant_name, &payment);
    view! {
        <Title text=format!("Confirm your payment to {merchant_name}")/>
        <main class="pay-page">
            {demo.then(|| view! {
                <p class="demo-banner" role="note">"Demo — no real payments."</p>
            })}
            <header class="pay-header">
                <p class="pay-merchant">{merchant_name.clone()}</p>
                <h1>"Confirm your payment"</h1>
            </header>
            <section class="pay-panel">
                <p class="pay-greeting">{greeting}</p>
                <p class="pay-request">{sentence}</p>
                <p>
                    "Your bank wants you to confirm this payment yourself. Your card details stay \
                     with Stripe, our payment processor."
                </p>
                <ConfirmEntry setup payment/>
            </section>
        </main>
    }
}

/// **Confirm payment**, then what was paid in its place: the island of the confirm page.
#[island]
fn ConfirmEntry(setup: CardSetup, payment: PaymentToConfirm) -> impl IntoView {
    let state = ConfirmState {
        phase: RwSignal::new(Phase::Loading),
        error: RwSignal::new(None),
        confirmed: RwSignal::new(None),
        next_action: StoredValue::new(payment.requires_action),
        stripe_done: StoredValue::new(false),
    };

    #[cfg(feature = "hydrate")]
    {
        let url = setup.stripe_js_url.clone();
        // Runs once, in the browser: the button works from here, and Stripe.js starts loading
        // so the bank's step opens without a wait.
        Effect::new(move |_| {
            state.phase.set(Phase::Ready);
            crate::ui::hydration::mark_hydrated();
            let url = url.clone();
            leptos::task::spawn_local(async move {
                if let Err(detail) = crate::stripe_js::load_stripe_js(&url).await {
                    leptos::logging::error!("confirm page: {detail}");
                }
            });
        });
    }

    // Stored, so the submit handler is `Copy` and the form can be drawn again after an error.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let intent = StoredValue::new((setup, payment));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        intent.with_value(|(setup, payment)| {
            browser::confirm(state, setup.clone(), payment.clone());
        });
    };

    let is = move |phase: Phase| state.phase.get() == phase;
    let form = move || {
        view! {
            <form class="pay-form" aria-label="Confirm payment" on:submit=on_submit>
                <p class="pay-error" class:alert=move || state.error.with(Option::is_some) role="alert">
                    {move || state.error.get()}
                </p>
                <button
                    type="submit"
                    class="button primary pay-submit"
                    disabled=move || !is(Phase::Ready)
                    aria-busy=move || is(Phase::Confirming).then_some("true")
                >
                    {move || if is(Phase::Confirming) { "Confirming…" } else { "Confirm payment" }}
                </button>
            </form>
        }
    };

    // `Either`, not `AnyView`: the island stays free of type erasure (smaller WASM).
    move || match state.confirmed.get() {
        Some(done) => Either::Left(view! { <PaymentDone done/> }),
        None => Either::Right(form()),
    }
}

/// Replaces the button once the payment is recorded.
#[component]
fn PaymentDone(done: PaymentConfirmed) -> impl IntoView {
    view! {
        <PayDone
            heading_id="payment-confirmed-heading"
            title="Payment confirmed"
            detail=format!("{} paid with {}", done.amount_text, done.card)
        />
    }
}

/// "Demo Tours asks you to confirm a payment of $50.00 for Sunset kayak tour with Visa •••• 3184."
fn confirm_sentence(merchant_name: &str, payment: &PaymentToConfirm) -> String {
    let what = payment.description.trim().trim_end_matches('.').trim_end();
    let amount = &payment.amount_text;
    let card = &payment.card;
    if what.is_empty() {
        format!("{merchant_name} asks you to confirm a payment of {amount} with {card}.")
    } else {
        format!("{merchant_name} asks you to confirm a payment of {amount} for {what} with {card}.")
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    use super::{ConfirmState, Phase};
    use crate::error::AppError;
    use crate::features::charges::dto::{PaymentConfirmed, PaymentToConfirm};
    use crate::features::pay::api::complete_payment_confirmation;
    use crate::features::pay::dto::CardSetup;
    use crate::stripe_js::{self, ConfirmOutcome, Stripe};

    const LOAD_FAILED: &str =
        "The secure payment step could not be loaded. Check your connection and try again.";
    /// When Stripe's error carries no sentence of its own.
    const CONFIRM_FAILED: &str = "Something went wrong. Please try again.";
    /// Our server does not see the payment through at Stripe (yet).
    const NOT_CONFIRMED: &str = "Your payment has not gone through yet. Please try again.";

    pub fn confirm(state: ConfirmState, setup: CardSetup, payment: PaymentToConfirm) {
        if state.phase.get_untracked() != Phase::Ready {
            return;
        }
        state.phase.set(Phase::Confirming);
        state.error.set(None);
        leptos::task::spawn_local(async move {
            match confirm_and_record(&setup, &payment, state).await {
                Ok(done) => state.confirmed.set(Some(done)),
                Err(message) => {
                    state.error.set(Some(message));
                    state.phase.set(Phase::Ready);
                }
            }
        });
    }

    async fn confirm_and_record(
        setup: &CardSetup,
        payment: &PaymentToConfirm,
        state: ConfirmState,
    ) -> Result<PaymentConfirmed, String> {
        if !state.stripe_done.get_value() {
            let stripe = stripe(setup).await.map_err(|detail| {
                leptos::logging::error!("confirm page: {detail}");
                LOAD_FAILED.to_owned()
            })?;
            let outcome = if state.next_action.get_value() {
                stripe.handle_next_action(&setup.client_secret).await
            } else {
                stripe
                    .confirm_payment_with_method(&setup.client_secret, &payment.payment_method_id)
                    .await
            };
            state.next_action.set_value(false);
            match outcome {
                ConfirmOutcome::Succeeded { .. } => state.stripe_done.set_value(true),
                // The intent is past the step already (paid in another tab, or before a
                // reload): our server knows whether it went through.
                ConfirmOutcome::Failed(error)
                    if error
                        .code
                        .as_deref()
                        .is_some_and(|c| c.ends_with("_unexpected_state")) => {}
                // Stripe writes these for customers: "We are unable to authenticate your
                // payment method…", "Your card was declined."
                ConfirmOutcome::Failed(error) => {
                    return Err(error.message.unwrap_or_else(|| CONFIRM_FAILED.to_owned()));
                }
            }
        }
        complete_payment_confirmation().await.map_err(|e| match e {
            // The card page's sentence for this code is about saving a card.
            AppError::SetupIncomplete => NOT_CONFIRMED.to_owned(),
            e => e.user_message(),
        })
    }

    async fn stripe(setup: &CardSetup) -> Result<Stripe, String> {
        stripe_js::load_stripe_js(&setup.stripe_js_url).await?;
        Stripe::new(&setup.publishable_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(description: &str) -> PaymentToConfirm {
        PaymentToConfirm {
            amount_text: "$50.00".into(),
            description: description.into(),
            card: "Visa •••• 3184".into(),
            payment_method_id: "pm_1".into(),
            requires_action: false,
        }
    }

    #[test]
    fn the_request_reads_as_one_sentence() {
        assert_eq!(
            confirm_sentence("Demo Tours", &payment("Sunset kayak tour.")),
            "Demo Tours asks you to confirm a payment of $50.00 for Sunset kayak tour with \
             Visa •••• 3184."
        );
        assert_eq!(
            confirm_sentence("Demo Tours", &payment(" ")),
            "Demo Tours asks you to confirm a payment of $50.00 with Visa •••• 3184."
        );
    }
}

/// The server-rendered page: what a customer reads before any script runs.
#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;

    fn render(view: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.set();
        leptos_meta::provide_meta_context();
        view().to_html()
    }

    #[test]
    fn the_page_names_the_payment_and_waits_with_its_button_disabled() {
        let html = render(|| {
            view! {
                <ConfirmPayment
                    merchant_name="Demo Tours".to_owned()
                    greeting="Hi Jane,".to_owned()
                    demo=true
                    setup=CardSetup {
                        publishable_key: "pk_test_demo".into(),
                        client_secret: "pi_1_secret_2".into(),
                        stripe_js_url: "http://127.0.0.1:12111/v3/".into(),
                    }
                    payment=PaymentToConfirm {
                        amount_text: "$50.00".into(),
                        description: "Sunset kayak tour".into(),
                        card: "Visa •••• 3184".into(),
                        payment_method_id: "pm_1".into(),
                        requires_action: false,
                    }
                />
            }
            .into_any()
        });
        assert!(html.contains("<h1>Confirm your payment</h1>"), "{html}");
        assert!(html.contains("Hi Jane,"), "{html}");
        assert!(html.contains(
            "Demo Tours asks you to confirm a payment of $50.00 for Sunset kayak tour with Visa \
             •••• 3184."
        ));
        assert!(html.contains(r#"<button type="submit" disabled"#), "{html}");
        assert!(html.contains("Confirm payment"), "{html}");
        // No card is typed here: no Payment Element. The button is the island the page's own
        // bundle hydrates; the secret for Stripe.js travels in its props, nowhere else.
        assert!(!html.contains("payment-element"), "{html}");
        assert!(
            html.contains("<leptos-island data-component=\"ConfirmEntry_"),
            "{html}"
        );
        assert_eq!(html.matches("pi_1_secret_2").count(), 1, "{html}");
        let (_, props) = html
            .split_once("data-props=\"")
            .expect("the island's props");
        assert!(props.contains("pi_1_secret_2"), "{html}");
    }

    #[test]
    fn the_confirmation_says_what_was_paid() {
        let done = PaymentConfirmed {
            amount_text: "$50.00".into(),
            card: "Visa •••• 3184".into(),
        };
        let html = render(move || view! { <PaymentDone done/> }.into_any());
        assert!(html.contains("Payment confirmed"), "{html}");
        assert!(html.contains("$50.00 paid with Visa •••• 3184"), "{html}");
    }
}

//! **Create Payment Option** in the Actions panel: the merchant types a card the customer gave
//! them into Stripe's Payment Element, inside a dialog of the app. Stripe.js confirms the
//! SetupIntent (3-D Secure in its own challenge frame), then our server records the card as added
//! by the signed-in staff member.
//!
//! Only the button depends on the profile's data; the dialog is drawn beside it, outside the
//! profile's refreshes, so a live update never closes it or drops a half-typed card.

use leptos::prelude::*;

use crate::error::AppError;
use crate::features::payment_options::dto::{PaymentOptionView, WithCards};
use crate::ui::dialog::Dialog;

const BUTTON_ID: &str = "create-payment-option";
const REASON_ID: &str = "create-payment-option-reason";
const TITLE_ID: &str = "create-payment-option-title";
const ELEMENT_ID: &str = "payment-option-element";

/// Where the dialog is; Save card is usable only in `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the SetupIntent, Stripe.js and the Payment Element's `ready` event.
    Loading,
    Ready,
    /// Between Save card and the answer (3-D Secure included).
    Saving,
    /// Something failed before the card could be typed; Cancel and try again.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Unavailable,
}

#[derive(Clone, Copy)]
struct Entry {
    open: RwSignal<bool>,
    phase: RwSignal<Phase>,
    /// The sentence in the dialog's alert region (Stripe's own for declines).
    error: RwSignal<Option<String>>,
    /// "Mastercard •••• 4444 added." once the dialog closed on a saved card.
    saved: RwSignal<Option<String>>,
    /// Counts the dialog's openings: work started for an earlier one (a slow Stripe.js, a
    /// confirm) is dropped when it finishes.
    opening: StoredValue<u64>,
}

impl Entry {
    fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            phase: RwSignal::new(Phase::Loading),
            error: RwSignal::new(None),
            saved: RwSignal::new(None),
            opening: StoredValue::new(0),
        }
    }

    fn next_opening(self) -> u64 {
        self.opening.update_value(|n| *n += 1);
        self.opening.get_value()
    }

    /// False once the dialog was closed (or the profile left) after `opening` started.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn is_current(self, opening: u64) -> bool {
        self.opening.try_get_value() == Some(opening) && self.open.try_get_untracked() == Some(true)
    }
}

#[component]
pub fn CreatePaymentOptionAction<P: WithCards>(
    customer_id: String,
    /// The profile's payment data: says whether cards can be added now.
    payments: Resource<Result<P, AppError>>,
) -> impl IntoView {
    let entry = Entry::new();
    // Stripe.js objects are browser-only and not `Send`.
    #[cfg(feature = "hydrate")]
    let mounted = StoredValue::new_local(None::<browser::Mounted>);

    let close = Callback::new(move |()| {
        entry.open.set(false);
        entry.next_opening();
        #[cfg(feature = "hydrate")]
        browser::unmount(mounted);
    });
    let saved = Callback::new(move |option: PaymentOptionView| {
        entry.saved.set(Some(format!(
            "{} •••• {} added.",
            option.card.brand, option.card.last4
        )));
        close.run(());
        payments.refetch();
    });
    let start = {
        let customer_id = customer_id.clone();
        Callback::new(move |()| {
            entry.saved.set(None);
            entry.error.set(None);
            entry.phase.set(Phase::Loading);
            entry.open.set(true);
            let opening = entry.next_opening();
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(browser::mount(
                customer_id.clone(),
                entry,
                opening,
                mounted,
                close,
            ));
            #[cfg(not(feature = "hydrate"))]
            let _ = (&customer_id, opening);
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        browser::save(customer_id.clone(), entry, mounted, saved);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&customer_id, saved);
    };

    let is = move |phase: Phase| entry.phase.get() == phase;
    view! {
        <li>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    payments
                        .await
                        .ok()
                        .map(|p| view! { <CreateButton blocked=p.cards().payments_blocked_reason.clone() start/> })
                })}
            </Transition>
            {move || entry.saved.get().map(|message| view! { <p class="notice" role="status">{message}</p> })}
            {move || entry.open.get().then(|| {
                let on_submit = on_submit.clone();
                view! {
                    <Dialog
                        title_id=TITLE_ID
                        on_close=close
                        busy=Signal::derive(move || is(Phase::Saving))
                        opener_id=BUTTON_ID
                        class="payment-options-dialog"
                    >
                        <h2 id=TITLE_ID>"Create Payment Option"</h2>
                        <p>
                            "Enter the card the customer gave you. The number goes straight to Stripe; \
                             only the brand, the last 4 digits and the expiry are kept here."
                        </p>
                        <form class="payment-option-form" on:submit=on_submit.clone()>
                            <div id=ELEMENT_ID class="payment-element"></div>
                            <p class="pay-status" role="status" aria-live="polite">
                                {move || is(Phase::Loading).then_some("Loading the secure card form…")}
                            </p>
                            <p class="pay-error" class:alert=move || entry.error.with(Option::is_some) role="alert">
                                {move || entry.error.get()}
                            </p>
                            <div class="form-actions">
                                <button
                                    type="submit"
                                    class="button primary"
                                    disabled=move || !is(Phase::Ready)
                                    aria-busy=move || is(Phase::Saving).then_some("true")
                                >
                                    {move || if is(Phase::Saving) { "Saving…" } else { "Save card" }}
                                </button>
                                <button
                                    type="button"
                                    class="button"
                                    disabled=move || is(Phase::Saving)
                                    on:click=move |_| close.run(())
                                >
                                    "Cancel"
                                </button>
                            </div>
                        </form>
                    </Dialog>
                }
            })}
        </li>
    }
}

/// The Actions panel's button, disabled with the reason when cards can't be added.
#[component]
fn CreateButton(blocked: Option<String>, start: Callback<()>) -> impl IntoView {
    match blocked {
        Some(reason) => view! {
            <button type="button" class="button" id=BUTTON_ID disabled=true aria-describedby=REASON_ID>
                "Create Payment Option"
            </button>
            <p class="hint" id=REASON_ID>{reason}</p>
        }
        .into_any(),
        None => view! {
            <button
                type="button"
                class="button"
                id=BUTTON_ID
                aria-haspopup="dialog"
                on:click=move |_| start.run(())
            >
                "Create Payment Option"
            </button>
        }
        .into_any(),
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;

    use super::{ELEMENT_ID, Entry, Phase};
    use crate::features::payment_options::api::{save_payment_option, start_payment_option};
    use crate::features::payment_options::dto::PaymentOptionView;
    use crate::stripe_js::{self, Appearance, ConfirmOutcome, Elements, PaymentElement, Stripe};

    const LOAD_FAILED: &str =
        "The secure card form could not be loaded. Check your connection and try again.";
    /// When Stripe's error carries no sentence of its own.
    const SAVE_FAILED: &str = "Something went wrong. Please try again.";

    const APPEARANCE: Appearance<'static> = Appearance {
        theme: "stripe",
        variables: &[("colorPrimary", "#2f5bea"), ("borderRadius", "8px")],
    };

    /// The Payment Element of one opening of the dialog.
    #[derive(Clone)]
    pub struct Mounted {
        stripe: Stripe,
        elements: Elements,
        element: PaymentElement,
        setup_intent_id: String,
        /// Stripe has confirmed the SetupIntent: a retry after a server error only asks our
        /// server again (confirming a succeeded SetupIntent twice is an error at Stripe).
        confirmed: Rc<Cell<bool>>,
    }

    /// Creates the SetupIntent, loads Stripe.js and mounts the Payment Element in the dialog.
    pub async fn mount(
        customer_id: String,
        entry: Entry,
        opening: u64,
        mounted: StoredValue<Option<Mounted>, LocalStorage>,
        close: Callback<()>,
    ) {
        match try_mount(customer_id, entry, opening, close).await {
            Ok(Some(handles)) => {
                mounted.try_set_value(Some(handles));
            }
            Ok(None) => {}
            Err(message) => {
                if entry.is_current(opening) {
                    entry.phase.try_set(Phase::Unavailable);
                    entry.error.try_set(Some(message));
                }
            }
        }
    }

    /// `Ok(None)` when the dialog was closed meanwhile.
    async fn try_mount(
        customer_id: String,
        entry: Entry,
        opening: u64,
        close: Callback<()>,
    ) -> Result<Option<Mounted>, String> {
        let setup = start_payment_option(customer_id)
            .await
            .map_err(|e| e.user_message())?;
        let unavailable = |detail: String| {
            leptos::logging::error!("Create Payment Option: {detail}");
            LOAD_FAILED.to_owned()
        };
        stripe_js::load_stripe_js(&setup.stripe_js_url)
            .await
            .map_err(unavailable)?;
        if !entry.is_current(opening) {
            return Ok(None);
        }
        let stripe = Stripe::new(&setup.publishable_key).map_err(unavailable)?;
        let elements = stripe
            .elements(&setup.client_secret, Some(APPEARANCE))
            .map_err(unavailable)?;
        let element = elements
            .create_payment_element(&setup.business_name)
            .map_err(unavailable)?;
        element
            .on_ready(move || {
                if entry.is_current(opening)
                    && entry.phase.try_get_untracked() == Some(Phase::Loading)
                {
                    entry.phase.try_set(Phase::Ready);
                }
            })
            .map_err(unavailable)?;
        element
            .on_load_error(move |error| {
                leptos::logging::error!(
                    "Create Payment Option: the Payment Element did not load: {error:?}"
                );
                if entry.is_current(opening) {
                    entry.phase.try_set(Phase::Unavailable);
                    entry.error.try_set(Some(LOAD_FAILED.to_owned()));
                }
            })
            .map_err(unavailable)?;
        element
            .on_escape(move || {
                if entry.is_current(opening)
                    && entry.phase.try_get_untracked() != Some(Phase::Saving)
                {
                    // After Stripe's handler has returned: closing destroys its element.
                    leptos::task::spawn_local(async move { close.run(()) });
                }
            })
            .map_err(unavailable)?;
        element
            .mount(&format!("#{ELEMENT_ID}"))
            .map_err(unavailable)?;
        Ok(Some(Mounted {
            stripe,
            elements,
            element,
            setup_intent_id: setup.setup_intent_id,
            confirmed: Rc::new(Cell::new(false)),
        }))
    }

    /// Removes Stripe's frame with the dialog.
    pub fn unmount(mounted: StoredValue<Option<Mounted>, LocalStorage>) {
        if let Some(Some(handles)) = mounted.try_update_value(Option::take)
            && let Err(detail) = handles.element.destroy()
        {
            leptos::logging::error!("Create Payment Option: {detail}");
        }
    }

    /// Save card: Stripe confirms the SetupIntent, then our server records the card. A failure
    /// leaves the dialog open with Stripe's (or our) sentence, ready for another try.
    pub fn save(
        customer_id: String,
        entry: Entry,
        mounted: StoredValue<Option<Mounted>, LocalStorage>,
        saved: Callback<PaymentOptionView>,
    ) {
        if entry.phase.get_untracked() != Phase::Ready {
            return;
        }
        let Some(handles) = mounted.get_value() else {
            return;
        };
        let opening = entry.opening.get_value();
        entry.phase.set(Phase::Saving);
        entry.error.set(None);
        leptos::task::spawn_local(async move {
            let result = confirm_and_record(customer_id, &handles).await;
            if !entry.is_current(opening) {
                return;
            }
            match result {
                Ok(option) => saved.run(option),
                Err(message) => {
                    entry.error.try_set(Some(message));
                    entry.phase.try_set(Phase::Ready);
                }
            }
        });
    }

    async fn confirm_and_record(
        customer_id: String,
        handles: &Mounted,
    ) -> Result<PaymentOptionView, String> {
        if !handles.confirmed.get() {
            match handles
                .stripe
                .confirm_setup(&handles.elements, &return_url())
                .await
            {
                // Stripe's sentences: "Your card was declined.", "We are unable to
                // authenticate your payment method. …"
                ConfirmOutcome::Failed(error) => {
                    return Err(error.message.unwrap_or_else(|| SAVE_FAILED.to_owned()));
                }
                ConfirmOutcome::Succeeded { .. } => handles.confirmed.set(true),
            }
        }
        save_payment_option(customer_id, handles.setup_intent_id.clone())
            .await
            .map_err(|e| e.user_message())
    }

    /// This page: where Stripe would send a payment method that has to leave it (cards never do
    /// with `redirect: 'if_required'`).
    fn return_url() -> String {
        web_sys::window()
            .and_then(|window| js_sys::Reflect::get(&window, &"location".into()).ok())
            .and_then(|location| js_sys::Reflect::get(&location, &"href".into()).ok())
            .and_then(|href| href.as_string())
            .unwrap_or_default()
    }
}

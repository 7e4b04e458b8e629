use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::features::bookings::api::CreateBooking;
use crate::features::payment_options::dto::{ExpiryState, PaymentOptionView, WithCards};
use crate::ui::dialog::Dialog;
use crate::ui::form::{FormAlert, LastError, SubmitButton, TextField, last_error};

/// The query parameter that opens the dialog: the button asks for it when JavaScript is off, so
/// the server renders the profile with the form open and the form posts like any other.
const OPEN_PARAM: &str = "new_booking";
/// The New booking button: where focus goes back when the dialog closes.
const BUTTON_ID: &str = "new-booking";

/// **New booking** in the Actions panel: a dialog with What, Date and time, Participants, Total
/// (in the merchant's currency) and Card.
///
/// Placed outside the profile's payment data on purpose: that data is drawn again on every live
/// update, and the action (its errors) and what was typed must survive it. Only the parts that
/// come from it — the currency and the customer's cards — follow it.
#[component]
pub fn NewBookingAction<P: WithCards>(
    customer_id: String,
    payments: Resource<Result<P, AppError>>,
) -> impl IntoView {
    let create = ServerAction::<CreateBooking>::new();
    let error = last_error(create.value());
    let pending = create.pending();
    let query = use_query_map();
    let open = RwSignal::new(query.with_untracked(|q| q.get(OPEN_PARAM).is_some()));
    // Saved: close, and show it in Bookings without waiting for the live update.
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            open.set(false);
            payments.refetch();
        }
    });
    // Refused: take the keyboard to the first field to correct, once the page shows which.
    Effect::new(move |_| {
        if let Some(Err(_)) = create.value().get() {
            #[cfg(feature = "hydrate")]
            request_animation_frame(focus_first_invalid);
        }
    });
    let profile_href = format!("/customers/{customer_id}");
    let booked_message = move || {
        create.value().get().and_then(Result::ok).map(|b| {
            view! {
                <p class="notice" role="status">{format!("Booked {} on {}.", b.title, b.starts_at)}</p>
            }
        })
    };
    let close = Callback::new(move |()| open.set(false));
    view! {
        <li>
            <form method="get" action=profile_href.clone() class="dialog-opener">
                <input type="hidden" name=OPEN_PARAM value="1"/>
                <button
                    type="submit"
                    class="button"
                    id=BUTTON_ID
                    aria-haspopup="dialog"
                    on:click=move |ev| {
                        ev.prevent_default();
                        // A fresh form: no errors or notice from an earlier booking.
                        create.clear();
                        open.set(true);
                    }
                >
                    "New booking"
                </button>
            </form>
            {booked_message}
            {move || open.get().then(|| {
                let (customer_id, profile_href) = (customer_id.clone(), profile_href.clone());
                view! {
                <Dialog
                    title_id="new-booking-title"
                    on_close=close
                    opener_id=BUTTON_ID
                    class="new-booking-dialog"
                >
                    <h2 id="new-booking-title">"New booking"</h2>
                    <ActionForm action=create attr:novalidate=true>
                        <input type="hidden" name="customer_id" value=customer_id/>
                        <TextField label="What" name="title" required=true error/>
                        <TextField label="Date and time" name="starts_at" kind="datetime-local" required=true error/>
                        <TextField label="Participants" name="participants" kind="number" value=Some("1".to_owned()) required=true error/>
                        <TotalField payments error/>
                        <CardField payments error/>
                        <FormAlert error/>
                        <div class="form-actions">
                            <SubmitButton label="Create booking" pending_label="Creating…" pending/>
                            // Without JavaScript, Cancel goes back to the profile without
                            // the dialog (its own little form, below).
                            <button
                                type="submit"
                                form="new-booking-cancel"
                                class="button"
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    close.run(());
                                }
                            >
                                "Cancel"
                            </button>
                        </div>
                    </ActionForm>
                    <form id="new-booking-cancel" method="get" action=profile_href></form>
                </Dialog>
                }
            })}
        </li>
    }
    // Type-erased: the profile composes many such parts, and their nested view types would
    // otherwise outgrow the compiler's recursion limit.
    .into_any()
}

fn field_message(error: LastError, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.message_for(field)))
}

/// The amount as typed, with the merchant's currency code beside it (and read with it).
#[component]
fn TotalField<P: WithCards>(
    payments: Resource<Result<P, AppError>>,
    error: LastError,
) -> impl IntoView {
    let message = field_message(error, "total");
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for="field-total">"Total"</label>
            <div class="amount-input">
                <input
                    id="field-total"
                    name="total"
                    type="text"
                    inputmode="decimal"
                    autocomplete="off"
                    required=true
                    aria-invalid=move || message.get().is_some().then_some("true")
                    aria-describedby="field-total-currency field-total-error"
                />
                <span class="currency-code" id="field-total-currency">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            payments.await.ok().map(|p| p.cards().currency.to_uppercase())
                        })}
                    </Transition>
                </span>
            </div>
            <p class="field-error" id="field-total-error">{move || message.get()}</p>
        </div>
    }
}

fn card_label(option: &PaymentOptionView) -> String {
    let mut label = option.card.describe();
    if option.expiry == ExpiryState::Expired {
        label.push_str(" (expired)");
    }
    if option.is_default {
        label.push_str(" (default)");
    }
    label
}

/// The customer's cards on file, the default one chosen, or No card.
#[component]
fn CardField<P: WithCards>(
    payments: Resource<Result<P, AppError>>,
    error: LastError,
) -> impl IntoView {
    let message = field_message(error, "payment_option_id");
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for="field-payment_option_id">"Card"</label>
            <Transition fallback=|| view! {
                <select id="field-payment_option_id" disabled=true><option>"Loading…"</option></select>
            }>
                {move || Suspend::new(async move {
                    let options = payments.await.map(|p| p.cards().payment_options.clone()).unwrap_or_default();
                    let has_default = options.iter().any(|o| o.is_default);
                    view! {
                        <select
                            id="field-payment_option_id"
                            name="payment_option_id"
                            aria-invalid=move || message.get().is_some().then_some("true")
                            aria-describedby="field-payment_option_id-error"
                        >
                            {options.into_iter().map(|o| {
                                let label = card_label(&o);
                                view! { <option value=o.id selected=o.is_default>{label}</option> }
                            }).collect_view()}
                            <option value="" selected=!has_default>"No card"</option>
                        </select>
                    }
                })}
            </Transition>
            <p class="field-error" id="field-payment_option_id-error">{move || message.get()}</p>
        </div>
    }
}

/// The first field the server refused, in the open dialog.
#[cfg(feature = "hydrate")]
fn focus_first_invalid() {
    use leptos::wasm_bindgen::JsCast;
    if let Ok(Some(element)) = document().query_selector(".new-booking-dialog [aria-invalid=true]")
        && let Ok(element) = element.dyn_into::<leptos::web_sys::HtmlElement>()
    {
        let _ = element.focus();
    }
}

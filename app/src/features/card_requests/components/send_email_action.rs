use leptos::html;
use leptos::prelude::*;

use crate::features::card_requests::api::SendCardRequest;
use crate::features::card_requests::dto::CardRequestAction;
use crate::ui::form::{FormAlert, TextArea, last_error};

/// **Send Email** (or **Resend** while a link is out) in the Actions panel: a dialog naming the
/// recipient and the link's validity, with an optional personal note.
///
/// The action and the dialog's open state belong to the profile: this component is drawn again
/// whenever the profile refreshes (live updates), and must not lose them when it is.
#[component]
pub fn SendEmailAction(
    customer_id: String,
    state: CardRequestAction,
    send: ServerAction<SendCardRequest>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let error = last_error(send.value());
    let pending = send.pending();
    let set_open = open.write_only();
    let note_field = NodeRef::<html::Div>::new();
    let trigger = NodeRef::<html::Button>::new();
    let dialog = NodeRef::<html::Div>::new();
    // Closing (Cancel, Escape) puts focus back on the button that opened the dialog.
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if was_open == Some(true)
            && !is_open
            && let Some(button) = trigger.get_untracked()
        {
            let _ = button.focus();
        }
        is_open
    });
    // Focus the note when the dialog opens, as a modal should.
    Effect::new(move |_| {
        if open.get()
            && let Some(field) = note_field.get()
            && let Ok(Some(textarea)) = field.query_selector("textarea")
        {
            use leptos::wasm_bindgen::JsCast;
            if let Ok(textarea) = textarea.dyn_into::<leptos::web_sys::HtmlElement>() {
                let _ = textarea.focus();
            }
        }
    });

    let sent_message = move || {
        send.value().get().and_then(Result::ok).map(|sent| {
            view! {
                <p class="notice" role="status">
                    {format!("Card request sent to {}. The link is valid until {}.", sent.recipient, sent.expires_at)}
                </p>
            }
        })
    };

    if let Some(reason) = state.blocked_reason {
        return view! {
            <li>
                <button type="button" class="button" disabled=true aria-describedby="send-email-reason">
                    "Send Email"
                </button>
                <p class="hint" id="send-email-reason">{reason}</p>
            </li>
        }
        .into_any();
    }

    let is_resend = state.pending_until.is_some();
    let button_label = if is_resend { "Resend" } else { "Send Email" };
    let recipient = state.recipient.unwrap_or_default();
    let validity = match state.validity_days {
        1 => "The link will be valid for 1 day.".to_owned(),
        n => format!("The link will be valid for {n} days."),
    };
    view! {
        <li>
            <button
                type="button"
                class="button"
                aria-haspopup="dialog"
                node_ref=trigger
                on:click=move |_| set_open.set(true)
            >
                {button_label}
            </button>
            {state.pending_until.map(|until| view! {
                <p class="hint">{format!("A card request is pending until {until}. Resending revokes that link.")}</p>
            })}
            {sent_message}
            {move || open.get().then(|| {
                let (recipient, validity, customer_id) =
                    (recipient.clone(), validity.clone(), customer_id.clone());
                view! {
                <div class="dialog-backdrop">
                    <div
                        class="dialog card"
                        role="dialog"
                        aria-modal="true"
                        aria-labelledby="send-email-title"
                        node_ref=dialog
                        on:keydown=move |ev| {
                            match ev.key().as_str() {
                                "Escape" => set_open.set(false),
                                "Tab" => keep_focus_inside(&ev, dialog),
                                _ => {}
                            }
                        }
                    >
                        <h2 id="send-email-title">
                            {if is_resend { "Resend card request" } else { "Send card request" }}
                        </h2>
                        <p>"To: "<strong>{recipient}</strong></p>
                        <p>
                            {validity}
                            {is_resend.then_some(" The link sent earlier stops working.")}
                        </p>
                        <ActionForm action=send attr:novalidate=true>
                            <input type="hidden" name="customer_id" value=customer_id/>
                            <div node_ref=note_field>
                                <TextArea label="Personal note (optional)" name="note" error/>
                            </div>
                            <FormAlert error/>
                            <div class="form-actions">
                                <button type="submit" class="button primary" disabled=move || pending.get()>
                                    {move || if pending.get() { "Sending…" } else { "Send" }}
                                </button>
                                <button type="button" class="button" on:click=move |_| set_open.set(false)>
                                    "Cancel"
                                </button>
                            </div>
                        </ActionForm>
                    </div>
                </div>
                }
            })}
        </li>
    }
    .into_any()
}

/// Tab from the dialog's last control goes to its first, Shift+Tab from the first to the last:
/// keyboard focus stays in the modal until it is closed.
#[cfg(not(feature = "hydrate"))]
fn keep_focus_inside(_ev: &leptos::ev::KeyboardEvent, _dialog: NodeRef<html::Div>) {}

#[cfg(feature = "hydrate")]
fn keep_focus_inside(ev: &leptos::ev::KeyboardEvent, dialog: NodeRef<html::Div>) {
    use leptos::wasm_bindgen::JsCast;
    let Some(dialog) = dialog.get_untracked() else {
        return;
    };
    let Ok(controls) =
        dialog.query_selector_all("textarea, button:not([disabled]), input:not([type=hidden])")
    else {
        return;
    };
    let element = |i: u32| {
        controls
            .item(i)
            .and_then(|n| n.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    };
    let (Some(first), Some(last)) = (element(0), element(controls.length().saturating_sub(1)))
    else {
        return;
    };
    let active = leptos::prelude::document().active_element();
    let at = |el: &leptos::web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == AsRef::<leptos::web_sys::Element>::as_ref(el))
    };
    if ev.shift_key() && at(&first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && at(&last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

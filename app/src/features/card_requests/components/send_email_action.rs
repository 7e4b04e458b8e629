use leptos::prelude::*;

use crate::features::card_requests::api::SendCardRequest;
use crate::features::card_requests::dto::CardRequestAction;
use crate::features::onboarding::components::ResendConfirmation;
use crate::ui::dialog::{CloseButton, Dialog};
use crate::ui::form::{FormAlert, TextArea, last_error};

/// Where focus goes back when the dialog closes after a refresh redrew the button.
const BUTTON_ID: &str = "send-email";

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
    let close = Callback::new(move |()| set_open.set(false));

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
                {state.offers_confirmation_resend.then(|| view! { <ResendConfirmation/> })}
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
                id=BUTTON_ID
                aria-haspopup="dialog"
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
                <Dialog title_id="send-email-title" on_close=close opener_id=BUTTON_ID>
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
                        <TextArea label="Personal note (optional)" name="note" error/>
                        <FormAlert error/>
                        <div class="form-actions">
                            <button type="submit" class="button primary" disabled=move || pending.get()>
                                {move || if pending.get() { "Sending…" } else { "Send" }}
                            </button>
                            <CloseButton label="Cancel"/>
                        </div>
                    </ActionForm>
                </Dialog>
                }
            })}
        </li>
    }
    .into_any()
}

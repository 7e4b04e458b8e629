use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::features::onboarding::api::ResendEmailConfirmation;
use crate::ui::form::{FormAlert, last_error};

/// **Resend confirmation link**, under the reason a merchant whose email address is not confirmed
/// yet cannot send emails to customers.
#[component]
pub fn ResendConfirmation() -> impl IntoView {
    let action = ServerAction::<ResendEmailConfirmation>::new();
    let error = last_error(action.value());
    let pending = action.pending();
    let sent = move || {
        action.value().get().and_then(Result::ok).map(|address| {
            view! {
                <p class="notice" role="status">{format!("We sent a new link to {address}.")}</p>
            }
        })
    };
    view! {
        <ActionForm action=action>
            <FormAlert error/>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || if pending.get() { "Sending…" } else { "Resend confirmation link" }}
            </button>
        </ActionForm>
        {sent}
    }
}

//! Form pieces: labelled fields with their own error line, a submit button with a pending state,
//! and an alert for errors that belong to no single field.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of the last submission, if any.
pub type LastError = Signal<Option<AppError>>;

pub fn last_error<S, T>(value: S) -> LastError
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

fn field_message(error: LastError, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.message_for(field)))
}

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional_no_strip)] value: Option<String>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    error: LastError,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = field_message(error, name);
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>{move || message.get()}</p>
        </div>
    }
}

#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional_no_strip)] value: Option<String>,
    error: LastError,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let message = field_message(error, name);
    view! {
        <div class="field" class:has-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows="4"
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
            >
                {value.unwrap_or_default()}
            </textarea>
            <p class="field-error" id=error_id>{move || message.get()}</p>
        </div>
    }
}

/// Disabled while the action runs, so a double click submits once.
#[component]
pub fn SubmitButton(
    label: &'static str,
    pending_label: &'static str,
    pending: Memo<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="button primary" disabled=move || pending.get() aria-busy=move || pending.get().then_some("true")>
            {move || if pending.get() { pending_label } else { label }}
        </button>
    }
}

/// Errors that are not about one field (wrong password, server trouble).
#[component]
pub fn FormAlert(error: LastError) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <p class="alert" role="alert">{e.user_message()}</p> }
        })
    }
}

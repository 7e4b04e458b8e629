use leptos::prelude::*;

use crate::features::customers::dto::CustomerDetail;
use crate::ui::form::{LastError, TextArea, TextField};

/// The fields shared by the new and edit forms; `existing` pre-fills them.
#[component]
pub fn CustomerFields(existing: Option<CustomerDetail>, error: LastError) -> impl IntoView {
    let value = |f: fn(&CustomerDetail) -> String| existing.as_ref().map(f);
    view! {
        <div class="field-row">
            <TextField label="First name" name="first_name" autocomplete="off" value=value(|c| c.first_name.clone()) required=true error/>
            <TextField label="Last name" name="last_name" autocomplete="off" value=value(|c| c.last_name.clone()) error/>
        </div>
        <div class="field-row">
            <TextField label="Email" name="email" kind="email" autocomplete="off" value=value(|c| c.email.clone().unwrap_or_default()) error/>
            <TextField label="Phone" name="phone" kind="tel" autocomplete="off" value=value(|c| c.phone.clone().unwrap_or_default()) error/>
        </div>
        <TextArea label="Notes" name="notes" value=value(|c| c.notes.clone()) error/>
    }
}

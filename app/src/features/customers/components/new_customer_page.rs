use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::customer_fields::CustomerFields;
use crate::features::customers::api::CreateCustomer;
use crate::ui::form::{FormAlert, SubmitButton, last_error};

#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let action = ServerAction::<CreateCustomer>::new();
    let error = last_error(action.value());
    view! {
        <Title text="New customer — Card on File"/>
        <div class="page-header">
            <h1>"New customer"</h1>
        </div>
        <section class="card form-card">
            <ActionForm action=action attr:novalidate=true>
                <FormAlert error/>
                <CustomerFields existing=None error/>
                <div class="form-actions">
                    <SubmitButton label="Save customer" pending_label="Saving…" pending=action.pending()/>
                    <a href="/customers" class="button subtle">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

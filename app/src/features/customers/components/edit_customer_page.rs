use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::customer_fields::CustomerFields;
use crate::error::AppError;
use crate::features::customers::api::{UpdateCustomer, get_customer};
use crate::ui::form::{FormAlert, SubmitButton, last_error};
use crate::ui::status::{LoadError, NotFound};

#[component]
pub fn EditCustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let customer = Resource::new(id, get_customer);
    let action = ServerAction::<UpdateCustomer>::new();
    let error = last_error(action.value());
    view! {
        <Title text="Edit customer — Card on File"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok(c) => {
                        let back = format!("/customers/{}", c.id);
                        view! {
                            <div class="page-header"><h1>"Edit customer"</h1></div>
                            <section class="card form-card">
                                <ActionForm action=action attr:novalidate=true>
                                    <FormAlert error/>
                                    <input type="hidden" name="id" value=c.id.clone()/>
                                    <CustomerFields existing=Some(c) error/>
                                    <div class="form-actions">
                                        <SubmitButton label="Save customer" pending_label="Saving…" pending=action.pending()/>
                                        <a href=back class="button subtle">"Cancel"</a>
                                    </div>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                    Err(AppError::NotFound) => view! {
                        <NotFound title="Customer not found" back_href="/customers" back_label="Back to Customers"/>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

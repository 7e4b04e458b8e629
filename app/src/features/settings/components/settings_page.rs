use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::features::settings::api::{UpdateBusinessName, get_settings};
use crate::ui::form::{FormAlert, SubmitButton, TextField, last_error};
use crate::ui::layout::BusinessNameSignal;
use crate::ui::status::LoadError;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let rename = ServerAction::<UpdateBusinessName>::new();
    let settings = Resource::new(move || rename.version().get(), |_| get_settings());
    let error = last_error(rename.value());
    // Keep the top bar in step with a successful rename.
    if let Some(BusinessNameSignal(name)) = use_context::<BusinessNameSignal>() {
        Effect::new(move || {
            if let Some(Ok(saved)) = rename.value().get() {
                name.set(saved.business_name);
            }
        });
    }
    view! {
        <Title text="Settings — Card on File"/>
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <section class="card" aria-labelledby="business-heading">
                            <h2 id="business-heading">"Business"</h2>
                            <ActionForm action=rename attr:novalidate=true>
                                <FormAlert error/>
                                <TextField label="Business name" name="business_name" value=Some(s.business_name) required=true error/>
                                <SubmitButton label="Save" pending_label="Saving…" pending=rename.pending()/>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="miopay-heading">
                            <h2 id="miopay-heading">"MioPay (Stripe)"</h2>
                            <p class="status-line">
                                {if s.stripe_connected { "Connected" } else { "Not connected" }}
                            </p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

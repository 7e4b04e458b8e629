use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::features::auth::api::SignIn;
use crate::ui::form::{FormAlert, SubmitButton, TextField, last_error};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = last_error(action.value());
    // The merchant page they opened signed out; the server decides whether to follow it.
    let next = use_query_map()
        .with_untracked(|query| query.get("next"))
        .unwrap_or_default();
    view! {
        <Title text="Sign in — Card on File"/>
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Sign in"</h1>
                <ActionForm action=action attr:novalidate=true>
                    <FormAlert error/>
                    <input type="hidden" name="next" value=next/>
                    <TextField label="Email" name="email" kind="email" autocomplete="username" required=true error/>
                    <TextField label="Password" name="password" kind="password" autocomplete="current-password" required=true error/>
                    <SubmitButton label="Sign in" pending_label="Signing in…" pending=action.pending()/>
                </ActionForm>
                <p class="switch">"New here? " <a href="/sign-up">"Create an account"</a></p>
            </section>
        </main>
    }
}

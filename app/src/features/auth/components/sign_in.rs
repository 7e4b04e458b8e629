use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::features::auth::api::SignIn;
use crate::ui::form::{FormAlert, SubmitButton, TextField, last_error};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = last_error(action.value());
    view! {
        <Title text="Sign in — Card on File"/>
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Sign in"</h1>
                <ActionForm action=action attr:novalidate=true>
                    <FormAlert error/>
                    <TextField label="Email" name="email" kind="email" autocomplete="username" required=true error/>
                    <TextField label="Password" name="password" kind="password" autocomplete="current-password" required=true error/>
                    <SubmitButton label="Sign in" pending_label="Signing in…" pending=action.pending()/>
                </ActionForm>
                <p class="switch">"New here? " <a href="/sign-up">"Create an account"</a></p>
            </section>
        </main>
    }
}

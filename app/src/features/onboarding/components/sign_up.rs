use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::features::onboarding::api::SignUp;
use crate::ui::form::{FormAlert, SubmitButton, TextField, last_error};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = last_error(action.value());
    view! {
        <Title text="Create your account — Card on File"/>
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Create your account"</h1>
                <ActionForm action=action attr:novalidate=true>
                    <FormAlert error/>
                    <TextField label="Business name" name="business_name" autocomplete="organization" required=true error/>
                    <TextField label="Your name" name="name" autocomplete="name" required=true error/>
                    <TextField label="Email" name="email" kind="email" autocomplete="username" required=true error/>
                    <TextField
                        label="Password"
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 10 characters. A phrase of a few words is easy to remember."
                        required=true
                        error
                    />
                    <SubmitButton label="Create account" pending_label="Creating your account…" pending=action.pending()/>
                </ActionForm>
                <p class="switch">"Already have an account? " <a href="/sign-in">"Sign in"</a></p>
            </section>
        </main>
    }
}

//! The signed-in frame: top bar, left-hand main menu, and the guard that sends signed-out visitors
//! to the sign-in page (a real 302 on first load, a client-side redirect afterwards).

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};

use crate::error::AppError;
use crate::features::auth::api::{SignOut, current_session};
use crate::features::auth::dto::SessionInfo;
use crate::ui::status::LoadError;

/// The business name shown in the top bar; Settings updates it after a rename.
#[derive(Clone, Copy)]
pub struct BusinessNameSignal(pub RwSignal<String>);

/// Whether payments go to the Stripe emulator; shows the demo banner.
#[derive(Clone, Copy)]
pub struct DemoPaymentsSignal(pub RwSignal<bool>);

#[component]
pub fn MerchantShell() -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| current_session());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(info) => view! { <MerchantLayout info/> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(error) => view! { <main class="standalone"><LoadError error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MerchantLayout(info: SessionInfo) -> impl IntoView {
    let business_name = RwSignal::new(info.business_name);
    provide_context(BusinessNameSignal(business_name));
    let demo_payments = RwSignal::new(info.demo_payments);
    provide_context(DemoPaymentsSignal(demo_payments));
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Show when=move || demo_payments.get()>
            <div class="demo-banner" role="status">"Demo — no real payments"</div>
        </Show>
        <div class="app-frame">
            <header class="topbar">
                <span class="brand">{move || business_name.get()}</span>
                <span class="user">{info.user_name}</span>
                <leptos::form::ActionForm action=sign_out attr:class="sign-out">
                    <button type="submit" class="button subtle">"Sign out"</button>
                </leptos::form::ActionForm>
            </header>
            <nav class="main-menu" aria-label="Main menu">
                <A href="/customers">"Customers"</A>
                <A href="/bookings">"Bookings"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            <main class="content">
                <Outlet/>
            </main>
        </div>
    }
}

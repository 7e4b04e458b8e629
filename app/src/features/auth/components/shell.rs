//! The signed-in frame: top bar, left-hand main menu, and the guard that sends signed-out visitors
//! to the sign-in page — a `303 See Other` on a full page load, so a browser fetches no app code and
//! one without JavaScript lands on the form; a client-side redirect afterwards — with the page they
//! opened as `next`.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

use crate::error::AppError;
use crate::features::auth::api::{SignOut, current_session};
use crate::features::auth::dto::SessionInfo;
use crate::features::auth::return_to::sign_in_page_for;
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
    let location = use_location();
    let sign_in_page = move || {
        let (path, query) = (
            location.pathname.get_untracked(),
            location.search.get_untracked(),
        );
        let opened = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        sign_in_page_for(&opened)
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(info) => view! { <MerchantLayout info/> }.into_any(),
                    Err(AppError::Unauthorized) => redirect_to(sign_in_page()),
                    Err(error) => view! { <main class="standalone"><LoadError error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// On the server the page answers `303` with the address (the body is never shown); in the browser
/// the router goes there.
fn redirect_to(path: String) -> AnyView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::SEE_OTHER);
            if let Ok(location) = http::HeaderValue::from_str(&path) {
                response.insert_header(http::header::LOCATION, location);
            }
        }
        ().into_any()
    }
    #[cfg(not(feature = "ssr"))]
    {
        view! { <leptos_router::components::Redirect path/> }.into_any()
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

//! The document shell and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::features::auth::components::{SignInPage, SignUpPage};
use crate::features::card_requests::components::CardRequestPage;
use crate::features::customers::components::{
    CustomerProfilePage, CustomersPage, EditCustomerPage, NewCustomerPage,
};
use crate::features::settings::components::SettingsPage;
use crate::ui::layout::MerchantShell;
use crate::ui::status::NotFoundPage;

/// Name of the WASM/JS/CSS bundle cargo-leptos writes under `/pkg`.
pub const OUTPUT_NAME: &str = "cardonfile";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::csp::set_document_headers();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (is_routing, set_is_routing) = signal(false);
    // Effects run only in the browser, after hydration: mark the document as interactive so
    // browser tests (and people reading the DOM) can tell a live page from server HTML.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{OUTPUT_NAME}.css")/>
        <Title text="Card on File"/>
        <Router set_is_routing>
            <div class="route-progress" class:active=is_routing aria-hidden="true"></div>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/sign-in") view=SignInPage/>
                <Route path=path!("/sign-up") view=SignUpPage/>
                // The customer's card page: public, behind the link cookie; async so a bad link
                // gets its HTTP status before the first byte.
                <Route path=path!("/pay") view=CardRequestPage ssr=SsrMode::Async/>
                // Async: the session check finishes before the first byte, so a signed-out
                // visitor gets a real redirect and everyone else a complete first paint.
                <ParentRoute path=path!("") view=MerchantShell ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/customers"/> }/>
                    <Route path=path!("/customers") view=CustomersPage/>
                    <Route path=path!("/customers/new") view=NewCustomerPage/>
                    <Route path=path!("/customers/:id") view=CustomerProfilePage/>
                    <Route path=path!("/customers/:id/edit") view=EditCustomerPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

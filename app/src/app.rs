//! The document shell and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

use crate::features::auth::components::MerchantShell;
use crate::features::auth::components::SignInPage;
use crate::features::bookings::components::BookingsPage;
use crate::features::customers::components::{CustomersPage, EditCustomerPage, NewCustomerPage};
use crate::features::onboarding::components::SignUpPage;
use crate::features::pay::components::CardRequestPage;
use crate::features::profile::components::CustomerProfilePage;
use crate::features::settings::components::SettingsPage;
use crate::ui::status::NotFoundPage;

/// Name of the merchant app's WASM/JS/CSS bundle cargo-leptos writes under `/pkg`.
pub const OUTPUT_NAME: &str = "cardonfile";
/// Name of the customer's card page bundle under `/pkg` (the `pay` crate, built as a project of
/// its own): it hydrates the page's one island and holds none of the merchant app.
pub const PAY_OUTPUT_NAME: &str = "pay";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::csp::set_document_headers();
    // `/pay` is server-rendered with one island (the card form or the confirm button) and loads
    // the small `pay` bundle in islands mode; every other page loads the merchant app and
    // hydrates all of it.
    let scripts = if is_card_page() {
        let mut pay = options.clone();
        pay.output_name = PAY_OUTPUT_NAME.into();
        view! { <HydrationScripts options=pay islands=true/> }.into_any()
    } else {
        view! { <HydrationScripts options=options.clone()/> }.into_any()
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options/>
                {scripts}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The request being rendered is the customer's card page (`/pay`; the emailed `/pay/<token>`
/// only sets the cookie and redirects there).
fn is_card_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path() == "/pay")
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (is_routing, set_is_routing) = signal(false);
    // Effects run only in the browser, after hydration: mark the document as interactive so
    // browser tests (and people reading the DOM) can tell a live page from server HTML.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        crate::ui::hydration::mark_hydrated();
    });
    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{OUTPUT_NAME}.css")/>
        <Title text="Card on File"/>
        <Router set_is_routing>
            <div class="route-progress" class:active=is_routing aria-hidden="true"></div>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()}/>
                <Route path=path!("/sign-up") view={Lazy::<SignUpRoute>::new()}/>
                // The customer's card page: public, behind the link cookie; async so a bad link
                // gets its HTTP status before the first byte.
                <Route path=path!("/pay") view=CardRequestPage ssr=SsrMode::Async/>
                // Async: the session check finishes before the first byte, so a signed-out
                // visitor gets a real redirect and everyone else a complete first paint.
                <ParentRoute path=path!("") view={Lazy::<MerchantShellRoute>::new()} ssr=SsrMode::Async>
                    <Route path=path!("") view=|| view! { <Redirect path="/customers"/> }/>
                    <Route path=path!("/customers") view={Lazy::<CustomersRoute>::new()}/>
                    <Route path=path!("/customers/new") view={Lazy::<NewCustomerRoute>::new()}/>
                    <Route path=path!("/customers/:id") view={Lazy::<CustomerProfileRoute>::new()}/>
                    <Route path=path!("/customers/:id/edit") view={Lazy::<EditCustomerRoute>::new()}/>
                    <Route path=path!("/bookings") view={Lazy::<BookingsRoute>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Routes whose code is split out of the main WASM (`cargo leptos build --split`) and fetched when
/// first visited: the customer's card page, which a phone opens from an email, then downloads
/// only the router, the shell and itself — none of the merchant app. Each page loads its own
/// data, so `data()` has nothing to start.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    MerchantShellRoute => MerchantShell,
    SignInRoute => SignInPage,
    SignUpRoute => SignUpPage,
    CustomersRoute => CustomersPage,
    NewCustomerRoute => NewCustomerPage,
    CustomerProfileRoute => CustomerProfilePage,
    EditCustomerRoute => EditCustomerPage,
    BookingsRoute => BookingsPage,
    SettingsRoute => SettingsPage,
}

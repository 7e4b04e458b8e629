//! Full-page states: not found, and errors while loading.

use leptos::prelude::*;

use crate::error::AppError;

/// Sets the HTTP status of the server-rendered response (no-op in the browser).
pub fn set_http_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        options.set_status(status);
    }
}

#[component]
pub fn NotFound(
    title: &'static str,
    #[prop(optional)] back_href: Option<&'static str>,
    #[prop(optional)] back_label: Option<&'static str>,
) -> impl IntoView {
    set_http_status(404);
    view! {
        <section class="empty-page">
            <h1>{title}</h1>
            <p>"It may have been removed, or the link is wrong."</p>
            {back_href.map(|href| view! { <a href=href>{back_label.unwrap_or("Go back")}</a> })}
        </section>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main class="standalone">
            <NotFound title="Page not found" back_href="/" back_label="Go to the start page"/>
        </main>
    }
}

/// A loading error shown in place of a page's content.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    set_http_status(error.status());
    view! { <p class="alert" role="alert">{error.user_message()}</p> }
}

//! The Content-Security-Policy of every page we render (server-only). Scripts run only from our
//! origin with this response's nonce (Leptos puts it on its hydration scripts) or from the
//! Stripe.js origin in use; WebAssembly may compile; no plugins, no `<base>`, no framing of our
//! pages. Stripe's frames and API calls are allowed where Stripe documents them.

use crate::state::AppState;

/// Origins Stripe.js needs: the emulator's in demo mode and tests, Stripe's otherwise.
fn stripe_origins(state: &AppState) -> Vec<String> {
    let mut origins = Vec::new();
    if let Ok(url) = url::Url::parse(&state.config.stripe.js_url) {
        origins.push(url.origin().ascii_serialization());
    }
    if let Some(base) = &state.emulator_base
        && let Ok(url) = url::Url::parse(base)
    {
        origins.push(url.origin().ascii_serialization());
    }
    origins
}

pub fn policy(state: &AppState, nonce: &str) -> String {
    let stripe = stripe_origins(state).join(" ");
    // Stripe.js frames its inputs from js.stripe.com and 3-D Secure from hooks.stripe.com, and
    // calls api.stripe.com (https://docs.stripe.com/security/guide#content-security-policy).
    let real_stripe = if stripe.contains("https://js.stripe.com") {
        " https://hooks.stripe.com https://api.stripe.com"
    } else {
        ""
    };
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' {stripe}; \
         frame-src {stripe}{real_stripe}; \
         connect-src 'self' {stripe}{real_stripe}; \
         img-src 'self' data: {stripe}; \
         style-src 'self' 'unsafe-inline'; \
         object-src 'none'; \
         base-uri 'none'; \
         form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the headers every rendered document gets (called from the document shell): the policy,
/// and `no-store` — each response has its own nonce, pages show private data, and a cached card
/// page would show an old link's state after a newer link set a new cookie.
pub fn set_document_headers() {
    use leptos::prelude::use_context;
    let (Some(state), Some(nonce), Some(options)) = (
        use_context::<AppState>(),
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&policy(&state, &nonce)) {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    options.insert_header(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    // The card page tells nobody where the customer came from (the link carried the token).
    if use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/pay")) {
        options.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
    }
}

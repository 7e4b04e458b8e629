//! The Content-Security-Policy of every page we render (server-only). Scripts run only from our
//! origin with this response's nonce (Leptos puts it on its hydration scripts) or from the
//! Stripe.js origin in use; WebAssembly may compile; no plugins, no `<base>`, no framing of our
//! pages. Stripe's frames and API calls are allowed where Stripe documents them.

use crate::state::AppState;

fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

pub fn policy(state: &AppState, nonce: &str) -> String {
    policy_for(
        nonce,
        &state.config.stripe.js_url,
        state.emulator_base.as_deref(),
    )
}

/// The policy for Stripe.js loaded from `js_url`, plus the emulator's origin when it runs (demo
/// mode and tests: the page is rendered before it knows which connection the link uses).
fn policy_for(nonce: &str, js_url: &str, emulator_base: Option<&str>) -> String {
    let (mut script, mut frame, mut connect): (Vec<String>, Vec<String>, Vec<String>) =
        Default::default();
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    match origin(js_url) {
        // Stripe.js frames its inputs from (sub-domains of) js.stripe.com and 3-D Secure from
        // hooks.stripe.com, and calls api.stripe.com
        // (https://docs.stripe.com/security/guide#content-security-policy).
        Some(stripe) if stripe == "https://js.stripe.com" => {
            script = owned(&["https://js.stripe.com", "https://*.js.stripe.com"]);
            frame = owned(&[
                "https://js.stripe.com",
                "https://*.js.stripe.com",
                "https://hooks.stripe.com",
            ]);
            connect = owned(&["https://api.stripe.com"]);
        }
        Some(other) => {
            script.push(other.clone());
            frame.push(other.clone());
            connect.push(other);
        }
        None => {}
    }
    if let Some(emulator) = emulator_base.and_then(origin) {
        for list in [&mut script, &mut frame, &mut connect] {
            list.push(emulator.clone());
        }
    }
    let frame = if frame.is_empty() {
        "'none'".to_owned()
    } else {
        frame.join(" ")
    };
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' {script}; \
         frame-src {frame}; \
         connect-src 'self' {connect}; \
         img-src 'self' data:; \
         style-src 'self' 'unsafe-inline'; \
         object-src 'none'; \
         base-uri 'none'; \
         form-action 'self'; \
         frame-ancestors 'none'",
        script = script.join(" "),
        connect = connect.join(" "),
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

#[cfg(test)]
mod tests {
    use super::policy_for;

    #[test]
    fn production_allows_stripe_only_and_demo_adds_the_emulator() {
        let live = policy_for("n0nce", "https://js.stripe.com/v3/", None);
        assert!(live.contains("script-src 'self' 'nonce-n0nce' 'wasm-unsafe-eval' https://js.stripe.com https://*.js.stripe.com;"));
        assert!(live.contains(
            "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"
        ));
        assert!(live.contains("connect-src 'self' https://api.stripe.com;"));
        assert!(live.contains("object-src 'none'") && live.contains("base-uri 'none'"));
        assert!(!live.contains("127.0.0.1"));

        let demo = policy_for(
            "n0nce",
            "https://js.stripe.com/v3/",
            Some("http://127.0.0.1:12111/"),
        );
        assert!(demo.contains("https://*.js.stripe.com http://127.0.0.1:12111;"));
        assert!(demo.contains("connect-src 'self' https://api.stripe.com http://127.0.0.1:12111;"));
    }
}

//! Stripe.js, emulated: the script at `/v3/` (the subset of <https://js.stripe.com/v3/> the
//! product uses, same names and results) and the pages it frames, all from the emulator's origin.
//!
//! | Path | What |
//! |---|---|
//! | `GET /v3/`, `GET /v3` | the script: `Stripe(pk)`, `elements()`, `confirmSetup()`… |
//! | `GET /elements/payment-frame` | the Payment/Card Element's card form ("Secure payment input frame") |
//! | `GET /elements/challenge` | the 3-D Secure challenge Stripe.js shows in a modal iframe |
//! | `GET /emulator/3ds/{intent_id}` | the same challenge page, for `redirect_to_url` next actions |
//! | `GET /elements/controller` | a hidden frame that retrieves and confirms intents without card details |
//! | `GET /elements/*.js`, `/elements/frame.css` | the frames' scripts and styles |
//!
//! As with real Stripe, the card number is typed into an iframe of this origin and sent only to
//! this origin's API; the host page gets the resulting intent (see `assets/stripe.js`). Every
//! response is `Cache-Control: no-store`; the pages may be framed by any origin
//! (`frame-ancestors *`, the emulator being for demos and tests only) but may load and call
//! nothing outside this origin (`connect-src 'self'`…).

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const STRIPE_JS: &str = include_str!("../assets/stripe.js");
const FRAME_JS: &str = include_str!("../assets/frame.js");
const FRAME_CSS: &str = include_str!("../assets/frame.css");
const PAYMENT_FRAME_HTML: &str = include_str!("../assets/payment-frame.html");
const PAYMENT_FRAME_JS: &str = include_str!("../assets/payment-frame.js");
const CHALLENGE_HTML: &str = include_str!("../assets/challenge.html");
const CHALLENGE_JS: &str = include_str!("../assets/challenge.js");
const CONTROLLER_HTML: &str = include_str!("../assets/controller.html");
const CONTROLLER_JS: &str = include_str!("../assets/controller.js");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The frames' policy: anyone may frame them; they load and call only this origin.
const FRAME_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *";

fn respond(
    content_type: &'static str,
    body: &'static str,
    extra: &[(HeaderName, &'static str)],
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Loadable from any page, whatever its cross-origin embedder policy.
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    for (name, value) in extra {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// `/v3/`: also readable cross-origin (`<script crossorigin>`), as js.stripe.com allows.
fn stripe_js() -> Response {
    respond(
        JAVASCRIPT,
        STRIPE_JS,
        &[(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
    )
}

fn script(body: &'static str) -> Response {
    respond(JAVASCRIPT, body, &[])
}

fn page(body: &'static str) -> Response {
    respond(
        HTML,
        body,
        &[
            (header::CONTENT_SECURITY_POLICY, FRAME_CSP),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
    )
}

/// The emulated Stripe.js and its frames, to merge into the emulator's router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/v3", get(|| async { stripe_js() }))
        .route("/v3/", get(|| async { stripe_js() }))
        .route(
            "/elements/payment-frame",
            get(|| async { page(PAYMENT_FRAME_HTML) }),
        )
        .route(
            "/elements/challenge",
            get(|| async { page(CHALLENGE_HTML) }),
        )
        .route(
            "/emulator/3ds/{intent_id}",
            get(|| async { page(CHALLENGE_HTML) }),
        )
        .route(
            "/elements/controller",
            get(|| async { page(CONTROLLER_HTML) }),
        )
        .route("/elements/frame.js", get(|| async { script(FRAME_JS) }))
        .route(
            "/elements/payment-frame.js",
            get(|| async { script(PAYMENT_FRAME_JS) }),
        )
        .route(
            "/elements/challenge.js",
            get(|| async { script(CHALLENGE_JS) }),
        )
        .route(
            "/elements/controller.js",
            get(|| async { script(CONTROLLER_JS) }),
        )
        .route(
            "/elements/frame.css",
            get(|| async { respond(CSS, FRAME_CSS, &[]) }),
        )
}

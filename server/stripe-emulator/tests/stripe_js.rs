//! The emulated Stripe.js, served alone (`stripe_js::routes()` on a port of its own): content
//! types and caching, framing headers, the script's API surface and the frames' markup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use stripe_emulator::stripe_js;

/// Serves `stripe_js::routes()` on 127.0.0.1:0; returns `http://127.0.0.1:<port>`.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, stripe_js::routes::<()>())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Fetched {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

async fn get(url: &str) -> Fetched {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Fetched {
        status,
        headers,
        body,
    }
}

/// The same-origin `src="/…"` and `href="/…"` references of a page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let end = rest.find('"').unwrap();
            if rest.starts_with('/') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn v3_is_a_script_defining_stripe() {
    let base = serve().await;
    for path in ["/v3/", "/v3"] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type"),
            "text/javascript; charset=utf-8",
            "{path}"
        );
        assert_eq!(r.header("cache-control"), "no-store", "{path}");
        assert_eq!(r.header("access-control-allow-origin"), "*", "{path}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert!(
            r.body.contains("window.Stripe = Stripe;"),
            "{path} must define window.Stripe"
        );
        assert!(r.body.contains("function Stripe(publishableKey, options)"));
        // The Stripe.js surface the product uses.
        for name in [
            "elements(",
            "create(type",
            "mount(target)",
            "unmount()",
            "destroy()",
            "on(event, handler)",
            "submit()",
            "confirmSetup(options)",
            "confirmPayment(options)",
            "retrieveSetupIntent(clientSecret)",
            "retrievePaymentIntent(clientSecret)",
            "handleNextAction(options)",
        ] {
            assert!(r.body.contains(name), "/v3/ lacks {name}");
        }
        // Learns the emulator's origin from its own URL and frames it with Stripe's title.
        assert!(r.body.contains("document.currentScript"));
        assert!(r.body.contains("'Secure payment input frame'"));
        assert!(r.body.contains("'/elements/payment-frame'"));
    }
}

#[tokio::test]
async fn payment_frame_has_stripes_title_labels_and_messages() {
    let base = serve().await;
    let r = get(&format!("{base}/elements/payment-frame")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(r.header("cache-control"), "no-store");
    // Framable by any origin, calling nothing but its own.
    assert!(r.headers.get("x-frame-options").is_none());
    let csp = r.header("content-security-policy");
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(r.body.contains("<title>Secure payment input frame</title>"));
    for (id, label) in [
        ("number", "Card number"),
        ("expiry", "Expiration date"),
        ("cvc", "Security code"),
    ] {
        assert!(
            r.body
                .contains(&format!("<label for=\"{id}\">{label}</label>")),
            "no label {label}"
        );
        assert!(
            r.body.contains(&format!("<input id=\"{id}\"")),
            "no input {id}"
        );
    }
    assert!(r.body.contains("placeholder=\"MM / YY\""));

    let js = get(&format!("{base}/elements/payment-frame.js")).await;
    assert_eq!(js.header("content-type"), "text/javascript; charset=utf-8");
    for message in [
        "Your card number is incomplete.",
        "Your card number is invalid.",
        "Your card's expiration date is incomplete.",
        "Your card's expiration year is in the past.",
        "Your card's security code is incomplete.",
    ] {
        assert!(
            js.body.contains(message),
            "payment-frame.js lacks {message:?}"
        );
    }
}

#[tokio::test]
async fn challenge_page_offers_complete_and_fail() {
    let base = serve().await;
    for path in ["/elements/challenge", "/emulator/3ds/seti_123"] {
        let r = get(&format!("{base}{path}")).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(r.header("cache-control"), "no-store");
        assert!(
            r.header("content-security-policy")
                .contains("frame-ancestors *")
        );
        assert!(r.body.contains("3D Secure 2 Test Page"));
        assert!(r.body.contains(">Complete</button>"));
        assert!(r.body.contains(">Fail</button>"));
    }
    let js = get(&format!("{base}/elements/challenge.js")).await;
    assert!(js.body.contains("/emulator/authenticate/"));
}

#[tokio::test]
async fn every_asset_the_pages_reference_is_served_with_its_type() {
    let base = serve().await;
    let mut seen = 0;
    for page in [
        "/elements/payment-frame",
        "/elements/challenge",
        "/elements/controller",
    ] {
        let html = get(&format!("{base}{page}")).await;
        assert_eq!(html.status, 200, "{page}");
        for reference in references(&html.body) {
            let r = get(&format!("{base}{reference}")).await;
            assert_eq!(r.status, 200, "{page} → {reference}");
            let expected = if reference.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "text/javascript; charset=utf-8"
            };
            assert_eq!(r.header("content-type"), expected, "{reference}");
            assert_eq!(r.header("cache-control"), "no-store", "{reference}");
            assert!(!r.body.is_empty(), "{reference}");
            seen += 1;
        }
    }
    assert!(
        seen >= 6,
        "expected the frames to reference their scripts and styles, found {seen}"
    );
    assert_eq!(get(&format!("{base}/elements/nope.js")).await.status, 404);
}

//! The app's doors: oversized, cross-site, GET and malformed writes are refused before they
//! change anything; transport (HSTS, `__Host-` cookies) as production needs it.

use reqwest::StatusCode;
use reqwest::header::{HOST, ORIGIN, SET_COOKIE, STRICT_TRANSPORT_SECURITY};

use crate::world::{
    CreateCustomer, SignUp, spawn_app, spawn_app_with, spawn_production_app, unknown_link_token,
};

/// The New customer form with a first name and these notes.
fn customer_form(first: &str, notes: &str) -> CreateCustomer {
    CreateCustomer {
        first_name: first.to_owned(),
        last_name: String::new(),
        email: String::new(),
        phone: String::new(),
        notes: notes.to_owned(),
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let merchant = app.merchant("Big Tours").await;
    let huge = "x".repeat(200 * 1024);
    let response = merchant.post(&customer_form("Big", &huge)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn cross_site_writes_are_refused_even_with_a_valid_session() {
    let app = spawn_app().await;
    let merchant = app.merchant("Csrf Tours").await;
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let response = merchant
            .request(&customer_form("Forged", ""))
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}");
    }
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn mutating_server_functions_do_not_accept_get() {
    let app = spawn_app().await;
    let merchant = app.merchant("Get Tours").await;
    let response = merchant
        .client
        .get(format!(
            "{}?first_name=Via&last_name=Get&email=&phone=&notes=",
            app.url::<CreateCustomer>()
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn malformed_bodies_get_a_client_error_without_side_effects() {
    let app = spawn_app().await;
    let merchant = app.merchant("Garbage Tours").await;
    let bodies: [&[u8]; 3] = [
        b"first_name=%FF%FE&last_name",
        b"\xff\xfe\xfd",
        b"notes=only",
    ];
    for body in bodies {
        let response = merchant
            .client
            .post(app.url::<CreateCustomer>())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{:?} -> {}",
            body,
            response.status()
        );
    }
    assert_eq!(app.count("customers").await, 0);
}

/// Every table and its row count: what "nothing stored" is checked against.
async fn row_counts(app: &crate::world::TestApp) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = app.db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables = app
        .db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let name: String = table.try_get("", "name").unwrap();
        counts.push((name.clone(), app.count(&format!("\"{name}\"")).await));
    }
    counts.sort();
    counts
}

/// RELIABILITY R18 over every door at once: each server function the app registers, and the
/// plain routes that take input, get malformed, oversized, wrongly typed and non-UTF-8 bodies,
/// signed in and not. Each answer is a 4xx with something a person can act on, and nothing is
/// stored anywhere.
#[tokio::test]
async fn every_server_function_and_route_refuses_bad_bodies_and_stores_nothing() {
    let app = spawn_app().await;
    let merchant = app
        .merchant_with_customer("Door Tours")
        .connected(crate::world::Stripe::PastedKeys)
        .await;
    let anonymous = app.browser();
    let before = row_counts(&app).await;
    let huge = format!("notes={}", "x".repeat(200 * 1024));
    let bodies: [(&str, Vec<u8>); 5] = [
        ("application/x-www-form-urlencoded", b"%%%=&&=%ZZ".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"\xff\xfe\xfd=\xc3\x28".to_vec(),
        ),
        ("application/x-www-form-urlencoded", huge.into_bytes()),
        ("application/json", b"{\"customer_id\": [1, 2], ".to_vec()),
        ("text/plain", b"\x00\x01\x02".to_vec()),
    ];
    // These take no arguments: there is no body to get wrong (and running them would sign the
    // merchant out or change the connection).
    let takes_nothing = [
        "/api/connect_demo_stripe",
        "/api/current_session",
        "/api/disconnect_stripe",
        "/api/get_settings",
        "/api/sign_out",
    ];
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|path| !takes_nothing.contains(&path.as_str()))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "the app's server functions: {paths:?}");
    paths.push(format!("/webhooks/stripe/{}", merchant.id));
    paths.push("/webhooks/stripe/no-such-merchant".to_owned());
    let mut server_errors = Vec::new();
    for path in &paths {
        for (content_type, body) in &bodies {
            for client in [&merchant.client, &anonymous.client] {
                let response = client
                    .post(format!("{}{path}", app.address))
                    .header("content-type", *content_type)
                    .header("stripe-signature", "t=1,v1=00")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if !status.is_client_error() || text.trim().is_empty() {
                    server_errors.push(format!("{path} ({content_type}): {status} {text:.120}"));
                }
            }
        }
    }
    assert!(
        server_errors.is_empty(),
        "answers that were not a 4xx with a reason:\n{}",
        server_errors.join("\n")
    );
    assert_eq!(row_counts(&app).await, before, "nothing stored");
}

#[tokio::test]
async fn the_origin_is_judged_against_the_configured_base_url_not_the_host_header() {
    let app = spawn_app().await;
    let merchant = app.merchant("Origin Tours").await;
    // A forged Host that agrees with a foreign Origin does not make it ours.
    let forged = merchant
        .request(&customer_form("Forged", ""))
        .header(ORIGIN, "https://evil.example")
        .header(HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("customers").await, 0);
    // Our own origin is ours, whatever Host the request came with (a proxy may rewrite it).
    let ours = merchant
        .request(&customer_form("Ours", ""))
        .header(ORIGIN, app.address.as_str())
        .header(HOST, "internal.invalid:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), StatusCode::OK);
    assert_eq!(app.count("customers").await, 1);
}

#[tokio::test]
async fn production_responses_tell_browsers_to_keep_to_https() {
    let production = spawn_production_app().await;
    let response = reqwest::get(format!("{}/health", production.address))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(STRICT_TRANSPORT_SECURITY).unwrap(),
        "max-age=31536000"
    );
    // The demo runs on plain http: no such promise there.
    let demo = spawn_app().await;
    let response = reqwest::get(format!("{}/health", demo.address))
        .await
        .unwrap();
    assert!(response.headers().get(STRICT_TRANSPORT_SECURITY).is_none());
}

#[tokio::test]
async fn over_https_the_session_and_link_cookies_are_host_only_and_secure() {
    let app = spawn_app_with(&[("APP__BASE_URL", "https://127.0.0.1")]).await;
    let browser = app.browser();
    let signed_up = browser
        .post(&SignUp {
            business_name: "Secure Tours".to_owned(),
            name: "Sam".to_owned(),
            email: "sam@example.com".to_owned(),
            password: "correct horse battery".to_owned(),
        })
        .await;
    assert_eq!(signed_up.status(), StatusCode::OK);
    let opened = browser
        .get_page(&format!("/pay/{}", unknown_link_token()))
        .await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let cleared = browser.get_page("/pay/%3Bx").await;
    for (response, name, max_age) in [
        (&signed_up, "__Host-cof_session=", "Max-Age=1209600"),
        (&opened, "__Host-cof_link=", "Max-Age=7200"),
        (&cleared, "__Host-cof_link=", "Max-Age=0"),
    ] {
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} cookie"));
        let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
        assert_eq!(
            attributes,
            ["Path=/", "HttpOnly", "SameSite=Lax", max_age, "Secure"],
            "{cookie}"
        );
        assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    }
}

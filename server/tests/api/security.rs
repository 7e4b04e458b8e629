//! The app's doors: oversized, cross-site, GET and malformed writes are refused before they
//! change anything.

use reqwest::StatusCode;

use crate::world::{CreateCustomer, spawn_app};

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

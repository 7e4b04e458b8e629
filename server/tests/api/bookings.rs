//! Bookings: New booking (every field parsed, the merchant's currency, nothing stored on a bad
//! field), the Bookings page's order and pages, the profile's bookings with their balance, and the
//! currency setting. RELIABILITY R10 (another merchant's ids) and R18 (bad amounts).

use app::entities::{activity, booking, payment_option};
use chrono::{Duration, NaiveTime, Utc};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

use crate::fixtures::insert_card;
use crate::helpers::{Browser, TestApp, error_code, location, spawn_app};

struct Shop {
    app: TestApp,
    merchant: Browser,
    customer_id: String,
}

async fn shop(business: &str) -> Shop {
    let app = spawn_app().await;
    let merchant = app.merchant(business).await;
    let customer = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    Shop {
        customer_id: customer["id"].as_str().unwrap().to_owned(),
        app,
        merchant,
    }
}

/// A card on file for a customer (never charged here: its PaymentMethod id is made up).
async fn card_on_file(app: &TestApp, customer_id: &str, last4: &str, is_default: bool) -> String {
    let payment_method = format!(
        "pm_{last4}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    insert_card(
        &app.db,
        customer_id,
        &payment_method,
        "visa",
        last4,
        is_default,
    )
    .await
}

/// A `datetime-local` value `days` from today at `time`.
fn local_input(days: i64, time: &str) -> String {
    format!(
        "{}T{time}",
        (Utc::now().date_naive() + Duration::days(days)).format("%Y-%m-%d")
    )
}

async fn book(merchant: &Browser, customer_id: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![
        ("customer_id", customer_id),
        ("title", "Sunset kayak tour"),
        ("starts_at", "2031-07-14T18:30"),
        ("participants", "2"),
        ("total", "120"),
        ("payment_option_id", ""),
    ];
    for (name, value) in fields {
        match form.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => form.push((name, value)),
        }
    }
    merchant.call("create_booking", &form).await
}

async fn booked(merchant: &Browser, customer_id: &str, fields: &[(&str, &str)]) -> Value {
    let response = book(merchant, customer_id, fields).await;
    assert_eq!(response.status(), StatusCode::OK, "create_booking failed");
    response.json().await.unwrap()
}

fn field_errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn payments(merchant: &Browser, customer_id: &str) -> Value {
    let response = merchant
        .call("get_customer_payments", &[("customer_id", customer_id)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn list(merchant: &Browser, include_past: bool, after: Option<&str>) -> Value {
    let past = if include_past { "true" } else { "false" };
    let mut form = vec![("include_past", past)];
    if let Some(after) = after {
        form.push(("after", after));
    }
    let response = merchant.call("list_bookings", &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_booking_is_stored_unpaid_in_the_merchants_currency_and_shows_on_the_profile() {
    let shop = shop("Harbour Tours").await;
    card_on_file(&shop.app, &shop.customer_id, "1111", false).await;
    let default_card = card_on_file(&shop.app, &shop.customer_id, "4242", true).await;

    let created = booked(
        &shop.merchant,
        &shop.customer_id,
        &[
            ("title", "  Sunset kayak tour  "),
            ("starts_at", "2031-07-14T18:30"),
            ("participants", "4"),
            ("total", "1,250.50"),
            ("payment_option_id", &default_card),
        ],
    )
    .await;
    assert_eq!(created["title"], "Sunset kayak tour");
    assert_eq!(created["starts_at"], "2031-07-14 18:30");
    assert_eq!(created["participants"], 4);
    assert_eq!(created["customer_name"], "Jane Doe");
    assert_eq!(created["currency"], "usd");
    assert_eq!(created["total"], 125_050);
    assert_eq!(created["paid"], 0);
    assert_eq!(created["refunded"], 0);
    assert_eq!(created["balance"], 125_050);
    assert_eq!(created["balance_text"], "$1,250.50");
    assert_eq!(created["status_label"], "Not paid");
    assert_eq!(created["card"], "Visa •••• 4242 — expires 12/34");

    let row = booking::Entity::find_by_id(created["id"].as_str().unwrap().to_owned())
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "Sunset kayak tour");
    assert_eq!(row.starts_at.to_rfc3339(), "2031-07-14T18:30:00+00:00");
    assert_eq!(row.participants, 4);
    assert_eq!(
        (row.total_amount, row.paid_amount, row.refunded_amount),
        (125_050, 0, 0)
    );
    assert_eq!(row.currency, "usd");
    assert_eq!(
        row.payment_option_id.as_deref(),
        Some(default_card.as_str())
    );

    let entries = activity::Entity::find()
        .filter(activity::Column::CustomerId.eq(shop.customer_id.as_str()))
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].summary,
        "Booked Sunset kayak tour on 2031-07-14 18:30 — $1,250.50"
    );
    assert_eq!(entries[0].actor, "staff");

    // "No card" is a choice of its own.
    let without_card = booked(
        &shop.merchant,
        &shop.customer_id,
        &[
            ("title", "Harbour cruise"),
            ("starts_at", "2031-08-01T10:00"),
        ],
    )
    .await;
    assert_eq!(without_card["card"], Value::Null);
    assert_eq!(without_card["balance_text"], "$120.00");

    let profile = payments(&shop.merchant, &shop.customer_id).await;
    let bookings = profile["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 2);
    // Latest start first.
    assert_eq!(bookings[0]["title"], "Harbour cruise");
    assert_eq!(bookings[0]["balance"], 12_000);
    assert_eq!(bookings[0]["status_label"], "Not paid");
    assert_eq!(bookings[1]["title"], "Sunset kayak tour");
    assert_eq!(bookings[1]["balance"], bookings[1]["total"]);
    assert_eq!(bookings[1]["paid_text"], "$0.00");
    assert_eq!(
        profile["activity"][0]["summary"],
        "Booked Harbour cruise on 2031-08-01 10:00 — $120.00"
    );
}

#[tokio::test]
async fn each_bad_field_gets_its_own_error_and_nothing_is_stored() {
    let shop = shop("Harbour Tours").await;
    let other_customer = shop
        .merchant
        .create_customer("Sam", "Other", "sam@example.com", "")
        .await;
    let others_card = card_on_file(
        &shop.app,
        other_customer["id"].as_str().unwrap(),
        "4444",
        true,
    )
    .await;
    let removed_card = card_on_file(&shop.app, &shop.customer_id, "0005", false).await;
    let mut removed: payment_option::ActiveModel =
        payment_option::Entity::find_by_id(removed_card.clone())
            .one(&shop.app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    removed.removed_at = Set(Some(Utc::now()));
    removed.update(&shop.app.db).await.unwrap();

    let long_title = "a".repeat(201);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("total", "-5", "Enter an amount greater than zero."),
        ("total", "0", "Enter an amount greater than zero."),
        ("total", "0.00", "Enter an amount greater than zero."),
        ("total", "1000000", "Enter at most $999,999.99."),
        (
            "total",
            "99999999999999999999999999",
            "Enter at most $999,999.99.",
        ),
        ("total", "12.345", "Enter at most 2 decimal places."),
        ("total", "", "Enter an amount."),
        ("total", "1e3", "Enter an amount as a number, like 49.99."),
        (
            "starts_at",
            "2031-02-30T10:00",
            "Enter a date and time like 2026-07-14 09:30.",
        ),
        (
            "starts_at",
            "next tuesday",
            "Enter a date and time like 2026-07-14 09:30.",
        ),
        ("starts_at", "", "Enter the date and time of the booking."),
        (
            "starts_at",
            "1999-12-31T10:00",
            "Enter a date between 2000 and 2100.",
        ),
        (
            "participants",
            "0",
            "Enter a whole number of participants from 1 to 500.",
        ),
        (
            "participants",
            "501",
            "Enter a whole number of participants from 1 to 500.",
        ),
        (
            "participants",
            "2.5",
            "Enter a whole number of participants from 1 to 500.",
        ),
        (
            "title",
            &long_title,
            "Describe what was booked in at most 200 characters.",
        ),
        ("title", "   ", "Enter what was booked."),
        (
            "title",
            "Tour\r\nBcc: someone@example.com",
            "Keep what was booked on one line, without control characters.",
        ),
        (
            "payment_option_id",
            &others_card,
            "Choose one of this customer's cards, or No card.",
        ),
        (
            "payment_option_id",
            &removed_card,
            "Choose one of this customer's cards, or No card.",
        ),
    ];
    for (field, value, message) in cases {
        let response = book(&shop.merchant, &shop.customer_id, &[(field, value)]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "VALIDATION");
        assert_eq!(
            field_errors(&body),
            vec![field.to_owned()],
            "{field} = {value:?}"
        );
        assert_eq!(body["errors"][0]["message"], message, "{field} = {value:?}");
    }

    // Several bad fields at once: each one named.
    let response = book(
        &shop.merchant,
        &shop.customer_id,
        &[
            ("title", ""),
            ("starts_at", "soon"),
            ("participants", "0"),
            ("total", "-1"),
            ("payment_option_id", &others_card),
        ],
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        field_errors(&body),
        vec![
            "title",
            "starts_at",
            "participants",
            "total",
            "payment_option_id"
        ]
    );

    assert_eq!(shop.app.count("bookings").await, 0);
    assert_eq!(shop.app.count("activities").await, 0);
}

#[tokio::test]
async fn another_merchants_customer_or_card_is_not_found() {
    let shop = shop("Harbour Tours").await;
    let card = card_on_file(&shop.app, &shop.customer_id, "4242", true).await;
    let rival = shop.app.merchant("Rival Rides").await;
    let rivals_customer = rival
        .create_customer("Rex", "Rival", "rex@example.com", "")
        .await;
    let rivals_customer_id = rivals_customer["id"].as_str().unwrap();

    let response = book(&rival, &shop.customer_id, &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "NOT_FOUND");

    let response = book(&rival, rivals_customer_id, &[("payment_option_id", &card)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "NOT_FOUND");

    let response = book(
        &rival,
        rivals_customer_id,
        &[("payment_option_id", "no-such-card")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    assert_eq!(shop.app.count("bookings").await, 0);

    // Nor does the rival see the merchant's bookings.
    booked(&shop.merchant, &shop.customer_id, &[]).await;
    assert_eq!(
        titles(&list(&rival, true, None).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_bookings_list_pages_upcoming_bookings_by_start_time_and_past_ones_on_request() {
    let shop = shop("Harbour Tours").await;
    let empty = list(&shop.merchant, false, None).await;
    assert_eq!(empty["items"], Value::Array(Vec::new()));
    assert_eq!(empty["next_cursor"], Value::Null);

    // 27 upcoming, created out of order, three of them at the same minute (their order is
    // then the id's, which is creation order).
    let mut expected_upcoming = Vec::new();
    for i in (0..24).rev() {
        let title = format!("Tour {i:02}");
        let starts_at = local_input(1 + i, "09:00");
        booked(
            &shop.merchant,
            &shop.customer_id,
            &[("title", &title), ("starts_at", &starts_at)],
        )
        .await;
    }
    expected_upcoming.extend((0..24).map(|i| format!("Tour {i:02}")));
    for name in ["Tie A", "Tie B", "Tie C"] {
        booked(
            &shop.merchant,
            &shop.customer_id,
            &[("title", name), ("starts_at", &local_input(30, "12:00"))],
        )
        .await;
        expected_upcoming.push(name.to_owned());
    }
    // Earlier today is still "upcoming": the list starts at the beginning of today.
    let start_of_today = Utc::now().date_naive().and_time(NaiveTime::MIN);
    booked(
        &shop.merchant,
        &shop.customer_id,
        &[
            ("title", "Dawn paddle"),
            (
                "starts_at",
                &start_of_today.format("%Y-%m-%dT%H:%M").to_string(),
            ),
        ],
    )
    .await;
    expected_upcoming.insert(0, "Dawn paddle".to_owned());
    for (title, starts_at) in [
        ("Yesterday's tour", local_input(-1, "23:59")),
        ("Last year's tour", local_input(-365, "08:00")),
    ] {
        booked(
            &shop.merchant,
            &shop.customer_id,
            &[("title", title), ("starts_at", &starts_at)],
        )
        .await;
    }

    let first = list(&shop.merchant, false, None).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 25);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = list(&shop.merchant, false, Some(&cursor)).await;
    assert_eq!(second["next_cursor"], Value::Null);
    let mut seen = titles(&first);
    seen.extend(titles(&second));
    assert_eq!(seen, expected_upcoming);

    let with_past = list(&shop.merchant, true, None).await;
    assert_eq!(
        titles(&with_past)[..3],
        [
            "Last year's tour".to_owned(),
            "Yesterday's tour".to_owned(),
            "Dawn paddle".to_owned()
        ]
    );
    let rest = list(
        &shop.merchant,
        true,
        Some(with_past["next_cursor"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        titles(&with_past).len() + titles(&rest).len(),
        expected_upcoming.len() + 2
    );
    assert_eq!(rest["items"][0]["customer_name"], "Jane Doe");
    assert_eq!(rest["items"][0]["customer_id"], shop.customer_id.as_str());

    let response = shop
        .merchant
        .call(
            "list_bookings",
            &[("include_past", "false"), ("after", "bm90IGEgY3Vyc29y")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The page itself, server-rendered: its rows link to the customer.
    let page = shop.merchant.get_page("/bookings").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Dawn paddle"));
    assert!(!html.contains("Yesterday&#x27;s tour") && !html.contains("Yesterday's tour"));
    assert!(html.contains(&format!("href=\"/customers/{}\"", shop.customer_id)));
    assert!(html.contains("Show past bookings"));
    assert!(html.contains("Next page"));
}

#[tokio::test]
async fn a_currency_change_applies_to_new_bookings_only() {
    let shop = shop("Harbour Tours").await;
    let first = booked(&shop.merchant, &shop.customer_id, &[]).await;
    assert_eq!(first["currency"], "usd");

    let response = shop
        .merchant
        .call("update_currency", &[("currency", "xyz")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(field_errors(&body), vec!["currency".to_owned()]);

    let response = shop
        .merchant
        .call("update_currency", &[("currency", "EUR")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let settings: Value = response.json().await.unwrap();
    assert_eq!(settings["currency"], "eur");

    let second = booked(&shop.merchant, &shop.customer_id, &[("total", "99.5")]).await;
    assert_eq!(second["currency"], "eur");
    assert_eq!(second["total"], 9_950);
    assert_eq!(second["balance_text"], "€99.50");

    let profile = payments(&shop.merchant, &shop.customer_id).await;
    assert_eq!(profile["currency"], "eur");
    let by_id = |id: &Value| {
        profile["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| &b["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&first["id"])["currency"], "usd");
    assert_eq!(by_id(&first["id"])["total_text"], "$120.00");
    assert_eq!(by_id(&second["id"])["total_text"], "€99.50");

    // Yen have no cents: the same form refuses them.
    shop.merchant
        .call("update_currency", &[("currency", "jpy")])
        .await;
    let response = book(&shop.merchant, &shop.customer_id, &[("total", "1500.50")]).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["message"],
        "JPY has no cents: enter a whole amount."
    );
    let yen = booked(&shop.merchant, &shop.customer_id, &[("total", "1500")]).await;
    assert_eq!(yen["total_text"], "¥1,500");
}

#[tokio::test]
async fn without_javascript_the_form_posts_and_returns_to_the_profile() {
    let shop = shop("Harbour Tours").await;
    let profile = format!("/customers/{}", shop.customer_id);

    // The New booking button asks for the dialog in the URL; the server renders it open.
    let page = shop
        .merchant
        .get_page(&format!("{profile}?new_booking=1"))
        .await;
    let html = page.text().await.unwrap();
    assert!(html.contains("role=\"dialog\""));
    assert!(html.contains("action=\"/api/create_booking\""));

    let form = [
        ("customer_id", shop.customer_id.as_str()),
        ("title", "Whale watching"),
        ("starts_at", "2031-09-01T08:00"),
        ("participants", "0"),
        ("total", "80"),
        ("payment_option_id", ""),
    ];
    let refused = shop
        .merchant
        .submit_form("create_booking", &form, &format!("{profile}?new_booking=1"))
        .await;
    assert!(refused.status().is_redirection());
    let back = location(&refused).unwrap();
    assert!(
        back.contains("new_booking=1") && back.contains("__err="),
        "{back}"
    );
    let back = back.strip_prefix(&shop.merchant.base).unwrap_or(&back);
    let html = shop.merchant.get_page(back).await.text().await.unwrap();
    assert!(html.contains("Enter a whole number of participants from 1 to 500."));
    assert_eq!(shop.app.count("bookings").await, 0);

    let mut form = form;
    form[3].1 = "3";
    let saved = shop
        .merchant
        .submit_form("create_booking", &form, &format!("{profile}?new_booking=1"))
        .await;
    assert!(saved.status().is_redirection());
    assert_eq!(location(&saved).as_deref(), Some(profile.as_str()));
    let html = shop.merchant.get_page(&profile).await.text().await.unwrap();
    assert!(html.contains("Whale watching"));
    assert!(html.contains("$80.00"));
    assert!(!html.contains("role=\"dialog\""));
}

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{error_code, location, spawn_app};

fn field_errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_owned(),
                        e["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_created_customer_can_be_read_listed_and_edited() {
    let app = spawn_app().await;
    let merchant = app.merchant("Bay Tours").await;
    let created = merchant
        .create_customer("Ada", "Lovelace", "Ada@Example.com", "+44 20 7946 0018")
        .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let fetched: Value = merchant
        .call("get_customer", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["first_name"], "Ada");
    assert_eq!(fetched["email"], "Ada@Example.com");
    assert_eq!(fetched["phone"], "+44 20 7946 0018");

    let page: Value = merchant
        .call("list_customers", &[("query", "")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["full_name"], "Ada Lovelace");

    let updated = merchant
        .call(
            "update_customer",
            &[
                ("id", &id),
                ("first_name", "Augusta Ada"),
                ("last_name", "King"),
                ("email", ""),
                ("phone", ""),
                ("notes", "Prefers morning tours"),
            ],
        )
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(
        location(&updated).as_deref(),
        Some(format!("/customers/{id}").as_str())
    );
    let fetched: Value = merchant
        .call("get_customer", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["first_name"], "Augusta Ada");
    assert_eq!(fetched["email"], Value::Null);
    assert_eq!(fetched["notes"], "Prefers morning tours");
}

#[tokio::test]
async fn bad_input_gets_field_messages_and_stores_nothing() {
    let app = spawn_app().await;
    let merchant = app.merchant("Strict Tours").await;
    let long_notes = "x".repeat(2001);
    let response = merchant
        .call(
            "create_customer",
            &[
                ("first_name", "  "),
                ("last_name", "Line\r\nBcc: evil@example.com"),
                ("email", "ada@@example"),
                ("phone", "call me"),
                ("notes", &long_notes),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let errors = field_errors(&body);
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["first_name", "last_name", "email", "phone", "notes"]
    );
    assert_eq!(errors[0].1, "Enter a first name.");
    assert_eq!(
        errors[2].1,
        "Enter a valid email address, like name@example.com."
    );
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn an_email_is_unique_within_a_merchant_but_not_across_merchants() {
    let app = spawn_app().await;
    let a = app.merchant("A Tours").await;
    let b = app.merchant("B Tours").await;
    a.create_customer("Sam", "One", "sam@example.com", "").await;

    let duplicate = a
        .call(
            "create_customer",
            &[
                ("first_name", "Sam"),
                ("last_name", "Two"),
                ("email", "SAM@example.com"),
                ("phone", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = duplicate.json().await.unwrap();
    assert_eq!(
        field_errors(&body),
        [(
            "email".to_owned(),
            "Another customer already uses this email address.".to_owned()
        )]
    );
    b.create_customer("Sam", "Elsewhere", "sam@example.com", "")
        .await;
    assert_eq!(app.count("customers").await, 2);
}

#[tokio::test]
async fn search_finds_customers_by_name_email_and_phone() {
    let app = spawn_app().await;
    let merchant = app.merchant("Search Tours").await;
    merchant
        .create_customer("Grace", "Hopper", "grace@navy.example", "+1 (555) 010-4477")
        .await;
    merchant
        .create_customer(
            "Alan",
            "Turing",
            "alan@bletchley.example",
            "+44 161 496 0123",
        )
        .await;
    merchant.create_customer("Percent", "Sign", "", "").await;

    let names = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["full_name"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("hopp", vec!["Grace Hopper"]),
        ("BLETCHLEY", vec!["Alan Turing"]),
        ("555 0104", vec!["Grace Hopper"]),
        ("4960123", vec!["Alan Turing"]),
        ("%", vec![]),
        ("", vec!["Grace Hopper", "Percent Sign", "Alan Turing"]),
    ] {
        let page: Value = merchant
            .call("list_customers", &[("query", query)])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(names(page), expected, "query {query:?}");
    }
}

#[tokio::test]
async fn keyset_pages_cover_every_customer_once_in_both_directions() {
    let app = spawn_app().await;
    let merchant = app.merchant("Paging Tours").await;
    for i in 0..53 {
        merchant
            .create_customer(&format!("Guest{i:02}"), "Same", "", "")
            .await;
    }
    let mut seen = Vec::new();
    let mut cursors = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut form = vec![("query", "same".to_owned())];
        if let Some(cursor) = &after {
            form.push(("after", cursor.clone()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page: Value = merchant
            .call("list_customers", &form)
            .await
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 25);
        seen.extend(
            items
                .iter()
                .map(|c| c["full_name"].as_str().unwrap().to_owned()),
        );
        cursors.push(page["prev_cursor"].clone());
        match page["next_cursor"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..53).map(|i| format!("Guest{i:02} Same")).collect();
    assert_eq!(seen, expected);
    assert_eq!(cursors.len(), 3);
    assert_eq!(
        cursors[0],
        Value::Null,
        "the first page has no previous page"
    );

    // From the last page, "Previous page" gives the middle page back exactly.
    let prev = cursors[2].as_str().unwrap();
    let page: Value = merchant
        .call("list_customers", &[("query", "same"), ("before", prev)])
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        expected[25..50]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert!(page["next_cursor"].is_string());
    assert!(page["prev_cursor"].is_string());

    let garbage = merchant
        .call(
            "list_customers",
            &[("query", ""), ("after", "@@not-a-cursor")],
        )
        .await;
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn another_merchants_customer_is_not_found_everywhere() {
    let app = spawn_app().await;
    let a = app.merchant("A Tours").await;
    let b = app.merchant("B Tours").await;
    let customer = a
        .create_customer("Private", "Person", "private@example.com", "")
        .await;
    let id = customer["id"].as_str().unwrap();

    let read = b.call("get_customer", &[("id", id)]).await;
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(read).await, "NOT_FOUND");

    let write = b
        .call(
            "update_customer",
            &[
                ("id", id),
                ("first_name", "Hijacked"),
                ("last_name", ""),
                ("email", ""),
                ("phone", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(write.status(), StatusCode::NOT_FOUND);
    let unchanged: Value = a
        .call("get_customer", &[("id", id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["first_name"], "Private");

    let list: Value = b
        .call("list_customers", &[("query", "private")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    let page = b.get_page(&format!("/customers/{id}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(html.contains("Customer not found"));
    assert!(!html.contains("private@example.com"));
}

#[tokio::test]
async fn customer_functions_require_sign_in() {
    let app = spawn_app().await;
    let anonymous = app.browser();
    for (endpoint, form) in [
        ("list_customers", vec![("query", "")]),
        ("get_customer", vec![("id", "x")]),
        (
            "create_customer",
            vec![
                ("first_name", "A"),
                ("last_name", ""),
                ("email", ""),
                ("phone", ""),
                ("notes", ""),
            ],
        ),
    ] {
        let response = anonymous.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn the_customer_form_works_without_javascript() {
    let app = spawn_app().await;
    let merchant = app.merchant("No Script Tours").await;
    let fields = [
        ("first_name", "Nora"),
        ("last_name", "Plain"),
        ("email", ""),
        ("phone", ""),
        ("notes", ""),
    ];
    let response = merchant
        .submit_form("create_customer", &fields, "/customers/new")
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let profile = location(&response).unwrap();
    assert!(profile.starts_with("/customers/"), "{profile}");
    let html = merchant.get_page(&profile).await.text().await.unwrap();
    assert!(html.contains("Nora Plain"));

    // An invalid submission comes back to the form with the error carried in the URL...
    let bad = [
        ("first_name", ""),
        ("last_name", ""),
        ("email", "nope"),
        ("phone", ""),
        ("notes", ""),
    ];
    let response = merchant
        .submit_form("create_customer", &bad, "/customers/new")
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response).unwrap();
    assert!(back.contains("/customers/new"), "{back}");
    // ...and the server-rendered form shows it under the field.
    let page = merchant
        .get_page(back.trim_start_matches(&merchant.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Enter a first name."),
        "field error rendered without JavaScript"
    );
    assert_eq!(app.count("customers").await, 1);
}

#[tokio::test]
async fn a_unique_index_refusal_is_recognised_on_this_database() {
    use app::entities::customer;
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let merchant = app.merchant("Race Tours").await;
    let existing = merchant
        .create_customer("Rita", "Race", "rita@example.com", "")
        .await;
    let merchant_id: String = {
        use sea_orm::EntityTrait;
        let row = customer::Entity::find_by_id(existing["id"].as_str().unwrap().to_owned())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        row.merchant_id
    };
    let now = chrono::Utc::now();
    // What a concurrent save that slipped past the service's own check would hit.
    let duplicate = customer::ActiveModel {
        id: Set(app::entities::new_id()),
        merchant_id: Set(merchant_id),
        first_name: Set("Rita".into()),
        last_name: Set("Twice".into()),
        email: Set(Some("RITA@example.com".into())),
        email_normalized: Set(Some("rita@example.com".into())),
        phone: Set(None),
        notes: Set(String::new()),
        stripe_customer_id: Set(None),
        sort_key: Set("twice rita".into()),
        search_text: Set("rita twice".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap_err();
    assert!(app::error::is_unique_violation(&duplicate), "{duplicate}");
    assert!(!app::error::is_unique_violation(&sea_orm::DbErr::Custom(
        "other".into()
    )));
}

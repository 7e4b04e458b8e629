//! Customers: create, read, list, search and page, edit; field errors; one merchant's customers
//! hidden from another; the form without JavaScript.

use app::entities::customer;
use app::features::customers::view::{SearchPlan, matching};
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement,
    TransactionTrait,
};

use crate::world::{
    CreateCustomer, CustomerPage, ListCustomers, Refused, UpdateCustomer, location, spawn_app,
};

/// The New customer form.
fn customer_form(first: &str, last: &str, email: &str, phone: &str, notes: &str) -> CreateCustomer {
    CreateCustomer {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: email.to_owned(),
        phone: phone.to_owned(),
        notes: notes.to_owned(),
    }
}

/// The Edit customer form.
fn edit_form(id: &str, first: &str, last: &str, notes: &str) -> UpdateCustomer {
    UpdateCustomer {
        id: id.to_owned(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: String::new(),
        phone: String::new(),
        notes: notes.to_owned(),
    }
}

fn field_errors(refused: &Refused) -> Vec<(String, String)> {
    refused
        .errors()
        .iter()
        .map(|e| (e.field.clone(), e.message.clone()))
        .collect()
}

fn names(page: &CustomerPage) -> Vec<String> {
    page.items.iter().map(|c| c.full_name.clone()).collect()
}

#[tokio::test]
async fn a_created_customer_can_be_read_listed_and_edited() {
    let app = spawn_app().await;
    let merchant = app.merchant("Bay Tours").await;
    let created = merchant
        .create_customer("Ada", "Lovelace", "Ada@Example.com", "+44 20 7946 0018")
        .await;
    let id = created.id;

    let fetched = merchant.customer(&id).await.unwrap();
    assert_eq!(fetched.first_name, "Ada");
    assert_eq!(fetched.email.as_deref(), Some("Ada@Example.com"));
    assert_eq!(fetched.phone.as_deref(), Some("+44 20 7946 0018"));

    let page = merchant.customers("").await;
    assert_eq!(page.items[0].full_name, "Ada Lovelace");

    let updated = merchant
        .post(&edit_form(
            &id,
            "Augusta Ada",
            "King",
            "Prefers morning tours",
        ))
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(
        location(&updated).as_deref(),
        Some(format!("/customers/{id}").as_str())
    );
    let fetched = merchant.customer(&id).await.unwrap();
    assert_eq!(fetched.first_name, "Augusta Ada");
    assert_eq!(fetched.email, None);
    assert_eq!(fetched.notes, "Prefers morning tours");
}

#[tokio::test]
async fn bad_input_gets_field_messages_and_stores_nothing() {
    let app = spawn_app().await;
    let merchant = app.merchant("Strict Tours").await;
    let long_notes = "x".repeat(2001);
    let refused = merchant
        .call(&customer_form(
            "  ",
            "Line\r\nBcc: evil@example.com",
            "ada@@example",
            "call me",
            &long_notes,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = field_errors(&refused);
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
        .call(&customer_form("Sam", "Two", "SAM@example.com", "", ""))
        .await
        .unwrap_err();
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&duplicate),
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

    for (query, expected) in [
        ("hopp", vec!["Grace Hopper"]),
        ("BLETCHLEY", vec!["Alan Turing"]),
        ("555 0104", vec!["Grace Hopper"]),
        ("4960123", vec!["Alan Turing"]),
        ("%", vec![]),
        ("", vec!["Grace Hopper", "Percent Sign", "Alan Turing"]),
    ] {
        let page = merchant.customers(query).await;
        assert_eq!(names(&page), expected, "query {query:?}");
    }
}

#[tokio::test]
async fn search_follows_every_edit_of_a_customer() {
    let app = spawn_app().await;
    let merchant = app.merchant("Renamed Tours").await;
    let id = merchant
        .create_customer("Ada", "Byron", "ada@example.com", "+44 20 7946 0018")
        .await
        .id;
    merchant
        .create_customer("Charles", "Babbage", "charles@example.com", "")
        .await;
    assert_eq!(names(&merchant.customers("byron").await), ["Ada Byron"]);

    merchant
        .call(&UpdateCustomer {
            email: "ada@analytical.example".to_owned(),
            phone: "+44 20 7946 0019".to_owned(),
            ..edit_form(&id, "Ada", "Lovelace", "")
        })
        .await
        .unwrap();
    for (query, expected) in [
        ("byron", vec![]),
        ("lovelace", vec!["Ada Lovelace"]),
        ("analytical", vec!["Ada Lovelace"]),
        ("ada@example", vec![]),
        ("7946 0019", vec!["Ada Lovelace"]),
        ("babb", vec!["Charles Babbage"]),
    ] {
        assert_eq!(
            names(&merchant.customers(query).await),
            expected,
            "query {query:?}"
        );
    }
}

/// The plan the database makes for `statement`, one step a line: `explain` is its own prefix,
/// `column` where it puts each step.
async fn plan_of(
    conn: &impl ConnectionTrait,
    statement: Statement,
    explain: &str,
    column: &str,
) -> String {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            statement.db_backend,
            format!("{explain} {}", statement.sql),
            statement.values.map(|values| values.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get_by::<String, _>(column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Migration 0014: a search for part of a name is served by a trigram index on both databases,
/// not by reading every customer of the merchant. On SQLite a rare term is looked up in the
/// index and a common one walks the list (which fills a page early); on Postgres the GIN index
/// serves the `LIKE` whichever it is.
#[tokio::test]
async fn a_substring_search_is_served_by_the_trigram_index() {
    let app = spawn_app().await;
    let merchant = app.merchant("Many Tours").await;
    let backend = app.db.get_database_backend();
    if backend == DbBackend::Sqlite {
        // 2,100 customers whose emails all contain "example": a common term.
        server::seed::seed_customers(&app.db, &merchant.email, 2_100)
            .await
            .unwrap();
        merchant
            .create_customer("Ada", "Quennell", "ada@quennell.test", "")
            .await;
        assert_eq!(
            SearchPlan::choose(&app.db, "quennell").await.unwrap(),
            SearchPlan::Candidates
        );
        assert_eq!(
            SearchPlan::choose(&app.db, "example").await.unwrap(),
            SearchPlan::Walk
        );
        assert_eq!(
            SearchPlan::choose(&app.db, "qu").await.unwrap(),
            SearchPlan::Walk
        );
        // Both plans find the same customers.
        assert_eq!(
            names(&merchant.customers("quennell").await),
            ["Ada Quennell"]
        );
        assert_eq!(merchant.customers("example").await.items.len(), 25);
    }
    let plan = match backend {
        DbBackend::Sqlite => {
            let statement =
                matching(&merchant.id, "quennell", SearchPlan::Candidates).build(backend);
            plan_of(&app.db, statement, "EXPLAIN QUERY PLAN", "detail").await
        }
        _ => {
            // Postgres picks the merchant's index or the trigram one from its statistics; what
            // must hold is that the trigram index can serve the `LIKE` when a scan is ruled out.
            let transaction = app.db.begin().await.unwrap();
            transaction
                .execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            let statement = customer::Entity::find()
                .filter(customer::Column::SearchText.like("%quennell%"))
                .build(backend);
            plan_of(&transaction, statement, "EXPLAIN", "QUERY PLAN").await
        }
    };
    let uses_index = match backend {
        DbBackend::Sqlite => {
            plan.contains("customers_search VIRTUAL TABLE INDEX")
                && !plan.contains("ix_customers_merchant")
        }
        _ => plan.contains("ix_customers_search_trgm"),
    };
    assert!(uses_index, "{plan}");
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
    let page_of = |after: Option<String>, before: Option<String>| ListCustomers {
        query: "same".to_owned(),
        after,
        before,
    };
    let mut seen = Vec::new();
    let mut cursors = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = merchant.call(&page_of(after.clone(), None)).await.unwrap();
        assert!(page.items.len() <= 25);
        seen.extend(names(&page));
        cursors.push(page.prev_cursor.clone());
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..53).map(|i| format!("Guest{i:02} Same")).collect();
    assert_eq!(seen, expected);
    assert_eq!(cursors.len(), 3);
    assert_eq!(cursors[0], None, "the first page has no previous page");

    // From the last page, "Previous page" gives the middle page back exactly.
    let prev = cursors[2].clone().unwrap();
    let page = merchant.call(&page_of(None, Some(prev))).await.unwrap();
    assert_eq!(names(&page), expected[25..50]);
    assert!(page.next_cursor.is_some());
    assert!(page.prev_cursor.is_some());

    let garbage = merchant
        .call(&ListCustomers {
            query: String::new(),
            after: Some("@@not-a-cursor".to_owned()),
            before: None,
        })
        .await
        .unwrap_err();
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn another_merchants_customer_is_not_found_everywhere() {
    let app = spawn_app().await;
    let a = app.merchant("A Tours").await;
    let b = app.merchant("B Tours").await;
    let customer = a
        .create_customer("Private", "Person", "private@example.com", "")
        .await;
    let id = customer.id.as_str();

    let read = b.customer(id).await.unwrap_err();
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    assert_eq!(read.code(), "NOT_FOUND");

    let write = b
        .call(&edit_form(id, "Hijacked", "", ""))
        .await
        .unwrap_err();
    assert_eq!(write.status, StatusCode::NOT_FOUND);
    let unchanged = a.customer(id).await.unwrap();
    assert_eq!(unchanged.first_name, "Private");

    let list = b.customers("private").await;
    assert_eq!(list.items.len(), 0);

    let page = b.get_page(&format!("/customers/{id}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(html.contains("Customer not found"));
    assert!(!html.contains("private@example.com"));
}

#[tokio::test]
async fn customer_functions_require_sign_in() {
    use crate::world::GetCustomer;
    let app = spawn_app().await;
    let anonymous = app.browser();
    let attempts = [
        (
            "list customers",
            anonymous
                .call(&ListCustomers {
                    query: String::new(),
                    after: None,
                    before: None,
                })
                .await
                .err(),
        ),
        (
            "read a customer",
            anonymous
                .call(&GetCustomer { id: "x".to_owned() })
                .await
                .err(),
        ),
        (
            "create a customer",
            anonymous
                .call(&customer_form("A", "", "", "", ""))
                .await
                .err(),
        ),
    ];
    for (attempt, refused) in attempts {
        let refused = refused.unwrap_or_else(|| panic!("{attempt}: allowed"));
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{attempt}");
    }
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn the_customer_form_works_without_javascript() {
    let app = spawn_app().await;
    let merchant = app.merchant("No Script Tours").await;
    let response = merchant
        .submit_form(
            &customer_form("Nora", "Plain", "", "", ""),
            "/customers/new",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let profile = location(&response).unwrap();
    assert!(profile.starts_with("/customers/"), "{profile}");
    let html = merchant.get_page(&profile).await.text().await.unwrap();
    assert!(html.contains("Nora Plain"));

    // An invalid submission comes back to the form with the error carried in the URL...
    let response = merchant
        .submit_form(&customer_form("", "", "nope", "", ""), "/customers/new")
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
    merchant
        .create_customer("Rita", "Race", "rita@example.com", "")
        .await;
    let now = chrono::Utc::now();
    // What a concurrent save that slipped past the service's own check would hit.
    let duplicate = customer::ActiveModel {
        id: Set(app::entities::new_id()),
        merchant_id: Set(merchant.id.clone()),
        first_name: Set("Rita".into()),
        last_name: Set("Twice".into()),
        email: Set(Some("RITA@example.com".into())),
        email_normalized: Set(Some("rita@example.com".into())),
        phone: Set(None),
        notes: Set(String::new()),
        stripe_customer_id: Set(None),
        stripe_account_id: Set(None),
        stripe_livemode: Set(None),
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

//! Bookings: New booking (every field parsed, the merchant's currency, nothing stored on a bad
//! field), the Bookings page's order and pages, the profile's bookings with their balance, and the
//! currency setting. RELIABILITY R10 (another merchant's ids) and R18 (bad amounts).

use app::entities::payment_option;
use chrono::{Duration, NaiveTime, Utc};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, Set};

use crate::world::{
    ActorKind, BookingPage, CreateBooking, UpdateCurrency, location, path_of, spawn_app,
};

/// A `datetime-local` value `days` from today at `time`.
fn local_input(days: i64, time: &str) -> String {
    format!(
        "{}T{time}",
        (Utc::now().date_naive() + Duration::days(days)).format("%Y-%m-%d")
    )
}

/// The New booking form with one field set to `value`.
fn with_field(form: CreateBooking, field: &str, value: &str) -> CreateBooking {
    let value = value.to_owned();
    match field {
        "title" => CreateBooking {
            title: value,
            ..form
        },
        "starts_at" => CreateBooking {
            starts_at: value,
            ..form
        },
        "participants" => CreateBooking {
            participants: value,
            ..form
        },
        "total" => CreateBooking {
            total: value,
            ..form
        },
        "payment_option_id" => CreateBooking {
            payment_option_id: Some(value),
            ..form
        },
        other => panic!("no field {other} in New booking"),
    }
}

fn titles(page: &BookingPage) -> Vec<String> {
    page.items.iter().map(|b| b.title.clone()).collect()
}

#[tokio::test]
async fn a_booking_is_stored_unpaid_in_the_merchants_currency_and_shows_on_the_profile() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    app.card_never_charged(shop.customer_id(), "1111", false)
        .await;
    let default_card = app
        .card_never_charged(shop.customer_id(), "4242", true)
        .await;

    let created = shop
        .create_booking(&CreateBooking {
            title: "  Sunset kayak tour  ".into(),
            starts_at: "2031-07-14T18:30".into(),
            participants: "4".into(),
            total: "1,250.50".into(),
            payment_option_id: Some(default_card.clone()),
            ..shop.new_booking()
        })
        .await
        .unwrap();
    assert_eq!(created.title, "Sunset kayak tour");
    assert_eq!(created.starts_at, "2031-07-14 18:30");
    assert_eq!(created.participants, 4);
    assert_eq!(created.customer_name, "Jane Doe");
    assert_eq!(created.currency, "usd");
    assert_eq!(created.total, 125_050);
    assert_eq!(created.paid, 0);
    assert_eq!(created.refunded, 0);
    assert_eq!(created.balance, 125_050);
    assert_eq!(created.balance_text, "$1,250.50");
    assert_eq!(created.status_label, "Not paid");
    assert_eq!(
        created.card.as_deref(),
        Some("Visa •••• 4242 — expires 12/34")
    );

    let row = app.booking(&created.id).await;
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

    let entries = app.activity_of(shop.customer_id()).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].summary,
        "Booked Sunset kayak tour on 2031-07-14 18:30 — $1,250.50"
    );
    assert_eq!(entries[0].actor, ActorKind::Staff);

    // "No card" is a choice of its own.
    let without_card = shop
        .create_booking(&CreateBooking {
            title: "Harbour cruise".into(),
            starts_at: "2031-08-01T10:00".into(),
            ..shop.new_booking()
        })
        .await
        .unwrap();
    assert_eq!(without_card.card, None);
    assert_eq!(without_card.balance_text, "$120.00");

    let profile = shop.profile().await;
    let bookings = &profile.bookings;
    assert_eq!(bookings.len(), 2);
    // Latest start first.
    assert_eq!(bookings[0].title, "Harbour cruise");
    assert_eq!(bookings[0].balance, 12_000);
    assert_eq!(bookings[0].status_label, "Not paid");
    assert_eq!(bookings[1].title, "Sunset kayak tour");
    assert_eq!(bookings[1].balance, bookings[1].total);
    assert_eq!(bookings[1].paid_text, "$0.00");
    assert_eq!(
        profile.activity[0].summary,
        "Booked Harbour cruise on 2031-08-01 10:00 — $120.00"
    );
}

#[tokio::test]
async fn each_bad_field_gets_its_own_error_and_nothing_is_stored() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    let other_customer = shop
        .create_customer("Sam", "Other", "sam@example.com", "")
        .await;
    let others_card = app
        .card_never_charged(&other_customer.id, "4444", true)
        .await;
    let removed_card = app
        .card_never_charged(shop.customer_id(), "0005", false)
        .await;
    let mut removed: payment_option::ActiveModel = app.payment_option(&removed_card).await.into();
    removed.removed_at = Set(Some(Utc::now()));
    removed.update(&app.db).await.unwrap();

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
        let refused = shop
            .create_booking(&with_field(shop.new_booking(), field, value))
            .await
            .unwrap_err();
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value:?}"
        );
        assert_eq!(refused.code(), "VALIDATION");
        assert_eq!(refused.fields(), [field], "{field} = {value:?}");
        assert_eq!(refused.errors()[0].message, message, "{field} = {value:?}");
    }

    // Several bad fields at once: each one named.
    let refused = shop
        .create_booking(&CreateBooking {
            title: String::new(),
            starts_at: "soon".into(),
            participants: "0".into(),
            total: "-1".into(),
            payment_option_id: Some(others_card.clone()),
            ..shop.new_booking()
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.fields(),
        [
            "title",
            "starts_at",
            "participants",
            "total",
            "payment_option_id"
        ]
    );

    assert_eq!(app.count("bookings").await, 0);
    assert_eq!(app.count("activities").await, 0);
}

#[tokio::test]
async fn another_merchants_customer_or_card_is_not_found() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    let card = app
        .card_never_charged(shop.customer_id(), "4242", true)
        .await;
    let rival = app
        .merchant("Rival Rides")
        .with_customer("Rex", "Rival", "rex@example.com", "")
        .await;

    let refused = rival
        .create_booking(&CreateBooking {
            customer_id: shop.customer_id().to_owned(),
            ..rival.new_booking()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.code(), "NOT_FOUND");

    let refused = rival
        .create_booking(&CreateBooking {
            payment_option_id: Some(card.clone()),
            ..rival.new_booking()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.code(), "NOT_FOUND");

    let refused = rival
        .create_booking(&CreateBooking {
            payment_option_id: Some("no-such-card".into()),
            ..rival.new_booking()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    assert_eq!(app.count("bookings").await, 0);

    // Nor does the rival see the merchant's bookings.
    shop.create_booking(&shop.new_booking()).await.unwrap();
    assert_eq!(
        titles(&rival.bookings(true, None).await.unwrap()),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_bookings_list_pages_upcoming_bookings_by_start_time_and_past_ones_on_request() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    let book = async |title: &str, starts_at: &str| {
        shop.create_booking(&CreateBooking {
            title: title.to_owned(),
            starts_at: starts_at.to_owned(),
            ..shop.new_booking()
        })
        .await
        .unwrap()
    };
    let empty = shop.bookings(false, None).await.unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next_cursor, None);

    // 27 upcoming, created out of order, three of them at the same minute (their order is
    // then the id's, which is creation order).
    let mut expected_upcoming = Vec::new();
    for i in (0..24).rev() {
        book(&format!("Tour {i:02}"), &local_input(1 + i, "09:00")).await;
    }
    expected_upcoming.extend((0..24).map(|i| format!("Tour {i:02}")));
    for name in ["Tie A", "Tie B", "Tie C"] {
        book(name, &local_input(30, "12:00")).await;
        expected_upcoming.push(name.to_owned());
    }
    // Earlier today is still "upcoming": the list starts at the beginning of today.
    let start_of_today = Utc::now().date_naive().and_time(NaiveTime::MIN);
    book(
        "Dawn paddle",
        &start_of_today.format("%Y-%m-%dT%H:%M").to_string(),
    )
    .await;
    expected_upcoming.insert(0, "Dawn paddle".to_owned());
    for (title, starts_at) in [
        ("Yesterday's tour", local_input(-1, "23:59")),
        ("Last year's tour", local_input(-365, "08:00")),
    ] {
        book(title, &starts_at).await;
    }

    let first = shop.bookings(false, None).await.unwrap();
    assert_eq!(first.items.len(), 25);
    let cursor = first.next_cursor.clone().unwrap();
    let second = shop.bookings(false, Some(&cursor)).await.unwrap();
    assert_eq!(second.next_cursor, None);
    let mut seen = titles(&first);
    seen.extend(titles(&second));
    assert_eq!(seen, expected_upcoming);

    let with_past = shop.bookings(true, None).await.unwrap();
    assert_eq!(
        titles(&with_past)[..3],
        [
            "Last year's tour".to_owned(),
            "Yesterday's tour".to_owned(),
            "Dawn paddle".to_owned()
        ]
    );
    let rest = shop
        .bookings(true, Some(with_past.next_cursor.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        titles(&with_past).len() + titles(&rest).len(),
        expected_upcoming.len() + 2
    );
    assert_eq!(rest.items[0].customer_name, "Jane Doe");
    assert_eq!(rest.items[0].customer_id, shop.customer_id());

    let refused = shop
        .bookings(false, Some("bm90IGEgY3Vyc29y"))
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The page itself, server-rendered: its rows link to the customer.
    let page = shop.get_page("/bookings").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Dawn paddle"));
    assert!(!html.contains("Yesterday&#x27;s tour") && !html.contains("Yesterday's tour"));
    assert!(html.contains(&format!("href=\"/customers/{}\"", shop.customer_id())));
    assert!(html.contains("Show past bookings"));
    assert!(html.contains("Next page"));
}

#[tokio::test]
async fn a_currency_change_applies_to_new_bookings_only() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    let set_currency = async |currency: &str| {
        shop.call(&UpdateCurrency {
            currency: currency.to_owned(),
        })
        .await
    };
    let first = shop.create_booking(&shop.new_booking()).await.unwrap();
    assert_eq!(first.currency, "usd");

    let refused = set_currency("xyz").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.fields(), ["currency"]);

    let settings = set_currency("EUR").await.unwrap();
    assert_eq!(settings.currency, "eur");

    let second = shop
        .create_booking(&CreateBooking {
            total: "99.5".into(),
            ..shop.new_booking()
        })
        .await
        .unwrap();
    assert_eq!(second.currency, "eur");
    assert_eq!(second.total, 9_950);
    assert_eq!(second.balance_text, "€99.50");

    let profile = shop.profile().await;
    assert_eq!(profile.cards.currency, "eur");
    let by_id = |id: &str| {
        profile
            .bookings
            .iter()
            .find(|b| b.id == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&first.id).currency, "usd");
    assert_eq!(by_id(&first.id).total_text, "$120.00");
    assert_eq!(by_id(&second.id).total_text, "€99.50");

    // Yen have no cents: the same form refuses them.
    set_currency("jpy").await.unwrap();
    let refused = shop
        .create_booking(&CreateBooking {
            total: "1500.50".into(),
            ..shop.new_booking()
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.errors()[0].message,
        "JPY has no cents: enter a whole amount."
    );
    let yen = shop
        .create_booking(&CreateBooking {
            total: "1500".into(),
            ..shop.new_booking()
        })
        .await
        .unwrap();
    assert_eq!(yen.total_text, "¥1,500");
}

#[tokio::test]
async fn without_javascript_the_form_posts_and_returns_to_the_profile() {
    let app = spawn_app().await;
    let shop = app.merchant_with_customer("Harbour Tours").await;
    let profile = format!("/customers/{}", shop.customer_id());

    // The New booking button asks for the dialog in the URL; the server renders it open.
    let page = shop.get_page(&format!("{profile}?new_booking=1")).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("role=\"dialog\""));
    assert!(html.contains(&format!("action=\"{}\"", path_of::<CreateBooking>())));

    let form = CreateBooking {
        title: "Whale watching".into(),
        starts_at: "2031-09-01T08:00".into(),
        participants: "0".into(),
        total: "80".into(),
        ..shop.new_booking()
    };
    let refused = shop
        .submit_form(&form, &format!("{profile}?new_booking=1"))
        .await;
    assert!(refused.status().is_redirection());
    let back = location(&refused).unwrap();
    assert!(
        back.contains("new_booking=1") && back.contains("__err="),
        "{back}"
    );
    let back = back.strip_prefix(&shop.base).unwrap_or(&back);
    let html = shop.get_page(back).await.text().await.unwrap();
    assert!(html.contains("Enter a whole number of participants from 1 to 500."));
    assert_eq!(app.count("bookings").await, 0);

    let form = CreateBooking {
        participants: "3".into(),
        ..form
    };
    let saved = shop
        .submit_form(&form, &format!("{profile}?new_booking=1"))
        .await;
    assert!(saved.status().is_redirection());
    assert_eq!(location(&saved).as_deref(), Some(profile.as_str()));
    let html = shop.get_page(&profile).await.text().await.unwrap();
    assert!(html.contains("Whale watching"));
    assert!(html.contains("$80.00"));
    assert!(!html.contains("role=\"dialog\""));
}

//! Signing up, in and out: sessions, password storage, throttling, and the pages behind them.

use reqwest::StatusCode;

use crate::world::{
    CurrentSession, MAX_FAILURES_PER_EMAIL, SessionInfo, SignIn, SignOut, SignUp, answer,
    call_with_cookie, location, session_cookie, spawn_app,
};

/// The sign-in form.
fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.to_owned(),
        password: password.to_owned(),
        next: None,
    }
}

#[tokio::test]
async fn sign_up_creates_merchant_and_owner_and_starts_a_session() {
    let app = spawn_app().await;
    let browser = app.browser();
    let response = browser
        .sign_up(
            "Harbour Kayaks",
            "Maya Diaz",
            "Maya@Example.com",
            "correct horse battery",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(location(&response).as_deref(), Some("/customers"));
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "http base URL must not mark the cookie Secure"
    );

    let session = browser.call(&CurrentSession {}).await.unwrap();
    assert_eq!(session.business_name, "Harbour Kayaks");
    assert_eq!(session.user_name, "Maya Diaz");
    assert_eq!(session.email, "maya@example.com");

    assert_eq!(app.count("merchants").await, 1);
    assert_eq!(app.count("staff_users").await, 1);
    assert_eq!(app.count("sessions").await, 1);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = spawn_app().await;
    app.merchant("Hash Tours").await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT password_hash FROM staff_users",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse battery"));
}

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn sign_up_reports_every_bad_field_and_stores_nothing() {
    let app = spawn_app().await;
    let refused = app
        .browser()
        .call(&SignUp {
            business_name: " ".to_owned(),
            name: String::new(),
            email: "not-an-email".to_owned(),
            password: "short".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "VALIDATION");
    assert_eq!(
        refused.fields(),
        ["business_name", "name", "email", "password"]
    );
    assert_eq!(app.count("merchants").await, 0);
    assert_eq!(app.count("staff_users").await, 0);
}

#[tokio::test]
async fn a_second_sign_up_with_the_same_email_is_refused() {
    let app = spawn_app().await;
    let first = app
        .browser()
        .sign_up("One", "Ann", "ann@example.com", "correct horse battery")
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = app
        .browser()
        .sign_up("Two", "Ann", "ANN@example.com", "another long password")
        .await;
    assert_eq!(second.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("merchants").await, 1);
}

#[tokio::test]
async fn sign_in_failures_look_the_same_for_unknown_and_known_emails() {
    let app = spawn_app().await;
    app.browser()
        .sign_up("Known", "Kim", "kim@example.com", "correct horse battery")
        .await;

    let wrong_password = app
        .browser()
        .post(&sign_in("kim@example.com", "wrong password!"))
        .await;
    let unknown_email = app
        .browser()
        .post(&sign_in("nobody@example.com", "wrong password!"))
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong_password).is_none());
    assert_eq!(
        wrong_password.text().await.unwrap(),
        unknown_email.text().await.unwrap()
    );
}

#[tokio::test]
async fn sign_in_rotates_the_session_id() {
    let app = spawn_app().await;
    let signup = app
        .browser()
        .sign_up("Rotate", "Ron", "ron@example.com", "correct horse battery")
        .await;
    let before = session_cookie(&signup).unwrap();

    let response = reqwest::Client::new()
        .post(app.url::<SignIn>())
        .header("cookie", &before)
        .form(&sign_in("ron@example.com", "correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let after = session_cookie(&response).unwrap();
    assert_ne!(before, after);

    let old = call_with_cookie::<CurrentSession>(&app.address, &before).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = call_with_cookie::<CurrentSession>(&app.address, &after).await;
    assert_eq!(new.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let signup = app
        .browser()
        .sign_up("Out", "Oli", "oli@example.com", "correct horse battery")
        .await;
    let cookie = session_cookie(&signup).unwrap();

    let response = reqwest::Client::new()
        .post(app.url::<SignOut>())
        .header("cookie", &cookie)
        .form(&Vec::<(String, String)>::new())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(location(&response).as_deref(), Some("/sign-in"));
    assert!(
        response
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // Replaying the old cookie (as a thief would) no longer works.
    let replay = call_with_cookie::<CurrentSession>(&app.address, &cookie).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let refused = answer::<SessionInfo>(replay).await.unwrap_err();
    assert_eq!(refused.code(), "UNAUTHORIZED");
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_signed_out_page_load_is_sent_to_sign_in_with_the_page_to_come_back_to() {
    let app = spawn_app().await;
    for (path, sign_in_page) in [
        ("/customers", "/sign-in?next=/customers"),
        ("/customers/new", "/sign-in?next=/customers/new"),
        // The query as sent (`%20`), encoded once more as `next`'s value.
        (
            "/customers?q=ada lovelace",
            "/sign-in?next=/customers%3Fq%3Dada%2520lovelace",
        ),
        ("/settings", "/sign-in?next=/settings"),
        ("/", "/sign-in"),
    ] {
        // As a browser asks for a page, and as a client that accepts anything (curl, wrk): both
        // are a full page load, and neither gets the app's code before the redirect.
        let browser = app.browser().get_page(path).await;
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        for response in [browser, plain] {
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&response).as_deref(), Some(sign_in_page), "{path}");
        }
    }
    // The server function behind the guard still answers 401 to a script.
    let script = call_with_cookie::<CurrentSession>(&app.address, "").await;
    assert_eq!(script.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_in_comes_back_to_the_page_opened_if_it_is_on_this_site() {
    let app = spawn_app().await;
    app.browser()
        .sign_up("Back", "Bea", "bea@example.com", "correct horse battery")
        .await;
    for (next, comes_back_to) in [
        (Some("/customers/new?from=mail"), "/customers/new?from=mail"),
        (Some("/settings"), "/settings"),
        (Some("https://evil.example/"), "/customers"),
        (Some("//evil.example/"), "/customers"),
        (Some(""), "/customers"),
        (None, "/customers"),
    ] {
        let form = SignIn {
            next: next.map(str::to_owned),
            ..sign_in("bea@example.com", "correct horse battery")
        };
        // Without JavaScript (the form posts and the browser follows a 302) and with it.
        let without_script = app.browser().submit_form(&form, "/sign-in").await;
        assert_eq!(without_script.status(), StatusCode::FOUND, "{next:?}");
        assert_eq!(
            location(&without_script).as_deref(),
            Some(comes_back_to),
            "{next:?}"
        );
        let with_script = app.browser().post(&form).await;
        assert_eq!(with_script.status(), StatusCode::OK, "{next:?}");
        assert_eq!(
            location(&with_script).as_deref(),
            Some(comes_back_to),
            "{next:?}"
        );
    }
}

#[tokio::test]
async fn signed_in_pages_are_rendered_on_the_server() {
    let app = spawn_app().await;
    let browser = app.merchant("Paint & Paddle <Co>").await;
    let response = browser.get_page("/customers").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Paint &amp; Paddle &lt;Co&gt;"),
        "business name escaped in the top bar"
    );
    assert!(html.contains("No customers yet."));
    assert!(html.contains("aria-label=\"Main menu\""));
    assert!(html.contains("Sign out"));
}

#[tokio::test]
async fn the_sign_up_form_works_without_javascript() {
    let app = spawn_app().await;
    let browser = app.browser();
    let response = browser
        .submit_form(
            &SignUp {
                business_name: "Form Tours".to_owned(),
                name: "Fay".to_owned(),
                email: "fay@example.com".to_owned(),
                password: "correct horse battery".to_owned(),
            },
            "/sign-up",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response).as_deref(), Some("/customers"));
    assert_eq!(
        browser.get_page("/customers").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_without_locking_out_other_accounts() {
    let app = spawn_app().await;
    app.browser()
        .sign_up("Guess", "Gus", "gus@example.com", "correct horse battery")
        .await;
    app.browser()
        .sign_up("Other", "Ola", "ola@example.com", "correct horse battery")
        .await;
    let attacker = app.browser();
    for attempt in 0..MAX_FAILURES_PER_EMAIL {
        let refused = attacker
            .call(&sign_in("gus@example.com", &format!("guess {attempt:04}")))
            .await
            .unwrap_err();
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Over the budget even the right password is refused for now...
    let blocked = attacker
        .call(&sign_in("gus@example.com", "correct horse battery"))
        .await
        .unwrap_err();
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(blocked.code(), "RATE_LIMITED");
    // ...while another account still signs in.
    app.browser()
        .call(&sign_in("ola@example.com", "correct horse battery"))
        .await
        .unwrap();
}

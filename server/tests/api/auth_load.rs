//! Sign-in and sign-up under a flood (RELIABILITY R27): password hashing is capped, the
//! throttles count every attempt and let no more through than their budget, and what is refused
//! is refused fast with an answer a client can act on.
//!
//! Memory is asserted through the hashing gate's own counter (the most hashes ever in flight
//! at once, each 19 MiB) rather than the process' RSS, which the other tests running in the same
//! process make too noisy to assert on.

use std::collections::BTreeMap;

use futures::future::join_all;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::world::{
    AppError, MAX_FAILURES_PER_EMAIL, SignIn, SignUp, TestApp, answer, spawn_app,
    spawn_app_adjusted,
};

const ATTEMPTS: usize = 200;

fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.to_owned(),
        password: password.to_owned(),
        next: None,
    }
}

fn sign_up(email: &str) -> SignUp {
    SignUp {
        business_name: "Flood Tours".to_owned(),
        name: "Fred".to_owned(),
        email: email.to_owned(),
        password: "correct horse battery".to_owned(),
    }
}

/// Each answer's status with its error code, and how many of each; every busy answer must say
/// when to come back.
async fn tally(responses: Vec<reqwest::Response>) -> BTreeMap<(u16, &'static str), usize> {
    let mut seen = BTreeMap::new();
    for response in responses {
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        let error = answer::<()>(response)
            .await
            .expect_err("every attempt here is refused");
        if matches!(error.error, AppError::Busy { .. }) {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                retry_after.unwrap(),
                "2",
                "a busy answer says when to retry"
            );
        }
        *seen.entry((status.as_u16(), error.code())).or_insert(0) += 1;
    }
    seen
}

fn count(seen: &BTreeMap<(u16, &'static str), usize>, status: u16, code: &str) -> usize {
    seen.get(&(status, code)).copied().unwrap_or(0)
}

fn hashes_run(app: &TestApp) -> u64 {
    app.state.hashing.runs()
}

#[tokio::test]
async fn two_hundred_parallel_wrong_passwords_get_no_more_checks_than_the_budget() {
    let app = spawn_app().await;
    let owner = app
        .browser()
        .sign_up(
            "Storm Tours",
            "Sam",
            "sam@example.com",
            "correct horse battery",
        )
        .await;
    assert_eq!(owner.status(), StatusCode::OK);
    let before = hashes_run(&app);

    let attacker = app.browser();
    let guesses: Vec<_> = (0..ATTEMPTS)
        .map(|i| sign_in("sam@example.com", &format!("guess number {i:04}")))
        .collect();
    let responses = join_all(guesses.iter().map(|guess| attacker.post(guess))).await;
    let seen = tally(responses).await;

    let checked = count(&seen, 401, "INVALID_CREDENTIALS");
    let limited = count(&seen, 429, "RATE_LIMITED");
    let busy = count(&seen, 503, "BUSY");
    assert_eq!(
        checked + limited + busy,
        ATTEMPTS,
        "only these answers: {seen:?}"
    );
    assert!(
        checked as u64 <= MAX_FAILURES_PER_EMAIL,
        "{checked} passwords checked, budget {MAX_FAILURES_PER_EMAIL}: {seen:?}"
    );
    // A password was hashed for each "incorrect" answer, and for nothing else.
    assert_eq!(hashes_run(&app) - before, checked as u64);
    // Every attempt was counted, refused ones included.
    assert_eq!(app.count("sign_in_failures").await, ATTEMPTS as i64);
    let hashing = &app.state.hashing;
    assert!(
        hashing.peak_in_flight() <= hashing.capacity(),
        "{} hashes at once with {} permits",
        hashing.peak_in_flight(),
        hashing.capacity()
    );

    // The budget is spent: the owner's own password waits too, without being checked.
    let refused = app
        .browser()
        .call(&sign_in("sam@example.com", "correct horse battery"))
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(hashes_run(&app) - before, checked as u64);
}

#[tokio::test]
async fn a_flood_runs_no_more_hashes_at_once_than_permits_and_the_rest_are_told_to_retry() {
    // One hashing slot with (almost) no patience for it, and sign-ups not limited per client:
    // every request reaches the hashing gate.
    let app = spawn_app_adjusted(|config| {
        config.limits.concurrent_hashes = 1;
        config.limits.hash_wait_ms = 1;
        config.limits.sign_ups_per_client = 10_000;
    })
    .await;
    let client = app.browser();
    let forms: Vec<_> = (0..ATTEMPTS)
        .map(|i| sign_up(&format!("flood{i}@example.com")))
        .collect();
    let responses = join_all(forms.iter().map(|form| client.post(form))).await;
    let mut created = 0;
    let mut refusals = Vec::new();
    for response in responses {
        if response.status() == StatusCode::OK {
            created += 1;
        } else {
            refusals.push(response);
        }
    }
    let seen = tally(refusals).await;
    let busy = count(&seen, 503, "BUSY");
    assert_eq!(created + busy, ATTEMPTS, "only these answers: {seen:?}");
    assert!(busy > 0, "a saturated gate answers busy: {seen:?}");
    assert!(created > 0, "the slot was used");
    // A hash for each account made, none for an answer "busy"; never two at once.
    assert_eq!(app.count("merchants").await, created as i64);
    assert_eq!(hashes_run(&app), created as u64);
    assert_eq!(app.state.hashing.capacity(), 1);
    assert_eq!(app.state.hashing.peak_in_flight(), 1);
}

#[tokio::test]
async fn sign_ups_from_one_client_are_limited_before_any_password_is_hashed() {
    let app = spawn_app_adjusted(|config| config.limits.sign_ups_per_client = 5).await;
    let client = app.browser();
    let forms: Vec<_> = (0..30)
        .map(|i| sign_up(&format!("flood{i}@example.com")))
        .collect();
    let responses = join_all(forms.iter().map(|form| client.post(form))).await;
    let mut created = 0;
    let mut limited = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => created += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected answer {other}"),
        }
    }
    assert_eq!(created + limited, 30);
    assert!(created <= 5, "{created} merchants from one client, limit 5");
    assert_eq!(app.count("merchants").await, created as i64);
    assert_eq!(app.count("sign_up_attempts").await, 30);
    // A hash for each account made, none for a refused attempt.
    assert_eq!(hashes_run(&app), created as u64);

    let refused = client
        .call(&sign_up("one-more@example.com"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "RATE_LIMITED");
    assert_eq!(
        refused.error.user_message(),
        "Too many attempts. Please wait 15 minutes and try again."
    );
    assert_eq!(app.count("merchants").await, created as i64);
}

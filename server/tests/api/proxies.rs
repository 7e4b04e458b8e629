//! Behind a proxy: the per-client limits (link guesses, sign-in failures) count the client a
//! trusted proxy names, so one guessing client stops only itself; a forwarding header from anyone
//! else changes nothing. Issue 12 item 1, RELIABILITY R21.
//!
//! Every connection comes from a loopback address of the test's choosing: the proxy is
//! 127.0.0.3 (the only trusted one), a client forging headers connects from 127.0.0.2.

use std::time::Instant;

use reqwest::StatusCode;

use crate::world::{
    GUESSED_ACCOUNT_DELAY, MAX_FAILURES_PER_EMAIL, MAX_GUESSES_PER_CLIENT, SignIn, Stripe, TestApp,
    spawn_app_with, unknown_link_token,
};

const PROXY: [u8; 4] = [127, 0, 0, 3];
const UNTRUSTED_PEER: [u8; 4] = [127, 0, 0, 2];
const GUESSER: &str = "203.0.113.7";
const CUSTOMER: &str = "198.51.100.9";
const PASSWORD: &str = "correct horse battery";

async fn app_behind_proxy() -> TestApp {
    spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", "127.0.0.3/32")]).await
}

fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.to_owned(),
        password: password.to_owned(),
        next: None,
    }
}

/// The client addresses the stored link guesses were counted against.
async fn guessing_addresses(app: &TestApp) -> Vec<String> {
    use app::entities::link_guess;
    use sea_orm::EntityTrait;
    let mut addresses: Vec<String> = link_guess::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|guess| guess.client_ip)
        .collect();
    addresses.dedup();
    addresses
}

#[tokio::test]
async fn behind_a_trusted_proxy_a_client_guessing_links_is_stopped_and_another_customer_gets_in() {
    let app = app_behind_proxy().await;
    let shop = app
        .merchant_with_customer("Proxied Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;

    let guesser = app.browser_from(PROXY, Some(GUESSER));
    for n in 0..MAX_GUESSES_PER_CLIENT {
        let guess = guesser
            .get_page(&format!("/pay/{}", unknown_link_token()))
            .await;
        assert_eq!(guess.status(), StatusCode::SEE_OTHER, "guess {n}");
    }
    let stopped = guesser.get_page(&format!("/pay/{token}")).await;
    assert_eq!(stopped.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(guessing_addresses(&app).await, vec![GUESSER.to_owned()]);

    // Another customer, whose requests reach us through the same proxy, opens the real link.
    let customer = app
        .open_link_in(app.browser_from(PROXY, Some(CUSTOMER)), &token)
        .await;
    let page = customer.card_page().await.unwrap();
    assert_eq!(page.merchant_name, "Proxied Tours");
}

#[tokio::test]
async fn behind_a_trusted_proxy_an_account_guessed_by_one_client_still_signs_in_from_another() {
    let app = app_behind_proxy().await;
    app.browser()
        .sign_up("Guess", "Gus", "gus@example.com", PASSWORD)
        .await;
    let attacker = app.browser_from(PROXY, Some(GUESSER));
    for attempt in 0..MAX_FAILURES_PER_EMAIL {
        let refused = attacker
            .call(&sign_in("gus@example.com", &format!("guess {attempt:04}")))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "INVALID_CREDENTIALS", "attempt {attempt}");
    }
    // The guessing client is stopped, even with the right password...
    let blocked = attacker
        .call(&sign_in("gus@example.com", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);

    // ...while the owner, behind the same proxy, signs in: slowed down, not locked out.
    let owner = app.browser_from(PROXY, Some(CUSTOMER));
    let started = Instant::now();
    owner
        .call(&sign_in("gus@example.com", PASSWORD))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= GUESSED_ACCOUNT_DELAY,
        "a guessed account's sign-in waits {GUESSED_ACCOUNT_DELAY:?}"
    );
}

#[tokio::test]
async fn from_an_untrusted_peer_forged_forwarding_headers_change_nothing() {
    let app = app_behind_proxy().await;
    let shop = app
        .merchant_with_customer("Forged Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    app.browser()
        .sign_up("Guess", "Gus", "gus@example.com", PASSWORD)
        .await;
    let forger = app.browser_from(UNTRUSTED_PEER, None);
    // Each request claims another client, in both headers.
    let forged = |n: u64| {
        let client = format!("198.51.100.{}", n % 250);
        (
            ("x-forwarded-for", client.clone()),
            ("forwarded", format!("for={client}")),
        )
    };

    for n in 0..MAX_GUESSES_PER_CLIENT {
        let ((xff, a), (fwd, b)) = forged(n);
        let guess = forger
            .client
            .get(format!("{}/pay/{}", app.address, unknown_link_token()))
            .header(xff, a)
            .header(fwd, b)
            .send()
            .await
            .unwrap();
        assert_eq!(guess.status(), StatusCode::SEE_OTHER, "guess {n}");
    }
    let ((xff, a), (fwd, b)) = forged(1_000);
    let stopped = forger
        .client
        .get(format!("{}/pay/{token}", app.address))
        .header(xff, a)
        .header(fwd, b)
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(guessing_addresses(&app).await, vec!["127.0.0.2".to_owned()]);

    for attempt in 0..MAX_FAILURES_PER_EMAIL {
        let ((xff, a), (fwd, b)) = forged(attempt);
        let refused = forger
            .request(&sign_in("gus@example.com", &format!("guess {attempt:04}")))
            .header(xff, a)
            .header(fwd, b)
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let ((xff, a), (fwd, b)) = forged(1_000);
    let blocked = forger
        .request(&sign_in("gus@example.com", PASSWORD))
        .header(xff, a)
        .header(fwd, b)
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
}

//! The card request end to end (issue "Send Email → secure link → card page → card on file"):
//! request → outbox → SMTP (a real listener) → the link → SetupIntent → confirm at the emulator
//! (as Stripe.js does, with the publishable key) → webhook and page → one payment option and one
//! notice. RELIABILITY R1, R4, R6, R7, R8, R12.

use std::time::Duration;

use app::entities::{customer, payment_option, stripe_event};
use chrono::Utc;
use reqwest::header::{COOKIE, REFERRER_POLICY};
use reqwest::{Response, StatusCode, redirect};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::Value;

use crate::world::{
    AppError, CardSource, ConnectDemoStripe, DisconnectStripe, EmailKind, EmailState, LinkStatus,
    LoadCardPage, MAX_GUESSES_PER_CLIENT, NotificationState, SendCardRequest, Stripe,
    UpdateCardLinkValidity, WEBHOOK_SECRET, eventually, link_digest, outbox, spawn_app,
    unknown_link_token,
};

#[tokio::test]
async fn a_card_request_travels_by_email_and_its_link_puts_the_card_on_file() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Harbour Tours")
        .connected(Stripe::Demo)
        .await;
    let before = shop.profile().await;
    assert_eq!(before.card_request.blocked_reason, None);
    assert_eq!(
        before.card_request.recipient.as_deref(),
        Some("Jane Doe <jane@example.com>")
    );

    let sent = shop
        .send_card_request("See you on Saturday!")
        .await
        .unwrap();
    assert_eq!(sent.recipient, "jane@example.com");
    // Stored: only the token's digest, an expiry seven days out, who sent it.
    let request = app.card_requests().await.remove(0);
    assert_eq!(request.status, LinkStatus::Pending);
    assert_eq!(request.token_hash.len(), 64);
    let days = (request.expires_at - request.created_at).num_days();
    assert_eq!(days, 7);
    // The Stripe customer exists now.
    let stored = customer::Entity::find_by_id(shop.customer_id().to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.stripe_customer_id.unwrap().starts_with("cus_"));
    let queued = shop.profile().await;
    assert_eq!(queued.notifications[0].state, NotificationState::Queued);
    assert!(queued.card_request.pending_until.is_some());

    assert_eq!(app.deliver_emails().await, 1);
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt, vec!["jane@example.com".to_owned()]);
    assert_eq!(
        message.header("Subject").unwrap(),
        "Harbour Tours asks you to add a card"
    );
    assert!(message.header("From").unwrap().contains("Harbour Tours"));
    assert!(message.header("Reply-To").unwrap().contains("@example.com"));
    assert!(message.data.contains("multipart/alternative"));
    assert!(message.data.contains("See you on Saturday!"));
    assert!(message.data.contains("No account or login needed"));
    let token = app.link_in_email(message);
    assert_eq!(token.len(), 43);
    assert_eq!(request.token_hash, link_digest(&token));
    assert_eq!(
        shop.profile().await.notifications[0].state,
        NotificationState::Sent
    );

    let customer = app.open_link(&token).await;
    assert_eq!(
        shop.profile().await.notifications[0].state,
        NotificationState::Opened
    );
    let page = customer.card_page().await.unwrap();
    assert_eq!(page.merchant_name, "Harbour Tours");
    assert_eq!(page.customer_first_name, "Jane");
    assert!(page.setup.stripe_js_url.starts_with(&app.emulator_base));
    assert!(page.setup.publishable_key.starts_with("pk_test_"));

    let intent = customer.confirm_card(&page, "pm_card_visa").await;
    assert_eq!(intent["status"], "succeeded");
    // Stripe's webhook records the card, the page's own check then finds it done.
    eventually("the webhook to save the card", async || {
        app.count("payment_options").await == 1
    })
    .await;
    let saved = customer.complete_card_setup().await.unwrap();
    assert_eq!(saved.brand, "Visa");
    assert_eq!(saved.last4, "4242");

    let option = payment_option::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(option.stripe_payment_method_id.starts_with("pm_"));
    assert!(option.is_default);
    assert_eq!(option.source, CardSource::CustomerLink);
    let after = shop.profile().await;
    let line = format!(
        "Visa •••• 4242 — expires {:02}/{:02}",
        option.exp_month,
        option.exp_year % 100
    );
    assert_eq!(after.cards.payment_options.len(), 1);
    let card = &after.cards.payment_options[0].card;
    assert_eq!(card.last4, "4242");
    assert_eq!(
        format!(
            "{} •••• {} — expires {:02}/{:02}",
            card.brand,
            card.last4,
            card.exp_month,
            card.exp_year % 100
        ),
        line
    );
    assert_eq!(after.card_request.pending_until, None);
    // Newest first: the notice to the merchant, then the completed request.
    let notifications = &after.notifications;
    assert_eq!(notifications.len(), 2);
    assert_eq!(notifications[0].title, "Card saved notice");
    assert_eq!(notifications[1].state, NotificationState::Completed);

    // The merchant's notice goes out through the same outbox.
    assert_eq!(app.deliver_emails().await, 1);
    let notice = app.smtp.messages().pop().unwrap();
    assert_eq!(notice.header("Subject").unwrap(), "Jane Doe added a card");
    assert!(notice.rcpt[0].starts_with("owner-"));

    // The link works once.
    let reopened = app.open_link(&token).await;
    let again = reopened.card_page().await.unwrap_err();
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.code(), "LINK_USED");
    let html = reopened.get_page("/pay").await;
    assert_eq!(html.status(), StatusCode::GONE);
    assert_eq!(html.headers().get(REFERRER_POLICY).unwrap(), "no-referrer");
    // Never cached: a newer link's cookie must get a fresh answer.
    assert_eq!(
        html.headers().get(reqwest::header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let csp = html
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'nonce-")
            && csp.contains("object-src 'none'")
            && csp.contains("base-uri 'none'")
    );
    assert!(
        html.text()
            .await
            .unwrap()
            .contains("This link has already been used")
    );
}

#[tokio::test]
async fn page_and_webhook_completing_together_save_one_card_and_send_one_notice() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Race Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    // Two tabs open the same link at once: one SetupIntent between them.
    let (tab_a, tab_b) = (app.open_link(&token).await, app.open_link(&token).await);
    let (page_a, page_b) = tokio::join!(tab_a.card_page(), tab_b.card_page());
    let (page_a, page_b) = (page_a.unwrap(), page_b.unwrap());
    assert_eq!(page_a.setup.client_secret, page_b.setup.client_secret);

    tab_a.confirm_card(&page_a, "pm_card_visa").await;
    // Both tabs check while Stripe's webhook is on its way.
    let (done_a, done_b) = tokio::join!(tab_a.complete_card_setup(), tab_b.complete_card_setup());
    let (done_a, done_b) = (done_a.unwrap(), done_b.unwrap());
    assert_eq!(done_a, done_b);
    eventually("the webhook to be processed", async || {
        stripe_event::Entity::find()
            .filter(stripe_event::Column::EventType.eq("setup_intent.succeeded"))
            .filter(stripe_event::Column::ProcessedAt.is_not_null())
            .one(&app.db)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(app.count("payment_options").await, 1);
    assert_eq!(
        app.emails_of_kind(EmailKind::CardSavedNotice).await.len(),
        1
    );
    let request = app.card_requests().await.remove(0);
    assert_eq!(request.status, LinkStatus::Completed);
}

#[tokio::test]
async fn expired_revoked_tampered_and_unknown_links_each_get_their_own_answer() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Strict Tours")
        .connected(Stripe::Demo)
        .await;
    let first = shop.send_and_read_link().await;
    // Resend: the first link is revoked, the second works.
    let second = shop.send_and_read_link().await;
    assert_ne!(first, second);
    let statuses: Vec<LinkStatus> = app
        .card_requests()
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![LinkStatus::Revoked, LinkStatus::Pending]);

    let revoked = app.open_link(&first).await.card_page().await.unwrap_err();
    assert_eq!(revoked.status, StatusCode::GONE);
    assert_eq!(revoked.code(), "LINK_REVOKED");

    let mut tampered = second.clone().into_bytes();
    tampered[5] = if tampered[5] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let refused = app
        .open_link(&tampered)
        .await
        .card_page()
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.code(), "LINK_NOT_FOUND");
    let unknown = app.open_link(&unknown_link_token()).await;
    let page = unknown.get_page("/pay").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This link is not valid")
    );
    // No cookie at all (the page opened directly).
    let bare = app.browser().call(&LoadCardPage {}).await.unwrap_err();
    assert_eq!(bare.code(), "LINK_NOT_FOUND");

    // Time runs out for the second link.
    let pending = app.card_requests().await.pop().unwrap();
    let mut expired = pending.into_active_model();
    expired.expires_at = Set(Utc::now() - chrono::Duration::minutes(1));
    expired.update(&app.db).await.unwrap();
    let refused = app.open_link(&second).await.card_page().await.unwrap_err();
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(
        refused.error,
        AppError::LinkExpired {
            merchant_name: "Strict Tours".to_owned()
        }
    );
    let notifications = shop.profile().await.notifications;
    assert_eq!(notifications[0].state, NotificationState::Expired);
    assert_eq!(notifications[1].state, NotificationState::Revoked);
    // Nothing was saved by any of it.
    assert_eq!(app.count("payment_options").await, 0);
}

#[tokio::test]
async fn send_email_is_refused_with_a_reason_without_stripe_or_an_email_address() {
    let app = spawn_app().await;
    let merchant = app
        .merchant("Unconnected Tours")
        .with_customer("Max", "Nomail", "", "+44 20 7946 0000")
        .await;
    let payments = merchant.profile().await;
    assert_eq!(
        payments.card_request.blocked_reason.as_deref(),
        Some("Connect MioPay (Stripe) in Settings to send card requests.")
    );
    let refused = merchant.send_card_request("").await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    merchant.call(&ConnectDemoStripe {}).await.unwrap();
    let payments = merchant.profile().await;
    assert_eq!(
        payments.card_request.blocked_reason.as_deref(),
        Some("Add an email address to this customer to send a card request.")
    );
    let with_email = merchant
        .create_customer("Ann", "Mail", "ann@example.com", "")
        .await;
    let too_long = "x".repeat(501);
    let refused = merchant
        .send_card_request_to(&with_email.id, &too_long)
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("customer_links").await, 0);
    assert!(app.emails_of_kind(EmailKind::CardRequest).await.is_empty());

    // Another merchant's customer is not found, and nothing is sent.
    let other = app.merchant("Other Tours").connected(Stripe::Demo).await;
    let foreign = other
        .send_card_request_to(&with_email.id, "")
        .await
        .unwrap_err();
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign = other.profile_of(&with_email.id).await.unwrap_err();
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("customer_links").await, 0);
}

#[tokio::test]
async fn smtp_down_then_up_delivers_the_request_once_and_notifications_show_the_attempts() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Patient Tours")
        .connected(Stripe::Demo)
        .await;
    shop.send_card_request("").await.unwrap();
    app.smtp.busy_next(2);
    let mailer = app.mailer(&app.smtp.url());
    let mut at = Utc::now();
    for _ in 0..2 {
        outbox::run_once(&app.db, &mailer, at).await.unwrap();
        let row = app.emails_of_kind(EmailKind::CardRequest).await.remove(0);
        assert_eq!(row.state, EmailState::Queued);
        at = row.next_attempt_at + chrono::Duration::milliseconds(1);
    }
    let retrying = shop.profile().await.notifications[0].clone();
    let next = app.emails_of_kind(EmailKind::CardRequest).await[0].next_attempt_at;
    assert_eq!(
        retrying.state_label,
        format!("Retrying — next attempt at {}", next.format("%H:%M UTC"))
    );
    assert_eq!(retrying.attempts, 2);
    outbox::run_once(&app.db, &mailer, at).await.unwrap();
    outbox::run_once(&app.db, &mailer, at + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(app.smtp.messages().len(), 1);
    let sent = shop.profile().await.notifications[0].clone();
    assert_eq!(sent.state, NotificationState::Sent);
    assert_eq!(sent.attempts, 3);
}

#[tokio::test]
async fn links_use_the_configured_base_url_whatever_host_the_request_names() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Host Tours")
        .connected(Stripe::Demo)
        .await;
    let response = shop
        .request(&SendCardRequest {
            customer_id: shop.customer_id().to_owned(),
            note: String::new(),
        })
        .header(reqwest::header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.deliver_emails().await;
    let message = app.smtp.messages().remove(0);
    assert!(!message.data.contains("evil.example"));
    assert_eq!(app.link_in_email(&message).len(), 43);
}

#[tokio::test]
async fn the_link_token_never_reaches_the_logs() {
    let logs = crate::world::captured_logs();
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Quiet Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    let customer = app.open_link(&token).await;
    let page = customer.card_page().await.unwrap();
    customer.confirm_card(&page, "pm_card_visa").await;
    customer.complete_card_setup().await.unwrap();

    let captured = logs.text();
    assert!(captured.contains("/pay/…"), "the link's request was logged");
    assert!(!captured.contains(&token), "the token appeared in the logs");
    // The cookie-carrying request of the page itself does not leak it either.
    let cookie = format!("cof_link={token}");
    let direct = reqwest::Client::new()
        .post(app.url::<LoadCardPage>())
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::GONE);
    assert!(!logs.text().contains(&token));
}

#[tokio::test]
async fn the_merchant_sets_how_long_links_stay_valid() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Brief Tours")
        .connected(Stripe::Demo)
        .await;
    let set_validity = async |days: &str| {
        shop.call(&UpdateCardLinkValidity {
            card_link_validity_days: days.to_owned(),
        })
        .await
    };
    for bad in ["0", "31", "two", "-1"] {
        let refused = set_validity(bad).await.unwrap_err();
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let settings = set_validity("3").await.unwrap();
    assert_eq!(settings.card_link_validity_days, 3);
    assert_eq!(shop.profile().await.card_request.validity_days, 3);
    shop.send_card_request("").await.unwrap();
    let request = app.card_requests().await.remove(0);
    assert_eq!((request.expires_at - request.created_at).num_days(), 3);
}

/// Reads the event stream until an event of `kind` arrives (bounded: a missing event fails).
async fn next_event(stream: &mut Response, kind: &str) {
    // An event browsers deliver has a data line (they drop events without one).
    let wanted = format!("event: {kind}\ndata: ");
    let mut seen = String::new();
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&wanted) {
                return;
            }
        }
        panic!("the stream ended before `{kind}`");
    })
    .await;
    assert!(outcome.is_ok(), "no `{kind}` event; saw: {seen}");
}

#[tokio::test]
async fn the_profile_stream_announces_changes_to_its_merchant_only() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Live Tours")
        .connected(Stripe::Demo)
        .await;
    let url = format!("{}/events/customers/{}", app.address, shop.customer_id());

    let anonymous = reqwest::get(&url).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let other = app.merchant("Nosy Tours").await;
    let foreign = other.client.get(&url).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    let mut stream = shop.client.get(&url).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream.headers().get(reqwest::header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    next_event(&mut stream, "ready").await;
    // Sending, delivering and opening each announce a change.
    shop.send_card_request("").await.unwrap();
    next_event(&mut stream, "changed").await;
    app.deliver_emails().await;
    next_event(&mut stream, "changed").await;
}

/// A Stripe event as Stripe sends it, signed with `secret`.
fn signed_event(id: &str, kind: &str, object: Value, secret: &str) -> (String, String) {
    let body = serde_json::json!({
        "id": id,
        "object": "event",
        "type": kind,
        "api_version": "2025-09-30.clover",
        "created": Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": object }
    })
    .to_string();
    let signature =
        app::payments::webhook_signature::sign(body.as_bytes(), secret, Utc::now().timestamp());
    (body, signature)
}

#[tokio::test]
async fn duplicate_and_out_of_order_webhooks_change_the_state_once() {
    // Keys pasted by hand: no endpoint is registered at the emulator, so only the events this
    // test delivers arrive — in the order it chooses.
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Order Tours")
        .connected(Stripe::PastedKeys)
        .await;
    let token = shop.send_and_read_link().await;
    let browser = app.open_link(&token).await;
    let page = browser.card_page().await.unwrap();
    let intent = browser.confirm_card(&page, "pm_card_visa").await;
    let deliver =
        async |body: &str, signature: &str| app.deliver_webhook(&shop.id, body, signature).await;

    // payment_method.attached arrives first: acknowledged, nothing recorded yet.
    let (body, signature) = signed_event(
        "evt_attached_1",
        "payment_method.attached",
        serde_json::json!({ "id": intent["payment_method"], "object": "payment_method" }),
        WEBHOOK_SECRET,
    );
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    assert_eq!(app.count("payment_options").await, 0);

    // setup_intent.succeeded, then the same event again, then a second event for the same intent.
    let succeeded = |id: &str| {
        signed_event(
            id,
            "setup_intent.succeeded",
            serde_json::json!({ "id": intent["id"], "object": "setup_intent", "status": "succeeded" }),
            WEBHOOK_SECRET,
        )
    };
    let (body, signature) = succeeded("evt_succeeded_1");
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);
    let (body, signature) = succeeded("evt_succeeded_2");
    assert_eq!(deliver(&body, &signature).await, StatusCode::OK);

    assert_eq!(app.count("stripe_events").await, 3);
    assert_eq!(app.count("payment_options").await, 1);
    assert_eq!(
        app.emails_of_kind(EmailKind::CardSavedNotice).await.len(),
        1
    );
    // The page's own check afterwards answers with the same card.
    let saved = browser.complete_card_setup().await.unwrap();
    assert_eq!(saved.last4, "4242");
    assert_eq!(app.count("payment_options").await, 1);
}

#[tokio::test]
async fn a_client_guessing_tokens_is_stopped_and_the_real_link_still_works_for_its_customer() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Guarded Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    // The guesser connects from another address than the customer (loopback 127.0.0.2).
    let guesser = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let guess = |n: u64| {
        let url = format!("{}/pay/{n:0>43}", app.address);
        let guesser = guesser.clone();
        async move { guesser.get(url).send().await.unwrap().status() }
    };
    for n in 0..MAX_GUESSES_PER_CLIENT {
        assert_eq!(guess(n).await, StatusCode::SEE_OTHER, "guess {n}");
    }
    assert_eq!(guess(1_000).await, StatusCode::TOO_MANY_REQUESTS);
    // Guessing through the page's cookie instead is refused too, as is the real token from there.
    let by_cookie = guesser
        .post(app.url::<LoadCardPage>())
        .header(COOKIE, format!("cof_link={}", "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::TOO_MANY_REQUESTS);
    let real_from_guesser = guesser
        .get(format!("{}/pay/{token}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(real_from_guesser.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.count("link_guesses").await,
        MAX_GUESSES_PER_CLIENT as i64
    );

    // The customer, elsewhere, opens the link as usual.
    let customer = app.open_link(&token).await;
    customer.card_page().await.unwrap();
}

#[tokio::test]
async fn a_link_of_a_merchant_who_disconnected_stripe_says_so() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Paused Tours")
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    shop.call(&DisconnectStripe {}).await.unwrap();
    let refused = app.open_link(&token).await.card_page().await.unwrap_err();
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        refused.error,
        AppError::LinkUnavailable {
            merchant_name: "Paused Tours".to_owned()
        }
    );
}

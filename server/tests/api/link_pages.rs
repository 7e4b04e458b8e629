//! What a customer holding a link reads, and what their link can still do: malformed link
//! addresses (issue 12 item 5), cards confirmed on a link closed meanwhile (item 7), and the
//! server-rendered page for each kind of dead link (RELIABILITY R7).

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, SET_COOKIE};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use crate::world::{
    AppError, Customer, EmailKind, LinkStatus, Stripe, TestApp, eventually, location, spawn_app,
    unknown_link_token,
};

/// The `Set-Cookie` values of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The page behind `/pay` in this customer's browser: its status and its HTML, with the
/// response's CSP nonce (wherever the page carries it) replaced, so two pages can be compared.
async fn pay_page(customer: &Customer) -> (StatusCode, String) {
    let response = customer.get_page("/pay").await;
    let status = response.status();
    let csp = response
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split(['\'', ' '])
        .find_map(|part| part.strip_prefix("nonce-"))
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    (status, html.replace(&nonce, "NONCE"))
}

/// Moves a link's expiry into the past.
async fn expire(app: &TestApp, link: app::entities::customer_link::Model) {
    let mut expired = link.into_active_model();
    expired.expires_at = Set(Utc::now() - chrono::Duration::minutes(1));
    expired.update(&app.db).await.unwrap();
}

#[tokio::test]
async fn a_path_segment_that_is_not_a_token_is_not_found_without_a_lookup_or_an_echo() {
    let app = spawn_app().await;
    let a42 = "A".repeat(42);
    let malformed = [
        "%3Bx".to_owned(),
        "%3Bx%3B%20Domain%3Devil.example".to_owned(),
        "%0D%0ASet-Cookie:%20planted=1".to_owned(),
        "%FF%FE".to_owned(),
        "short".to_owned(),
        a42.clone(),
        format!("{a42}AA"),
        format!("{a42}%2F"),
        format!("{a42}."),
        format!("{a42}%3D"),
    ];
    for segment in &malformed {
        let browser = app.browser();
        let response = browser.get_page(&format!("/pay/{segment}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{segment}");
        // The only cookie set is the one that clears the page cookie: nothing of the segment.
        assert_eq!(
            set_cookies(&response),
            vec!["cof_link=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0".to_owned()],
            "{segment}"
        );
        let to = location(&response).unwrap();
        assert!(to.starts_with("/pay?visit="), "{segment}: {to}");
        let page = browser.get_page(&to).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{segment}");
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("This link is not valid")
        );
    }
    // Nothing was looked up, so nothing was counted against the client.
    assert_eq!(app.count("link_guesses").await, 0);
}

#[tokio::test]
async fn the_card_page_says_what_became_of_each_dead_link() {
    let app = spawn_app().await;
    let shop = app
        .merchant_with_customer("Strict Tours")
        .connected(Stripe::Demo)
        .await;
    let first = shop.send_and_read_link().await;
    let second = shop.send_and_read_link().await;

    // Revoked by the resend.
    let (status, html) = pay_page(&app.open_link(&first).await).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(
        html.contains("<h1>This link has been revoked</h1>"),
        "{html}"
    );
    assert!(html.contains(
        "This link has been revoked: Strict Tours sent you a newer one. Please use the link in \
         their latest email."
    ));

    // Unknown, and the live link with one character changed: the same path, the same page.
    let mut tampered = second.clone().into_bytes();
    tampered[20] = if tampered[20] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (unknown_status, unknown_page) =
        pay_page(&app.open_link(&unknown_link_token()).await).await;
    let (tampered_status, tampered_page) = pay_page(&app.open_link(&tampered).await).await;
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert_eq!(tampered_status, StatusCode::NOT_FOUND);
    assert!(unknown_page.contains("<h1>This link is not valid</h1>"));
    assert!(unknown_page.contains("Check that you opened the whole link from your email"));
    assert_eq!(unknown_page, tampered_page);
    // Each was one lookup that found nothing (and their two pages' lookups, two more).
    assert_eq!(app.count("link_guesses").await, 4);

    // Time runs out for the live one.
    let live = app.card_requests().await.pop().unwrap();
    assert_eq!(live.status, LinkStatus::Pending);
    expire(&app, live).await;
    let (status, html) = pay_page(&app.open_link(&second).await).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("<h1>This link has expired</h1>"), "{html}");
    assert!(html.contains("This link has expired — ask Strict Tours to send a new one."));
}

/// The card page of a link, loaded, and the card confirmed at Stripe after `close` ran.
async fn confirm_after(
    app: &TestApp,
    business: &str,
    close: impl AsyncFnOnce(&crate::world::TestMerchant),
) -> (Customer, Result<(), crate::world::Refused>) {
    let shop = app
        .merchant_with_customer(business)
        .connected(Stripe::Demo)
        .await;
    let token = shop.send_and_read_link().await;
    let customer = app.open_link(&token).await;
    let page = customer.card_page().await.unwrap();
    close(&shop).await;
    customer.confirm_card(&page, "pm_card_visa").await;
    let answer = customer.complete_card_setup().await.map(|_| ());
    // Stripe's setup_intent.succeeded reaches the app too: it is handled, and saves nothing.
    eventually("the setup_intent.succeeded webhook processed", async || {
        use app::entities::stripe_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        stripe_event::Entity::find()
            .filter(stripe_event::Column::EventType.eq("setup_intent.succeeded"))
            .one(&app.db)
            .await
            .unwrap()
            .is_some_and(|event| event.processed_at.is_some())
    })
    .await;
    (customer, answer)
}

#[tokio::test]
async fn a_card_confirmed_after_its_link_was_replaced_is_not_saved_and_the_customer_is_told_why() {
    let app = spawn_app().await;
    let (_, answer) = confirm_after(&app, "Replaced Tours", async |shop| {
        // The merchant resends while the customer is typing their card.
        shop.send_card_request("").await.unwrap();
    })
    .await;
    let refused = answer.unwrap_err();
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(
        refused.error,
        AppError::LinkReplacedBeforeSaving {
            merchant_name: "Replaced Tours".to_owned()
        }
    );
    assert_eq!(
        refused.error.user_message(),
        "Your card was not saved: Replaced Tours sent you a newer link while this one was open. \
         Please use the link in their latest email."
    );
    assert_eq!(app.count("payment_options").await, 0);
    assert!(
        app.emails_of_kind(EmailKind::CardSavedNotice)
            .await
            .is_empty()
    );
    let statuses: Vec<LinkStatus> = app
        .card_requests()
        .await
        .into_iter()
        .map(|link| link.status)
        .collect();
    assert_eq!(statuses, vec![LinkStatus::Revoked, LinkStatus::Pending]);
}

#[tokio::test]
async fn a_card_confirmed_after_its_link_expired_is_not_saved_and_the_customer_is_told_why() {
    let app = spawn_app().await;
    let (_, answer) = confirm_after(&app, "Late Tours", async |_| {
        let link = app.card_requests().await.pop().unwrap();
        expire(&app, link).await;
    })
    .await;
    let refused = answer.unwrap_err();
    assert_eq!(refused.status, StatusCode::GONE);
    assert_eq!(
        refused.error,
        AppError::LinkExpiredBeforeSaving {
            merchant_name: "Late Tours".to_owned()
        }
    );
    assert!(
        refused
            .error
            .user_message()
            .contains("this link expired while it was open — ask Late Tours to send a new one")
    );
    assert_eq!(app.count("payment_options").await, 0);
    assert!(
        app.emails_of_kind(EmailKind::CardSavedNotice)
            .await
            .is_empty()
    );
    assert_eq!(
        app.card_requests().await.pop().unwrap().status,
        LinkStatus::Pending
    );
}

//! Events through async-stripe, list pagination, and the form encodings clients use.

use stripe_core::event::*;

use crate::common::*;

#[tokio::test]
async fn events_retrieve_and_list_with_async_stripe() {
    let env = env().await;
    let customer = env.customer().await;
    let si = env.setup_intent(&customer).await;
    env.browser_confirm(&si, "4242424242424242").await;

    let all = ListEvent::new().limit(100).send(&env.client).await.unwrap();
    assert!(all.data.len() >= 4, "{}", all.data.len());
    let newest = &all.data[0];
    assert!(newest.id.as_str().starts_with("evt_"));
    assert!(
        newest.created >= all.data[all.data.len() - 1].created,
        "newest first"
    );
    let one = RetrieveEvent::new(newest.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(one.id, newest.id);
    assert_eq!(
        one.api_version.as_deref(),
        Some(stripe_shared::version::VERSION.as_str())
    );
    assert!(one.request.unwrap().id.unwrap().starts_with("req_"));

    let only = ListEvent::new()
        .type_("setup_intent.succeeded")
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(only.data.len(), 1);
    assert_eq!(only.data[0].type_.as_str(), "setup_intent.succeeded");
    let several = ListEvent::new()
        .types(vec![
            "customer.created".to_string(),
            "payment_method.attached".to_string(),
        ])
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(several.data.len(), 2);
    let wildcard = ListEvent::new()
        .type_("setup_intent.*")
        .send(&env.client)
        .await
        .unwrap();
    assert!(
        wildcard
            .data
            .iter()
            .all(|e| e.type_.as_str().starts_with("setup_intent."))
    );
    let missing = RetrieveEvent::new("evt_missing")
        .send(&env.client)
        .await
        .unwrap_err();
    assert_eq!(api_error(missing).1, 404);
}

#[tokio::test]
async fn bracket_forms_from_curl_and_stripe_js_decode_the_same() {
    let env = env().await;
    // `[]` lists and percent-encoded brackets, as curl and browsers send them.
    let r = env
        .send(
            env.http
                .post(env.url("/v1/customers"))
                .bearer_auth(&env.sk)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("email=jo%40example.com&metadata%5Bbooking%5D=B-12&preferred_locales[]=fr&preferred_locales[]=en&expand[]=invoice_settings.default_payment_method"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["email"], "jo@example.com");
    assert_eq!(r.json["metadata"]["booking"], "B-12");
    assert_eq!(r.json["preferred_locales"], serde_json::json!(["fr", "en"]));
    let json_body = env
        .send(
            env.http
                .post(env.url("/v1/customers"))
                .bearer_auth(&env.sk)
                .header("Content-Type", "application/json")
                .body("{}"),
        )
        .await;
    assert_eq!(json_body.status, 400);
}

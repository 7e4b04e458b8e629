//! Keys and accounts: test keys accepted (one account per key), live keys refused, errors in
//! Stripe's shape.

use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_emulator::Emulator;

use crate::common::*;

#[tokio::test]
async fn account_parses_with_async_stripe_and_id_is_stable() {
    let env = env().await;
    let account: stripe_shared::Account = RequestBuilder::new(StripeMethod::Get, "/account")
        .customize()
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(account.id.as_str(), Emulator::account_id(&env.sk).unwrap());
    assert!(account.id.as_str().starts_with("acct_"));
    assert_eq!(account.charges_enabled, Some(true));
    let raw = env.get(&env.sk, "/v1/account").await;
    assert_parses::<stripe_shared::Account>(&raw.json);
    assert!(
        raw.headers
            .get("request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    // The same key on another emulator (a restart) is the same account.
    let other = crate::common::env().await;
    let again: stripe_shared::Account = RequestBuilder::new(StripeMethod::Get, "/account")
        .customize()
        .send(&client_for(&other.emu, &env.sk))
        .await
        .unwrap();
    assert_eq!(again.id, account.id);
}

#[tokio::test]
async fn live_keys_are_refused_with_stripe_error_shape() {
    let env = env().await;
    for key in ["sk_live_abc123", "pk_live_abc123", "rk_live_abc123"] {
        let r = env.get(key, "/v1/account").await;
        assert_eq!(r.status, 401, "{key}");
        assert_eq!(r.error()["type"], "invalid_request_error");
        assert!(
            r.error()["message"]
                .as_str()
                .unwrap()
                .contains("refuses live-mode API keys"),
            "{}",
            r.json
        );
    }
    // Through async-stripe too: the error parses as its ApiErrors.
    let live = client_for(&env.emu, "sk_live_abcdef123456");
    let err = stripe_core::customer::CreateCustomer::new()
        .send(&live)
        .await
        .unwrap_err();
    let (e, status) = api_error(err);
    assert_eq!(status, 401);
    assert_eq!(e.type_, stripe::ApiErrorsType::InvalidRequestError);
}

#[tokio::test]
async fn missing_or_invalid_keys_get_401() {
    let env = env().await;
    let r = env.send(env.http.get(env.url("/v1/account"))).await;
    assert_eq!(r.status, 401);
    assert!(
        r.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("You did not provide an API key")
    );
    let r = env.get("sk_nonsense", "/v1/account").await;
    assert_eq!(r.status, 401);
    assert!(
        r.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid API Key provided: ")
    );
    assert_eq!(r.error()["type"], "invalid_request_error");
}

#[tokio::test]
async fn basic_auth_with_the_key_as_user_works() {
    let env = env().await;
    let r = env
        .send(
            env.http
                .get(env.url("/v1/account"))
                .basic_auth(&env.sk, Some("")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["object"], "account");
}

#[tokio::test]
async fn each_key_is_its_own_account() {
    let env = env().await;
    let customer = env.customer().await;
    let other = client_for(&env.emu, "sk_test_someoneelse");
    let err = stripe_core::customer::RetrieveCustomer::new(customer.as_str())
        .send(&other)
        .await
        .unwrap_err();
    let (e, status) = api_error(err);
    assert_eq!(status, 404);
    assert_eq!(e.code, Some(stripe::ApiErrorsCode::ResourceMissing));
    assert_ne!(
        Emulator::account_id("sk_test_someoneelse"),
        Emulator::account_id(&env.sk)
    );
    assert_eq!(Emulator::account_id(&env.pk), Emulator::account_id(&env.sk));
    assert_eq!(Emulator::publishable_key(&env.sk).unwrap(), env.pk);
}

#[tokio::test]
async fn publishable_key_cannot_call_secret_endpoints() {
    let env = env().await;
    for (method, path) in [
        ("POST", "/v1/customers"),
        ("GET", "/v1/account"),
        ("POST", "/v1/setup_intents"),
        ("POST", "/v1/payment_intents"),
    ] {
        let req = if method == "POST" {
            env.http.post(env.url(path))
        } else {
            env.http.get(env.url(path))
        };
        let r = env.send(req.bearer_auth(&env.pk)).await;
        assert_eq!(r.status, 401, "{path}");
        assert!(
            r.error()["message"]
                .as_str()
                .unwrap()
                .contains("publishable API key")
        );
    }
}

#[tokio::test]
async fn unknown_routes_get_stripe_404() {
    let env = env().await;
    let r = env.get(&env.sk, "/v1/nothing_here").await;
    assert_eq!(r.status, 404);
    assert!(
        r.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("Unrecognized request URL (GET: /v1/nothing_here)")
    );
    // CORS preflight, as browsers send before publishable-key calls.
    let pre = env
        .http
        .request(reqwest::Method::OPTIONS, env.url("/v1/payment_methods"))
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn stripe_js_is_served_from_the_emulator_origin() {
    let env = env().await;
    let script = env.http.get(env.url("/v3/")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // The API is still answered around it.
    assert_eq!(env.get(&env.sk, "/v1/account").await.status, 200);
}

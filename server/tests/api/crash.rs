//! R3 with a real crash: the server binary runs as a child process and is killed (SIGKILL) while
//! Stripe — the emulator, in this test process so it outlives the server — has made the charge and
//! holds back the answer. Restarted on the same database, the server's start-up reconciler settles
//! the charge from Stripe: nothing lost, no second PaymentIntent.

use std::time::{Duration, Instant};

use app::entities::{activity, charge, customer, new_id};
use app::payments::operations::SetupState;
use app::payments::{StripeAccount, StripeEndpoint};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::SecretString;
use stripe_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Method, ObjectKind};

use crate::world::{
    Browser, ChargePaymentOption, ChargeStatus, ServerCommand, WEBHOOK_SECRET, confirmation_token,
    free_port, insert_card, test_keys,
};

#[tokio::test]
async fn a_server_killed_between_the_stripe_call_and_the_commit_settles_the_charge_after_restart() {
    let emulator = Emulator::start(EmulatorConfig::in_memory("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let master_key = app::crypto::SecretBox::generate_key();
    // Its own SQLite file; the same port after the restart.
    let setup = ServerCommand::new(
        &format!("sqlite://{}/app.db?mode=rwc", dir.path().display()),
        &master_key,
        &emulator.base_url(),
    )
    .on_port(free_port())
    .env("APP__SMTP__WORKER", "false")
    // Patient: the charge below must still be waiting for Stripe when it is killed…
    .env("APP__STRIPE__REQUEST_TIMEOUT_MS", "60000")
    // …and a request timeout longer than such a Stripe call with its retries.
    .env("APP__SERVER__REQUEST_TIMEOUT_MS", "240000")
    .env("APP__STRIPE__RECONCILE_AFTER_SECS", "0");
    let server = setup.start().await;

    // A merchant with pasted test keys, a customer and a Visa on file.
    let merchant = Browser::new(&server.address, Duration::from_secs(120));
    let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
    let signed_up = merchant
        .sign_up("Crash Tours", "Owner Name", &email, "correct horse battery")
        .await;
    assert_eq!(signed_up.status(), StatusCode::OK);
    let db = Database::connect(&setup.database_url).await.unwrap();
    let secrets =
        app::crypto::SecretBox::from_base64_key(&SecretString::from(master_key.clone())).unwrap();
    let token = confirmation_token(&db, &secrets, &server.address, &email).await;
    let confirmed = merchant.get_page(&format!("/confirm-email/{token}")).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let (pk, sk) = test_keys();
    merchant
        .connect_stripe(&pk, &sk, WEBHOOK_SECRET)
        .await
        .unwrap();
    let created = merchant
        .create_customer("Jane", "Doe", "jane@example.com", "")
        .await;
    let customer_id = created.id;
    let account = StripeAccount::new(
        &SecretString::from(sk.clone()),
        &StripeEndpoint {
            api_base: Some(emulator.base_url()),
            ..StripeEndpoint::default()
        },
    )
    .unwrap();
    let stripe_customer = account
        .create_customer("Jane Doe", None, &customer_id, &new_id())
        .await
        .unwrap();
    let intent = account
        .create_setup_intent(&stripe_customer, &new_id())
        .await
        .unwrap();
    let SetupState::Succeeded { payment_method_id } = account
        .confirm_setup_intent(&intent.id, "pm_card_visa")
        .await
        .unwrap()
        .state
    else {
        panic!("the Visa did not set up");
    };
    customer::Entity::update_many()
        .col_expr(
            customer::Column::StripeCustomerId,
            Expr::value(stripe_customer),
        )
        .filter(customer::Column::Id.eq(customer_id.as_str()))
        .exec(&db)
        .await
        .unwrap();
    let option = insert_card(&db, &customer_id, &payment_method_id, "visa", "4242", true).await;

    // Stripe makes the PaymentIntent and holds the answer; the server waits for it…
    emulator.inject_fault(Fault::new(
        Method::POST,
        "/v1/payment_intents",
        FaultKind::DelayAfterProcessing(Duration::from_secs(120)),
    ));
    let key = uuid::Uuid::new_v4().simple().to_string();
    let request = merchant.request(&ChargePaymentOption {
        customer_id: customer_id.clone(),
        payment_option_id: option.clone(),
        amount: "42".to_owned(),
        description: "Sunset kayak tour".to_owned(),
        booking_id: None,
        request_key: key,
        send_receipt: None,
        confirm_duplicate: None,
    });
    let charging = tokio::spawn(request.send());
    let deadline = Instant::now() + Duration::from_secs(30);
    while emulator.count(&sk, ObjectKind::PaymentIntent) == 0 {
        assert!(Instant::now() < deadline, "Stripe never got the charge");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …and dies before it can record anything.
    drop(server);
    assert!(
        charging.await.unwrap().is_err(),
        "the request died with the server"
    );
    let rows = charge::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, ChargeStatus::Pending);
    assert!(rows[0].stripe_payment_intent_id.is_none());

    // Restarted on the same database: the reconciler settles the charge from Stripe at start-up.
    emulator.clear_faults();
    let _restarted = setup.start().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = charge::Entity::find_by_id(rows[0].id.clone())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        if row.status == ChargeStatus::Succeeded {
            assert!(row.stripe_payment_intent_id.is_some());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the charge stayed {}",
            row.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        emulator.count(&sk, ObjectKind::PaymentIntent),
        1,
        "no second charge"
    );
    assert_eq!(charge::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(
        activity::Entity::find()
            .filter(activity::Column::Kind.eq("charge_succeeded"))
            .count(&db)
            .await
            .unwrap(),
        1
    );
}

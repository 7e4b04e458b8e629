//! Customers through async-stripe: create, retrieve, update, delete, list payment methods;
//! form decoding (metadata brackets), unknown parameters, 404s.

use std::collections::HashMap;

use stripe_core::customer::*;

use crate::common::*;

#[tokio::test]
async fn create_retrieve_update_with_async_stripe() {
    let env = env().await;
    let created = CreateCustomer::new()
        .email("jenny@example.com")
        .name("Jenny Rosen")
        .metadata(HashMap::from([(
            "order id".to_string(),
            "a&b=c [x]".to_string(),
        )]))
        .send(&env.client)
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("cus_"));
    assert_eq!(created.email.as_deref(), Some("jenny@example.com"));
    assert!(!created.livemode);
    assert_eq!(created.metadata.as_ref().unwrap()["order id"], "a&b=c [x]");

    let got = RetrieveCustomer::new(created.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    match got {
        RetrieveCustomerReturned::Customer(c) => assert_eq!(c.name.as_deref(), Some("Jenny Rosen")),
        other => panic!("expected a customer, got {other:?}"),
    }

    let updated = UpdateCustomer::new(created.id.clone())
        .name("Jenny R.")
        .metadata(HashMap::from([
            ("order id".to_string(), String::new()),
            ("tier".to_string(), "gold".to_string()),
        ]))
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Jenny R."));
    let md = updated.metadata.unwrap();
    assert!(
        !md.contains_key("order id"),
        "an empty value removes the key, as at Stripe"
    );
    assert_eq!(md["tier"], "gold");

    let deleted = DeleteCustomer::new(created.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(deleted.id, created.id);
    let got = RetrieveCustomer::new(created.id.clone())
        .send(&env.client)
        .await
        .unwrap();
    assert!(
        matches!(got, RetrieveCustomerReturned::DeletedCustomer(_)),
        "{got:?}"
    );

    let types = event_types(&env);
    assert_eq!(
        types,
        ["customer.created", "customer.updated", "customer.deleted"]
    );
    assert_events_parse(&env);
}

#[tokio::test]
async fn unknown_customer_is_404_resource_missing_with_param() {
    let env = env().await;
    let err = RetrieveCustomer::new("cus_doesnotexist")
        .send(&env.client)
        .await
        .unwrap_err();
    let (e, status) = api_error(err);
    assert_eq!(status, 404);
    assert_eq!(e.code, Some(stripe::ApiErrorsCode::ResourceMissing));
    assert_eq!(e.param.as_deref(), Some("id"));
    assert_eq!(
        e.message.as_deref(),
        Some("No such customer: 'cus_doesnotexist'")
    );
    assert_eq!(
        e.doc_url.as_deref(),
        Some("https://stripe.com/docs/error-codes/resource-missing")
    );
    // A missing customer given as a parameter names that parameter.
    let r = env
        .post(&env.sk, "/v1/setup_intents", &[("customer", "cus_nope")])
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error()["param"], "customer");
}

#[tokio::test]
async fn unknown_and_invalid_parameters_are_refused() {
    let env = env().await;
    let r = env
        .post(&env.sk, "/v1/customers", &[("emial", "x@example.com")])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error()["code"], "parameter_unknown");
    assert_eq!(r.error()["param"], "emial");
    assert_eq!(r.error()["message"], "Received unknown parameter: emial");
    let r = env
        .post(&env.sk, "/v1/customers", &[("email", "not an email")])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error()["param"], "email");
    let r = env
        .post(
            &env.sk,
            "/v1/payment_intents",
            &[("amount", "12x"), ("currency", "usd")],
        )
        .await;
    assert_eq!(r.error()["code"], "parameter_invalid_integer");
    let r = env
        .post(&env.sk, "/v1/payment_intents", &[("currency", "usd")])
        .await;
    assert_eq!(r.error()["code"], "parameter_missing");
    assert_eq!(r.error()["param"], "amount");
}

#[tokio::test]
async fn list_payment_methods_of_a_customer() {
    let env = env().await;
    let customer = env.customer().await;
    for pm in ["pm_card_visa", "pm_card_mastercard"] {
        stripe_payment::payment_method::AttachPaymentMethod::new(pm)
            .customer(customer.as_str())
            .send(&env.client)
            .await
            .unwrap();
    }
    let list = ListPaymentMethodsCustomer::new(customer.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(list.data.len(), 2);
    // Newest first.
    assert_eq!(list.data[0].card.as_ref().unwrap().brand, "mastercard");
    assert_eq!(list.data[1].card.as_ref().unwrap().last4, "4242");
    assert_eq!(
        list.url,
        format!("/v1/customers/{customer}/payment_methods")
    );
    let page = ListPaymentMethodsCustomer::new(customer.as_str())
        .limit(1)
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    assert!(page.has_more);
    let next = ListPaymentMethodsCustomer::new(customer.as_str())
        .limit(1)
        .starting_after(page.data[0].id.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(next.data[0].id, list.data[1].id);
    assert!(!next.has_more);
    let one = RetrievePaymentMethodCustomer::new(customer.as_str(), list.data[0].id.as_str())
        .send(&env.client)
        .await
        .unwrap();
    assert_eq!(one.id, list.data[0].id);

    // Default payment method must be one of the customer's.
    let pm = list.data[0].id.to_string();
    let c = UpdateCustomer::new(customer.as_str())
        .invoice_settings(UpdateCustomerInvoiceSettings {
            default_payment_method: Some(pm.clone()),
            ..Default::default()
        })
        .send(&env.client)
        .await
        .unwrap();
    let default = c.invoice_settings.unwrap().default_payment_method.unwrap();
    assert_eq!(default.id().as_str(), pm);
}

//! `make run` after `make run`: the demo's emulator keeps its state in `data/`, so the seeded
//! merchant keeps its Stripe connection and account, and the cards saved in the first run still
//! charge in the second.

use server::seed::DEMO_EMAIL;

use crate::world::{ChargeStatus, DemoData, TestMerchant};

#[tokio::test]
async fn a_restarted_demo_keeps_its_stripe_account_and_its_cards_still_charge() {
    let data = DemoData::new();
    let (first_run, password) = data.start().await;
    let demo = TestMerchant::signed_in(&first_run, DEMO_EMAIL, &password, "ada@example.com").await;
    let account = demo.settings().await.stripe.account_id;
    assert!(account.is_some(), "the seeded demo is connected");
    let card = demo.add_card("pm_card_visa").await;
    drop(demo);
    first_run.stop().await;

    let (second_run, password) = data.start().await;
    let demo = TestMerchant::signed_in(&second_run, DEMO_EMAIL, &password, "ada@example.com").await;
    assert_eq!(
        demo.settings().await.stripe.account_id,
        account,
        "the same Stripe account as before the restart"
    );
    let cards = demo.profile().await.cards.payment_options;
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].id, card.id);
    let charge = demo.charge(&card.id, "25.00", None).await.unwrap();
    assert_eq!(charge.status, ChargeStatus::Succeeded, "{charge:?}");
    // Events still reach the app: the webhook endpoint follows the app to its new address.
    demo.send_card_request("").await.unwrap();
}

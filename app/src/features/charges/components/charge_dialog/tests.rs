//! Unit tests of the Charge dialog's form state.

use super::*;
use crate::cards::CardView;
use crate::features::bookings::dto::BookingView;
use crate::features::payment_options::dto::ExpiryState;

fn option(id: &str, last4: &str, is_default: bool, expiry: ExpiryState) -> PaymentOptionView {
    PaymentOptionView {
        id: id.into(),
        card: CardView {
            brand: "Visa".into(),
            last4: last4.into(),
            exp_month: 12,
            exp_year: 2034,
        },
        expiry,
        is_default,
        added_by: "Added by Sam Staff".into(),
        added_on: "2026-01-02".into(),
        backs_bookings_due: Vec::new(),
        unusable: None,
    }
}

fn payments(options: Vec<PaymentOptionView>) -> CardsOnFile {
    CardsOnFile {
        payment_options: options,
        payments_blocked_reason: None,
        currency: "usd".into(),
    }
}

fn booking(balance: i64, card: Option<&str>) -> BookingView {
    BookingView {
        id: "b1".into(),
        customer_id: "c1".into(),
        customer_name: "Jane Doe".into(),
        title: "Sunset kayak tour".into(),
        starts_at: "2026-07-01 18:00".into(),
        participants: 2,
        currency: "usd".into(),
        total: 12_000,
        paid: 12_000 - balance,
        refunded: 0,
        balance,
        total_text: "$120.00".into(),
        paid_text: "$0.00".into(),
        balance_text: "$120.00".into(),
        status_label: "Not paid".into(),
        card: None,
        payment_option_id: card.map(Into::into),
    }
}

#[test]
fn a_booking_prefills_its_balance_title_and_card() {
    let p = payments(vec![
        option("po1", "4242", true, ExpiryState::Valid),
        option("po2", "4444", false, ExpiryState::ExpiringSoon),
    ]);
    let target = ChargeTarget::Booking(booking(12_050, Some("po2")));
    let form = ChargeForm::new(&target, "c1".into(), true, Some(&p));
    assert_eq!(form.amount, "120.50");
    assert_eq!(form.description, "Sunset kayak tour");
    assert_eq!(form.booking_id, "b1");
    assert_eq!(form.selected_card.as_deref(), Some("po2"));
    assert_eq!(form.blocked, None);
    assert_eq!(form.cards[0].1, "Visa •••• 4242 — expires 12/34 (default)");
}

#[test]
fn the_customer_starts_empty_with_the_default_card_and_expired_cards_left_out() {
    let p = payments(vec![
        option("old", "0002", false, ExpiryState::Expired),
        option("po1", "4242", false, ExpiryState::Valid),
        option("po2", "4444", true, ExpiryState::Valid),
    ]);
    let form = ChargeForm::new(&ChargeTarget::Customer, "c1".into(), false, Some(&p));
    assert_eq!(form.amount, "");
    assert_eq!(form.description, "");
    assert_eq!(form.booking_id, "");
    assert_eq!(form.selected_card.as_deref(), Some("po2"));
    assert_eq!(form.cards.len(), 2);
    assert!(form.cards.iter().all(|(id, _)| id != "old"));
}

#[test]
fn a_booking_whose_card_is_gone_falls_back_to_the_default() {
    let p = payments(vec![option("po1", "4242", true, ExpiryState::Valid)]);
    let target = ChargeTarget::Booking(booking(5_000, Some("removed")));
    let form = ChargeForm::new(&target, "c1".into(), true, Some(&p));
    assert_eq!(form.selected_card.as_deref(), Some("po1"));
}

#[test]
fn nothing_to_charge_says_why() {
    let only_expired = payments(vec![option("old", "0002", true, ExpiryState::Expired)]);
    let form = ChargeForm::new(
        &ChargeTarget::Customer,
        "c1".into(),
        true,
        Some(&only_expired),
    );
    assert_eq!(form.blocked.as_deref(), Some("Add a card first"));

    let mut disconnected = payments(vec![option("po1", "4242", true, ExpiryState::Valid)]);
    disconnected.payments_blocked_reason =
        Some("Connect MioPay (Stripe) in Settings first.".into());
    let form = ChargeForm::new(
        &ChargeTarget::Customer,
        "c1".into(),
        true,
        Some(&disconnected),
    );
    assert_eq!(
        form.blocked.as_deref(),
        Some("Connect MioPay (Stripe) in Settings first.")
    );
}

#[test]
fn a_card_saved_in_another_stripe_account_is_not_offered_even_as_the_default() {
    let mut other_account = option("po1", "4242", true, ExpiryState::Valid);
    other_account.unusable = Some("Saved in another Stripe account.".into());
    let p = payments(vec![
        other_account.clone(),
        option("po2", "4444", false, ExpiryState::Valid),
    ]);
    let form = ChargeForm::new(&ChargeTarget::Customer, "c1".into(), false, Some(&p));
    assert_eq!(form.selected_card.as_deref(), Some("po2"));
    assert_eq!(form.cards.len(), 1);

    let only_other = payments(vec![other_account]);
    let form = ChargeForm::new(
        &ChargeTarget::Customer,
        "c1".into(),
        false,
        Some(&only_other),
    );
    assert_eq!(form.blocked.as_deref(), Some("Add a card first"));
}

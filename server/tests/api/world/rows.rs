//! Rows a test puts in place directly, where the flow that makes them is tested elsewhere: a card
//! on file (the card link and Create Payment Option have their own tests) and a booking.

use app::entities::{booking, customer, new_id, payment_option, staff_user};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// A card on file of `customer_id`, as a card link leaves it (expires 12/2034). The caller says
/// which Stripe PaymentMethod it stands for: a real one at the emulator when it will be charged.
pub async fn insert_card(
    db: &impl ConnectionTrait,
    customer_id: &str,
    stripe_payment_method_id: &str,
    brand: &str,
    last4: &str,
    is_default: bool,
) -> String {
    let owner = customer_row(db, customer_id).await;
    let now = Utc::now();
    payment_option::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(owner.merchant_id),
        customer_id: Set(owner.id),
        stripe_payment_method_id: Set(stripe_payment_method_id.to_owned()),
        // Not known: counted as the merchant's current account.
        stripe_account_id: Set(None),
        stripe_livemode: Set(None),
        brand: Set(brand.to_owned()),
        last4: Set(last4.to_owned()),
        exp_month: Set(12),
        exp_year: Set(2034),
        is_default: Set(is_default),
        source: Set(app::states::CardSource::CustomerLink),
        added_by_staff_id: Set(None),
        card_request_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        removed_at: Set(None),
        removed_by_staff_id: Set(None),
        removal_reason: Set(None),
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// What a booking owes: `total` in USD cents, of which `paid` was charged and `refunded` given
/// back.
pub struct Amounts {
    pub total: i64,
    pub paid: i64,
    pub refunded: i64,
}

impl Amounts {
    /// Nothing paid yet of `total`.
    pub fn unpaid(total: i64) -> Self {
        Self {
            total,
            paid: 0,
            refunded: 0,
        }
    }
}

/// A booking of `customer_id`, made by the merchant's first staff member, a week ahead, to be paid
/// by `card`.
pub async fn insert_booking(
    db: &impl ConnectionTrait,
    customer_id: &str,
    title: &str,
    amounts: Amounts,
    card: Option<&str>,
) -> String {
    let owner = customer_row(db, customer_id).await;
    let staff = staff_user::Entity::find()
        .filter(staff_user::Column::MerchantId.eq(owner.merchant_id.as_str()))
        .one(db)
        .await
        .unwrap()
        .expect("the merchant has a staff member");
    let now = Utc::now();
    booking::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(owner.merchant_id),
        customer_id: Set(owner.id),
        title: Set(title.to_owned()),
        starts_at: Set(now + Duration::days(7)),
        participants: Set(2),
        total_amount: Set(amounts.total),
        currency: Set("usd".to_owned()),
        paid_amount: Set(amounts.paid),
        refunded_amount: Set(amounts.refunded),
        payment_option_id: Set(card.map(ToOwned::to_owned)),
        created_by_staff_id: Set(staff.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn customer_row(db: &impl ConnectionTrait, id: &str) -> customer::Model {
    customer::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
        .unwrap()
        .expect("the customer exists")
}

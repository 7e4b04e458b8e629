//! Charges, read side: the profile's Payments — each charge with its card, booking and refunds,
//! in five queries whatever the number of rows.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::dto::{ChargeView, RefundView};
use super::parse::{CONFIRMATION_EXPIRED, NEVER_SENT, currency_of, decline_reason};
use crate::entities::{booking, charge, payment_option, refund};
use crate::error::AppError;
use crate::features::activity::view::staff_names;
use crate::features::payment_options::view::card_label;
use crate::ids::{CustomerId, MerchantId};
use crate::money::{Currency, refundable};
use crate::states::{ChargeStatus, RefundStatus};
use crate::time::minute;

/// How many charges the profile lists, newest first.
const SHOWN: u64 = 100;

pub fn status_label(charge: &charge::Model) -> String {
    match charge.status {
        ChargeStatus::Succeeded if charge.refunded_amount >= charge.amount => "Refunded".to_owned(),
        ChargeStatus::Succeeded if charge.refunded_amount > 0 => "Partly refunded".to_owned(),
        ChargeStatus::Succeeded => "Succeeded".to_owned(),
        ChargeStatus::RequiresAction => "Waiting for the customer to confirm".to_owned(),
        ChargeStatus::Failed if charge.failure_code.as_deref() == Some(CONFIRMATION_EXPIRED) => {
            "Not confirmed — the customer's link expired".to_owned()
        }
        ChargeStatus::Failed if charge.failure_code.as_deref() == Some(NEVER_SENT) => {
            "Not charged — it never reached Stripe".to_owned()
        }
        ChargeStatus::Failed => format!(
            "Declined: {}",
            decline_reason(
                charge.failure_code.as_deref().unwrap_or("card_declined"),
                charge.decline_code.as_deref()
            )
        ),
        ChargeStatus::Pending => "Pending — waiting for Stripe's answer".to_owned(),
        ChargeStatus::Unknown => "Unknown — check Stripe".to_owned(),
    }
}

/// The customer's charges with their refunds: five queries, whatever the number of rows.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Vec<ChargeView>, AppError> {
    let charges = charge::Entity::find()
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::CustomerId.eq(customer_id))
        .order_by_desc(charge::Column::CreatedAt)
        .limit(SHOWN)
        .all(db)
        .await?;
    if charges.is_empty() {
        return Ok(Vec::new());
    }
    let related = Related::load(db, merchant_id.as_str(), &charges).await?;
    charges
        .into_iter()
        .map(|c| related.charge_view(c))
        .collect()
}

/// What the charges of one list point at, each read in one query.
struct Related {
    refunds: Vec<refund::Model>,
    options: HashMap<String, payment_option::Model>,
    booking_titles: HashMap<String, String>,
    staff_names: HashMap<String, String>,
}

impl Related {
    async fn load(
        db: &impl ConnectionTrait,
        merchant_id: &str,
        charges: &[charge::Model],
    ) -> Result<Self, AppError> {
        let charge_ids: Vec<String> = charges.iter().map(|c| c.id.clone()).collect();
        let booking_ids: Vec<String> = charges
            .iter()
            .filter_map(|c| c.booking_id.clone())
            .collect();
        // These three need only the charges: each takes a pooled connection of its own, so the
        // list waits for the slowest (in a transaction they simply take turns). The staff names
        // need the refunds' authors, so they come after.
        let (refunds, options, booking_titles) = tokio::try_join!(
            async {
                Ok::<_, AppError>(
                    refund::Entity::find()
                        .filter(refund::Column::MerchantId.eq(merchant_id))
                        .filter(refund::Column::ChargeId.is_in(charge_ids))
                        .order_by_asc(refund::Column::CreatedAt)
                        .all(db)
                        .await?,
                )
            },
            async {
                Ok::<_, AppError>(
                    payment_option::Entity::find()
                        .filter(payment_option::Column::MerchantId.eq(merchant_id))
                        .filter(
                            payment_option::Column::Id
                                .is_in(charges.iter().map(|c| c.payment_option_id.clone())),
                        )
                        .all(db)
                        .await?
                        .into_iter()
                        .map(|o| (o.id.clone(), o))
                        .collect::<HashMap<_, _>>(),
                )
            },
            async {
                if booking_ids.is_empty() {
                    return Ok::<_, AppError>(HashMap::new());
                }
                Ok(booking::Entity::find()
                    .filter(booking::Column::MerchantId.eq(merchant_id))
                    .filter(booking::Column::Id.is_in(booking_ids))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|b| (b.id, b.title))
                    .collect())
            },
        )?;
        let staff_names = staff_names(
            db,
            merchant_id,
            charges
                .iter()
                .map(|c| c.created_by_staff_id.clone())
                .chain(refunds.iter().filter_map(|r| r.created_by_staff_id.clone())),
        )
        .await?;
        Ok(Self {
            refunds,
            options,
            booking_titles,
            staff_names,
        })
    }

    fn name_of(&self, staff_id: &str) -> String {
        self.staff_names
            .get(staff_id)
            .cloned()
            .unwrap_or_else(|| "A staff member".to_owned())
    }

    fn refund_view(&self, r: &refund::Model, currency: Currency) -> RefundView {
        RefundView {
            id: r.id.clone(),
            amount: r.amount,
            amount_text: currency.format(r.amount),
            reason: r.reason.clone(),
            status: r.status,
            status_label: match r.status {
                RefundStatus::Succeeded => "Refunded".to_owned(),
                RefundStatus::Failed => format!(
                    "Refund failed: {}",
                    r.failure_message.as_deref().unwrap_or("Stripe refused it")
                ),
                RefundStatus::Pending => "Refund pending".to_owned(),
            },
            by: r
                .created_by_staff_id
                .as_deref()
                .map_or_else(|| "Stripe dashboard".to_owned(), |id| self.name_of(id)),
            at: minute(r.created_at),
        }
    }

    fn charge_view(&self, c: charge::Model) -> Result<ChargeView, AppError> {
        let currency = currency_of(&c.currency)?;
        let refunds = self
            .refunds
            .iter()
            .filter(|r| r.charge_id == c.id)
            .map(|r| self.refund_view(r, currency))
            .collect();
        // A pending refund is not refundable again (the Refund form refuses it too).
        let pending: i64 = self
            .refunds
            .iter()
            .filter(|r| r.charge_id == c.id && r.status == RefundStatus::Pending)
            .map(|r| r.amount)
            .sum();
        let left = if c.status == ChargeStatus::Succeeded {
            refundable(c.amount, c.refunded_amount + pending)
        } else {
            0
        };
        Ok(ChargeView {
            booking_title: c
                .booking_id
                .as_ref()
                .and_then(|id| self.booking_titles.get(id).cloned()),
            booking_id: c.booking_id.clone(),
            amount_text: currency.format(c.amount),
            card: self
                .options
                .get(&c.payment_option_id)
                .map_or_else(|| "Card".to_owned(), card_label),
            status_label: status_label(&c),
            refunded_text: currency.format(c.refunded_amount),
            refundable: left,
            refundable_text: currency.format(left),
            refunds,
            by: self.name_of(&c.created_by_staff_id),
            at: minute(c.created_at),
            failure_code: c.failure_code.clone(),
            refunded: c.refunded_amount,
            status: c.status,
            amount: c.amount,
            currency: c.currency.clone(),
            description: c.description.clone(),
            id: c.id,
        })
    }
}

pub async fn charge_view(
    db: &impl ConnectionTrait,
    row: &charge::Model,
) -> Result<ChargeView, AppError> {
    // The profile's own rendering, so a dialog and the list never disagree.
    for_customer(
        db,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?
    .into_iter()
    .find(|c| c.id == row.id)
    .ok_or_else(|| AppError::internal("charge missing from its customer's list"))
}

//! Bookings, read side: the Bookings page (keyset pages by start time) and the profile's
//! bookings. Every list loads its customers' names and cards in one query each.

use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, NaiveTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::dto::{BookingPage, BookingView};
use super::input::show_starts_at;
use crate::cards::card_view;
use crate::entities::{booking, customer, payment_option};
use crate::error::AppError;
use crate::features::customers::dto::full_name;
use crate::ids::{CustomerId, MerchantId};
use crate::money::{Currency, balance_due};

/// Rows per page of the Bookings page.
pub const PAGE_SIZE: u64 = 25;
/// The profile shows this many bookings, latest start first.
const SHOWN_ON_PROFILE: u64 = 100;

/// An amount for people, in the booking's own currency. A currency no longer offered still
/// shows its amount, in minor units with its code.
fn money_text(currency: &str, minor: i64) -> String {
    match Currency::parse(currency) {
        Ok(c) => c.format(minor),
        Err(_) => format!("{minor} {}", currency.to_uppercase()),
    }
}

/// "Paid", "Balance due", "Not paid" or "Credit". What counts as paid is what stayed paid: a
/// booking whose payment was refunded in full is "Not paid" again.
pub fn status_label(balance: i64, paid: i64, refunded: i64) -> &'static str {
    let kept = paid.saturating_sub(refunded);
    if balance < 0 {
        "Credit"
    } else if balance == 0 && kept > 0 {
        "Paid"
    } else if kept > 0 {
        "Balance due"
    } else {
        "Not paid"
    }
}

fn card_text(card: &payment_option::Model) -> String {
    let text = card_view(&card.brand, &card.last4, card.exp_month, card.exp_year).describe();
    if card.removed_at.is_some() {
        format!("{text} (removed)")
    } else {
        text
    }
}

pub(super) fn to_view(
    b: booking::Model,
    customer_name: String,
    card: Option<&payment_option::Model>,
) -> BookingView {
    let balance = balance_due(b.total_amount, b.paid_amount, b.refunded_amount);
    BookingView {
        customer_id: b.customer_id,
        customer_name,
        title: b.title,
        starts_at: show_starts_at(b.starts_at),
        participants: u32::try_from(b.participants).unwrap_or(0),
        total_text: money_text(&b.currency, b.total_amount),
        paid_text: money_text(&b.currency, b.paid_amount),
        balance_text: money_text(&b.currency, balance),
        status_label: status_label(balance, b.paid_amount, b.refunded_amount).to_owned(),
        card: card.map(card_text),
        payment_option_id: b.payment_option_id,
        currency: b.currency,
        total: b.total_amount,
        paid: b.paid_amount,
        refunded: b.refunded_amount,
        balance,
        id: b.id,
    }
}

/// Views of `rows`, in their order: the customers' names and the cards in one query each.
pub async fn views(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    rows: Vec<booking::Model>,
) -> Result<Vec<BookingView>, AppError> {
    let mut customer_ids: Vec<String> = rows.iter().map(|b| b.customer_id.clone()).collect();
    customer_ids.sort();
    customer_ids.dedup();
    let mut card_ids: Vec<String> = rows
        .iter()
        .filter_map(|b| b.payment_option_id.clone())
        .collect();
    card_ids.sort();
    card_ids.dedup();
    // Neither read needs the other: each takes a pooled connection of its own, so the list
    // waits for the slower one, not for both (in a transaction they simply take turns).
    let (names, cards) = tokio::try_join!(
        async {
            if customer_ids.is_empty() {
                return Ok::<_, AppError>(HashMap::new());
            }
            Ok(customer::Entity::find()
                .filter(customer::Column::MerchantId.eq(merchant_id))
                .filter(customer::Column::Id.is_in(customer_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, full_name(&c.first_name, &c.last_name)))
                .collect::<HashMap<String, String>>())
        },
        async {
            if card_ids.is_empty() {
                return Ok::<_, AppError>(HashMap::new());
            }
            Ok(payment_option::Entity::find()
                .filter(payment_option::Column::MerchantId.eq(merchant_id))
                .filter(payment_option::Column::Id.is_in(card_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect::<HashMap<String, payment_option::Model>>())
        },
    )?;
    Ok(rows
        .into_iter()
        .map(|b| {
            let name = names.get(&b.customer_id).cloned().unwrap_or_default();
            let card = b.payment_option_id.as_ref().and_then(|id| cards.get(id));
            to_view(b, name, card)
        })
        .collect())
}

/// A position in the Bookings list: the start time and id of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    starts_at: DateTime<Utc>,
    id: String,
}

impl Cursor {
    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}\n{}",
            self.starts_at.timestamp(),
            self.id
        ))
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (seconds, id) = text.split_once('\n')?;
        Some(Self {
            starts_at: DateTime::from_timestamp(seconds.parse().ok()?, 0)?,
            id: id.to_owned(),
        })
    }
}

/// The Bookings page: soonest first from the start of today (UTC, like the stored times), or
/// every booking with `include_past`; the next page continues after `after`.
pub async fn list(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    include_past: bool,
    after: Option<&str>,
) -> Result<BookingPage, AppError> {
    let after = match after.filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| {
            AppError::field(
                "cursor",
                "This page link is not valid. Go back to the first page.",
            )
        })?),
    };
    let mut select = booking::Entity::find().filter(booking::Column::MerchantId.eq(merchant_id));
    if !include_past {
        let today = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
        select = select.filter(booking::Column::StartsAt.gte(today));
    }
    if let Some(c) = &after {
        select = select.filter(
            Condition::any()
                .add(booking::Column::StartsAt.gt(c.starts_at))
                .add(
                    Condition::all()
                        .add(booking::Column::StartsAt.eq(c.starts_at))
                        .add(booking::Column::Id.gt(c.id.clone())),
                ),
        );
    }
    let mut rows = select
        .order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_cursor = rows.last().filter(|_| more).map(|b| {
        Cursor {
            starts_at: b.starts_at,
            id: b.id.clone(),
        }
        .encode()
    });
    Ok(BookingPage {
        items: views(db, merchant_id, rows).await?,
        next_cursor,
    })
}

/// The profile's Bookings, latest start first: three queries whatever the number of bookings.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Vec<BookingView>, AppError> {
    let rows = booking::Entity::find()
        .filter(booking::Column::MerchantId.eq(merchant_id))
        .filter(booking::Column::CustomerId.eq(customer_id))
        .order_by_desc(booking::Column::StartsAt)
        .order_by_desc(booking::Column::Id)
        .limit(SHOWN_ON_PROFILE)
        .all(db)
        .await?;
    views(db, merchant_id.as_str(), rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_balance_and_what_stayed_paid() {
        assert_eq!(status_label(12_000, 0, 0), "Not paid");
        assert_eq!(status_label(2_000, 10_000, 0), "Balance due");
        assert_eq!(status_label(0, 12_000, 0), "Paid");
        assert_eq!(status_label(5_000, 12_000, 5_000), "Balance due");
        assert_eq!(status_label(12_000, 12_000, 12_000), "Not paid");
        assert_eq!(status_label(-500, 12_500, 0), "Credit");
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = Cursor {
            starts_at: DateTime::from_timestamp(1_784_021_400, 0).unwrap(),
            id: "0190-abc".to_owned(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not base64!"), None);
        assert_eq!(Cursor::decode("bm8gbmV3bGluZQ"), None);
    }
}

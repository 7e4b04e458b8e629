//! The profile's Notifications: this customer's emails, newest first, each with the progress of
//! the link it carried (two indexed queries, whatever the number of emails).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::dto::{NotificationState, NotificationView};
use super::{outbox, retry};
use crate::entities::outbox_email;
use crate::error::AppError;
use crate::features::links::service::{self as links, Link};
use crate::ids::{CustomerId, MerchantId};
use crate::states::{EmailKind, EmailState};
use crate::time::{clock, minute};

/// How many emails the profile lists.
const SHOWN: u64 = 50;

pub async fn for_customer(
    db: &impl ConnectionTrait,
    merchant_id: MerchantId<'_>,
    customer_id: CustomerId<'_>,
) -> Result<Vec<NotificationView>, AppError> {
    let emails = outbox_email::Entity::find()
        .filter(outbox_email::Column::MerchantId.eq(merchant_id))
        .filter(outbox_email::Column::CustomerId.eq(customer_id))
        .order_by_desc(outbox_email::Column::CreatedAt)
        .limit(SHOWN)
        .all(db)
        .await?;
    let email_ids: Vec<String> = emails.iter().map(|e| e.id.clone()).collect();
    let carried = links::carried_by_emails(db, merchant_id.as_str(), email_ids).await?;
    let now = Utc::now();
    let by_email: HashMap<&str, &Link> = carried
        .iter()
        .filter_map(|l| l.outbox_email_id.as_deref().map(|id| (id, l)))
        .collect();
    Ok(emails
        .iter()
        .map(|email| notification_view(email, by_email.get(email.id.as_str()).copied(), now))
        .collect())
}

/// The state a merchant reads: the link's progress wins over the email's once there is any.
fn notification_view(
    email: &outbox_email::Model,
    link: Option<&Link>,
    now: DateTime<Utc>,
) -> NotificationView {
    let mut timeline = vec![("Queued".to_owned(), minute(email.created_at))];
    if let Some(retried) = email.requeued_at {
        timeline.push(("Retried".to_owned(), minute(retried)));
    }
    if let Some(sent) = email.sent_at {
        timeline.push(("Sent".to_owned(), minute(sent)));
    }
    let mut state = match email.state {
        EmailState::Queued => NotificationState::Queued,
        EmailState::Sending => NotificationState::Sending,
        EmailState::Sent => NotificationState::Sent,
        EmailState::Failed => NotificationState::Failed,
    };
    if let Some(link) = link {
        state = link_progress(link, state, now, &mut timeline);
    }
    if state == NotificationState::Failed {
        timeline.push(("Failed".to_owned(), minute(email.updated_at)));
    }
    let can_retry = state == NotificationState::Failed
        && outbox::has_body(email)
        && link.is_none_or(|link| retry::link_blocks_retry(link, now).is_none());
    NotificationView {
        id: email.id.clone(),
        title: email.kind.title().to_owned(),
        recipient: email.recipient.clone(),
        state,
        state_label: state_label(state, email),
        attempts: email.attempts,
        can_retry,
        timeline,
    }
}

/// Adds the link's steps to the timeline and returns the state they lead to.
fn link_progress(
    link: &Link,
    mut state: NotificationState,
    now: DateTime<Utc>,
    timeline: &mut Vec<(String, String)>,
) -> NotificationState {
    if let Some(opened) = link.opened_at {
        timeline.push(("Opened".to_owned(), minute(opened)));
        if state == NotificationState::Sent {
            state = NotificationState::Opened;
        }
    }
    match (link.completed_at, link.revoked_at) {
        (Some(completed), _) => {
            timeline.push(("Completed".to_owned(), minute(completed)));
            NotificationState::Completed
        }
        (None, Some(revoked)) => {
            timeline.push(("Revoked".to_owned(), minute(revoked)));
            NotificationState::Revoked
        }
        _ if link.expires_at <= now && state != NotificationState::Failed => {
            timeline.push(("Expired".to_owned(), minute(link.expires_at)));
            NotificationState::Expired
        }
        _ => state,
    }
}

fn state_label(state: NotificationState, email: &outbox_email::Model) -> String {
    match state {
        NotificationState::Queued if email.attempts > 0 => {
            format!(
                "Retrying — next attempt at {}",
                clock(email.next_attempt_at)
            )
        }
        NotificationState::Queued => "Queued".to_owned(),
        NotificationState::Sending => "Sending".to_owned(),
        NotificationState::Sent => "Sent — accepted by the mail server".to_owned(),
        NotificationState::Opened => "Opened — the link was visited".to_owned(),
        NotificationState::Completed if email.kind == EmailKind::PaymentConfirmation => {
            "Completed — the customer answered".to_owned()
        }
        NotificationState::Completed => "Completed — card saved".to_owned(),
        NotificationState::Revoked => "Revoked — replaced by a newer link".to_owned(),
        NotificationState::Expired => "Expired".to_owned(),
        NotificationState::Failed => format!(
            "Failed: {}",
            email.last_error.as_deref().unwrap_or("unknown reason")
        ),
    }
}

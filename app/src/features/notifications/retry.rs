//! **Retry** on a failed email: the merchant puts it back in the outbox, which tries it again for
//! the whole retry time. An email whose link can no longer be used stays failed, with why: a
//! customer must not get a link that only says "replaced" or "expired".

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::outbox;
use crate::entities::outbox_email;
use crate::error::AppError;
use crate::features::links::service::{self as links, Link};
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::state::AppState;
use crate::states::{EmailState, LinkPurpose, LinkStatus};

/// Requeues one of the merchant's failed emails; another merchant's email is "not found".
pub async fn retry(
    state: &AppState,
    merchant_id: MerchantId<'_>,
    email_id: &str,
) -> Result<(), AppError> {
    let email = outbox_email::Entity::find_by_id(email_id.to_owned())
        .filter(outbox_email::Column::MerchantId.eq(merchant_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if email.state != EmailState::Failed {
        return Err(cannot("Only an email that failed can be retried."));
    }
    if !outbox::has_body(&email) {
        return Err(cannot(
            "This email's content was deleted after the retention period: send a new one instead.",
        ));
    }
    let carried =
        links::carried_by_emails(&state.db, merchant_id.as_str(), vec![email.id.clone()]).await?;
    if let Some(reason) = carried
        .iter()
        .find_map(|link| link_blocks_retry(link, Utc::now()))
    {
        return Err(cannot(reason));
    }
    // A link revoked between the check and here still goes out; its page then says it was
    // replaced, which is what the customer needs to know anyway.
    if !outbox::requeue_failed(&state.db, merchant_id, &email.id).await? {
        return Err(cannot("This email is already being sent again."));
    }
    outbox::wake_worker();
    if let Some(customer_id) = &email.customer_id {
        live::publish(merchant_id, CustomerId(customer_id));
    }
    Ok(())
}

/// Why the link an email carried must not be sent again, if it must not.
pub fn link_blocks_retry(link: &Link, now: DateTime<Utc>) -> Option<&'static str> {
    let card_request = link.purpose == LinkPurpose::SaveCard;
    match link.status {
        LinkStatus::Completed if card_request => {
            Some("The customer already saved a card with this link.")
        }
        LinkStatus::Completed => Some("The customer already answered this payment."),
        LinkStatus::Revoked if card_request => {
            Some("A newer card request replaced this one: send a new one instead.")
        }
        LinkStatus::Revoked => {
            Some("A newer link replaced this one: resend the payment link instead.")
        }
        LinkStatus::Pending if link.expires_at <= now && card_request => {
            Some("The link in this email has expired: send a new card request instead.")
        }
        LinkStatus::Pending if link.expires_at <= now => {
            Some("The link in this email has expired: resend the payment link instead.")
        }
        LinkStatus::Pending => None,
    }
}

fn cannot(reason: &str) -> AppError {
    AppError::CannotRetry {
        reason: reason.to_owned(),
    }
}

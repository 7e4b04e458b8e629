//! Card requests, read side: what the Actions panel offers for Send Email / Resend.

use sea_orm::ConnectionTrait;

use super::dto::CardRequestAction;
use crate::entities::{customer, merchant};
use crate::error::AppError;
use crate::features::customers::dto::full_name;
use crate::features::links::service as links;
use crate::ids::{CustomerId, MerchantId};
use crate::time::minute;

/// What the Actions panel offers for Send Email / Resend. `sending_blocked` is why the merchant
/// may not email customers now (`onboarding::gate::sending_blocked`): it comes first, since the
/// confirmation link is already in the merchant's inbox.
pub async fn card_request_action(
    db: &impl ConnectionTrait,
    merchant: &merchant::Model,
    customer: &customer::Model,
    connected: bool,
    sending_blocked: Option<AppError>,
) -> Result<CardRequestAction, AppError> {
    let pending =
        links::pending_card_request(db, MerchantId(&merchant.id), CustomerId(&customer.id)).await?;
    let offers_confirmation_resend =
        matches!(sending_blocked, Some(AppError::EmailUnconfirmed { .. }));
    let blocked_reason = if let Some(refusal) = sending_blocked {
        Some(refusal.user_message())
    } else if !connected {
        Some("Connect MioPay (Stripe) in Settings to send card requests.".to_owned())
    } else if customer.email.is_none() {
        Some("Add an email address to this customer to send a card request.".to_owned())
    } else {
        None
    };
    Ok(CardRequestAction {
        blocked_reason,
        recipient: customer.email.as_ref().map(|email| {
            format!(
                "{} <{email}>",
                full_name(&customer.first_name, &customer.last_name)
            )
        }),
        validity_days: u32::try_from(merchant.card_link_validity_days).unwrap_or(7),
        pending_until: pending.map(|r| minute(r.expires_at)),
        offers_confirmation_resend,
    })
}

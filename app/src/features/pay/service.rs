//! What `/pay` shows for a link: the checks every link gets, then the card request's SetupIntent
//! or the payment waiting for the customer's confirmation, by the link's purpose.

use super::dto::{CardPage, CardSetup};
use crate::error::AppError;
use crate::features::card_requests::service::setup_intent_for;
use crate::features::charges::confirmation::payment_to_confirm;
use crate::features::customers::service::find_model;
use crate::features::links::service::{self as links, Usable};
use crate::features::links::token::LinkToken;
use crate::features::settings::connection;
use crate::ids::{CustomerId, MerchantId};
use crate::state::AppState;
use crate::states::LinkPurpose;
use crate::time::day;

/// The page for a usable link, with a client secret ready for Stripe.js. A link whose intent has
/// already succeeded (a missed webhook, another tab) reads as used.
pub async fn card_page(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<CardPage, AppError> {
    let Usable { link, merchant } = links::usable(state, token, client_ip).await?;
    let customer = find_model(
        &state.db,
        MerchantId(&link.merchant_id),
        CustomerId(&link.customer_id),
    )
    .await?;
    let connection = connection::require(state, &link.merchant_id)
        .await
        .map_err(|_| AppError::LinkUnavailable {
            merchant_name: merchant.business_name.clone(),
        })?;
    let account = connection.account(state)?;
    let (client_secret, payment) = match link.purpose {
        LinkPurpose::ConfirmPayment => match payment_to_confirm(state, &account, &link).await? {
            Some((payment, secret)) => (Some(secret), Some(payment)),
            None => (None, None),
        },
        LinkPurpose::SaveCard => (
            setup_intent_for(state, &account, &link, &customer).await?,
            None,
        ),
    };
    let Some(client_secret) = client_secret else {
        return Err(AppError::LinkUsed {
            merchant_name: merchant.business_name,
        });
    };
    Ok(CardPage {
        purpose: match &payment {
            Some(p) => format!("to pay {} for {}", p.amount_text, p.description),
            None => format!(
                "to keep on file for your bookings with {}",
                merchant.business_name
            ),
        },
        merchant_name: merchant.business_name,
        customer_first_name: customer.first_name,
        expires_on: day(link.expires_at),
        demo: connection.emulated,
        setup: CardSetup {
            publishable_key: connection.publishable_key.clone(),
            client_secret,
            stripe_js_url: state.stripe_js_url(connection.emulated),
        },
        payment,
    })
}

//! Payments the bank wants the customer to authenticate: the customer is emailed a link (a
//! `ConfirmPayment` customer link) to confirm on-session; Resend replaces it; the page's answer
//! (or the webhook) settles the charge and the staff member who charged is told.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::command::reload;
use super::dto::{PaymentConfirmed, PaymentToConfirm};
use super::emails::{ConfirmPaymentEmail, PaymentOutcomeEmail};
use super::parse::currency_of;
use super::settle::{card_of, settle};
use super::view::status_label;
use crate::entities::{charge, merchant, payment_option};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::auth::service::{Authenticated, staff_recipient};
use crate::features::customers::dto::full_name;
use crate::features::customers::service::{email_recipient, find_model};
use crate::features::links::service::{self as links, Link, NewLink};
use crate::features::links::token::{self, LinkToken};
use crate::features::notifications::outbox;
use crate::features::payment_options::view::card_label;
use crate::features::settings::connection;
use crate::features::settings::service::find_merchant;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::StripeAccount;
use crate::payments::operations::ChargeOutcome;
use crate::state::AppState;
use crate::states::{ActivityKind, ChargeStatus, EmailKind, LinkPurpose};
use crate::time::minute;

/// Emails the customer a link to confirm the payment on-session (a `ConfirmPayment` link). Returns the address, or `None` without one.
pub(super) async fn send_confirmation_link(
    state: &AppState,
    txn: &impl ConnectionTrait,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
) -> Result<Option<String>, AppError> {
    let customer = find_model(
        txn,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?;
    let Some(recipient) = email_recipient(&customer) else {
        return Ok(None);
    };
    let (token, token_digest) = token::new_token();
    let now = Utc::now();
    let expires_at = now
        + Duration::days(i64::from(std::cmp::max(
            merchant.card_link_validity_days,
            1,
        )));
    let link_url = state.pay_url(&token)?;
    let card = card_of(txn, row).await?;
    let expires_text = minute(expires_at);
    let email = ConfirmPaymentEmail {
        first_name: &customer.first_name,
        merchant_name: &merchant.business_name,
        amount: amount_text,
        description: &row.description,
        card: &card,
        link: &link_url,
        expires_at: &expires_text,
    };
    let bodies = email.render()?;
    let staff = staff_recipient(txn, &row.created_by_staff_id).await?;
    let outbox_id = outbox::enqueue(
        txn,
        &state.secrets,
        outbox::NewEmail {
            reply_to: staff.map(|(_, address)| address),
            ..outbox::NewEmail::about_customer(
                merchant,
                &customer.id,
                EmailKind::PaymentConfirmation,
                recipient.clone(),
                email.subject(),
                bodies,
            )
        },
    )
    .await?;
    links::issue(
        txn,
        NewLink {
            purpose: LinkPurpose::ConfirmPayment,
            merchant_id: row.merchant_id.clone(),
            customer_id: row.customer_id.clone(),
            token_digest,
            issued_at: now,
            expires_at,
            sent_by: row.created_by_staff_id.clone(),
            note: String::new(),
            outbox_email_id: Some(outbox_id),
            charge_id: Some(row.id.clone()),
        },
    )
    .await?;
    Ok(Some(recipient.as_str().to_owned()))
}

/// Resend: a new confirmation link for a charge still waiting for its customer (the email was
/// lost, or the customer's address was corrected since). The charge's earlier links stop working.
/// Returns the address it went to.
pub async fn resend_confirmation(
    state: &AppState,
    auth: &Authenticated,
    charge_id: &str,
) -> Result<String, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    crate::features::onboarding::gate::may_email_customers(state, merchant_id).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    // Write the charge row first: a resend serialises with the customer's answer and its webhook,
    // so no link goes out for a charge that has just settled.
    let waiting = charge::Entity::update_many()
        .col_expr(charge::Column::UpdatedAt, Expr::value(now))
        .filter(charge::Column::Id.eq(charge_id))
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .filter(charge::Column::Status.eq(ChargeStatus::RequiresAction))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let row = charge::Entity::find_by_id(charge_id.to_owned())
        .filter(charge::Column::MerchantId.eq(merchant_id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if !waiting {
        return Err(AppError::field(
            "charge_id",
            format!(
                "This payment is no longer waiting for the customer ({}).",
                status_label(&row).to_lowercase()
            ),
        ));
    }
    let merchant = find_merchant(&txn, merchant_id).await?;
    links::revoke_for_charge(&txn, merchant_id, &row.id).await?;
    let amount_text = currency_of(&row.currency)?.format(row.amount);
    let Some(recipient) =
        send_confirmation_link(state, &txn, &merchant, &row, &amount_text).await?
    else {
        return Err(AppError::field(
            "charge_id",
            "Add an email address to this customer to send them a link.",
        ));
    };
    activity::record(
        &txn,
        MerchantId(merchant_id),
        CustomerId(&row.customer_id),
        Actor::Staff(&auth.staff_user_id),
        ActivityKind::ChargeRequiresAction,
        format!("Sent {recipient} a new link to confirm the payment of {amount_text}"),
    )
    .await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(MerchantId(merchant_id), CustomerId(&row.customer_id));
    tracing::info!(charge_id = %row.id, "confirmation link resent");
    Ok(recipient)
}

/// The customer answered a confirmation (or it failed): the link is used up and the staff member
/// who charged is told.
pub(super) async fn finish_confirmation(
    state: &AppState,
    txn: &impl ConnectionTrait,
    merchant: &merchant::Model,
    row: &charge::Model,
    amount_text: &str,
    failure: Option<&str>,
) -> Result<(), AppError> {
    links::complete_for_charge(txn, &row.merchant_id, &row.id).await?;
    let Some((staff, recipient)) = staff_recipient(txn, &row.created_by_staff_id).await? else {
        return Ok(());
    };
    let customer = find_model(
        txn,
        MerchantId(&row.merchant_id),
        CustomerId(&row.customer_id),
    )
    .await?;
    let customer_name = full_name(&customer.first_name, &customer.last_name);
    let profile_link = state.page_url(&format!("customers/{}", customer.id))?;
    let email = PaymentOutcomeEmail {
        staff_name: &staff.name,
        customer_name: &customer_name,
        amount: amount_text,
        description: &row.description,
        succeeded: failure.is_none(),
        reason: failure.unwrap_or_default(),
        profile_link: &profile_link,
    };
    let bodies = email.render()?;
    outbox::enqueue(
        txn,
        &state.secrets,
        outbox::NewEmail::about_customer(
            merchant,
            &customer.id,
            EmailKind::PaymentOutcomeNotice,
            recipient,
            email.subject(),
            bodies,
        ),
    )
    .await?;
    Ok(())
}

/// What the card page shows for a confirmation link, with the PaymentIntent's client secret; a
/// charge already settled answers `None` (the link is used).
pub async fn payment_to_confirm(
    state: &AppState,
    account: &StripeAccount,
    link: &Link,
) -> Result<Option<(PaymentToConfirm, String)>, AppError> {
    let charge_id = link
        .charge_id
        .as_deref()
        .ok_or_else(|| AppError::internal("not a payment confirmation link"))?;
    let row = reload(&state.db, charge_id).await?;
    if row.status != ChargeStatus::RequiresAction {
        return Ok(None);
    }
    let payment_intent_id = row.stripe_payment_intent_id.as_deref().ok_or_else(|| {
        AppError::internal("charge waiting for the customer without a PaymentIntent")
    })?;
    let outcome = account.retrieve_payment(payment_intent_id).await?;
    let (client_secret, requires_action) = match outcome {
        ChargeOutcome::AuthenticationRequired {
            client_secret,
            requires_action,
            ..
        } => (client_secret, requires_action),
        settled => {
            // Stripe knows more than we do (a missed webhook): record it, the link is used.
            settle(state, &row, settled, Actor::Stripe).await?;
            return Ok(None);
        }
    };
    let option = payment_option::Entity::find_by_id(row.payment_option_id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("charge without its payment option"))?;
    let currency = currency_of(&row.currency)?;
    Ok(Some((
        PaymentToConfirm {
            amount_text: currency.format(row.amount),
            description: row.description.clone(),
            card: card_label(&option),
            payment_method_id: option.stripe_payment_method_id.clone(),
            requires_action,
        },
        client_secret,
    )))
}

/// After Stripe.js confirmed on the page: settles the charge from Stripe's answer and returns what
/// was paid. Refused (`SetupIncomplete`) while Stripe does not say it succeeded.
pub async fn complete(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<PaymentConfirmed, AppError> {
    let link = links::find_by_token(state, token, client_ip).await?;
    let charge_id = link.charge_id.as_deref().ok_or(AppError::LinkNotFound)?;
    let row = reload(&state.db, charge_id).await?;
    if row.status == ChargeStatus::RequiresAction || row.status == ChargeStatus::Pending {
        let connection = connection::require(state, &row.merchant_id).await?;
        let account = connection.account(state)?;
        let payment_intent_id = row
            .stripe_payment_intent_id
            .as_deref()
            .ok_or(AppError::SetupIncomplete)?;
        let outcome = account.retrieve_payment(payment_intent_id).await?;
        if !matches!(outcome, ChargeOutcome::AuthenticationRequired { .. }) {
            settle(state, &row, outcome, Actor::Customer).await?;
        }
    }
    let row = reload(&state.db, charge_id).await?;
    if row.status != ChargeStatus::Succeeded {
        return Err(AppError::SetupIncomplete);
    }
    let currency = currency_of(&row.currency)?;
    Ok(PaymentConfirmed {
        amount_text: currency.format(row.amount),
        card: card_of(&state.db, &row).await?,
    })
}

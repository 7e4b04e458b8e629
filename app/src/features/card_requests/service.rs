//! Card requests, commands: Send Email (and Resend), the SetupIntent behind a card request's
//! page, and the completion that records the card exactly once, whoever gets there first — the
//! page's own check after `confirmSetup` or Stripe's `setup_intent.succeeded` webhook.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};

use super::dto::CardRequestSent;
use super::emails;
use crate::cards::{CardView, card_view};
use crate::domain::{EmailAddress, PersonalNote};
use crate::entities::{customer, new_id, payment_option};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::auth::service::{Authenticated, find_staff, staff_recipient};
use crate::features::customers::dto::full_name;
use crate::features::customers::service::find_model;
use crate::features::customers::stripe::ensure_stripe_customer;
use crate::features::links::service::{self as links, Completion, Link, NewLink};
use crate::features::links::token::{self, LinkToken};
use crate::features::notifications::outbox;
use crate::features::onboarding::gate;
use crate::features::payment_options::service::{self as payment_options, Added, NewCard};
use crate::features::settings::connection::{self, StripeConnection};
use crate::features::settings::service::find_merchant;
use crate::ids::{CustomerId, MerchantId};
use crate::live;
use crate::payments::operations::{SetupIntentSummary, SetupState};
use crate::payments::{PaymentsError, StripeAccount};
use crate::state::AppState;
use crate::states::{ActivityKind, CardSource, EmailKind, LinkPurpose, LinkStatus};
use crate::time::{day, minute};

/// Creates a card request and its email in one transaction (revoking a pending one), creating
/// the Stripe customer first if there is none.
pub async fn send(
    state: &AppState,
    auth: &Authenticated,
    customer_id: &str,
    note: PersonalNote,
) -> Result<CardRequestSent, AppError> {
    let db = &state.db;
    let merchant_id = auth.merchant_id.as_str();
    let customer = find_model(db, MerchantId(merchant_id), CustomerId(customer_id)).await?;
    // Before anything is written or asked of Stripe: confirmed, and within today's quota.
    gate::may_email_customers(state, merchant_id).await?;
    let Some(email) = customer.email.as_deref() else {
        return Err(AppError::field(
            "email",
            "Add an email address to this customer to send a card request.",
        ));
    };
    let recipient = EmailAddress::parse(email).map_err(|m| AppError::field("email", m))?;
    let connection = connection::require(state, merchant_id).await?;
    let merchant = find_merchant(db, merchant_id).await?;
    let sender = find_staff(db, merchant_id, &auth.staff_user_id).await?;
    let account = connection.account(state)?;
    ensure_stripe_customer(db, &account, &customer).await?;

    let (token, token_digest) = token::new_token();
    let issued_at = Utc::now();
    let expires_at = issued_at + Duration::days(i64::from(merchant.card_link_validity_days.max(1)));
    let link_url = state.pay_url(&token)?;
    let expires_text = minute(expires_at);
    let email = emails::CardRequestEmail {
        first_name: &customer.first_name,
        merchant_name: &merchant.business_name,
        note: note.as_str(),
        link: &link_url,
        expires_at: &expires_text,
    };
    let bodies = email.render()?;
    let new_email = outbox::NewEmail {
        reply_to: EmailAddress::parse(&sender.email).ok(),
        ..outbox::NewEmail::about_customer(
            &merchant,
            &customer.id,
            EmailKind::CardRequest,
            recipient.clone(),
            email.subject(),
            bodies,
        )
    };
    let txn = db.begin().await?;
    // Write first: on SQLite the transaction takes the write lock here, before any read.
    let revoked =
        links::revoke_card_requests(&txn, MerchantId(merchant_id), CustomerId(&customer.id))
            .await?;
    let outbox_id = outbox::enqueue(&txn, &state.secrets, new_email).await?;
    let link = links::issue(
        &txn,
        NewLink {
            purpose: LinkPurpose::SaveCard,
            merchant_id: merchant_id.to_owned(),
            customer_id: customer.id.clone(),
            token_digest,
            issued_at,
            expires_at,
            sent_by: sender.id.clone(),
            note: note.as_str().to_owned(),
            outbox_email_id: Some(outbox_id),
            charge_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(MerchantId(merchant_id), CustomerId(&customer.id));
    tracing::info!(link_id = %link.id, customer_id = %customer.id, revoked, "card request sent");
    Ok(CardRequestSent {
        recipient: recipient.as_str().to_owned(),
        expires_at: expires_text,
    })
}

/// The client secret of the card request's open SetupIntent — created on the first visit,
/// reused after — or `None` if it has already succeeded (the request is then completed here).
pub async fn setup_intent_for(
    state: &AppState,
    account: &StripeAccount,
    link: &Link,
    customer: &customer::Model,
) -> Result<Option<String>, AppError> {
    if let Some(id) = &link.setup_intent_id
        && let Some(intent) = existing_setup_intent(account, id).await?
    {
        match intent.state {
            SetupState::Pending | SetupState::RequiresAction => {
                return Ok(Some(intent.client_secret));
            }
            SetupState::Succeeded { payment_method_id } => {
                record_completion(state, account, link, &payment_method_id).await?;
                return Ok(None);
            }
            // Canceled in Stripe's dashboard: start a new one below.
            SetupState::Canceled => {}
        }
    }
    let stripe_customer = ensure_stripe_customer(&state.db, account, customer).await?;
    // The same key for every first visit of this request: two tabs opening at once get the
    // same SetupIntent from Stripe. A replacement for a canceled one gets a key of its own.
    let key = match &link.setup_intent_id {
        None => format!("cof-setup-{}", link.id),
        Some(old) => format!("cof-setup-{}-after-{old}", link.id),
    };
    let intent = account.create_setup_intent(&stripe_customer, &key).await?;
    links::attach_setup_intent(&state.db, link, &intent.id).await?;
    Ok(Some(intent.client_secret))
}

/// The link's SetupIntent, or `None` when the account has no such intent: it was made in the
/// merchant's previous Stripe account (or mode), and a new one is needed here.
async fn existing_setup_intent(
    account: &StripeAccount,
    id: &str,
) -> Result<Option<SetupIntentSummary>, AppError> {
    match account.retrieve_setup_intent(id).await {
        Ok(intent) => Ok(Some(intent)),
        Err(PaymentsError::Api { code, .. }) if code.as_deref() == Some("resource_missing") => {
            tracing::info!(setup_intent_id = %id, "setup intent of another Stripe account; making a new one");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// After Stripe.js confirmed: records the card if Stripe says the SetupIntent succeeded. A
/// request already completed (by the webhook, or another tab) answers with its card.
pub async fn complete_from_page(
    state: &AppState,
    token: &LinkToken,
    client_ip: Option<&str>,
) -> Result<CardView, AppError> {
    let link = links::find_by_token(state, token, client_ip).await?;
    if link.purpose != LinkPurpose::SaveCard {
        // A payment confirmation link saves no card.
        return Err(AppError::SetupIncomplete);
    }
    if let Some(card) = saved_card(&state.db, &link).await? {
        return Ok(card);
    }
    let Some(setup_intent_id) = &link.setup_intent_id else {
        return Err(AppError::SetupIncomplete);
    };
    let connection = connection::require(state, &link.merchant_id).await?;
    let account = connection.account(state)?;
    let intent = account.retrieve_setup_intent(setup_intent_id).await?;
    match intent.state {
        SetupState::Succeeded { payment_method_id } => {
            record_completion(state, &account, &link, &payment_method_id).await
        }
        _ => Err(AppError::SetupIncomplete),
    }
}

async fn saved_card(db: &impl ConnectionTrait, link: &Link) -> Result<Option<CardView>, AppError> {
    let Some(option_id) = &link.payment_option_id else {
        return Ok(None);
    };
    Ok(payment_option::Entity::find_by_id(option_id.clone())
        .one(db)
        .await?
        .map(|o| card_view(&o.brand, &o.last4, o.exp_month, o.exp_year)))
}

/// From `setup_intent.succeeded`: completes the card request that owns this SetupIntent, if any
/// (Stripe is asked again rather than trusting the event's copy, so order does not matter).
/// `false` when no card request owns it (it may be a card entered by staff).
pub async fn complete_from_webhook(
    state: &AppState,
    connection: &StripeConnection,
    merchant_id: &str,
    setup_intent_id: &str,
) -> Result<bool, AppError> {
    let Some(link) = links::find_by_setup_intent(&state.db, merchant_id, setup_intent_id).await?
    else {
        return Ok(false);
    };
    if link.status == LinkStatus::Completed {
        return Ok(true);
    }
    let account = connection.account(state)?;
    let intent = account.retrieve_setup_intent(setup_intent_id).await?;
    if let SetupState::Succeeded { payment_method_id } = intent.state {
        match record_completion(state, &account, &link, &payment_method_id).await {
            // Refused and detached: nothing more to do for this event.
            Ok(_)
            | Err(
                AppError::LinkReplacedBeforeSaving { .. }
                | AppError::LinkExpiredBeforeSaving { .. },
            ) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(true)
}

/// Records the card once: the link is used up with a conditional UPDATE, and only the caller
/// whose UPDATE changed the row puts the card on file and queues the merchant's notice (in the
/// same transaction). Everyone else reads the winner's card.
async fn record_completion(
    state: &AppState,
    account: &StripeAccount,
    link: &Link,
    payment_method_id: &str,
) -> Result<CardView, AppError> {
    let card = account
        .retrieve_card(payment_method_id)
        .await?
        .ok_or_else(|| AppError::internal("saved payment method is not a card"))?;
    let db = &state.db;
    let option_id = new_id();
    let txn = db.begin().await?;
    match links::complete(&txn, &link.id, Some(&option_id)).await? {
        Completion::Done => {}
        Completion::AlreadyUsed => {
            txn.rollback().await?;
            let current = links::reload(db, &link.id).await?;
            return saved_card(db, &current)
                .await?
                .ok_or_else(|| AppError::internal("completed card request without its card"));
        }
        closed @ (Completion::Revoked | Completion::Expired) => {
            txn.rollback().await?;
            return Err(refuse_closed_link(state, account, link, payment_method_id, closed).await);
        }
    }
    let added = payment_options::add_card(
        &txn,
        NewCard {
            id: option_id,
            merchant_id: &link.merchant_id,
            customer_id: &link.customer_id,
            card: &card,
            source: CardSource::CustomerLink,
            added_by_staff_id: None,
            card_request_id: Some(&link.id),
        },
    )
    .await?;
    let Added::New(option) = added else {
        return Err(AppError::internal(
            "a card request's card is already on file",
        ));
    };
    let view = card_view(
        &option.brand,
        &option.last4,
        option.exp_month,
        option.exp_year,
    );
    activity::record(
        &txn,
        MerchantId(&link.merchant_id),
        CustomerId(&link.customer_id),
        Actor::Customer,
        ActivityKind::CardAdded,
        format!(
            "Added {} •••• {} through the emailed link",
            view.brand, view.last4
        ),
    )
    .await?;
    enqueue_saved_notice(state, &txn, link, &view).await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(MerchantId(&link.merchant_id), CustomerId(&link.customer_id));
    tracing::info!(link_id = %link.id, "card saved from card request");
    Ok(view)
}

/// A card confirmed at Stripe on a link that was revoked or expired meanwhile is not put on file:
/// the customer is told why, and the card is detached again so the merchant can't charge a card
/// the customer was told was not saved. (Stripe answers the same for a retry or the webhook.)
async fn refuse_closed_link(
    state: &AppState,
    account: &StripeAccount,
    link: &Link,
    payment_method_id: &str,
    closed: Completion,
) -> AppError {
    if let Err(err) = account.detach_card_if_attached(payment_method_id).await {
        tracing::warn!(link_id = %link.id, error = %err, "could not detach the card of a closed card request");
    }
    tracing::info!(link_id = %link.id, ?closed, "card not saved: the card request was closed");
    let merchant_name = match find_merchant(&state.db, &link.merchant_id).await {
        Ok(merchant) => merchant.business_name,
        Err(err) => return err,
    };
    if closed == Completion::Revoked {
        AppError::LinkReplacedBeforeSaving { merchant_name }
    } else {
        AppError::LinkExpiredBeforeSaving { merchant_name }
    }
}

/// "<Customer> added a card", to the staff member who sent the request.
async fn enqueue_saved_notice(
    state: &AppState,
    txn: &impl ConnectionTrait,
    link: &Link,
    card: &CardView,
) -> Result<(), AppError> {
    let customer = find_model(
        txn,
        MerchantId(&link.merchant_id),
        CustomerId(&link.customer_id),
    )
    .await?;
    let merchant = find_merchant(txn, &link.merchant_id).await?;
    let Some((staff, recipient)) = staff_recipient(txn, &link.sent_by).await? else {
        return Ok(());
    };
    let customer_name = full_name(&customer.first_name, &customer.last_name);
    let profile_link = state.page_url(&format!("customers/{}", customer.id))?;
    let card_text = card.describe();
    let requested_on = day(link.created_at);
    let email = emails::CardSavedEmail {
        staff_name: &staff.name,
        customer_name: &customer_name,
        card: &card_text,
        profile_link: &profile_link,
        requested_on: &requested_on,
    };
    let bodies = email.render()?;
    outbox::enqueue(
        txn,
        &state.secrets,
        outbox::NewEmail::about_customer(
            &merchant,
            &customer.id,
            EmailKind::CardSavedNotice,
            recipient,
            email.subject(),
            bodies,
        ),
    )
    .await?;
    Ok(())
}

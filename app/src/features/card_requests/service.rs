//! Card requests, server side: send (and resend), the card page's link checks and SetupIntent,
//! and the completion that records the card exactly once, whoever gets there first — the page's
//! own check after `confirmSetup` or Stripe's `setup_intent.succeeded` webhook.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::dto::{
    CardPage, CardRequestAction, CardRequestSent, CardSetup, CardView, NotificationView,
};
use super::{emails, link};
use crate::domain::{EmailAddress, PersonalNote};
use crate::entities::card_request::{self, COMPLETED, PENDING, REVOKED};
use crate::entities::{customer, merchant, new_id, outbox_email, payment_option, staff_user};
use crate::error::AppError;
use crate::features::activity::service::{self as activity, Actor};
use crate::features::auth::service::Authenticated;
use crate::features::customers::dto::full_name;
use crate::features::customers::service::find_model;
use crate::features::notifications::{live, outbox};
use crate::features::settings::connection::{self, StripeConnection, payments_error};
use crate::features::settings::service::find_merchant;
use crate::features::{charges, payment_options};
use crate::payments::StripeAccount;
use crate::payments::operations::{CardSummary, SetupState};
use crate::state::AppState;

pub const KIND_CARD_REQUEST: &str = "card_request";
pub const KIND_CARD_SAVED_NOTICE: &str = "card_saved_notice";
/// How many emails the profile lists.
const NOTIFICATIONS_SHOWN: u64 = 50;

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------------------------------------------------------------------------------------------
// The merchant's profile

/// The profile's Notifications: this customer's emails, newest first, each with the progress of
/// the card request it carried (two indexed queries).
pub async fn notifications(
    db: &impl ConnectionTrait,
    merchant_id: &str,
    customer_id: &str,
) -> Result<Vec<NotificationView>, AppError> {
    let emails = outbox_email::Entity::find()
        .filter(outbox_email::Column::MerchantId.eq(merchant_id))
        .filter(outbox_email::Column::CustomerId.eq(customer_id))
        .order_by_desc(outbox_email::Column::CreatedAt)
        .limit(NOTIFICATIONS_SHOWN)
        .all(db)
        .await?;
    let email_ids: Vec<String> = emails.iter().map(|e| e.id.clone()).collect();
    let requests = if email_ids.is_empty() {
        Vec::new()
    } else {
        card_request::Entity::find()
            .filter(card_request::Column::MerchantId.eq(merchant_id))
            .filter(card_request::Column::OutboxEmailId.is_in(email_ids))
            .all(db)
            .await?
    };
    let now = Utc::now();
    let by_email: HashMap<&str, &card_request::Model> = requests
        .iter()
        .filter_map(|r| r.outbox_email_id.as_deref().map(|id| (id, r)))
        .collect();
    Ok(emails
        .iter()
        .map(|email| notification_view(email, by_email.get(email.id.as_str()).copied(), now))
        .collect())
}

/// What the Actions panel offers for Send Email / Resend.
pub async fn card_request_action(
    db: &impl ConnectionTrait,
    merchant: &merchant::Model,
    customer: &customer::Model,
    connected: bool,
) -> Result<CardRequestAction, AppError> {
    let now = Utc::now();
    let pending = card_request::Entity::find()
        .filter(card_request::Column::MerchantId.eq(merchant.id.as_str()))
        .filter(card_request::Column::CustomerId.eq(customer.id.as_str()))
        .filter(card_request::Column::Status.eq(PENDING))
        .filter(card_request::Column::ChargeId.is_null())
        .filter(card_request::Column::ExpiresAt.gt(now))
        .order_by_desc(card_request::Column::CreatedAt)
        .one(db)
        .await?;
    let blocked_reason = if !connected {
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
    })
}

/// The state a merchant reads: the request's progress wins over the email's once there is any.
fn notification_view(
    email: &outbox_email::Model,
    request: Option<&card_request::Model>,
    now: DateTime<Utc>,
) -> NotificationView {
    let mut timeline = vec![("Queued".to_owned(), minute(email.created_at))];
    if let Some(sent) = email.sent_at {
        timeline.push(("Sent".to_owned(), minute(sent)));
    }
    let mut state = match email.state.as_str() {
        outbox_email::SENDING => "sending",
        outbox_email::SENT => "sent",
        outbox_email::FAILED => "failed",
        _ => "queued",
    };
    if let Some(request) = request {
        if let Some(opened) = request.opened_at {
            timeline.push(("Opened".to_owned(), minute(opened)));
            if state == "sent" {
                state = "opened";
            }
        }
        if let Some(completed) = request.completed_at {
            timeline.push(("Completed".to_owned(), minute(completed)));
            state = "completed";
        } else if let Some(revoked) = request.revoked_at {
            timeline.push(("Revoked".to_owned(), minute(revoked)));
            state = "revoked";
        } else if request.expires_at <= now && state != "failed" {
            timeline.push(("Expired".to_owned(), minute(request.expires_at)));
            state = "expired";
        }
    }
    if state == "failed" {
        timeline.push(("Failed".to_owned(), minute(email.updated_at)));
    }
    let mut state_label = match state {
        "queued" if email.attempts > 0 => "Queued — retrying".to_owned(),
        "queued" => "Queued".to_owned(),
        "sending" => "Sending".to_owned(),
        "sent" => "Sent — accepted by the mail server".to_owned(),
        "opened" => "Opened — the link was visited".to_owned(),
        "completed" => "Completed — card saved".to_owned(),
        "revoked" => "Revoked — replaced by a newer link".to_owned(),
        "expired" => "Expired".to_owned(),
        _ => format!(
            "Failed: {}",
            email.last_error.as_deref().unwrap_or("unknown reason")
        ),
    };
    let title = match email.kind.as_str() {
        KIND_CARD_REQUEST => "Card request",
        KIND_CARD_SAVED_NOTICE => "Card saved notice",
        charges::service::KIND_PAYMENT_CONFIRMATION => "Payment confirmation request",
        charges::service::KIND_RECEIPT => "Receipt",
        charges::service::KIND_PAYMENT_OUTCOME => "Payment update",
        _ => "Email",
    };
    if state == "completed" && email.kind == charges::service::KIND_PAYMENT_CONFIRMATION {
        state_label = "Completed — the customer answered".to_owned();
    }
    NotificationView {
        id: email.id.clone(),
        title: title.to_owned(),
        recipient: email.recipient.clone(),
        state: state.to_owned(),
        state_label,
        attempts: email.attempts,
        timeline,
    }
}

pub fn brand_name(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        "cartes_bancaires" => "Cartes Bancaires".into(),
        "eftpos_au" => "eftpos".into(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(
                || "Card".to_owned(),
                |first| first.to_uppercase().chain(chars).collect(),
            )
        }
    }
}

pub fn card_view(brand: &str, last4: &str, exp_month: i32, exp_year: i32) -> CardView {
    CardView {
        brand: brand_name(brand),
        last4: last4.to_owned(),
        exp_month: u32::try_from(exp_month).unwrap_or(0),
        exp_year,
    }
}

// ---------------------------------------------------------------------------------------------
// Send Email / Resend

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
    let customer = find_model(db, merchant_id, customer_id).await?;
    let Some(email) = customer.email.as_deref() else {
        return Err(AppError::field(
            "email",
            "Add an email address to this customer to send a card request.",
        ));
    };
    let recipient = EmailAddress::parse(email).map_err(|m| AppError::field("email", m))?;
    let connection = connection::require(state, merchant_id).await?;
    let merchant = find_merchant(db, merchant_id).await?;
    let sender = staff_user::Entity::find_by_id(auth.staff_user_id.clone())
        .filter(staff_user::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let account = connection.account(state)?;
    ensure_stripe_customer(db, &account, &customer).await?;

    let (token, token_hash) = link::new_token();
    let now = Utc::now();
    let expires_at = now + Duration::days(i64::from(merchant.card_link_validity_days.max(1)));
    let link_url = state
        .config
        .base_url
        .join(&format!("pay/{token}"))
        .map_err(AppError::internal)?
        .to_string();
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
        merchant_id: merchant_id.to_owned(),
        customer_id: Some(customer.id.clone()),
        kind: KIND_CARD_REQUEST.to_owned(),
        recipient: recipient.clone(),
        from_name: merchant.business_name.clone(),
        reply_to: EmailAddress::parse(&sender.email).ok(),
        subject: email.subject(),
        body_text: bodies.text,
        body_html: bodies.html,
    };
    let request = card_request::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        customer_id: Set(customer.id.clone()),
        token_hash: Set(token_hash),
        status: Set(PENDING.to_owned()),
        expires_at: Set(expires_at),
        note: Set(note.as_str().to_owned()),
        sent_by: Set(sender.id.clone()),
        outbox_email_id: Set(None),
        setup_intent_id: Set(None),
        opened_at: Set(None),
        completed_at: Set(None),
        revoked_at: Set(None),
        payment_option_id: Set(None),
        charge_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    // Write first: on SQLite the transaction takes the write lock here, before any read.
    let revoked = card_request::Entity::update_many()
        .col_expr(card_request::Column::Status, Expr::value(REVOKED))
        .col_expr(card_request::Column::RevokedAt, Expr::value(now))
        .col_expr(card_request::Column::UpdatedAt, Expr::value(now))
        .filter(card_request::Column::MerchantId.eq(merchant_id))
        .filter(card_request::Column::CustomerId.eq(customer.id.as_str()))
        .filter(card_request::Column::Status.eq(PENDING))
        // A link to confirm a payment is not a card request: it stays usable.
        .filter(card_request::Column::ChargeId.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let outbox_id = outbox::enqueue(&txn, new_email).await?;
    let mut request = request;
    request.outbox_email_id = Set(Some(outbox_id));
    let request = request.insert(&txn).await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(merchant_id, &customer.id);
    tracing::info!(card_request_id = %request.id, customer_id = %customer.id, revoked, "card request sent");
    Ok(CardRequestSent {
        recipient: recipient.as_str().to_owned(),
        expires_at: expires_text,
    })
}

/// The customer's Stripe customer id, created (once: the idempotency key is our customer id) if
/// there is none yet.
pub(crate) async fn ensure_stripe_customer(
    db: &impl ConnectionTrait,
    account: &StripeAccount,
    customer: &customer::Model,
) -> Result<String, AppError> {
    if let Some(id) = &customer.stripe_customer_id {
        return Ok(id.clone());
    }
    let stripe_id = account
        .create_customer(
            &full_name(&customer.first_name, &customer.last_name),
            customer.email.as_deref(),
            &customer.id,
            &format!("cof-customer-{}", customer.id),
        )
        .await
        .map_err(payments_error)?;
    customer::Entity::update_many()
        .col_expr(
            customer::Column::StripeCustomerId,
            Expr::value(stripe_id.clone()),
        )
        .filter(customer::Column::Id.eq(customer.id.as_str()))
        .filter(customer::Column::StripeCustomerId.is_null())
        .exec(db)
        .await?;
    // A concurrent caller may have stored its own id first (same key: the same customer).
    let stored = customer::Entity::find_by_id(customer.id.clone())
        .one(db)
        .await?
        .and_then(|c| c.stripe_customer_id);
    Ok(stored.unwrap_or(stripe_id))
}

// ---------------------------------------------------------------------------------------------
// The card page

/// The request behind a token. Unknown tokens count against the client (`link::check_guesses`),
/// and a client over the limit gets `RateLimited` before any lookup.
pub(crate) async fn find_by_token(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<card_request::Model, AppError> {
    link::check_guesses(&state.db, client_ip).await?;
    let found = card_request::Entity::find()
        .filter(card_request::Column::TokenHash.eq(link::digest(token)))
        .one(&state.db)
        .await?;
    match found {
        Some(request) => Ok(request),
        None => {
            link::record_guess(&state.db, client_ip).await?;
            Err(AppError::LinkNotFound)
        }
    }
}

/// A link that exists and can still take a card, or the reason it can't.
async fn usable_request(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<(card_request::Model, merchant::Model), AppError> {
    let request = find_by_token(state, token, client_ip).await?;
    let merchant = find_merchant(&state.db, &request.merchant_id).await?;
    let merchant_name = merchant.business_name.clone();
    match request.status.as_str() {
        COMPLETED => Err(AppError::LinkUsed { merchant_name }),
        REVOKED => Err(AppError::LinkRevoked { merchant_name }),
        _ if request.expires_at <= Utc::now() => Err(AppError::LinkExpired { merchant_name }),
        _ => Ok((request, merchant)),
    }
}

/// The first visit of `/pay/<token>`: marks the request opened (if the link is usable). The
/// caller sets the page cookie and redirects whatever the outcome, so the answer looks the same
/// for every token — except to a client that has guessed too often (`RateLimited`).
pub async fn open_link(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<(), AppError> {
    let request = match usable_request(state, token, client_ip).await {
        Ok((request, _)) => request,
        Err(AppError::RateLimited) => return Err(AppError::RateLimited),
        Err(_) => return Ok(()),
    };
    if request.opened_at.is_none() {
        let now = Utc::now();
        let updated = card_request::Entity::update_many()
            .col_expr(card_request::Column::OpenedAt, Expr::value(now))
            .col_expr(card_request::Column::UpdatedAt, Expr::value(now))
            .filter(card_request::Column::Id.eq(request.id.as_str()))
            .filter(card_request::Column::OpenedAt.is_null())
            .exec(&state.db)
            .await?;
        if updated.rows_affected > 0 {
            live::publish(&request.merchant_id, &request.customer_id);
        }
    }
    Ok(())
}

/// What the card page shows, with a SetupIntent ready for Stripe.js (created on the first visit,
/// reused after; a SetupIntent that already succeeded completes the request instead).
pub async fn card_page(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<CardPage, AppError> {
    let (request, merchant) = usable_request(state, token, client_ip).await?;
    let customer = find_model(&state.db, &request.merchant_id, &request.customer_id).await?;
    let connection = connection::require(state, &request.merchant_id)
        .await
        .map_err(|_| AppError::LinkUnavailable {
            merchant_name: merchant.business_name.clone(),
        })?;
    let account = connection.account(state)?;
    // A link asking the customer to confirm a payment instead of saving a card.
    let (client_secret, payment) = if request.charge_id.is_some() {
        match charges::service::payment_to_confirm(state, &account, &request).await? {
            Some((payment, secret)) => (Some(secret), Some(payment)),
            None => (None, None),
        }
    } else {
        (
            setup_intent_for(state, &account, &request, &customer).await?,
            None,
        )
    };
    let Some(client_secret) = client_secret else {
        return Err(AppError::LinkUsed {
            merchant_name: merchant.business_name,
        });
    };
    Ok(CardPage {
        merchant_name: merchant.business_name.clone(),
        customer_first_name: customer.first_name.clone(),
        purpose: match &payment {
            Some(p) => format!("to pay {} for {}", p.amount_text, p.description),
            None => format!(
                "to keep on file for your bookings with {}",
                merchant.business_name
            ),
        },
        expires_on: request.expires_at.format("%Y-%m-%d").to_string(),
        demo: connection.emulated,
        setup: CardSetup {
            publishable_key: connection.publishable_key.clone(),
            client_secret,
            stripe_js_url: state.stripe_js_url(connection.emulated),
        },
        payment,
    })
}

/// The client secret of the request's open SetupIntent, or `None` if it has already succeeded
/// (the request is then completed here).
async fn setup_intent_for(
    state: &AppState,
    account: &StripeAccount,
    request: &card_request::Model,
    customer: &customer::Model,
) -> Result<Option<String>, AppError> {
    if let Some(id) = &request.setup_intent_id {
        let intent = account
            .retrieve_setup_intent(id)
            .await
            .map_err(payments_error)?;
        match intent.state {
            SetupState::Pending | SetupState::RequiresAction => {
                return Ok(Some(intent.client_secret));
            }
            SetupState::Succeeded { payment_method_id } => {
                record_completion(state, account, request, &payment_method_id).await?;
                return Ok(None);
            }
            // Canceled in Stripe's dashboard: start a new one below.
            SetupState::Canceled => {}
        }
    }
    let stripe_customer = ensure_stripe_customer(&state.db, account, customer).await?;
    // The same key for every first visit of this request: two tabs opening at once get the
    // same SetupIntent from Stripe. A replacement for a canceled one gets a key of its own.
    let key = match &request.setup_intent_id {
        None => format!("cof-setup-{}", request.id),
        Some(old) => format!("cof-setup-{}-after-{old}", request.id),
    };
    let intent = account
        .create_setup_intent(&stripe_customer, &key)
        .await
        .map_err(payments_error)?;
    let mut update = card_request::Entity::update_many()
        .col_expr(
            card_request::Column::SetupIntentId,
            Expr::value(intent.id.clone()),
        )
        .col_expr(card_request::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(card_request::Column::Id.eq(request.id.as_str()));
    update = match &request.setup_intent_id {
        None => update.filter(card_request::Column::SetupIntentId.is_null()),
        Some(old) => update.filter(card_request::Column::SetupIntentId.eq(old.as_str())),
    };
    update.exec(&state.db).await?;
    Ok(Some(intent.client_secret))
}

/// After Stripe.js confirmed: records the card if Stripe says the SetupIntent succeeded. A
/// request already completed (by the webhook, or another tab) answers with its card.
pub async fn complete_from_page(
    state: &AppState,
    token: &str,
    client_ip: Option<&str>,
) -> Result<CardView, AppError> {
    let request = find_by_token(state, token, client_ip).await?;
    if request.charge_id.is_some() {
        // A payment confirmation link saves no card.
        return Err(AppError::SetupIncomplete);
    }
    if let Some(card) = saved_card(&state.db, &request).await? {
        return Ok(card);
    }
    let Some(setup_intent_id) = &request.setup_intent_id else {
        return Err(AppError::SetupIncomplete);
    };
    let connection = connection::require(state, &request.merchant_id).await?;
    let account = connection.account(state)?;
    let intent = account
        .retrieve_setup_intent(setup_intent_id)
        .await
        .map_err(payments_error)?;
    match intent.state {
        SetupState::Succeeded { payment_method_id } => {
            record_completion(state, &account, &request, &payment_method_id).await
        }
        _ => Err(AppError::SetupIncomplete),
    }
}

async fn saved_card(
    db: &impl ConnectionTrait,
    request: &card_request::Model,
) -> Result<Option<CardView>, AppError> {
    let Some(option_id) = &request.payment_option_id else {
        return Ok(None);
    };
    Ok(payment_option::Entity::find_by_id(option_id.clone())
        .one(db)
        .await?
        .map(|o| card_view(&o.brand, &o.last4, o.exp_month, o.exp_year)))
}

// ---------------------------------------------------------------------------------------------
// Completion

/// From `setup_intent.succeeded`: completes the card request that owns this SetupIntent, if any
/// (Stripe is asked again rather than trusting the event's copy, so order does not matter).
pub async fn complete_from_webhook(
    state: &AppState,
    connection: &StripeConnection,
    merchant_id: &str,
    setup_intent_id: &str,
) -> Result<(), AppError> {
    let Some(request) = card_request::Entity::find()
        .filter(card_request::Column::MerchantId.eq(merchant_id))
        .filter(card_request::Column::SetupIntentId.eq(setup_intent_id))
        .one(&state.db)
        .await?
    else {
        tracing::info!(
            merchant_id,
            setup_intent_id,
            "setup_intent.succeeded for no card request"
        );
        return Ok(());
    };
    if request.status == COMPLETED {
        return Ok(());
    }
    let account = connection.account(state)?;
    let intent = account
        .retrieve_setup_intent(setup_intent_id)
        .await
        .map_err(payments_error)?;
    if let SetupState::Succeeded { payment_method_id } = intent.state {
        record_completion(state, &account, &request, &payment_method_id).await?;
    }
    Ok(())
}

/// Records the card once: the request flips to `completed` with a conditional UPDATE, and only
/// the caller whose UPDATE changed the row inserts the payment option and the merchant's notice
/// (in the same transaction). Everyone else reads the winner's card.
async fn record_completion(
    state: &AppState,
    account: &StripeAccount,
    request: &card_request::Model,
    payment_method_id: &str,
) -> Result<CardView, AppError> {
    let card: CardSummary = account
        .retrieve_card(payment_method_id)
        .await
        .map_err(payments_error)?
        .ok_or_else(|| AppError::internal("saved payment method is not a card"))?;
    let db = &state.db;
    let now = Utc::now();
    let option_id = new_id();
    let txn = db.begin().await?;
    // First statement is the write: SQLite takes its lock here; Postgres makes a concurrent
    // caller wait on the row and then find it already completed.
    let won = card_request::Entity::update_many()
        .col_expr(card_request::Column::Status, Expr::value(COMPLETED))
        .col_expr(card_request::Column::CompletedAt, Expr::value(now))
        .col_expr(card_request::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            card_request::Column::PaymentOptionId,
            Expr::value(option_id.clone()),
        )
        .filter(card_request::Column::Id.eq(request.id.as_str()))
        .filter(card_request::Column::Status.ne(COMPLETED))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        txn.rollback().await?;
        let current = card_request::Entity::find_by_id(request.id.clone())
            .one(db)
            .await?
            .ok_or(AppError::LinkNotFound)?;
        return saved_card(db, &current)
            .await?
            .ok_or_else(|| AppError::internal("completed card request without its card"));
    }
    // Serialised with Make default and Remove, so the customer never ends up with two defaults.
    payment_options::service::lock_customer(&txn, &request.merchant_id, &request.customer_id)
        .await?;
    let has_default = payment_options::service::has_default_card(
        &txn,
        &request.merchant_id,
        &request.customer_id,
    )
    .await?;
    let exp_month = i32::try_from(card.exp_month).unwrap_or(0);
    let exp_year = i32::try_from(card.exp_year).unwrap_or(0);
    payment_option::ActiveModel {
        id: Set(option_id),
        merchant_id: Set(request.merchant_id.clone()),
        customer_id: Set(request.customer_id.clone()),
        stripe_payment_method_id: Set(card.payment_method_id.clone()),
        brand: Set(card.brand.clone()),
        last4: Set(card.last4.clone()),
        exp_month: Set(exp_month),
        exp_year: Set(exp_year),
        is_default: Set(!has_default),
        source: Set(payment_option::SOURCE_CUSTOMER_LINK.to_owned()),
        added_by_staff_id: Set(None),
        card_request_id: Set(Some(request.id.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        removed_at: Set(None),
        removed_by_staff_id: Set(None),
        removal_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = card_view(&card.brand, &card.last4, exp_month, exp_year);
    activity::record(
        &txn,
        &request.merchant_id,
        &request.customer_id,
        Actor::Customer,
        activity::CARD_ADDED,
        format!(
            "Added {} •••• {} through the emailed link",
            view.brand, view.last4
        ),
    )
    .await?;
    enqueue_saved_notice(state, &txn, request, &view).await?;
    txn.commit().await?;
    outbox::wake_worker();
    live::publish(&request.merchant_id, &request.customer_id);
    tracing::info!(card_request_id = %request.id, "card saved from card request");
    Ok(view)
}

/// "<Customer> added a card", to the staff member who sent the request.
async fn enqueue_saved_notice(
    state: &AppState,
    txn: &impl ConnectionTrait,
    request: &card_request::Model,
    card: &CardView,
) -> Result<(), AppError> {
    let customer = find_model(txn, &request.merchant_id, &request.customer_id).await?;
    let merchant = find_merchant(txn, &request.merchant_id).await?;
    let Some(staff) = staff_user::Entity::find_by_id(request.sent_by.clone())
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let Ok(recipient) = EmailAddress::parse(&staff.email) else {
        return Ok(());
    };
    let customer_name = full_name(&customer.first_name, &customer.last_name);
    let profile_link = state
        .config
        .base_url
        .join(&format!("customers/{}", customer.id))
        .map_err(AppError::internal)?
        .to_string();
    let card_text = card.describe();
    let requested_on = request.created_at.format("%Y-%m-%d").to_string();
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
        outbox::NewEmail {
            merchant_id: request.merchant_id.clone(),
            customer_id: Some(customer.id.clone()),
            kind: KIND_CARD_SAVED_NOTICE.to_owned(),
            recipient,
            from_name: merchant.business_name.clone(),
            reply_to: None,
            subject: email.subject(),
            body_text: bodies.text,
            body_html: bodies.html,
        },
    )
    .await?;
    Ok(())
}

//! Accounts and sessions. Passwords are argon2id; session tokens are 256 random bits of which only
//! the SHA-256 is stored.

use std::sync::OnceLock;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};

use crate::domain::{BusinessName, EmailAddress, NewPassword, PersonName};
use crate::entities::{merchant, new_id, session, staff_user};
use crate::error::{AppError, FieldError};
use crate::password_hashing::PasswordHashing;

/// The signed-in staff member. Every query a merchant page makes is scoped by `merchant_id`.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub session_id: String,
    pub staff_user_id: String,
    pub merchant_id: String,
}

pub struct SignUp {
    pub business_name: BusinessName,
    pub name: PersonName,
    pub email: EmailAddress,
    pub password: NewPassword,
}

impl SignUp {
    pub fn parse(
        business_name: &str,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let business_name = BusinessName::parse(business_name)
            .map_err(|m| errors.push(FieldError::new("business_name", m)))
            .ok();
        let name = PersonName::parse(name, "Enter your name.")
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let email = EmailAddress::parse(email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let password = NewPassword::parse(password)
            .map_err(|m| errors.push(FieldError::new("password", m)))
            .ok();
        match (business_name, name, email, password) {
            (Some(business_name), Some(name), Some(email), Some(password)) if errors.is_empty() => {
                Ok(Self {
                    business_name,
                    name,
                    email,
                    password,
                })
            }
            _ => Err(AppError::validation(errors)),
        }
    }
}

/// A hash to verify against when the email is unknown, so both failures take the same time (and
/// the same hashing slot).
fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY
        .get_or_init(|| crate::password_hashing::unbounded_hash_once(b"not-a-real-password"))
        .clone()
}

const EMAIL_TAKEN: &str =
    "This email can't be used to create an account. If it is yours, sign in instead.";

/// Creates the merchant and its owner in one transaction, its email taken as confirmed by the
/// caller (the seeded demo). Sign-up through the form is the `onboarding` capability's: the same
/// steps plus a confirmation link, in the same transaction.
pub async fn sign_up(
    db: &DatabaseConnection,
    hashing: &PasswordHashing,
    input: SignUp,
) -> Result<staff_user::Model, AppError> {
    let password_hash = hash_new_password(db, hashing, &input).await?;
    let txn = db.begin().await?;
    let owner = create_account(&txn, &input, password_hash).await?;
    txn.commit().await?;
    Ok(owner)
}

/// The new account's password hash. A taken email is refused first: no hashing slot is spent on
/// an answer known in advance.
pub async fn hash_new_password(
    db: &DatabaseConnection,
    hashing: &PasswordHashing,
    input: &SignUp,
) -> Result<String, AppError> {
    if email_taken(db, &input.email).await {
        return Err(AppError::field("email", EMAIL_TAKEN));
    }
    hashing.hash(input.password.expose()).await
}

/// Writes the merchant and its owner inside the caller's transaction. A concurrent sign-up for
/// the same email loses at the unique index and gets the same answer as a taken email.
pub async fn create_account(
    txn: &DatabaseTransaction,
    input: &SignUp,
    password_hash: String,
) -> Result<staff_user::Model, AppError> {
    let now = Utc::now();
    let merchant = merchant::ActiveModel {
        id: Set(new_id()),
        business_name: Set(input.business_name.as_str().to_owned()),
        card_link_validity_days: Set(7),
        currency: Set("usd".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let owner = staff_user::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant.id),
        name: Set(input.name.as_str().to_owned()),
        email: Set(input.email.normalized()),
        password_hash: Set(password_hash),
        role: Set(staff_user::ROLE_OWNER.to_owned()),
        created_at: Set(now),
    }
    .insert(txn)
    .await;
    match owner {
        Ok(owner) => Ok(owner),
        Err(err) if crate::error::is_unique_violation(&err) => {
            Err(AppError::field("email", EMAIL_TAKEN))
        }
        Err(err) => Err(err.into()),
    }
}

async fn email_taken(db: &DatabaseConnection, email: &EmailAddress) -> bool {
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email.normalized()))
        .one(db)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// Checks the credentials. Unknown email and wrong password are indistinguishable, in the answer
/// and in the time it takes.
pub async fn sign_in(
    db: &DatabaseConnection,
    hashing: &PasswordHashing,
    email: &str,
    password: &str,
) -> Result<staff_user::Model, AppError> {
    let user = match EmailAddress::parse(email) {
        Ok(email) => {
            staff_user::Entity::find()
                .filter(staff_user::Column::Email.eq(email.normalized()))
                .one(db)
                .await?
        }
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(dummy_hash);
    let valid = hashing.verify(hash, password).await?;
    match user {
        Some(user) if valid => Ok(user),
        _ => Err(AppError::InvalidCredentials),
    }
}

/// Sign-in with throttling: the attempt is recorded first and refused outright while this email
/// or client is over its budget (see [`super::throttle::admit`]); only then is the password
/// checked, and a success clears the email's count.
pub async fn authenticate(
    db: &DatabaseConnection,
    hashing: &PasswordHashing,
    email: &str,
    password: &str,
    client_ip: Option<&str>,
) -> Result<staff_user::Model, AppError> {
    super::throttle::admit(db, email, client_ip).await?;
    let user = sign_in(db, hashing, email, password).await?;
    super::throttle::clear(db, email).await?;
    Ok(user)
}

/// A staff member of this merchant; one who is gone (or another merchant's) is `Unauthorized`.
pub async fn find_staff(
    db: &impl sea_orm::ConnectionTrait,
    merchant_id: &str,
    staff_user_id: &str,
) -> Result<staff_user::Model, AppError> {
    staff_user::Entity::find_by_id(staff_user_id.to_owned())
        .filter(staff_user::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// A staff member and the address their notices go to; `None` when the member is gone or their
/// address is unusable (the notice is then skipped).
pub async fn staff_recipient(
    db: &impl sea_orm::ConnectionTrait,
    staff_user_id: &str,
) -> Result<Option<(staff_user::Model, EmailAddress)>, AppError> {
    let staff = staff_user::Entity::find_by_id(staff_user_id.to_owned())
        .one(db)
        .await?;
    Ok(staff.and_then(|s| {
        EmailAddress::parse(&s.email)
            .ok()
            .map(|address| (s, address))
    }))
}

pub fn token_digest(token: &str) -> String {
    crate::crypto::sha256_hex(token)
}

/// Starts a new session and returns the cookie's token (never stored as such).
pub async fn create_session(
    db: &DatabaseConnection,
    user: &staff_user::Model,
    ttl_hours: i64,
) -> Result<String, AppError> {
    let token = crate::crypto::random_token();
    let now = Utc::now();
    session::ActiveModel {
        id: Set(token_digest(&token)),
        staff_user_id: Set(user.id.clone()),
        merchant_id: Set(user.merchant_id.clone()),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(ttl_hours)),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn find_session(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<Authenticated>, AppError> {
    let found = session::Entity::find_by_id(token_digest(token))
        .one(db)
        .await?;
    Ok(found
        .filter(|s| s.expires_at > Utc::now())
        .map(|s| Authenticated {
            session_id: s.id,
            staff_user_id: s.staff_user_id,
            merchant_id: s.merchant_id,
        }))
}

pub async fn delete_session(db: &DatabaseConnection, token: &str) -> Result<(), AppError> {
    session::Entity::delete_by_id(token_digest(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes expired sessions; run periodically by the server.
pub async fn purge_expired_sessions(db: &DatabaseConnection) -> Result<u64, AppError> {
    let result = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn session_info(
    db: &DatabaseConnection,
    auth: &Authenticated,
) -> Result<crate::features::auth::dto::SessionInfo, AppError> {
    let user = staff_user::Entity::find_by_id(auth.staff_user_id.clone())
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let merchant = merchant::Entity::find_by_id(auth.merchant_id.clone())
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let demo_payments =
        crate::entities::stripe_connection::Entity::find_by_id(auth.merchant_id.clone())
            .one(db)
            .await?
            .is_some_and(|c| c.emulated);
    Ok(crate::features::auth::dto::SessionInfo {
        business_name: merchant.business_name,
        user_name: user.name,
        email: user.email,
        demo_payments,
    })
}

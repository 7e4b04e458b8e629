//! The demo merchant "Demo Tours" with a handful of customers (demo mode only).

use app::domain::{BusinessName, EmailAddress, NewPassword, PersonName};
use app::entities::staff_user;
use app::error::AppError;
use app::features::auth::service::{self as auth, SignUp};
use app::features::customers::service::{self as customers, CustomerInput};
use app::features::onboarding;
use app::features::settings::connection;
use app::state::AppState;
use base64::Engine;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

pub const DEMO_EMAIL: &str = "demo@example.com";

pub struct DemoLogin {
    pub email: String,
    pub password: String,
}

const CUSTOMERS: &[(&str, &str, &str, &str)] = &[
    ("Ada", "Lovelace", "ada@example.com", "+44 20 7946 0018"),
    ("Grace", "Hopper", "grace@example.com", "+1 555 010 4477"),
    ("Alan", "Turing", "alan@example.com", "+44 161 496 0123"),
    (
        "Katherine",
        "Johnson",
        "katherine@example.com",
        "+1 555 010 2291",
    ),
    ("Tim", "Berners-Lee", "", "+41 22 767 6111"),
    ("Margaret", "Hamilton", "margaret@example.com", ""),
];

fn generated_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn parsed<T>(result: Result<T, String>) -> Result<T, AppError> {
    result.map_err(AppError::internal)
}

/// Creates the demo merchant on first start. Its password is `DEMO_PASSWORD` when set, otherwise
/// a new one generated at every start (and printed), so the printed login always works.
pub async fn seed_demo(state: &AppState) -> Result<DemoLogin, AppError> {
    let db = &state.db;
    let password = std::env::var("DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(generated_password);
    let existing = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(DEMO_EMAIL))
        .one(db)
        .await?;
    match existing {
        Some(user) => {
            let mut user: staff_user::ActiveModel = user.into();
            user.password_hash = Set(state.hashing.hash(&password).await?);
            user.update(db).await?;
        }
        None => {
            let owner = auth::sign_up(
                db,
                &state.hashing,
                SignUp {
                    business_name: parsed(BusinessName::parse("Demo Tours"))?,
                    name: parsed(PersonName::parse("Demo Owner", ""))?,
                    email: parsed(EmailAddress::parse(DEMO_EMAIL))?,
                    password: parsed(NewPassword::parse(&password))?,
                },
            )
            .await?;
            // The operator's own demo: its address needs no link to be trusted.
            onboarding::confirmation::confirm_without_link(db, &owner).await?;
            for (first, last, email, phone) in CUSTOMERS {
                let input = CustomerInput::parse(first, last, email, phone, "")?;
                customers::create(db, &owner.merchant_id, input).await?;
            }
            tracing::info!("seeded the demo merchant");
            if state.emulator_base.is_some() {
                connection::connect_demo(state, &owner.merchant_id).await?;
            }
        }
    }
    Ok(DemoLogin {
        email: DEMO_EMAIL.to_owned(),
        password,
    })
}

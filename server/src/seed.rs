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

/// Names the bench's generated customers are made of: 40 × 40 pairs, each repeated with its own
/// number, so a search for a name finds many and a search for a number few — as in a real list.
const FIRST_NAMES: &[&str] = &[
    "Amelia", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kira",
    "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Xena", "Yusuf", "Zoe", "Aiden", "Bea", "Carlos", "Dana", "Emil", "Fatima", "George",
    "Hana", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nina",
];
const LAST_NAMES: &[&str] = &[
    "Adams", "Baker", "Clark", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
    "Khan", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Smith", "Tanaka",
    "Ueda", "Valdez", "Walker", "Xu", "Young", "Zimmer", "Ahmed", "Brown", "Costa", "Dubois",
    "Ercan", "Fraser", "Gomez", "Hall", "Ivanova", "Jensen", "Kowalski", "Lee", "Moreau", "Novak",
];

/// `server seed-customers <owner email> <count>`: adds `count` generated customers to the
/// merchant whose staff member has that email, a thousand per statement (the bench's 100,000
/// customer merchant). Emails are `bench-<run>-<n>@example.com`, unique per run.
pub async fn seed_customers(
    db: &sea_orm::DatabaseConnection,
    staff_email: &str,
    count: u64,
) -> Result<u64, AppError> {
    let staff = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(staff_email.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::internal(format!("no staff member with the email {staff_email}"))
        })?;
    let run = chrono::Utc::now().timestamp_millis();
    let inputs = (0..count)
        .map(|n| {
            let index = usize::try_from(n).unwrap_or(0);
            let first = FIRST_NAMES[index % FIRST_NAMES.len()];
            let last = LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()];
            CustomerInput::parse(
                first,
                last,
                &format!("bench-{run}-{n}@example.com"),
                &format!("+1 555 {:03} {:04}", n / 10_000 % 1000, n % 10_000),
                "",
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    customers::create_many(db, &staff.merchant_id, inputs).await
}

//! Customers, commands: the customer form parsed, create and update (one email address per
//! customer of a merchant), and the lookup every capability uses. Every query takes the merchant
//! id and filters by it first: another merchant's customer is indistinguishable from one that
//! does not exist.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::dto::CustomerDetail;
use super::view::to_detail;
use crate::domain::{EmailAddress, Notes, PersonName, PhoneNumber};
use crate::entities::{customer, new_id};
use crate::error::{AppError, FieldError};
use crate::ids::{CustomerId, MerchantId};

const DUPLICATE_EMAIL: &str = "Another customer already uses this email address.";

/// Validated input of the customer form.
pub struct CustomerInput {
    pub first_name: PersonName,
    pub last_name: String,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub notes: Notes,
}

impl CustomerInput {
    /// Parses every field and reports every problem at once.
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
        phone: &str,
        notes: &str,
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let first_name = PersonName::parse(first_name, "Enter a first name.")
            .map_err(|m| errors.push(FieldError::new("first_name", m)))
            .ok();
        let last_name = if last_name.trim().is_empty() {
            Some(String::new())
        } else {
            PersonName::parse(last_name, "")
                .map(|n| n.as_str().to_owned())
                .map_err(|m| errors.push(FieldError::new("last_name", m)))
                .ok()
        };
        let email = if email.trim().is_empty() {
            Some(None)
        } else {
            EmailAddress::parse(email)
                .map(Some)
                .map_err(|m| errors.push(FieldError::new("email", m)))
                .ok()
        };
        let phone = if phone.trim().is_empty() {
            Some(None)
        } else {
            PhoneNumber::parse(phone)
                .map(Some)
                .map_err(|m| errors.push(FieldError::new("phone", m)))
                .ok()
        };
        let notes = Notes::parse(notes)
            .map_err(|m| errors.push(FieldError::new("notes", m)))
            .ok();
        match (first_name, last_name, email, phone, notes) {
            (Some(first_name), Some(last_name), Some(email), Some(phone), Some(notes))
                if errors.is_empty() =>
            {
                Ok(Self {
                    first_name,
                    last_name,
                    email,
                    phone,
                    notes,
                })
            }
            _ => Err(AppError::validation(errors)),
        }
    }

    fn sort_key(&self) -> String {
        format!("{} {}", self.last_name, self.first_name.as_str())
            .trim()
            .to_lowercase()
    }

    fn search_text(&self) -> String {
        let mut parts = vec![self.first_name.as_str().to_owned(), self.last_name.clone()];
        if let Some(email) = &self.email {
            parts.push(email.as_str().to_owned());
        }
        if let Some(phone) = &self.phone {
            parts.push(phone.as_str().to_owned());
            parts.push(phone.digits());
        }
        parts.join(" ").to_lowercase()
    }
}

/// Where emails to the customer go; `None` without a usable address (the email is skipped).
pub fn email_recipient(customer: &customer::Model) -> Option<EmailAddress> {
    customer
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
}

/// One of this merchant's customers (another merchant's id is `NotFound`), inside a transaction
/// or not.
pub async fn find_model(
    db: &impl sea_orm::ConnectionTrait,
    merchant_id: MerchantId<'_>,
    id: CustomerId<'_>,
) -> Result<customer::Model, AppError> {
    customer::Entity::find_by_id(id.as_str().to_owned())
        .filter(customer::Column::MerchantId.eq(merchant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn ensure_email_free(
    db: &DatabaseConnection,
    merchant_id: &str,
    email: Option<&EmailAddress>,
    except_id: Option<&str>,
) -> Result<(), AppError> {
    let Some(email) = email else { return Ok(()) };
    let mut select = customer::Entity::find()
        .filter(customer::Column::MerchantId.eq(merchant_id))
        .filter(customer::Column::EmailNormalized.eq(email.normalized()));
    if let Some(id) = except_id {
        select = select.filter(customer::Column::Id.ne(id));
    }
    if select.one(db).await?.is_some() {
        return Err(AppError::field("email", DUPLICATE_EMAIL));
    }
    Ok(())
}

/// A unique-index violation after our own check means a concurrent save took the email.
fn map_unique_violation(err: sea_orm::DbErr) -> AppError {
    if crate::error::is_unique_violation(&err) {
        AppError::field("email", DUPLICATE_EMAIL)
    } else {
        AppError::internal(err)
    }
}

pub async fn create(
    db: &DatabaseConnection,
    merchant_id: &str,
    input: CustomerInput,
) -> Result<CustomerDetail, AppError> {
    ensure_email_free(db, merchant_id, input.email.as_ref(), None).await?;
    let model = new_model(merchant_id, &input, Utc::now())
        .insert(db)
        .await
        .map_err(map_unique_violation)?;
    Ok(to_detail(model))
}

/// Many new customers in one statement per thousand: the bench's 100,000-customer merchant
/// (`server seed-customers`). Their emails must be new to the merchant and to each other — the
/// unique index refuses the batch otherwise; no per-row check is made.
pub async fn create_many(
    db: &DatabaseConnection,
    merchant_id: &str,
    inputs: Vec<CustomerInput>,
) -> Result<u64, AppError> {
    let mut created = 0;
    let mut rows = inputs.into_iter().peekable();
    while rows.peek().is_some() {
        let now = Utc::now();
        let batch: Vec<customer::ActiveModel> = rows
            .by_ref()
            .take(1000)
            .map(|input| new_model(merchant_id, &input, now))
            .collect();
        created += batch.len() as u64;
        customer::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await
            .map_err(map_unique_violation)?;
    }
    Ok(created)
}

fn new_model(
    merchant_id: &str,
    input: &CustomerInput,
    now: chrono::DateTime<Utc>,
) -> customer::ActiveModel {
    customer::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        first_name: Set(input.first_name.as_str().to_owned()),
        last_name: Set(input.last_name.clone()),
        email: Set(input.email.as_ref().map(|e| e.as_str().to_owned())),
        email_normalized: Set(input.email.as_ref().map(EmailAddress::normalized)),
        phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
        notes: Set(input.notes.as_str().to_owned()),
        stripe_customer_id: Set(None),
        stripe_account_id: Set(None),
        stripe_livemode: Set(None),
        sort_key: Set(input.sort_key()),
        search_text: Set(input.search_text()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub async fn update(
    db: &DatabaseConnection,
    merchant_id: &str,
    id: &str,
    input: CustomerInput,
) -> Result<CustomerDetail, AppError> {
    let existing = find_model(db, MerchantId(merchant_id), CustomerId(id)).await?;
    ensure_email_free(db, merchant_id, input.email.as_ref(), Some(id)).await?;
    let mut model: customer::ActiveModel = existing.into();
    model.first_name = Set(input.first_name.as_str().to_owned());
    model.last_name = Set(input.last_name.clone());
    model.email = Set(input.email.as_ref().map(|e| e.as_str().to_owned()));
    model.email_normalized = Set(input.email.as_ref().map(EmailAddress::normalized));
    model.phone = Set(input.phone.as_ref().map(|p| p.as_str().to_owned()));
    model.notes = Set(input.notes.as_str().to_owned());
    model.sort_key = Set(input.sort_key());
    model.search_text = Set(input.search_text());
    model.updated_at = Set(Utc::now());
    let saved = model.update(db).await.map_err(map_unique_violation)?;
    Ok(to_detail(saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_reports_every_bad_field() {
        let Err(AppError::Validation { errors }) = CustomerInput::parse(" ", "", "nope", "abc", "")
        else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "email", "phone"]);
    }

    #[test]
    fn search_text_holds_phone_digits() {
        let input = CustomerInput::parse(
            "Ada",
            "Lovelace",
            "Ada@Example.com",
            "+44 (20) 7946-0018",
            "",
        )
        .unwrap();
        assert_eq!(input.sort_key(), "lovelace ada");
        assert!(input.search_text().contains("ada@example.com"));
        assert!(input.search_text().contains("442079460018"));
    }
}

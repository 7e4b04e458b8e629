//! Customer queries. Every one takes the merchant id and filters by it first: another merchant's
//! customer is indistinguishable from one that does not exist.

use base64::Engine;
use chrono::Utc;
use sea_orm::sea_query::{Condition, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::{CustomerDetail, CustomerPage, CustomerSummary, full_name};
use crate::domain::{EmailAddress, Notes, PersonName, PhoneNumber};
use crate::entities::{customer, new_id};
use crate::error::{AppError, FieldError};
use crate::ids::{CustomerId, MerchantId};

pub const PAGE_SIZE: u64 = 25;
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

fn to_detail(model: customer::Model) -> CustomerDetail {
    CustomerDetail {
        id: model.id,
        first_name: model.first_name,
        last_name: model.last_name,
        email: model.email,
        phone: model.phone,
        notes: model.notes,
        created_on: crate::time::day(model.created_at),
    }
}

fn to_summary(model: customer::Model) -> CustomerSummary {
    CustomerSummary {
        full_name: full_name(&model.first_name, &model.last_name),
        id: model.id,
        email: model.email,
        phone: model.phone,
    }
}

/// A position in the list: the sort key and id of a row. Encoded opaquely for URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort_key: String,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}\n{}", self.id, self.sort_key))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (id, sort_key) = text.split_once('\n')?;
        Some(Self {
            sort_key: sort_key.to_owned(),
            id: id.to_owned(),
        })
    }

    fn of(model: &customer::Model) -> Self {
        Self {
            sort_key: model.sort_key.clone(),
            id: model.id.clone(),
        }
    }
}

pub enum PageRequest {
    First,
    After(Cursor),
    Before(Cursor),
}

impl PageRequest {
    pub fn parse(after: Option<&str>, before: Option<&str>) -> Result<Self, AppError> {
        let bad = || {
            AppError::field(
                "cursor",
                "This page link is not valid. Go back to the first page.",
            )
        };
        match (
            after.filter(|s| !s.is_empty()),
            before.filter(|s| !s.is_empty()),
        ) {
            (None, None) => Ok(Self::First),
            (Some(a), None) => Cursor::decode(a).map(Self::After).ok_or_else(bad),
            (None, Some(b)) => Cursor::decode(b).map(Self::Before).ok_or_else(bad),
            (Some(_), Some(_)) => Err(bad()),
        }
    }
}

/// Escapes LIKE wildcards so a search for `50%` means the text "50%".
fn like_contains(term: &str) -> LikeExpr {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn search_condition(query: &str) -> Option<Condition> {
    let term = query.trim().to_lowercase();
    if term.is_empty() {
        return None;
    }
    let mut any = Condition::any().add(customer::Column::SearchText.like(like_contains(&term)));
    // "555 0109" should find "+1 (555) 010-9999": compare digits when the term looks like a phone.
    let digits: String = term.chars().filter(char::is_ascii_digit).collect();
    let phone_like = term
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like && digits.len() >= 3 && digits != term {
        any = any.add(customer::Column::SearchText.like(like_contains(&digits)));
    }
    Some(any)
}

pub async fn list(
    db: &DatabaseConnection,
    merchant_id: &str,
    query: &str,
    page: PageRequest,
) -> Result<CustomerPage, AppError> {
    if query.chars().count() > 100 {
        return Err(AppError::field("q", "Search for at most 100 characters."));
    }
    let mut select = customer::Entity::find().filter(customer::Column::MerchantId.eq(merchant_id));
    if let Some(condition) = search_condition(query) {
        select = select.filter(condition);
    }
    let backwards = matches!(page, PageRequest::Before(_));
    select = match &page {
        PageRequest::First => select,
        PageRequest::After(c) => select.filter(
            Condition::any()
                .add(customer::Column::SortKey.gt(c.sort_key.clone()))
                .add(
                    Condition::all()
                        .add(customer::Column::SortKey.eq(c.sort_key.clone()))
                        .add(customer::Column::Id.gt(c.id.clone())),
                ),
        ),
        PageRequest::Before(c) => select.filter(
            Condition::any()
                .add(customer::Column::SortKey.lt(c.sort_key.clone()))
                .add(
                    Condition::all()
                        .add(customer::Column::SortKey.eq(c.sort_key.clone()))
                        .add(customer::Column::Id.lt(c.id.clone())),
                ),
        ),
    };
    select = if backwards {
        select
            .order_by_desc(customer::Column::SortKey)
            .order_by_desc(customer::Column::Id)
    } else {
        select
            .order_by_asc(customer::Column::SortKey)
            .order_by_asc(customer::Column::Id)
    };
    let mut rows = select.limit(PAGE_SIZE + 1).all(db).await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    let first = rows.first().map(Cursor::of);
    let last = rows.last().map(Cursor::of);
    let (has_prev, has_next) = match page {
        PageRequest::First => (false, more),
        PageRequest::After(_) => (true, more),
        PageRequest::Before(_) => (more, true),
    };
    Ok(CustomerPage {
        prev_cursor: first.filter(|_| has_prev).map(|c| c.encode()),
        next_cursor: last.filter(|_| has_next).map(|c| c.encode()),
        items: rows.into_iter().map(to_summary).collect(),
    })
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

pub async fn get(
    db: &DatabaseConnection,
    merchant_id: &str,
    id: &str,
) -> Result<CustomerDetail, AppError> {
    find_model(db, MerchantId(merchant_id), CustomerId(id))
        .await
        .map(to_detail)
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
    let now = Utc::now();
    let model = customer::ActiveModel {
        id: Set(new_id()),
        merchant_id: Set(merchant_id.to_owned()),
        first_name: Set(input.first_name.as_str().to_owned()),
        last_name: Set(input.last_name.clone()),
        email: Set(input.email.as_ref().map(|e| e.as_str().to_owned())),
        email_normalized: Set(input.email.as_ref().map(EmailAddress::normalized)),
        phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
        notes: Set(input.notes.as_str().to_owned()),
        stripe_customer_id: Set(None),
        sort_key: Set(input.sort_key()),
        search_text: Set(input.search_text()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(map_unique_violation)?;
    Ok(to_detail(model))
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
    use proptest::prelude::*;

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

    #[test]
    fn page_request_rejects_garbage_cursors() {
        assert!(PageRequest::parse(Some("%%%"), None).is_err());
        assert!(PageRequest::parse(Some("a"), Some("b")).is_err());
        assert!(matches!(
            PageRequest::parse(Some(""), None),
            Ok(PageRequest::First)
        ));
    }

    proptest! {
        #[test]
        fn cursors_round_trip(sort_key in "\\PC{0,60}", id in "[0-9a-f-]{36}") {
            let cursor = Cursor { sort_key, id };
            prop_assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        }
    }
}

//! Customers, read side: the list with search and keyset paging, and one customer's details.
//! Every query takes the merchant id and filters by it first: another merchant's customer is
//! indistinguishable from one that does not exist.

use base64::Engine;
use sea_orm::sea_query::{Condition, Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use super::dto::{CustomerDetail, CustomerPage, CustomerSummary, full_name};
use super::service::find_model;
use crate::entities::customer;
use crate::error::AppError;
use crate::ids::{CustomerId, MerchantId};

/// Rows per page of the customer list.
pub const PAGE_SIZE: u64 = 25;

pub(super) fn to_detail(model: customer::Model) -> CustomerDetail {
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

/// The customers whose `search_text` contains `query` (or, for a phone-like query, its digits).
///
/// The exact test is a `LIKE '%…%'` on the customer row. On SQLite the trigram index of migration
/// 0014 (`customers_search`) first narrows the rows to those sharing the term's trigrams, so a
/// rare name is found without reading every customer; on Postgres the GIN trigram index serves
/// the `LIKE` itself.
fn search_condition(query: &str, backend: DbBackend) -> Option<Condition> {
    let term = query.trim().to_lowercase();
    if term.is_empty() {
        return None;
    }
    let mut terms = vec![term.clone()];
    // "555 0109" should find "+1 (555) 010-9999": compare digits when the term looks like a phone.
    let digits: String = term.chars().filter(char::is_ascii_digit).collect();
    let phone_like = term
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like && digits.len() >= 3 && digits != term {
        terms.push(digits);
    }
    let mut any = Condition::any();
    for term in &terms {
        any = any.add(customer::Column::SearchText.like(like_contains(term)));
    }
    let mut condition = Condition::all().add(any);
    if backend == DbBackend::Sqlite
        && let Some(candidates) = trigram_candidates(&terms)
    {
        condition = condition.add(candidates);
    }
    Some(condition)
}

/// SQLite: the rows the FTS5 trigram index finds for any of `terms`, or `None` when it cannot
/// help. A term under three characters has no trigram, and `LIKE … ESCAPE` (a term with `%`, `_`
/// or `\`) is not passed to the index: both would scan it whole, slower than the table.
fn trigram_candidates(terms: &[String]) -> Option<Condition> {
    let indexable = |term: &String| term.chars().count() >= 3 && !term.contains(['%', '_', '\\']);
    if !terms.iter().all(indexable) {
        return None;
    }
    let mut candidates = Condition::any();
    for term in terms {
        candidates = candidates.add(Expr::cust_with_values(
            "customers.rowid IN (SELECT rowid FROM customers_search WHERE search_text LIKE ?)",
            [format!("%{term}%")],
        ));
    }
    Some(candidates)
}

/// The merchant's customers that `query` finds (all of them for an empty query), unordered.
pub fn matching(merchant_id: &str, query: &str, backend: DbBackend) -> Select<customer::Entity> {
    let select = customer::Entity::find().filter(customer::Column::MerchantId.eq(merchant_id));
    match search_condition(query, backend) {
        Some(condition) => select.filter(condition),
        None => select,
    }
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
    let mut select = matching(merchant_id, query, db.get_database_backend());
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

pub async fn get(
    db: &DatabaseConnection,
    merchant_id: &str,
    id: &str,
) -> Result<CustomerDetail, AppError> {
    find_model(db, MerchantId(merchant_id), CustomerId(id))
        .await
        .map(to_detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

//! Customers, read side: the list with search and keyset paging, and one customer's details.
//! Every query takes the merchant id and filters by it first: another merchant's customer is
//! indistinguishable from one that does not exist.

use base64::Engine;
use sea_orm::sea_query::{Condition, Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use sea_orm::{ConnectionTrait, Statement, Value};

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

/// What a search looks for: the term, and for a phone-like term its digits too ("555 0109" finds
/// "+1 (555) 010-9999").
fn search_terms(query: &str) -> Vec<String> {
    let term = query.trim().to_lowercase();
    if term.is_empty() {
        return Vec::new();
    }
    let digits: String = term.chars().filter(char::is_ascii_digit).collect();
    let phone_like = term
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let mut terms = vec![term];
    if phone_like && digits.len() >= 3 && digits != terms[0] {
        terms.push(digits);
    }
    terms
}

/// The exact test: `search_text` contains one of the terms.
fn contains_any(terms: &[String]) -> Condition {
    terms.iter().fold(Condition::any(), |any, term| {
        any.add(customer::Column::SearchText.like(like_contains(term)))
    })
}

/// SQLite: the FTS5 trigram index of migration 0014 can serve the terms — each has a trigram
/// (three characters or more) and no `%`, `_` or `\` (`LIKE … ESCAPE` is not passed to the index).
fn indexable(terms: &[String]) -> bool {
    !terms.is_empty()
        && terms
            .iter()
            .all(|term| term.chars().count() >= 3 && !term.contains(['%', '_', '\\']))
}

/// The rows (of every merchant) the trigram index finds for one term.
const CANDIDATES_SQL: &str = "SELECT rowid FROM customers_search WHERE search_text LIKE ?";

/// How many candidates the index may give before reading them one by one costs more than
/// walking the merchant's list in order until a page is full (a common term fills it early).
const MAX_CANDIDATES: u64 = 2_000;

/// How to find the customers of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPlan {
    /// Walk the merchant's customers in list order, testing each (Postgres: its GIN trigram index
    /// serves the `LIKE` itself; SQLite: a common or short term).
    Walk,
    /// SQLite, a rare term: the rows the trigram index finds, fetched by rowid and checked.
    Candidates,
}

impl SearchPlan {
    /// Asks the SQLite trigram index how many rows (of every merchant) the terms match, up to
    /// [`MAX_CANDIDATES`]: few → [`SearchPlan::Candidates`].
    pub async fn choose(db: &DatabaseConnection, query: &str) -> Result<Self, AppError> {
        let terms = search_terms(query);
        if db.get_database_backend() != DbBackend::Sqlite || !indexable(&terms) {
            return Ok(Self::Walk);
        }
        let union = vec![CANDIDATES_SQL; terms.len()].join(" UNION ");
        let probe = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("SELECT COUNT(*) AS n FROM ({union} LIMIT {MAX_CANDIDATES})"),
            terms.iter().map(|term| Value::from(format!("%{term}%"))),
        );
        let found = db
            .query_one_raw(probe)
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        Ok(if found < MAX_CANDIDATES as i64 {
            Self::Candidates
        } else {
            Self::Walk
        })
    }
}

/// The merchant's customers that `query` finds (all of them for an empty query), unordered.
pub fn matching(merchant_id: &str, query: &str, plan: SearchPlan) -> Select<customer::Entity> {
    let terms = search_terms(query);
    let select = customer::Entity::find();
    if terms.is_empty() {
        return select.filter(customer::Column::MerchantId.eq(merchant_id));
    }
    match plan {
        SearchPlan::Walk => select
            .filter(customer::Column::MerchantId.eq(merchant_id))
            .filter(contains_any(&terms)),
        SearchPlan::Candidates => {
            let candidates = terms.iter().fold(Condition::any(), |any, term| {
                any.add(Expr::cust_with_values(
                    format!("customers.rowid IN ({CANDIDATES_SQL})"),
                    [format!("%{term}%")],
                ))
            });
            // `+`: not through the merchant's index, which would walk all of its customers;
            // the few candidates are read by rowid and the merchant checked on each.
            select
                .filter(Expr::cust_with_values(
                    "+customers.merchant_id = ?",
                    [merchant_id.to_owned()],
                ))
                .filter(candidates)
                .filter(contains_any(&terms))
        }
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
    let plan = SearchPlan::choose(db, query).await?;
    let mut select = matching(merchant_id, query, plan);
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

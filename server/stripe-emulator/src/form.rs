//! Stripe's request encoding: `application/x-www-form-urlencoded` with bracket notation.
//!
//! `metadata[order]=1` is a map, `expand[]=a&expand[]=b` and `expand[0]=a&expand[1]=b` are lists
//! (async-stripe sends the indexed form, Stripe.js and curl the `[]` form), and nesting goes as
//! deep as the keys do (`payment_method_data[card][number]`). The decoded tree keeps string
//! leaves: each resource converts and validates the parameters it reads, reporting Stripe's
//! errors with the full bracketed parameter name.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::errors::ApiError;

/// One decoded parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Str(String),
    List(Vec<Param>),
    Map(BTreeMap<String, Param>),
}

impl Param {
    /// A canonical JSON rendering: maps are sorted, so two requests with the same parameters in
    /// another order compare equal (used for idempotency).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Param::Str(s) => json!(s),
            Param::List(items) => Value::Array(items.iter().map(Param::to_json).collect()),
            Param::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// A node while decoding: maps whose keys are all indices become lists at the end.
#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>, bool /* appended with [] */),
}

/// Splits `a[b][0][]` into `["a", "b", "0", ""]`. Text after a closing bracket that is not an
/// opening one is kept as part of the segment, as Rack does.
fn split_key(key: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let (head, mut rest) = match key.find('[') {
        Some(i) if i > 0 => (&key[..i], &key[i..]),
        _ => return vec![key.to_string()],
    };
    segments.push(head.to_string());
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                segments.push(stripped[..end].to_string());
                rest = &stripped[end + 1..];
            }
            None => {
                // An unbalanced bracket: keep the remainder literally in the last segment.
                if let Some(last) = segments.last_mut() {
                    last.push_str(rest);
                }
                rest = "";
            }
        }
    }
    if !rest.is_empty()
        && let Some(last) = segments.last_mut()
    {
        last.push_str(rest);
    }
    segments
}

fn insert(
    map: &mut BTreeMap<String, Node>,
    path: &[String],
    value: String,
    full_key: &str,
) -> Result<(), ApiError> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(());
    };
    // `[]` appends: the next free index of this branch.
    let key = if first.is_empty() {
        format!("{:020}", map.len())
    } else {
        first.clone()
    };
    if rest.is_empty() {
        if matches!(map.get(&key), Some(Node::Branch(..))) {
            return Err(ApiError::param_error(
                format!("Invalid value for {full_key}: a hash or array was expected."),
                full_key,
            ));
        }
        map.insert(key, Node::Leaf(value));
        return Ok(());
    }
    let appended = rest.first().is_some_and(String::is_empty);
    let child = map
        .entry(key)
        .or_insert_with(|| Node::Branch(BTreeMap::new(), appended));
    match child {
        Node::Branch(children, was_appended) => {
            *was_appended |= appended;
            insert(children, rest, value, full_key)
        }
        Node::Leaf(_) => Err(ApiError::param_error(
            format!(
                "Invalid value for {full_key}: a string was given where a hash or array was expected."
            ),
            full_key,
        )),
    }
}

fn finish(node: Node) -> Param {
    match node {
        Node::Leaf(s) => Param::Str(s),
        Node::Branch(children, appended) => {
            let all_indices = !children.is_empty()
                && children
                    .keys()
                    .all(|k| k.bytes().all(|b| b.is_ascii_digit()));
            if appended || all_indices {
                // Order by numeric index: "10" after "9".
                let mut items: Vec<(u128, Param)> = children
                    .into_iter()
                    .map(|(k, v)| (k.parse::<u128>().unwrap_or(u128::MAX), finish(v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Param::List(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Param::Map(children.into_iter().map(|(k, v)| (k, finish(v))).collect())
            }
        }
    }
}

/// Decodes a form body or query string into a parameter tree.
pub(crate) fn parse(raw: &[u8]) -> Result<BTreeMap<String, Param>, ApiError> {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(raw) {
        if key.is_empty() {
            continue;
        }
        let path = split_key(&key);
        insert(&mut root, &path, value.into_owned(), &key)?;
    }
    Ok(root.into_iter().map(|(k, v)| (k, finish(v))).collect())
}

/// A read-only view of one level of parameters, with the bracketed prefix used to name
/// parameters in errors (`payment_method_data[card]`).
#[derive(Debug, Clone)]
pub(crate) struct Params<'a> {
    map: &'a BTreeMap<String, Param>,
    prefix: Option<String>,
}

/// An empty map to view when a request has no parameters.
static EMPTY: BTreeMap<String, Param> = BTreeMap::new();

impl<'a> Params<'a> {
    pub(crate) fn new(map: &'a BTreeMap<String, Param>) -> Self {
        Self { map, prefix: None }
    }

    /// The full parameter name for errors: `card[number]`.
    pub(crate) fn name(&self, key: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}[{key}]"),
            None => key.to_string(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Param> {
        self.map.get(key)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.map.keys()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Refuses any parameter not in `allowed`, as Stripe does (`parameter_unknown`).
    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::unknown_param(&self.name(k))),
            None => Ok(()),
        }
    }

    /// A string parameter. Empty strings are returned as `Some("")`: callers decide whether
    /// that means "unset" (Stripe's convention on updates).
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Str(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::param_error(
                format!("Invalid string: {}. A string was expected.", self.name(key)),
                &self.name(key),
            )
            .with_code("parameter_invalid_string")),
        }
    }

    /// A non-empty string, or `None` when absent or empty.
    pub(crate) fn non_empty(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        Ok(self.str(key)?.filter(|s| !s.is_empty()))
    }

    pub(crate) fn required_str(&self, key: &str) -> Result<&'a str, ApiError> {
        self.non_empty(key)?
            .ok_or_else(|| ApiError::missing_param(&self.name(key)))
    }

    pub(crate) fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => s.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::param_error(format!("Invalid integer: {s}"), &self.name(key))
                    .with_code("parameter_invalid_integer")
            }),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(s) => Err(ApiError::param_error(
                format!("Invalid boolean: {s}"),
                &self.name(key),
            )),
        }
    }

    /// One of a fixed set of values (`usage`, `reason`, …).
    pub(crate) fn one_of(&self, key: &str, values: &[&str]) -> Result<Option<&'a str>, ApiError> {
        match self.non_empty(key)? {
            None => Ok(None),
            Some(v) if values.contains(&v) => Ok(Some(v)),
            Some(v) => Err(ApiError::param_error(
                format!(
                    "Invalid {}: must be one of {} (got '{v}')",
                    self.name(key),
                    values.join(", ")
                ),
                &self.name(key),
            )),
        }
    }

    /// A nested hash (`metadata`, `card`, `payment_method_data`).
    pub(crate) fn sub(&self, key: &str) -> Result<Option<Params<'a>>, ApiError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Map(m)) => Ok(Some(Params {
                map: m,
                prefix: Some(self.name(key)),
            })),
            // `metadata=` (empty string) is how Stripe clears a hash: an empty view.
            Some(Param::Str(s)) if s.is_empty() => Ok(Some(Params {
                map: &EMPTY,
                prefix: Some(self.name(key)),
            })),
            Some(_) => Err(ApiError::param_error(
                format!("Invalid hash: {}. A hash was expected.", self.name(key)),
                &self.name(key),
            )
            .with_code("parameter_invalid_string")),
        }
    }

    /// A list of strings (`expand[]`, `enabled_events[]`). A single string counts as a list of
    /// one, since some clients send `expand=a`.
    pub(crate) fn str_list(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let bad = || {
            ApiError::param_error(
                format!("Invalid array: {}. An array was expected.", self.name(key)),
                &self.name(key),
            )
        };
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Str(s)) if s.is_empty() => Ok(Some(Vec::new())),
            Some(Param::Str(s)) => Ok(Some(vec![s.clone()])),
            Some(Param::List(items)) => items
                .iter()
                .map(|p| match p {
                    Param::Str(s) => Ok(s.clone()),
                    _ => Err(bad()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Param::Map(_)) => Err(bad()),
        }
    }

    /// `expand[]`, always allowed.
    pub(crate) fn expand(&self) -> Result<Vec<String>, ApiError> {
        Ok(self.str_list("expand")?.unwrap_or_default())
    }

    /// The canonical JSON of all parameters (idempotency fingerprint).
    pub(crate) fn to_json(&self) -> Value {
        Value::Object(
            self.map
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn p(s: &str) -> BTreeMap<String, Param> {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn decodes_nested_brackets_lists_and_percent_encoding() {
        let m = p(
            "metadata[order+id]=a%26b%3Dc&expand[0]=x&expand[1]=y&types[]=a&types[]=b&card[number]=4242&amount=100",
        );
        let params = Params::new(&m);
        assert_eq!(params.i64("amount").unwrap(), Some(100));
        assert_eq!(params.str_list("expand").unwrap().unwrap(), vec!["x", "y"]);
        assert_eq!(params.str_list("types").unwrap().unwrap(), vec!["a", "b"]);
        let md = params.sub("metadata").unwrap().unwrap();
        assert_eq!(md.str("order id").unwrap(), Some("a&b=c"));
        let card = params.sub("card").unwrap().unwrap();
        assert_eq!(card.name("number"), "card[number]");
        assert_eq!(card.str("number").unwrap(), Some("4242"));
    }

    #[test]
    fn percent_encoded_brackets_are_decoded_too() {
        let m = p("expand%5B0%5D=latest_charge&metadata%5Bk%5D=v");
        let params = Params::new(&m);
        assert_eq!(params.expand().unwrap(), vec!["latest_charge"]);
        assert_eq!(
            params.sub("metadata").unwrap().unwrap().str("k").unwrap(),
            Some("v")
        );
    }

    #[test]
    fn indices_sort_numerically() {
        let items: Vec<String> = (0..12).map(|i| format!("e[{i}]={i}")).collect();
        let m = p(&items.join("&"));
        let list = Params::new(&m).str_list("e").unwrap().unwrap();
        assert_eq!(list, (0..12).map(|i| i.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn conflicting_shapes_are_refused() {
        assert!(parse(b"a=1&a[b]=2").is_err());
        assert!(parse(b"a[b]=2&a=1").is_err());
    }

    #[test]
    fn unknown_parameters_are_named_with_their_prefix() {
        let m = p("card[numbr]=1");
        let card = Params::new(&m).sub("card").unwrap().unwrap();
        let err = card.only(&["number"]).unwrap_err();
        let nested = p("payment_method_data[card][numbr]=1");
        let pmd = Params::new(&nested)
            .sub("payment_method_data")
            .unwrap()
            .unwrap();
        let inner = pmd.sub("card").unwrap().unwrap();
        assert_eq!(
            inner.only(&["number"]).unwrap_err().body["param"],
            "payment_method_data[card][numbr]"
        );
        assert_eq!(err.body["param"], "card[numbr]");
        assert_eq!(err.code(), Some("parameter_unknown"));
    }

    #[test]
    fn invalid_integer_reports_stripe_code() {
        let m = p("amount=12a");
        let err = Params::new(&m).i64("amount").unwrap_err();
        assert_eq!(err.code(), Some("parameter_invalid_integer"));
    }
}

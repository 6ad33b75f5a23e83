//! Mandate request bodies and the profile list's query, every problem reported in format B's
//! terms.

use super::attributes::{self, required};
use super::debtor::DEBTOR_PROPERTY;
use super::profile::{creditor_profile_ref, metadata};
use super::{Debtor, MandateTerms};
use crate::error::{ErrorCode, Violation, Violations};
use crate::http::{JsonBody, JsonObject};
use crate::refs::CustomerRef;
use serde_json::Value;

/// Rows a page holds unless `take` says otherwise, and the most it may say.
pub const DEFAULT_TAKE: usize = 100;
pub const MAX_TAKE: usize = 1000;

/// POST sepa, POST sepa/draft and PUT sepa/{id}: `{customerRef, creditorProfileRef, debtor,
/// metadata}`, each part optional here; what registration needs is checked by
/// [`MandateTerms::missing`].
pub fn parse_terms(body: JsonBody) -> Result<MandateTerms, Vec<Violation>> {
    let object = body.required_object()?;
    let mut found = Violations::new();
    let customer_ref = found.check(match object.value("customerRef") {
        None => Ok(None),
        Some(Value::String(text)) => CustomerRef::parse(text).map(Some),
        Some(_) => Err(attributes::invalid("CustomerRef")),
    });
    let creditor_profile_ref = found.check(creditor_profile_ref(&object));
    let debtor = found.check(debtor(&object));
    let metadata = found.check(metadata(&object));
    let terms = (|| {
        Some(MandateTerms {
            customer_ref: customer_ref?,
            creditor_profile_ref: creditor_profile_ref?,
            debtor: debtor?,
            metadata: metadata?,
        })
    })();
    found.collect(terms)
}

fn debtor(object: &JsonObject) -> Result<Option<Debtor>, Vec<Violation>> {
    attributes::object(object, "debtor", DEBTOR_PROPERTY)?
        .map(|debtor| Debtor::parse(&debtor))
        .transpose()
}

/// PUT sepa/{id}/amend: `{debtor}`, complete.
pub fn parse_amendment(body: JsonBody) -> Result<Debtor, Vec<Violation>> {
    let object = body.required_object()?;
    let debtor = debtor(&object)?.ok_or_else(|| vec![required(DEBTOR_PROPERTY)])?;
    let missing = debtor.missing();
    if missing.is_empty() {
        Ok(debtor)
    } else {
        Err(missing)
    }
}

/// A page of the profile list: rows `from..from + take`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub from: usize,
    pub take: usize,
}

/// `?from=&take=`: `from` a row offset (default 0), `take` 1–1000 (default 100).
pub fn parse_paging(query: Option<&str>) -> Result<Paging, Vec<Violation>> {
    let mut from = Ok(0);
    let mut take = Ok(DEFAULT_TAKE);
    for (name, value) in query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
    {
        match name {
            "from" => {
                from = value.parse::<usize>().map_err(|_| {
                    Violation::new(ErrorCode::FROM_IS_INVALID).on_property("From", Some(value))
                })
            }
            "take" => {
                take = value
                    .parse::<usize>()
                    .ok()
                    .filter(|take| (1..=MAX_TAKE).contains(take))
                    .ok_or_else(|| {
                        Violation::new(ErrorCode::TAKE_OUT_OF_RANGE)
                            .with("min", 1)
                            .with("max", MAX_TAKE)
                            .on_property("Take", Some(value))
                    })
            }
            _ => {}
        }
    }
    let mut found = Violations::new();
    let from = found.check(from);
    let take = found.check(take);
    found.collect(from.zip(take).map(|(from, take)| Paging { from, take }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_edges() {
        assert_eq!(parse_paging(None), Ok(Paging { from: 0, take: 100 }));
        assert_eq!(
            parse_paging(Some("from=5&take=1")),
            Ok(Paging { from: 5, take: 1 })
        );
        assert_eq!(
            parse_paging(Some("take=1000&other=x")),
            Ok(Paging {
                from: 0,
                take: 1000
            })
        );
        for bad in ["take=0", "take=1001", "take=", "take=-1", "take=ten"] {
            let codes: Vec<_> = parse_paging(Some(bad))
                .err()
                .unwrap_or_default()
                .iter()
                .map(|v| v.code)
                .collect();
            assert_eq!(codes, vec![ErrorCode::TAKE_OUT_OF_RANGE], "{bad}");
        }
        let both = parse_paging(Some("from=-1&take=0"))
            .err()
            .unwrap_or_default();
        assert_eq!(both.len(), 2);
    }
}

//! `?from=&take=` (docs/api.md §3): `from` a row offset, `take` a page size.

use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::paging::{Paging, DEFAULT_TAKE, MAX_TAKE};

/// `?from=&take=`: `from` a row offset (default 0), `take` 1–1000 (default 100).
pub fn paging(query: Option<&str>) -> Result<Paging, Vec<Violation>> {
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
        assert_eq!(paging(None), Ok(Paging { from: 0, take: 100 }));
        assert_eq!(
            paging(Some("from=5&take=1")),
            Ok(Paging { from: 5, take: 1 })
        );
        assert_eq!(
            paging(Some("take=1000&other=x")),
            Ok(Paging {
                from: 0,
                take: 1000
            })
        );
        for bad in ["take=0", "take=1001", "take=", "take=-1", "take=ten"] {
            let codes: Vec<_> = paging(Some(bad))
                .err()
                .unwrap_or_default()
                .iter()
                .map(|v| v.code)
                .collect();
            assert_eq!(codes, vec![ErrorCode::TAKE_OUT_OF_RANGE], "{bad}");
        }
        let both = paging(Some("from=-1&take=0")).err().unwrap_or_default();
        assert_eq!(both.len(), 2);
    }
}

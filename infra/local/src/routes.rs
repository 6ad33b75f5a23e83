//! Route selection as API Gateway HTTP APIs do it, so a request reaches locally the function
//! it would reach on AWS.
//!
//! Of the routes whose path matches, the most specific wins, segment by segment from the left:
//! a literal beats `{param}`, which beats the greedy `{proxy+}` (last segment only, one or more
//! segments). An explicit method beats `ANY`. When nothing matches, the `$default` route takes
//! the request if the API declares one; otherwise API Gateway answers 404.

use crate::template::{RouteKey, Template};
use percent_encoding::percent_decode_str;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("route {0} is declared twice")]
    Duplicate(String),
    #[error("route {0}: a greedy {{name+}} segment must be the last one")]
    GreedyNotLast(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }
}

#[derive(Debug, Clone)]
struct Route {
    key: RouteKey,
    method: String,
    segments: Vec<Segment>,
    function: String,
}

/// The routes of one HTTP API and the function (binary) behind each.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    default: Option<String>,
}

/// The selected route: its key for the event's `routeKey`, its function, and the path
/// parameters it captured (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<'a> {
    pub route_key: &'a RouteKey,
    pub function: &'a str,
    pub path_parameters: BTreeMap<String, String>,
}

/// Path segments; `/` has none, and `/a/` has two (`a` and an empty one, which no
/// parameter matches).
fn split(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

impl RouteTable {
    /// Every HttpApi event of every function in the template.
    pub fn from_template(template: &Template) -> Result<RouteTable, RouteError> {
        RouteTable::new(
            template
                .functions
                .iter()
                .flat_map(|f| f.routes.iter().map(|key| (key.clone(), f.binary.clone()))),
        )
    }

    pub fn new(
        routes: impl IntoIterator<Item = (RouteKey, String)>,
    ) -> Result<RouteTable, RouteError> {
        let mut table = RouteTable::default();
        let mut seen = std::collections::BTreeSet::new();
        for (key, function) in routes {
            if !seen.insert(key.clone()) {
                return Err(RouteError::Duplicate(key.to_string()));
            }
            let RouteKey::Route { method, path } = &key else {
                table.default = Some(function);
                continue;
            };
            let segments: Vec<Segment> = split(path)
                .into_iter()
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => match name.strip_suffix('+') {
                            Some(greedy) => Segment::Greedy(greedy.to_owned()),
                            None => Segment::Param(name.to_owned()),
                        },
                        None => Segment::Literal(s.to_owned()),
                    },
                )
                .collect();
            if segments
                .iter()
                .rev()
                .skip(1)
                .any(|s| matches!(s, Segment::Greedy(_)))
            {
                return Err(RouteError::GreedyNotLast(key.to_string()));
            }
            table.routes.push(Route {
                method: method.clone(),
                segments,
                function,
                key,
            });
        }
        Ok(table)
    }

    pub fn select(&self, method: &str, raw_path: &str) -> Option<Selected<'_>> {
        static DEFAULT: RouteKey = RouteKey::Default;
        let request = split(raw_path);
        let best = self
            .routes
            .iter()
            .filter(|r| r.method == "ANY" || r.method.eq_ignore_ascii_case(method))
            .filter_map(|r| Some((r, captures(&r.segments, &request)?)))
            .min_by_key(|(r, _)| {
                (
                    r.segments.iter().map(Segment::rank).collect::<Vec<_>>(),
                    r.method == "ANY",
                )
            });
        match best {
            Some((route, path_parameters)) => Some(Selected {
                route_key: &route.key,
                function: &route.function,
                path_parameters,
            }),
            None => self.default.as_deref().map(|function| Selected {
                route_key: &DEFAULT,
                function,
                path_parameters: BTreeMap::new(),
            }),
        }
    }
}

/// The path parameters if `request` matches `route`.
fn captures(route: &[Segment], request: &[&str]) -> Option<BTreeMap<String, String>> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut params = BTreeMap::new();
    for (i, segment) in route.iter().enumerate() {
        match segment {
            Segment::Literal(text) => (request.get(i)? == text).then_some(())?,
            Segment::Param(name) => {
                let value = request.get(i).filter(|v| !v.is_empty())?;
                params.insert(name.clone(), decode(value));
            }
            Segment::Greedy(name) => {
                let rest = request.get(i..).filter(|r| !r.is_empty())?;
                params.insert(name.clone(), decode(&rest.join("/")));
                return Some(params);
            }
        }
    }
    (route.len() == request.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: &str, path: &str) -> RouteKey {
        RouteKey::Route {
            method: method.into(),
            path: path.into(),
        }
    }

    fn table(with_default: bool) -> RouteTable {
        let mut routes = vec![
            (key("GET", "/pets"), "list"),
            (key("GET", "/pets/{id}"), "get"),
            (key("GET", "/pets/dog"), "dog"),
            (key("ANY", "/pets/{id}"), "any-pet"),
            (key("GET", "/pets/{id}/toys/{toy}"), "toy"),
            (key("GET", "/pets/{proxy+}"), "pets-greedy"),
            (key("ANY", "/{proxy+}"), "catch-all"),
            (key("POST", "/"), "root"),
        ];
        if with_default {
            routes.push((RouteKey::Default, "fallback"));
        }
        RouteTable::new(routes.into_iter().map(|(k, f)| (k, f.to_owned()))).expect("valid")
    }

    /// Method, path, expected function, expected path parameters.
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    #[test]
    fn selection_follows_api_gateway_priorities() {
        let t = table(false);
        let cases: &[Case] = &[
            ("GET", "/pets", "list", &[]),
            ("GET", "/pets/dog", "dog", &[]),
            ("GET", "/pets/cat", "get", &[("id", "cat")]),
            ("get", "/pets/cat", "get", &[("id", "cat")]),
            ("DELETE", "/pets/cat", "any-pet", &[("id", "cat")]),
            (
                "GET",
                "/pets/cat/toys/ball",
                "toy",
                &[("id", "cat"), ("toy", "ball")],
            ),
            (
                "GET",
                "/pets/cat/bed",
                "pets-greedy",
                &[("proxy", "cat/bed")],
            ),
            (
                "POST",
                "/pets/cat/bed",
                "catch-all",
                &[("proxy", "pets/cat/bed")],
            ),
            ("GET", "/pets/a%20b", "get", &[("id", "a b")]),
            ("PUT", "/anything", "catch-all", &[("proxy", "anything")]),
            ("POST", "/", "root", &[]),
        ];
        for (method, path, function, params) in cases {
            let selected = t
                .select(method, path)
                .unwrap_or_else(|| panic!("{method} {path} matched nothing"));
            assert_eq!(selected.function, *function, "{method} {path}");
            let expected: BTreeMap<String, String> = params
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect();
            assert_eq!(selected.path_parameters, expected, "{method} {path}");
        }
        assert_eq!(
            t.select("GET", "/pets/cat")
                .map(|s| s.route_key.to_string())
                .as_deref(),
            Some("GET /pets/{id}")
        );
    }

    #[test]
    fn unmatched_requests_go_to_default_or_nowhere() {
        let narrow =
            RouteTable::new([(key("GET", "/pets/{id}"), "get".to_owned())]).expect("valid");
        for (method, path) in [
            ("POST", "/pets/cat"),
            ("GET", "/pets"),
            ("GET", "/pets/"),
            ("GET", "/pets/a/b"),
            ("GET", "/"),
        ] {
            assert_eq!(narrow.select(method, path), None, "{method} {path}");
        }
        let with_default = RouteTable::new([
            (key("GET", "/pets/{id}"), "get".to_owned()),
            (RouteKey::Default, "fallback".to_owned()),
        ])
        .expect("valid");
        let selected = with_default.select("POST", "/pets/cat").expect("default");
        assert_eq!(
            (selected.function, selected.route_key),
            ("fallback", &RouteKey::Default)
        );
        assert_eq!(
            table(true).select("GET", "/pets").map(|s| s.function),
            Some("list")
        );
    }

    #[test]
    fn invalid_route_tables_are_refused() {
        let twice = RouteTable::new([
            (key("GET", "/a"), "x".to_owned()),
            (key("GET", "/a"), "y".to_owned()),
        ]);
        assert!(matches!(twice, Err(RouteError::Duplicate(k)) if k == "GET /a"));
        let greedy = RouteTable::new([(key("GET", "/{p+}/a"), "x".to_owned())]);
        assert!(matches!(greedy, Err(RouteError::GreedyNotLast(_))));
    }

    #[test]
    fn real_template_routes() {
        let path = crate::template_path();
        let template = Template::load(&path).expect("parses");
        let t = RouteTable::from_template(&template).expect("valid routes");
        let get = t
            .select("GET", "/v2/customer-vault/customer-1")
            .expect("matches");
        assert_eq!(get.function, "customer-vault");
        assert_eq!(
            get.route_key.to_string(),
            "GET /v2/customer-vault/{customerRef}"
        );
        assert_eq!(
            get.path_parameters.get("customerRef").map(String::as_str),
            Some("customer-1")
        );
        let wallet = t
            .select("GET", "/v1/customer-vault/c/wallet")
            .expect("matches");
        assert_eq!(wallet.function, "customer-wallet");
        let unknown = t
            .select("GET", "/nowhere")
            .expect("the template declares $default");
        assert_eq!(unknown.route_key, &RouteKey::Default);
        // The identity function's routes, none behind a token (the functions check tokens).
        for (method, path) in [
            ("POST", "/v2/identity/hmac"),
            ("GET", "/.well-known/jwks.json"),
            ("GET", "/.well-known/openid-configuration"),
            ("GET", "/openapi.json"),
        ] {
            let selected = t.select(method, path).expect("matches");
            assert_eq!(selected.function, "identity", "{method} {path}");
            assert_eq!(
                selected.route_key.to_string(),
                format!("{method} {path}"),
                "{method} {path}"
            );
        }
        // Only POST exchanges a key: GET reaches the identity function's catch-all, whose
        // router answers 405.
        let get = t.select("GET", "/v2/identity/hmac").expect("matches");
        assert_eq!(
            (get.function, get.route_key.to_string().as_str()),
            ("identity", "ANY /v2/identity/{proxy+}")
        );
    }
}

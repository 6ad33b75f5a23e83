//! Absolute URLs of this API, for `Location` headers: from the configured public base URL, or
//! else from the request's `Host` and `X-Forwarded-Proto` (API Gateway sets both).

use axum::http::{header, HeaderMap};

/// `{base}{path}`; `base` is the configured public base URL, if any. Without either a base or
/// a `Host` header, only the path.
pub fn absolute_url(public_base_url: Option<&str>, headers: &HeaderMap, path: &str) -> String {
    if let Some(base) = public_base_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::HOST.as_str()) {
        Some(host) => {
            let proto = text("x-forwarded-proto")
                .filter(|p| matches!(*p, "http" | "https"))
                .unwrap_or("https");
            format!("{proto}://{host}{path}")
        }
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = value.parse() {
                map.insert(*name, value);
            }
        }
        map
    }

    #[test]
    fn the_configured_base_wins() {
        let url = absolute_url(
            Some("https://api.example.com/"),
            &headers(&[("host", "internal")]),
            "/v1/x",
        );
        assert_eq!(url, "https://api.example.com/v1/x");
    }

    #[test]
    fn else_the_host_and_forwarded_protocol() {
        let local = headers(&[("host", "127.0.0.1:3000"), ("x-forwarded-proto", "http")]);
        assert_eq!(
            absolute_url(None, &local, "/v1/x"),
            "http://127.0.0.1:3000/v1/x"
        );
        let gateway = headers(&[("host", "abc.execute-api.eu-west-1.amazonaws.com")]);
        assert_eq!(
            absolute_url(None, &gateway, "/v1/x"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/v1/x"
        );
        let odd = headers(&[("host", "h"), ("x-forwarded-proto", "gopher")]);
        assert_eq!(absolute_url(None, &odd, "/p"), "https://h/p");
    }
}

//! The API Gateway HTTP API payload format 2.0, both ways: the event a function receives for an
//! HTTP request, and the HTTP response made from the function's answer. Kept apart from the
//! server so tests (and other tools) can build exact events.

use crate::template::{RouteKey, LOCAL_ACCOUNT_ID};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The `apiId` of the local API.
pub const LOCAL_API_ID: &str = "local";

/// Everything about one request that goes into its event.
#[derive(Debug, Clone)]
pub struct EventInput<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: IpAddr,
    /// The port the gateway received the request on (`x-forwarded-port`).
    pub port: u16,
    /// `HTTP/1.1`.
    pub protocol: &'a str,
    pub route_key: &'a RouteKey,
    pub path_parameters: &'a BTreeMap<String, String>,
    pub request_id: &'a str,
    pub time: DateTime<Utc>,
}

fn lossy(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

/// `+` is a space and `%XX` a byte in query strings.
fn decode_query_part(part: &str) -> String {
    percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The headers API Gateway sets itself, replacing any the client sent: the client's address and
/// the scheme and port it reached the API on (locally plain HTTP on the gateway's port), so a
/// function can build an absolute URL from `Host` and `x-forwarded-proto`.
pub const FORWARDED_HEADERS: [&str; 3] =
    ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-port"];

/// Builds the event as API Gateway does: lowercase header names, repeated headers and query
/// parameters joined with commas, the `Cookie` header moved to `cookies`, the `x-forwarded-*`
/// headers set by the gateway, empty collections and an empty body left out, a body that is
/// not UTF-8 sent as base64.
pub fn build_event(input: &EventInput<'_>) -> Value {
    let mut headers = Map::new();
    let mut cookies: Vec<Value> = Vec::new();
    let client_sent = input
        .headers
        .keys()
        .filter(|name| !FORWARDED_HEADERS.contains(&name.as_str()));
    for name in client_sent {
        let values: Vec<String> = input.headers.get_all(name).iter().map(lossy).collect();
        if name == http::header::COOKIE {
            let split = values
                .iter()
                .flat_map(|v| v.split(';'))
                .map(str::trim)
                .filter(|c| !c.is_empty());
            cookies.extend(split.map(|c| Value::String(c.to_owned())));
        } else {
            headers.insert(name.as_str().to_owned(), Value::String(values.join(",")));
        }
    }
    let [forwarded_for, forwarded_proto, forwarded_port] = FORWARDED_HEADERS;
    for (name, value) in [
        (forwarded_for, input.source_ip.to_string()),
        (forwarded_proto, "http".to_owned()),
        (forwarded_port, input.port.to_string()),
    ] {
        headers.insert(name.to_owned(), Value::String(value));
    }

    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in input.raw_query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        query
            .entry(decode_query_part(name))
            .or_default()
            .push(decode_query_part(value));
    }

    let domain = input
        .headers
        .get(http::header::HOST)
        .map(lossy)
        .unwrap_or_else(|| "localhost".to_owned());
    let prefix = domain
        .split(['.', ':'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let user_agent = input
        .headers
        .get(http::header::USER_AGENT)
        .map(lossy)
        .unwrap_or_default();
    let route_key = input.route_key.to_string();

    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": input.raw_path,
        "rawQueryString": input.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "domainName": domain,
            "domainPrefix": prefix,
            "http": {
                "method": input.method,
                "path": input.raw_path,
                "protocol": input.protocol,
                "sourceIp": input.source_ip.to_string(),
                "userAgent": user_agent,
            },
            "requestId": input.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": input.time.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": input.time.timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    let Some(object) = event.as_object_mut() else {
        return event;
    };
    if !cookies.is_empty() {
        object.insert("cookies".into(), Value::Array(cookies));
    }
    if !query.is_empty() {
        let joined: Map<String, Value> = query
            .into_iter()
            .map(|(k, v)| (k, Value::String(v.join(","))))
            .collect();
        object.insert("queryStringParameters".into(), Value::Object(joined));
    }
    if !input.path_parameters.is_empty() {
        object.insert("pathParameters".into(), json!(input.path_parameters));
    }
    if !input.body.is_empty() {
        match std::str::from_utf8(input.body) {
            Ok(text) => object.insert("body".into(), Value::String(text.to_owned())),
            Err(_) => {
                object.insert("isBase64Encoded".into(), Value::Bool(true));
                let encoded = base64::engine::general_purpose::STANDARD.encode(input.body);
                object.insert("body".into(), Value::String(encoded))
            }
        };
    }
    event
}

/// Why a function's answer cannot become an HTTP response (API Gateway answers 500).
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the answer is malformed: {0}")]
    Malformed(&'static str),
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn append(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), AnswerError> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| AnswerError::Malformed("invalid header name"))?;
    let value =
        HeaderValue::from_str(value).map_err(|_| AnswerError::Malformed("invalid header value"))?;
    headers.append(name, value);
    Ok(())
}

/// Turns the function's answer into the HTTP response. An answer without `statusCode` is, as
/// API Gateway treats it, a 200 whose JSON body is the answer itself.
pub fn into_response(answer: &[u8]) -> Result<Response<Full<Bytes>>, AnswerError> {
    let value: Value = serde_json::from_slice(answer)?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        let mut response = Response::new(Full::new(Bytes::copy_from_slice(answer)));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    };
    let status = object
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(AnswerError::Malformed("statusCode"))?;

    let mut headers = HeaderMap::new();
    let single = object.get("headers").and_then(Value::as_object);
    for (name, value) in single.into_iter().flatten() {
        append(
            &mut headers,
            name,
            &scalar_text(value).ok_or(AnswerError::Malformed("headers"))?,
        )?;
    }
    // Payload 2.0 has no multiValueHeaders; honour them only for names `headers` lacks.
    let multi = object.get("multiValueHeaders").and_then(Value::as_object);
    for (name, values) in multi.into_iter().flatten() {
        if single.is_some_and(|s| s.keys().any(|k| k.eq_ignore_ascii_case(name))) {
            continue;
        }
        for value in values.as_array().into_iter().flatten() {
            append(
                &mut headers,
                name,
                &scalar_text(value).ok_or(AnswerError::Malformed("multiValueHeaders"))?,
            )?;
        }
    }
    for cookie in object
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        append(
            &mut headers,
            "set-cookie",
            cookie.as_str().ok_or(AnswerError::Malformed("cookies"))?,
        )?;
    }

    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if object.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| AnswerError::Malformed("body is not base64"))?;
            Bytes::from(decoded)
        }
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(_) => return Err(AnswerError::Malformed("body")),
    };
    headers.remove(http::header::CONTENT_LENGTH);
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// API Gateway's own error answers: `{"message": "..."}`.
pub fn gateway_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        json!({ "message": message }).to_string(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn event_has_api_gateway_shape() {
        let headers = headers(&[
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "curl/8"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "s=1; t=2"),
            ("X-Forwarded-Proto", "https"),
            ("x-forwarded-port", "443"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        let route_key = RouteKey::Route {
            method: "GET".into(),
            path: "/v2/things/{ref}".into(),
        };
        let params = BTreeMap::from([("ref".to_owned(), "a b".to_owned())]);
        let time = DateTime::parse_from_rfc3339("2020-03-12T19:03:58.123Z")
            .expect("time")
            .with_timezone(&Utc);
        let input = EventInput {
            method: "GET",
            raw_path: "/v2/things/a%20b",
            raw_query: "x=1&x=2&q=a+b%21&flag",
            headers: &headers,
            body: b"",
            source_ip: "127.0.0.1".parse().expect("ip"),
            port: 3000,
            protocol: "HTTP/1.1",
            route_key: &route_key,
            path_parameters: &params,
            request_id: "req-1",
            time,
        };
        let expected = json!({
            "version": "2.0",
            "routeKey": "GET /v2/things/{ref}",
            "rawPath": "/v2/things/a%20b",
            "rawQueryString": "x=1&x=2&q=a+b%21&flag",
            "cookies": ["s=1", "t=2"],
            // The client's x-forwarded-* are replaced by the gateway's own.
            "headers": {
                "host": "127.0.0.1:3000", "user-agent": "curl/8", "x-multi": "a,b",
                "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-port": "3000",
            },
            "queryStringParameters": {"x": "1,2", "q": "a b!", "flag": ""},
            "pathParameters": {"ref": "a b"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": "127.0.0.1:3000",
                "domainPrefix": "127",
                "http": {"method": "GET", "path": "/v2/things/a%20b", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8"},
                "requestId": "req-1",
                "routeKey": "GET /v2/things/{ref}",
                "stage": "$default",
                "time": "12/Mar/2020:19:03:58 +0000",
                "timeEpoch": 1584039838123i64,
            },
            "isBase64Encoded": false,
        });
        assert_eq!(build_event(&input), expected);

        let text = EventInput {
            body: "{\"é\":1}".as_bytes(),
            ..input.clone()
        };
        let event = build_event(&text);
        assert_eq!(
            (&event["body"], &event["isBase64Encoded"]),
            (&json!("{\"é\":1}"), &json!(false))
        );
        let binary = EventInput {
            body: &[0xff, 0x00, 0x10],
            ..input
        };
        let event = build_event(&binary);
        assert_eq!(
            (&event["body"], &event["isBase64Encoded"]),
            (&json!("/wAQ"), &json!(true))
        );
    }

    async fn body(response: Response<Full<Bytes>>) -> Bytes {
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
    }

    #[tokio::test]
    async fn answers_become_responses() {
        let answer = json!({
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-n": 5, "content-length": "999"},
            "multiValueHeaders": {"x-multi": ["a", "b"], "Content-Type": ["ignored"]},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "aGVsbG8=",
            "isBase64Encoded": true,
        });
        let response = into_response(answer.to_string().as_bytes()).expect("valid");
        assert_eq!(response.status(), StatusCode::CREATED);
        let h = response.headers();
        assert_eq!(
            h.get_all("content-type").iter().collect::<Vec<_>>(),
            ["text/plain"]
        );
        assert_eq!(h["x-n"], "5");
        assert_eq!(h.get_all("x-multi").iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            h.get_all("set-cookie").iter().collect::<Vec<_>>(),
            ["a=1; Path=/", "b=2"]
        );
        assert!(
            h.get("content-length").is_none(),
            "recomputed by the server"
        );
        assert_eq!(body(response).await, "hello");

        let bare = into_response(br#"{"ok":true}"#).expect("valid");
        assert_eq!(bare.status(), StatusCode::OK);
        assert_eq!(bare.headers()["content-type"], "application/json");
        assert_eq!(body(bare).await, r#"{"ok":true}"#);

        for bad in [
            &b"not json"[..],
            br#"{"statusCode":"x"}"#,
            br#"{"statusCode":200,"body":"!","isBase64Encoded":true}"#,
        ] {
            assert!(
                into_response(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

//! The gateway against a fake invoke endpoint: the exact event a function receives and how its
//! answer (or failure) becomes the HTTP response.

use super::common::{self, FakeFunction};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use local_stack::gateway::{self, Gateway};
use local_stack::invoke::Invoker;
use local_stack::routes::RouteTable;
use local_stack::template::{RouteKey, Template};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn real_routes() -> RouteTable {
    let path = local_stack::template_path();
    RouteTable::from_template(&Template::load(&path).expect("template")).expect("routes")
}

struct Running {
    url: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the gateway URL ends with its port")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(routes: RouteTable, invoke_base: &str) -> Running {
    let listener = gateway::bind(0).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let gateway = Arc::new(Gateway::new(
        routes,
        Invoker::new(invoke_base, Duration::from_secs(10)),
    ));
    Running {
        url,
        task: tokio::spawn(gateway.serve(listener)),
    }
}

async fn send(request: http::Request<Full<Bytes>>) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.expect("response");
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.expect("body").to_bytes(),
    )
}

fn get(url: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(url)
        .body(Full::default())
        .expect("request")
}

#[tokio::test]
async fn request_becomes_the_exact_event_and_answer_becomes_the_response() {
    let fake = FakeFunction::start(|_, _| {
        let answer = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/octet-stream", "x-correlation-id": "c-1"},
            "multiValueHeaders": {"x-multi": ["1", "2"]},
            "cookies": ["session=abc; HttpOnly"],
            "body": "AAEC/w==",
            "isBase64Encoded": true,
        });
        (200, answer.to_string())
    })
    .await;
    let gw = start(real_routes(), &fake.base).await;
    let host = gw.url.trim_start_matches("http://").to_owned();
    let port = gw.port().to_string();
    let request = http::Request::get(format!("{}/v2/customer-vault/cust%201?b=2&a=1&a=3", gw.url))
        .header("User-Agent", "test-agent")
        .header("X-Repeated", "one")
        .header("X-Repeated", "two")
        .header("Authorization", "Bearer t")
        .header("Cookie", "a=1; b=2")
        .body(Full::default())
        .expect("request");
    let (status, headers, body) = send(request).await;

    assert_eq!(status, 201);
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["x-correlation-id"], "c-1");
    assert_eq!(
        headers.get_all("x-multi").iter().collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(headers["set-cookie"], "session=abc; HttpOnly");
    assert_eq!(body.as_ref(), [0u8, 1, 2, 255]);

    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].function, "customer-vault");
    let mut event = calls[0].payload.clone();
    let context = event["requestContext"]
        .as_object_mut()
        .expect("requestContext");
    let request_id = context.remove("requestId").expect("requestId");
    let time = context.remove("time").expect("time");
    let epoch = context.remove("timeEpoch").expect("timeEpoch");
    assert_eq!(
        headers["apigw-requestid"],
        request_id.as_str().expect("string")
    );
    assert!(uuid::Uuid::parse_str(request_id.as_str().expect("string")).is_ok());
    assert!(
        chrono::DateTime::parse_from_str(time.as_str().expect("string"), "%d/%b/%Y:%H:%M:%S %z")
            .is_ok(),
        "{time}"
    );
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        (now - 10_000..=now).contains(&epoch.as_i64().expect("ms")),
        "{epoch}"
    );

    let expected = json!({
        "version": "2.0",
        "routeKey": "GET /v2/customer-vault/{customerRef}",
        "rawPath": "/v2/customer-vault/cust%201",
        "rawQueryString": "b=2&a=1&a=3",
        "cookies": ["a=1", "b=2"],
        "headers": {
            "host": host,
            "user-agent": "test-agent",
            "x-repeated": "one,two",
            "authorization": "Bearer t",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-proto": "http",
            "x-forwarded-port": port,
        },
        "queryStringParameters": {"a": "1,3", "b": "2"},
        "pathParameters": {"customerRef": "cust 1"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "127",
            "http": {
                "method": "GET",
                "path": "/v2/customer-vault/cust%201",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "test-agent",
            },
            "routeKey": "GET /v2/customer-vault/{customerRef}",
            "stage": "$default",
        },
        "isBase64Encoded": false,
    });
    assert_eq!(event, expected);
}

#[tokio::test]
async fn forwarded_headers_are_the_gateways_not_the_clients() {
    let fake = FakeFunction::start(|_, _| (200, json!({"statusCode": 204}).to_string())).await;
    let gw = start(real_routes(), &fake.base).await;
    let port = gw.port().to_string();
    let spoofed = http::Request::get(format!("{}/v2/customer-vault/c", gw.url))
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Port", "443")
        .header("X-Forwarded-For", "203.0.113.7")
        .header("x-forwarded-for", "198.51.100.2")
        .body(Full::default())
        .expect("request");
    assert_eq!(send(spoofed).await.0, 204);
    assert_eq!(
        send(get(&format!("{}/v2/customer-vault/c", gw.url)))
            .await
            .0,
        204
    );

    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        let headers = &call.payload["headers"];
        assert_eq!(headers["x-forwarded-proto"], "http", "{headers}");
        assert_eq!(headers["x-forwarded-port"], port.as_str(), "{headers}");
        assert_eq!(headers["x-forwarded-for"], "127.0.0.1", "{headers}");
        assert_eq!(
            headers["x-forwarded-for"],
            call.payload["requestContext"]["http"]["sourceIp"]
        );
        // What a function builds an absolute link from is where the client reached the API.
        let absolute = format!(
            "{}://{}/v2/customer-vault/c",
            headers["x-forwarded-proto"].as_str().expect("proto"),
            headers["host"].as_str().expect("host"),
        );
        assert_eq!(absolute, format!("{}/v2/customer-vault/c", gw.url));
    }
}

#[tokio::test]
async fn bodies_text_binary_and_too_large() {
    let fake = FakeFunction::start(|_, _| (200, json!({"statusCode": 204}).to_string())).await;
    let gw = start(real_routes(), &fake.base).await;
    let url = format!("{}/v2/customer-vault/c/uk-bank-account", gw.url);

    let post = |body: Vec<u8>| {
        http::Request::post(&url)
            .body(Full::new(Bytes::from(body)))
            .expect("request")
    };
    assert_eq!(send(post(b"{\"a\":\"\xc3\xa9\"}".to_vec())).await.0, 204);
    assert_eq!(send(post(vec![0xff, 0xfe])).await.0, 204);
    let calls = fake.calls();
    assert_eq!(
        (
            &calls[0].payload["body"],
            &calls[0].payload["isBase64Encoded"]
        ),
        (&json!("{\"a\":\"é\"}"), &json!(false))
    );
    assert_eq!(
        (
            &calls[1].payload["body"],
            &calls[1].payload["isBase64Encoded"]
        ),
        (&json!("//4="), &json!(true))
    );
    assert_eq!(
        calls[1].payload["routeKey"],
        "POST /v2/customer-vault/{customerRef}/uk-bank-account"
    );
    assert_eq!(calls[1].payload["headers"]["content-length"], "2");

    let (status, _, body) = send(post(vec![b'x'; gateway::MAX_BODY_BYTES + 1])).await;
    assert_eq!(status, 413);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("json"),
        json!({"message": "Request Entity Too Large"})
    );
    assert_eq!(
        fake.calls().len(),
        2,
        "an oversized request never reaches the function"
    );
}

#[tokio::test]
async fn invoke_failures_answer_500() {
    // A Lambda error payload, then an invoke API failure.
    let fake = FakeFunction::start(|i, _| match i {
        0 => (
            200,
            json!({"errorType": "Runtime.ExitError", "errorMessage": "boom"}).to_string(),
        ),
        1 => (502, String::new()),
        _ => (200, "not json".to_owned()),
    })
    .await;
    let gw = start(real_routes(), &fake.base).await;
    let unreachable = start(
        real_routes(),
        &format!("http://127.0.0.1:{}", common::closed_port()),
    )
    .await;
    for url in [&gw.url, &gw.url, &gw.url, &unreachable.url] {
        let (status, headers, body) = send(get(&format!("{url}/v2/customer-vault/c"))).await;
        assert_eq!(status, 500);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            serde_json::from_slice::<Value>(&body).expect("json"),
            json!({"message": "Internal Server Error"})
        );
    }
    assert_eq!(fake.calls().len(), 3);
}

#[tokio::test]
async fn unmatched_requests_404_or_default_route() {
    let fake = FakeFunction::start(|_, _| {
        (
            200,
            json!({"statusCode": 404, "body": "custom"}).to_string(),
        )
    })
    .await;

    let narrow = RouteTable::new([(
        RouteKey::Route {
            method: "GET".into(),
            path: "/v2/customer-vault/{customerRef}".into(),
        },
        "customer-vault".to_owned(),
    )])
    .expect("routes");
    let gw = start(narrow, &fake.base).await;
    for request in [
        get(&format!("{}/nowhere", gw.url)),
        http::Request::delete(format!("{}/v2/customer-vault/c", gw.url))
            .body(Full::default())
            .expect("request"),
    ] {
        let (status, _, body) = send(request).await;
        assert_eq!(status, 404);
        assert_eq!(
            serde_json::from_slice::<Value>(&body).expect("json"),
            json!({"message": "Not Found"})
        );
    }
    assert!(fake.calls().is_empty());

    // The real template declares $default on the vault: unknown paths reach it.
    let gw = start(real_routes(), &fake.base).await;
    let (status, _, body) = send(get(&format!("{}/nowhere?x=1", gw.url))).await;
    assert_eq!((status.as_u16(), body.as_ref()), (404, &b"custom"[..]));
    let calls = fake.calls();
    assert_eq!(calls[0].function, "customer-vault");
    assert_eq!(calls[0].payload["routeKey"], "$default");
    assert_eq!(calls[0].payload["requestContext"]["routeKey"], "$default");
    assert!(calls[0].payload.get("pathParameters").is_none());
}

//! `local-stack listen` (`make listen`): a webhook receiver for developers. It serves
//! `http://127.0.0.1:<port>/webhooks`, registers that URL as a tenant webhook endpoint
//! (docs/api.md §9) through the running dev stack's API, prints each delivery with whether its
//! Standard Webhooks signature verifies (§8), and removes the endpoint again on Ctrl-C or
//! SIGTERM.
//!
//! Standard output carries the lines a script may read: the ready line, one block per delivery
//! (flushed at once), and the removal line. The token and the endpoint's secret are never printed.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use payments_domain::ids::{TenantScope, WebhookId};
use payments_domain::standard_webhooks::{
    Refusal, WebhookHeaders, WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    WEBHOOK_TOLERANCE_SECONDS,
};
use payments_http::TokenSigner;
use std::io::Write;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The path the receiver serves deliveries on.
pub const PATH: &str = "/webhooks";
/// The registered endpoint's description.
pub const DESCRIPTION: &str = "make listen";
/// The role the endpoint routes require.
const ROLE: &str = "tenant-admin";
/// Each API call gets a fresh token that lives this long.
const TOKEN_TTL_SECONDS: i64 = 300;
/// Bounds each API call; room for `cargo lambda watch` building the function on first use.
const API_TIMEOUT: Duration = Duration::from_secs(180);
/// A delivery larger than this is answered 413 and not printed.
const MAX_DELIVERY_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot handle signals: {0}")]
    Signals(std::io::Error),
    #[error("the API URL {0} is not http://host[:port]")]
    ApiUrl(String),
    #[error("cannot mint a token: {0}")]
    Token(String),
    #[error("{action}: nothing answers at {api_url} ({reason}): is `make dev` running?")]
    Unreachable {
        action: &'static str,
        api_url: String,
        reason: String,
    },
    #[error("{action}: no answer from {api_url} within {timeout:?}")]
    Timeout {
        action: &'static str,
        api_url: String,
        timeout: Duration,
    },
    /// The API's answer was not the expected status; `body` is its error body.
    #[error("{action}: the API answered HTTP {status}: {body}")]
    Refused {
        action: &'static str,
        status: u16,
        body: String,
    },
    #[error("{action}: unexpected answer: {reason}")]
    Unexpected {
        action: &'static str,
        reason: &'static str,
    },
    #[error("the receiver stopped: {0}")]
    Serve(std::io::Error),
    #[error("webhook {webhook_id} may still be registered: {source}")]
    NotRemoved {
        webhook_id: WebhookId,
        source: Box<ListenError>,
    },
}

/// What `listen` is to register, and where.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// The dev stack's API, like `http://127.0.0.1:3000`.
    pub api_url: String,
    pub scope: TenantScope,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
}

/// `--events a,b`: the comma-separated event types; none (or only blanks) is an error.
pub fn parse_events(input: &str) -> Result<Vec<String>, String> {
    let events: Vec<String> = input
        .split(',')
        .map(str::trim)
        .filter(|event| !event.is_empty())
        .map(str::to_owned)
        .collect();
    if events.is_empty() {
        return Err("--events needs at least one event type, or *".to_owned());
    }
    Ok(events)
}

/// Binds the receiver's port on the loopback interface (port 0: one the OS chooses).
pub async fn bind(port: u16) -> Result<TcpListener, ListenError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| ListenError::Bind { port, source })
}

/// Where the standard output of `listen` goes: shared by the deliveries, which may arrive at once.
pub type Output = Arc<Mutex<dyn Write + Send>>;

fn emit(out: &Output, text: &str) {
    let Ok(mut out) = out.lock() else {
        return;
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!(error = %e, "cannot write to standard output");
    }
}

/// The whole command: binds `port`, registers, prints deliveries until SIGINT or SIGTERM,
/// then removes the endpoint.
pub async fn run(
    options: ListenOptions,
    signer: TokenSigner,
    port: u16,
) -> Result<(), ListenError> {
    use tokio::signal::unix::{signal, SignalKind};
    // First of all, so that a Ctrl-C while registering still removes the endpoint.
    let mut interrupt = signal(SignalKind::interrupt()).map_err(ListenError::Signals)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(ListenError::Signals)?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        let _ = stop.send(true);
        // Held, so that `stopped` never sees the sender gone.
        std::future::pending::<()>().await;
    });
    let listener = bind(port).await?;
    let out: Output = Arc::new(Mutex::new(std::io::stdout()));
    listen(listener, options, signer, out, stopped).await
}

/// Resolves once `stop` holds `true` (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Registers the receiver on `listener`, serves deliveries until `stop` turns `true`, then
/// removes the endpoint.
pub async fn listen(
    listener: TcpListener,
    options: ListenOptions,
    signer: TokenSigner,
    out: Output,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ListenError> {
    let port = listener
        .local_addr()
        .map_err(|source| ListenError::Bind { port: 0, source })?
        .port();
    let url = format!("http://127.0.0.1:{port}{PATH}");
    let api = Api::new(&options.api_url, signer, options.scope)?;
    let registration = api.register(&url, &options.events);
    tokio::pin!(registration);
    let registered = tokio::select! {
        registered = &mut registration => registered?,
        () = stopped(&mut stop) => {
            eprintln!("stopping once the registration under way has finished, to remove it again");
            registration.await?
        }
    };
    let webhook_id = registered.webhook_id;
    let receiver = Arc::new(Receiver {
        secret: registered.secret,
        out: Arc::clone(&out),
    });
    let mut serving = tokio::spawn(receiver.serve(listener));
    emit(
        &out,
        &format!("listening on {url} as webhook {webhook_id} (Ctrl-C to stop)\n"),
    );
    let outcome = tokio::select! {
        () = stopped(&mut stop) => Ok(()),
        ended = &mut serving => Err(ListenError::Serve(match ended {
            Ok(Err(e)) => e,
            _ => std::io::Error::other("the receiver ended"),
        })),
    };
    serving.abort();
    let removed = api
        .remove(webhook_id)
        .await
        .map_err(|source| ListenError::NotRemoved {
            webhook_id,
            source: Box::new(source),
        })?;
    if removed {
        emit(&out, &format!("removed webhook {webhook_id}\n"));
    } else {
        eprintln!("webhook {webhook_id} was already gone (404)");
    }
    outcome
}

/// The endpoint as registered: its id and its secret (never printed).
struct Registered {
    webhook_id: WebhookId,
    secret: WebhookSecret,
}

/// The notifications routes of the dev stack's API, called with fresh tenant-admin tokens.
struct Api {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    signer: TokenSigner,
    scope: TenantScope,
}

impl Api {
    fn new(api_url: &str, signer: TokenSigner, scope: TenantScope) -> Result<Api, ListenError> {
        let base = api_url.trim_end_matches('/');
        let uri: Uri = base
            .parse()
            .map_err(|_| ListenError::ApiUrl(api_url.to_owned()))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return Err(ListenError::ApiUrl(api_url.to_owned()));
        }
        Ok(Api {
            base: base.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            signer,
            scope,
        })
    }

    /// One call: its status and body.
    async fn call(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(StatusCode, Bytes), ListenError> {
        let token = self
            .signer
            .issue(self.scope, &[ROLE], TOKEN_TTL_SECONDS)
            .map_err(|e| ListenError::Token(e.to_string()))?;
        let unexpected = |reason| ListenError::Unexpected { action, reason };
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .header("x-account-id", self.scope.account.to_string())
            .header("x-tenant-id", self.scope.tenant.to_string());
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let request = request
            .body(Full::new(body))
            .map_err(|_| unexpected("the request cannot be built"))?;
        let unreachable = |reason: String| ListenError::Unreachable {
            action,
            api_url: self.base.clone(),
            reason,
        };
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| unreachable(with_sources(&e)))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| unreachable(with_sources(&e)))?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(API_TIMEOUT, call)
            .await
            .map_err(|_| ListenError::Timeout {
                action,
                api_url: self.base.clone(),
                timeout: API_TIMEOUT,
            })?
    }

    async fn register(&self, url: &str, events: &[String]) -> Result<Registered, ListenError> {
        const ACTION: &str = "registering the webhook endpoint";
        let request = serde_json::json!({
            "url": url,
            "events": events,
            "description": DESCRIPTION,
        });
        let (status, body) = self
            .call(
                ACTION,
                Method::POST,
                "/v1/notifications/webhooks",
                Some(request),
            )
            .await?;
        if status != StatusCode::CREATED {
            return Err(refused(ACTION, status, &body));
        }
        // The answer holds the secret: nothing of it goes into an error.
        let unexpected = |reason| ListenError::Unexpected {
            action: ACTION,
            reason,
        };
        let created: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| unexpected("the 201 body is not JSON"))?;
        let webhook_id = created
            .get("webhookId")
            .and_then(serde_json::Value::as_str)
            .and_then(|id| WebhookId::parse(id).ok())
            .ok_or_else(|| unexpected("the 201 body has no webhookId UUID"))?;
        let secret = created
            .get("secret")
            .and_then(serde_json::Value::as_str)
            .and_then(|secret| WebhookSecret::parse(secret).ok())
            .ok_or_else(|| unexpected("the 201 body has no whsec_ secret"))?;
        Ok(Registered { webhook_id, secret })
    }

    /// `true` once removed, `false` when it was already gone (deleted elsewhere, or the dev
    /// stack restarted with empty tables).
    async fn remove(&self, webhook_id: WebhookId) -> Result<bool, ListenError> {
        const ACTION: &str = "removing the webhook endpoint";
        let path = format!("/v1/notifications/webhooks/{webhook_id}");
        let (status, body) = self.call(ACTION, Method::DELETE, &path, None).await?;
        match status {
            StatusCode::NO_CONTENT => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(refused(ACTION, status, &body)),
        }
    }
}

/// An error and its causes: hyper's own message alone ("client error (Connect)") says little.
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn refused(action: &'static str, status: StatusCode, body: &[u8]) -> ListenError {
    ListenError::Refused {
        action,
        status: status.as_u16(),
        body: String::from_utf8_lossy(body).trim().to_owned(),
    }
}

/// Answers deliveries and prints them.
struct Receiver {
    secret: WebhookSecret,
    out: Output,
}

impl Receiver {
    /// Serves connections until the future is dropped (with every open connection).
    async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let mut connections = JoinSet::new();
        loop {
            let (stream, _) = listener.accept().await?;
            while connections.try_join_next().is_some() {}
            let receiver = Arc::clone(&self);
            connections.spawn(async move {
                let service = service_fn(move |request| {
                    let receiver = Arc::clone(&receiver);
                    async move { Ok::<_, std::convert::Infallible>(receiver.handle(request).await) }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection closed with an error");
                }
            });
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        if parts.uri.path() != PATH {
            tracing::warn!(path = parts.uri.path(), "a request outside {PATH}: 404");
            return status_only(StatusCode::NOT_FOUND);
        }
        if parts.method != Method::POST {
            return status_only(StatusCode::METHOD_NOT_ALLOWED);
        }
        let body = match Limited::new(body, MAX_DELIVERY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                tracing::warn!("a delivery over {MAX_DELIVERY_BYTES} bytes: 413");
                return status_only(StatusCode::PAYLOAD_TOO_LARGE);
            }
            Err(_) => return status_only(StatusCode::BAD_REQUEST),
        };
        let (status, block) = receive(
            &self.secret,
            &parts.headers,
            &body,
            chrono::Utc::now().timestamp(),
        );
        emit(&self.out, &block);
        status_only(status)
    }
}

fn status_only(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// What the receiver makes of one delivery received at `now_seconds`: the status to answer
/// (204, or 401 when the signature does not verify, so that the service retries) and the block
/// to print.
pub fn receive(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now_seconds: i64,
) -> (StatusCode, String) {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let received = WebhookHeaders {
        id: header(ID_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
    };
    let verdict = secret.verify(&received, body, now_seconds);
    let status = if verdict.is_ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    };
    (status, render(received.id, body, verdict))
}

/// One delivery as printed: `<type> <webhook-id> signature verified` (or `signature NOT
/// verified (<why>)`), then the body, pretty-printed when it is JSON, then a blank line. A
/// missing type or id shows as `-`.
pub fn render(webhook_id: Option<&str>, body: &[u8], verdict: Result<(), Refusal>) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let event_type = json
        .as_ref()
        .and_then(|json| json.get("type"))
        .and_then(serde_json::Value::as_str);
    let verified = match verdict {
        Ok(()) => "signature verified".to_owned(),
        Err(refusal) => format!("signature NOT verified ({})", why(refusal)),
    };
    let body = match json
        .as_ref()
        .and_then(|j| serde_json::to_string_pretty(j).ok())
    {
        Some(pretty) => pretty,
        None => printable(&String::from_utf8_lossy(body), true),
    };
    format!(
        "{} {} {verified}\n{body}\n\n",
        one_word(event_type),
        one_word(webhook_id)
    )
}

fn why(refusal: Refusal) -> String {
    match refusal {
        Refusal::MissingHeader => {
            format!("missing {ID_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
        }
        Refusal::StaleTimestamp => format!(
            "{TIMESTAMP_HEADER} unreadable or more than {WEBHOOK_TOLERANCE_SECONDS} s from now"
        ),
        Refusal::BadSignature => "no signature matches the endpoint's secret".to_owned(),
    }
}

/// A received value for the header line: `-` when absent, never blank, spaces or control
/// characters.
fn one_word(value: Option<&str>) -> String {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => printable(value, false).replace(' ', "_"),
        None => "-".to_owned(),
    }
}

/// `text` without control characters (terminal escapes), keeping line breaks and tabs if asked.
fn printable(text: &str, multiline: bool) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' if multiline => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const ID: &str = "0190e1c2-7a3b-7c4d-8e5f-6a7b8c9d0e1f";
    const BODY: &str = r#"{"id":"0190e1c2-7a3b-7c4d-8e5f-6a7b8c9d0e1f","type":"webhook.test","createdAt":"2025-01-02T03:04:05Z","tenantId":"t","accountId":"a","data":{"webhookId":"w"}}"#;
    const PRETTY: &str = r#"{
  "id": "0190e1c2-7a3b-7c4d-8e5f-6a7b8c9d0e1f",
  "type": "webhook.test",
  "createdAt": "2025-01-02T03:04:05Z",
  "tenantId": "t",
  "accountId": "a",
  "data": {
    "webhookId": "w"
  }
}"#;
    const NOW: i64 = 1_735_787_045;

    fn secret() -> WebhookSecret {
        let text = WebhookSecret::generate().expect("a secret");
        WebhookSecret::parse(&text).expect("a generated secret parses")
    }

    fn headers(id: &str, timestamp: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (ID_HEADER, id.to_owned()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, signature.to_owned()),
        ] {
            headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
        }
        headers
    }

    #[test]
    fn a_verified_delivery_prints_its_type_id_and_pretty_body_and_gets_204() {
        let secret = secret();
        let signature = secret.sign(ID, NOW, BODY.as_bytes());
        let (status, block) = receive(&secret, &headers(ID, NOW, &signature), BODY.as_bytes(), NOW);
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            block,
            format!("webhook.test {ID} signature verified\n{PRETTY}\n\n")
        );
    }

    #[test]
    fn one_matching_signature_among_two_suffices_as_during_a_rotation() {
        let (old, new) = (secret(), secret());
        let both = format!(
            "{} {}",
            old.sign(ID, NOW, BODY.as_bytes()),
            new.sign(ID, NOW, BODY.as_bytes())
        );
        let (status, block) = receive(&new, &headers(ID, NOW, &both), BODY.as_bytes(), NOW);
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(block.starts_with(&format!("webhook.test {ID} signature verified\n")));
    }

    #[test]
    fn an_unverified_delivery_is_printed_as_such_and_gets_401() {
        let (secret, other) = (secret(), secret());
        let signature = other.sign(ID, NOW, BODY.as_bytes());
        let (status, block) = receive(&secret, &headers(ID, NOW, &signature), BODY.as_bytes(), NOW);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            block,
            format!(
                "webhook.test {ID} signature NOT verified (no signature matches the endpoint's \
                 secret)\n{PRETTY}\n\n"
            )
        );
        // A tampered body fails too, though signed with the right secret.
        let signature = secret.sign(ID, NOW, b"{}");
        let (status, _) = receive(&secret, &headers(ID, NOW, &signature), BODY.as_bytes(), NOW);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn a_stale_timestamp_is_not_verified() {
        let secret = secret();
        let then = NOW - WEBHOOK_TOLERANCE_SECONDS - 1;
        let signature = secret.sign(ID, then, BODY.as_bytes());
        let (status, block) = receive(
            &secret,
            &headers(ID, then, &signature),
            BODY.as_bytes(),
            NOW,
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(block.starts_with(&format!(
            "webhook.test {ID} signature NOT verified (webhook-timestamp unreadable or more \
             than 300 s from now)\n"
        )));
    }

    #[test]
    fn missing_headers_and_a_body_that_is_not_json_still_print() {
        let secret = secret();
        let (status, block) = receive(&secret, &HeaderMap::new(), b"not\x1b[31m json", NOW);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            block,
            "- - signature NOT verified (missing webhook-id, webhook-timestamp or \
             webhook-signature)\nnot?[31m json\n\n"
        );
    }

    #[test]
    fn events_are_comma_separated_and_not_empty() {
        assert_eq!(parse_events("*"), Ok(vec!["*".to_owned()]));
        assert_eq!(
            parse_events(" instruction.completed, refund.failed ,"),
            Ok(vec![
                "instruction.completed".to_owned(),
                "refund.failed".to_owned()
            ])
        );
        assert!(parse_events(" , ").is_err());
    }

    type Calls = Arc<Mutex<Vec<(Method, String, serde_json::Value)>>>;

    fn signer() -> TokenSigner {
        let key = payments_http::generate_signing_key().expect("a key");
        TokenSigner::new(&key.private_key_pem, "iss", "aud").expect("a signer")
    }

    fn scope() -> TenantScope {
        TenantScope {
            tenant: payments_domain::ids::TenantId::new_random(),
            account: payments_domain::ids::AccountId::new_random(),
        }
    }

    /// A stand-in for the notifications routes on a loopback port: creation answers `created`
    /// (status and body), deletion 204; every call is recorded.
    async fn fake_api(created: (StatusCode, String)) -> (String, Calls) {
        let listener = bind(0).await.expect("a port");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("an address").port()
        );
        let calls = Calls::default();
        let recorded = Arc::clone(&calls);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (calls, created) = (Arc::clone(&recorded), created.clone());
                let service = service_fn(move |request: Request<Incoming>| {
                    let (calls, created) = (Arc::clone(&calls), created.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let authorized = parts
                            .headers
                            .get(http::header::AUTHORIZATION)
                            .is_some_and(|v| v.as_bytes().starts_with(b"Bearer "))
                            && parts.headers.contains_key("x-account-id")
                            && parts.headers.contains_key("x-tenant-id");
                        let body = body.collect().await.expect("a body").to_bytes();
                        let json = serde_json::from_slice(&body).unwrap_or_default();
                        calls.lock().expect("calls").push((
                            parts.method.clone(),
                            parts.uri.path().to_owned(),
                            json,
                        ));
                        let (status, body) = match (authorized, parts.method) {
                            (false, _) => (StatusCode::UNAUTHORIZED, String::new()),
                            (true, Method::POST) => created,
                            (true, _) => (StatusCode::NO_CONTENT, String::new()),
                        };
                        let mut response = Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = status;
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        (url, calls)
    }

    async fn wait_for(buffer: &Mutex<Vec<u8>>, text: &str) -> String {
        for _ in 0..500 {
            let printed = String::from_utf8_lossy(&buffer.lock().expect("output")).into_owned();
            if printed.contains(text) {
                return printed;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never printed {text:?}");
    }

    #[tokio::test]
    async fn registers_prints_a_delivery_and_removes_the_endpoint_when_stopped() {
        let secret_text = WebhookSecret::generate().expect("a secret");
        let webhook_id = WebhookId::new_random();
        let created = serde_json::json!({
            "webhookId": webhook_id.to_string(), "url": "…", "events": ["*"],
            "description": DESCRIPTION, "status": "ENABLED", "created": 1, "secret": secret_text,
        });
        let (api_url, calls) = fake_api((StatusCode::CREATED, created.to_string())).await;
        let listener = bind(0).await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let out: Output = buffer.clone();
        let (stop, stopped) = watch::channel(false);
        let options = ListenOptions {
            api_url,
            scope: scope(),
            events: vec!["*".to_owned()],
        };
        let listening = tokio::spawn(listen(listener, options, signer(), out, stopped));
        let ready = format!(
            "listening on http://127.0.0.1:{port}/webhooks as webhook {webhook_id} (Ctrl-C to stop)\n"
        );
        assert_eq!(wait_for(&buffer, "\n").await, ready);

        let secret = WebhookSecret::parse(&secret_text).expect("the secret");
        let now = chrono::Utc::now().timestamp();
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let mut statuses = Vec::new();
        for signature in [
            secret.sign(ID, now, BODY.as_bytes()),
            "v1,bm90IGl0".to_owned(),
        ] {
            let delivery = Request::post(format!("http://127.0.0.1:{port}/webhooks"))
                .header(ID_HEADER, ID)
                .header(TIMESTAMP_HEADER, now.to_string())
                .header(SIGNATURE_HEADER, signature)
                .body(Full::new(Bytes::from(BODY)))
                .expect("a request");
            statuses.push(client.request(delivery).await.expect("an answer").status());
        }
        assert_eq!(statuses, [StatusCode::NO_CONTENT, StatusCode::UNAUTHORIZED]);
        let elsewhere = Request::post(format!("http://127.0.0.1:{port}/other"))
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let answer = client.request(elsewhere).await.expect("an answer");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);

        stop.send(true).expect("listening");
        listening.await.expect("joined").expect("stopped cleanly");
        let printed = String::from_utf8_lossy(&buffer.lock().expect("output")).into_owned();
        assert_eq!(
            printed,
            format!(
                "{ready}webhook.test {ID} signature verified\n{PRETTY}\n\n\
                 webhook.test {ID} signature NOT verified (no signature matches the endpoint's \
                 secret)\n{PRETTY}\n\nremoved webhook {webhook_id}\n"
            )
        );
        assert!(!printed.contains(&secret_text));
        let calls = calls.lock().expect("calls").clone();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (&calls[0].0, calls[0].1.as_str(), &calls[0].2),
            (
                &Method::POST,
                "/v1/notifications/webhooks",
                &serde_json::json!({
                    "url": format!("http://127.0.0.1:{port}/webhooks"),
                    "events": ["*"],
                    "description": "make listen",
                })
            )
        );
        assert_eq!(
            (&calls[1].0, calls[1].1.clone()),
            (
                &Method::DELETE,
                format!("/v1/notifications/webhooks/{webhook_id}")
            )
        );
    }

    #[tokio::test]
    async fn a_refused_registration_reports_the_apis_error_body() {
        let error = r#"{"errors":[{"errorCode":"WEBHOOK_URL_NOT_ALLOWED"}]}"#;
        let (api_url, calls) = fake_api((StatusCode::BAD_REQUEST, error.to_owned())).await;
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let (_stop, stopped) = watch::channel(false);
        let options = ListenOptions {
            api_url,
            scope: scope(),
            events: vec!["instruction.completed".to_owned()],
        };
        let listener = bind(0).await.expect("a port");
        let failed = listen(listener, options, signer(), buffer.clone(), stopped).await;
        match failed {
            Err(ListenError::Refused { status, body, .. }) => {
                assert_eq!((status, body.as_str()), (400, error));
            }
            other => panic!("{other:?}"),
        }
        assert!(buffer.lock().expect("output").is_empty());
        assert_eq!(calls.lock().expect("calls").len(), 1);
    }

    #[tokio::test]
    async fn an_api_that_is_not_there_is_reported() {
        let closed = bind(0).await.expect("a port");
        let api_url = format!(
            "http://127.0.0.1:{}",
            closed.local_addr().expect("an address").port()
        );
        drop(closed);
        let (_stop, stopped) = watch::channel(false);
        let options = ListenOptions {
            api_url,
            scope: scope(),
            events: vec!["*".to_owned()],
        };
        let listener = bind(0).await.expect("a port");
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let failed = listen(listener, options, signer(), buffer, stopped).await;
        assert!(
            matches!(failed, Err(ListenError::Unreachable { .. })),
            "{failed:?}"
        );
    }

    #[test]
    fn only_http_api_urls_are_accepted() {
        let scope = scope();
        assert!(Api::new("http://127.0.0.1:3000/", signer(), scope).is_ok());
        for bad in ["https://example.com", "127.0.0.1:3000", "not a url", ""] {
            assert!(
                matches!(Api::new(bad, signer(), scope), Err(ListenError::ApiUrl(_))),
                "{bad}"
            );
        }
    }
}

//! A proxy in front of moto that counts what the functions ask of AWS: connections opened,
//! requests by operation (`X-Amz-Target`: `DynamoDB_20120810.GetItem`, `AmazonSQS.SendMessage`),
//! and the time moto took to answer them. Optionally it speaks TLS to the functions, with a
//! certificate they trust through `SSL_CERT_FILE`, so a function pays the handshake it pays
//! against DynamoDB and SQS in AWS (minus the network).
//!
//! One function process runs at a time, so the counters are global and read as differences.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Body = BoxBody<Bytes, hyper::Error>;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Counters since the proxy started; subtract two readings for an interval.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub connections: u64,
    /// Server-side TLS handshake time, summed.
    pub handshakes: Duration,
    pub requests: u64,
    /// Time moto took to answer (request sent to response headers), summed.
    pub upstream: Duration,
    /// Requests by operation, `DynamoDB.GetItem`, `SQS.SendMessage`, …
    pub calls: BTreeMap<String, u64>,
    /// When the latest connection was accepted.
    pub last_connection: Option<Instant>,
}

impl Counters {
    pub fn since(&self, earlier: &Counters) -> Counters {
        let mut calls = self.calls.clone();
        for (operation, count) in &earlier.calls {
            if let Some(now) = calls.get_mut(operation) {
                *now = now.saturating_sub(*count);
            }
        }
        calls.retain(|_, count| *count > 0);
        Counters {
            connections: self.connections.saturating_sub(earlier.connections),
            handshakes: self.handshakes.saturating_sub(earlier.handshakes),
            requests: self.requests.saturating_sub(earlier.requests),
            upstream: self.upstream.saturating_sub(earlier.upstream),
            calls,
            last_connection: self.last_connection,
        }
    }
}

pub struct Proxy {
    /// What the functions get as `AWS_ENDPOINT_URL`.
    pub url: String,
    /// The CA bundle the functions get as `SSL_CERT_FILE` (the system's roots plus the
    /// proxy's), when it speaks TLS.
    pub ca_bundle: Option<PathBuf>,
    counters: Arc<Mutex<Counters>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(counters: &Mutex<Counters>) -> std::sync::MutexGuard<'_, Counters> {
    counters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `DynamoDB.GetItem` from `DynamoDB_20120810.GetItem`, `SQS.SendMessage` from
/// `AmazonSQS.SendMessage`.
fn operation(target: Option<&str>) -> String {
    match target.and_then(|t| t.split_once('.')) {
        Some((service, op)) if service.starts_with("DynamoDB") => format!("DynamoDB.{op}"),
        Some(("AmazonSQS", op)) => format!("SQS.{op}"),
        Some((service, op)) => format!("{service}.{op}"),
        None => "other".to_owned(),
    }
}

/// Headers about one connection, not the message: moto (Werkzeug) answers
/// `Connection: close`, which passed on would make the proxy close every function's
/// connection after one request, unlike AWS, which keeps them open.
fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

async fn forward(
    client: Client<HttpConnector, Incoming>,
    upstream: Arc<str>,
    counters: Arc<Mutex<Counters>>,
    request: Request<Incoming>,
) -> Response<Body> {
    let op = operation(
        request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok()),
    );
    let (mut parts, body) = request.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let failed = |message: String| {
        let mut response = Response::new(
            Full::new(Bytes::from(message))
                .map_err(|never| match never {})
                .boxed(),
        );
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        response
    };
    parts.uri = match format!("{upstream}{path}").parse() {
        Ok(uri) => uri,
        Err(e) => return failed(e.to_string()),
    };
    let started = Instant::now();
    let answered = client.request(Request::from_parts(parts, body)).await;
    let took = started.elapsed();
    {
        let mut counters = lock(&counters);
        counters.requests += 1;
        counters.upstream += took;
        *counters.calls.entry(op).or_default() += 1;
    }
    match answered {
        Ok(mut response) => {
            strip_hop_by_hop(response.headers_mut());
            response.map(BodyExt::boxed)
        }
        Err(e) => failed(e.to_string()),
    }
}

impl Proxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` (moto, plain HTTP). With
    /// `tls_dir`, it makes a CA and a `localhost` certificate there (with `openssl`) and
    /// speaks TLS.
    pub async fn start(upstream: &str, tls_dir: Option<&Path>) -> Result<Proxy, ProxyError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| ProxyError::Io("binding the proxy".into(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| ProxyError::Io("binding the proxy".into(), e))?
            .port();
        let (acceptor, ca_bundle) = match tls_dir {
            Some(dir) => {
                let files = crate::tls::generate(dir)?;
                (Some(crate::tls::acceptor(&files)?), Some(files.ca_bundle))
            }
            None => (None, None),
        };
        let url = match acceptor {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        let counters = Arc::new(Mutex::new(Counters::default()));
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: Client<HttpConnector, Incoming> =
            Client::builder(TokioExecutor::new()).build(connector);
        let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
        let shared = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let accepted = Instant::now();
                let _ = stream.set_nodelay(true);
                {
                    let mut counters = lock(&shared);
                    counters.connections += 1;
                    counters.last_connection = Some(accepted);
                }
                let (client, upstream, counters, acceptor) = (
                    client.clone(),
                    upstream.clone(),
                    shared.clone(),
                    acceptor.clone(),
                );
                tokio::spawn(async move {
                    let service = {
                        let counters = counters.clone();
                        hyper::service::service_fn(move |request| {
                            let (client, upstream, counters) =
                                (client.clone(), upstream.clone(), counters.clone());
                            async move {
                                Ok::<_, std::convert::Infallible>(
                                    forward(client, upstream, counters, request).await,
                                )
                            }
                        })
                    };
                    let http = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                        Some(acceptor) => {
                            let Ok(tls) = acceptor.accept(stream).await else {
                                return;
                            };
                            lock(&counters).handshakes += accepted.elapsed();
                            let _ = http.serve_connection(TokioIo::new(tls), service).await;
                        }
                    }
                });
            }
        });
        Ok(Proxy {
            url,
            ca_bundle,
            counters,
            task,
        })
    }

    pub fn counters(&self) -> Counters {
        lock(&self.counters).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_operations_by_service() {
        assert_eq!(
            operation(Some("DynamoDB_20120810.GetItem")),
            "DynamoDB.GetItem"
        );
        assert_eq!(operation(Some("AmazonSQS.SendMessage")), "SQS.SendMessage");
        assert_eq!(operation(None), "other");
    }

    #[test]
    fn differences_drop_operations_not_called_since() {
        let earlier = Counters {
            connections: 1,
            calls: BTreeMap::from([("DynamoDB.GetItem".to_owned(), 3)]),
            ..Counters::default()
        };
        let later = Counters {
            connections: 1,
            calls: BTreeMap::from([
                ("DynamoDB.GetItem".to_owned(), 3),
                ("SQS.SendMessage".to_owned(), 2),
            ]),
            ..Counters::default()
        };
        let since = later.since(&earlier);
        assert_eq!(since.connections, 0);
        assert_eq!(
            since.calls,
            BTreeMap::from([("SQS.SendMessage".to_owned(), 2)])
        );
    }
}

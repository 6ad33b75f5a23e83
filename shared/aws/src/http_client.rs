//! The HTTP client the functions give the SDK: hyper's HTTP/1.1 client over rustls with aws-lc
//! and the system's root certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured), with the
//! SDK's connect and read timeouts and its classification of failures for retries.
//!
//! The SDK's own client is the same stack with HTTP/2 besides. DynamoDB, SQS and KMS are
//! reached over HTTP/1.1, and HTTP/2 (`h2`) was about 0.6 MiB of every package
//! (docs/decisions/0022-http1-sdk-client.md).

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::ErrorKind;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use payments_domain::error::Error;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;

type BoxError = Box<dyn StdError + Send + Sync>;
type Https = HttpsConnector<TcpConnector>;

/// The SDK's HTTP client, one per function: its connections are pooled across the SDK's clients
/// and kept while the function is warm.
#[derive(Debug, Clone)]
pub struct Http1Client {
    https: Https,
    /// One connector per pair of timeouts the SDK asks for (in practice one pair).
    connectors: Arc<Mutex<HashMap<Timeouts, SharedHttpConnector>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Timeouts {
    connect: Option<Duration>,
    read: Option<Duration>,
}

impl Http1Client {
    /// Loads the system's root certificates (once per cold start). Without any, the client is
    /// still built and every HTTPS call fails its handshake; a log line says why.
    pub fn new() -> Result<Http1Client, Error> {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(error = %error, "a root certificate could not be loaded");
        }
        let mut roots = rustls::RootCertStore::empty();
        let (loaded, _unparsable) = roots.add_parsable_certificates(found.certs);
        if loaded == 0 {
            tracing::error!("no root certificates: every HTTPS call will fail");
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal("configuring TLS", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        // As the SDK's client: a small request is not held back waiting for an ACK.
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Ok(Http1Client {
            https,
            connectors: Arc::default(),
        })
    }

    fn connector(&self, timeouts: Timeouts) -> SharedHttpConnector {
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        connectors
            .entry(timeouts)
            .or_insert_with(|| {
                let mut pool = Client::builder(TokioExecutor::new());
                // Without a timer the pool never drops an idle connection.
                pool.pool_timer(TokioTimer::new());
                SharedHttpConnector::new(Connector {
                    client: pool.build(TimedConnect {
                        https: self.https.clone(),
                        timeout: timeouts.connect,
                    }),
                    read_timeout: timeouts.read,
                })
            })
            .clone()
    }
}

impl HttpClient for Http1Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector(Timeouts {
            connect: settings.connect_timeout(),
            read: settings.read_timeout(),
        })
    }
}

/// Sends the SDK's requests, each within the read timeout: from the request until its answer's
/// head, the connection's opening included (as the SDK's own client counts it).
#[derive(Debug, Clone)]
struct Connector {
    client: Client<TimedConnect, SdkBody>,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(error) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::user(error.into())))
            }
        };
        let sending = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sending).await.map_err(|_| {
                    ConnectorError::timeout(TimedOut("reading the answer", limit).into())
                })?,
                None => sending.await,
            };
            let response = answer.map_err(|error| connector_error(error.into()))?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|error| ConnectorError::other(error.into(), None))
        })
    }
}

/// Opens a connection (TCP, then TLS) within the connect timeout.
#[derive(Debug, Clone)]
struct TimedConnect {
    https: Https,
    timeout: Option<Duration>,
}

type Connection = MaybeHttpsStream<TokioIo<TcpStream>>;

impl tower::Service<http::Uri> for TimedConnect {
    type Response = Connection;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Connection, BoxError>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(context)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.https.call(uri);
        let timeout = self.timeout;
        Box::pin(async move {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, connecting)
                    .await
                    .map_err(|_| Box::new(TimedOut("connecting", limit)) as BoxError)?,
                None => connecting.await,
            }
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("timed out {0} after {1:?}")]
struct TimedOut(&'static str, Duration);

/// What the SDK's retry strategy should make of a failed exchange, as the SDK's own client
/// classifies it: timeouts and I/O failures (refused, reset, a pooled connection closed) are
/// retried; a request hyper refused to send is the caller's; anything else is not retried.
fn connector_error(error: BoxError) -> ConnectorError {
    if find::<TimedOut>(error.as_ref()).is_some() {
        return ConnectorError::timeout(error);
    }
    if let Some(hyper_error) = find::<hyper::Error>(error.as_ref()) {
        if hyper_error.is_timeout() {
            return ConnectorError::timeout(error);
        }
        if hyper_error.is_user() {
            return ConnectorError::user(error);
        }
        if hyper_error.is_closed()
            || hyper_error.is_canceled()
            || find::<std::io::Error>(hyper_error).is_some()
        {
            return ConnectorError::io(error);
        }
        if hyper_error.is_incomplete_message() {
            return ConnectorError::other(error, Some(ErrorKind::TransientError));
        }
    }
    let connecting = find::<hyper_util::client::legacy::Error>(error.as_ref())
        .is_some_and(hyper_util::client::legacy::Error::is_connect);
    if connecting || find::<std::io::Error>(error.as_ref()).is_some() {
        return ConnectorError::io(error);
    }
    ConnectorError::other(error, None)
}

/// The first error of type `E` in `error`'s chain of sources.
fn find<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    std::iter::successors(Some(error), |&error| error.source()).find_map(|e| e.downcast_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const LIMIT: Duration = Duration::from_millis(300);

    fn connector(connect: Option<Duration>, read: Option<Duration>) -> SharedHttpConnector {
        Http1Client::new()
            .expect("client")
            .connector(Timeouts { connect, read })
    }

    fn post(url: &str, body: &'static str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::from(body));
        request.set_method("POST").expect("method");
        request.set_uri(url).expect("uri");
        request
    }

    /// A server on 127.0.0.1 that answers each request on a connection with `answer`, or, with
    /// `None`, reads the request and says nothing. It counts the connections it accepted.
    async fn server(answer: Option<&'static str>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 {
                            return;
                        }
                        if let Some(answer) = answer {
                            if socket.write_all(answer.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (format!("http://{address}/"), accepted)
    }

    #[tokio::test]
    async fn an_answer_comes_back_whole_and_the_connection_is_kept() {
        let (url, accepted) = server(Some(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        ))
        .await;
        let connector = connector(Some(LIMIT), Some(LIMIT));
        for _ in 0..3 {
            let response = connector
                .call(post(&url, "{\"a\":1}"))
                .await
                .expect("answer");
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(
                response.headers().get("content-type"),
                Some("application/json")
            );
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .expect("body")
                .to_bytes();
            assert_eq!(&body[..], b"{}");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection, reused");
    }

    #[tokio::test]
    async fn no_answer_within_the_read_timeout_is_a_timeout() {
        let (url, _) = server(None).await;
        let error = connector(None, Some(LIMIT))
            .call(post(&url, "{}"))
            .await
            .expect_err("no answer");
        assert!(error.is_timeout(), "{error:?}");
    }

    #[tokio::test]
    async fn a_tls_handshake_that_never_ends_is_a_connect_timeout() {
        let (url, _) = server(None).await;
        let url = url.replace("http://", "https://");
        let error = connector(Some(LIMIT), None)
            .call(post(&url, "{}"))
            .await
            .expect_err("no handshake");
        assert!(error.is_timeout(), "{error:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_failure_the_sdk_retries() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        drop(listener);
        let error = connector(Some(LIMIT), Some(LIMIT))
            .call(post(&url, "{}"))
            .await
            .expect_err("refused");
        assert!(error.is_io(), "{error:?}");
    }

    #[tokio::test]
    async fn a_connection_closed_before_the_answer_is_retried_by_the_sdk() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                // Closed after reading the request, without a word.
            }
        });
        let error = connector(Some(LIMIT), Some(LIMIT))
            .call(post(&url, "{}"))
            .await
            .expect_err("closed");
        let retried = error.is_io()
            || error.is_timeout()
            || error.as_other() == Some(ErrorKind::TransientError);
        assert!(retried, "{error:?}");
    }
}

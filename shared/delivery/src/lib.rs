//! Webhooks out (docs/api.md §8, §9): one HTTP(S) client that posts a signed body to a URL
//! under the deployment's URL rules. The rules are checked on the URL, and again on every
//! address its name resolves to, and the connection goes to those checked addresses only, so a
//! name that resolves to a private or metadata address (now, or after a DNS change) is refused
//! rather than reached. Redirects are not followed, the whole exchange has a timeout, and at
//! most [`MAX_ANSWER_BYTES`] of the answer are read. hyper with rustls over aws-lc (the one TLS
//! stack, docs/decisions/0011) and the system's root certificates.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use payments_domain::error::Error;
use payments_domain::notifications::{address_allowed, EndpointUrl, UrlPolicy, UrlRefusal};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The most of an answer's body that is read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// At most [`MAX_ANSWER_BYTES`]; empty when the body could not be read in time.
    pub body: Vec<u8>,
    pub duration_ms: u64,
}

/// Why nothing was answered.
#[derive(Debug, thiserror::Error)]
pub enum PostFailure {
    /// The URL, or an address its name resolves to, is not one the deployment sends to.
    #[error("the URL or an address it resolves to is not allowed")]
    NotAllowed,
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    /// The connection, TLS or HTTP exchange failed.
    #[error("the request failed: {0}")]
    Failed(String),
}

/// Resolves a name and checks every address it resolves to against the URL rules: all must
/// be allowed, or none is used.
#[derive(Clone)]
struct CheckedResolver {
    policy: UrlPolicy,
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            checked(addresses, policy)
        })
    }
}

/// `addresses` if every one is allowed (and there is one).
fn checked(
    addresses: Vec<SocketAddr>,
    policy: UrlPolicy,
) -> std::io::Result<std::vec::IntoIter<SocketAddr>> {
    let refused = addresses.is_empty()
        || addresses
            .iter()
            .any(|address| address_allowed(address.ip(), policy).is_err());
    if refused {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            NOT_ALLOWED,
        ));
    }
    Ok(addresses.into_iter())
}

/// The resolver's refusal, told apart from other connection failures by its text.
const NOT_ALLOWED: &str = "resolves to an address that is not allowed";

pub struct WebhookClient {
    client: Client<HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    policy: UrlPolicy,
    timeout: Duration,
}

impl WebhookClient {
    /// A client for the deployment's `policy`, giving up on an exchange after `timeout`.
    pub fn new(policy: UrlPolicy, timeout: Duration) -> Result<Self, Error> {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver { policy });
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| Error::internal("loading the system's root certificates", e))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(WebhookClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
            policy,
            timeout,
        })
    }

    /// POSTs `body` with `headers` to `url`: the answer (whatever its status; a redirect is an
    /// answer, not followed), or why there is none.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Answer, PostFailure> {
        EndpointUrl::parse(url, self.policy).map_err(|refusal| match refusal {
            UrlRefusal::NotAllowed => PostFailure::NotAllowed,
            UrlRefusal::Malformed => PostFailure::Failed("a malformed URL".into()),
        })?;
        let mut request = http::Request::post(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| PostFailure::Failed(e.to_string()))?;
        let started = Instant::now();
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                if format!("{e:?}").contains(NOT_ALLOWED) {
                    PostFailure::NotAllowed
                } else {
                    PostFailure::Failed(e.to_string())
                }
            })?;
            let status = response.status().as_u16();
            // A receiver that sends more than it may still gets its status counted.
            let body = match Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
            {
                Ok(collected) => collected.to_bytes().to_vec(),
                Err(_) => Vec::new(),
            };
            Ok((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| PostFailure::TimedOut(self.timeout))??;
        Ok(Answer {
            status,
            body,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// SANDBOX's sender posts through the same client: its provider's webhooks go out under the
/// same rules as the service's own.
impl payments_domain::providers::WebhookPoster for WebhookClient {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<u16, Error> {
        WebhookClient::post(self, url, headers, body.as_bytes())
            .await
            .map(|answer| answer.status)
            .map_err(|failure| Error::internal("posting a webhook", failure))
    }
}

/// The tenant webhook dispatcher's attempts: what the receiver answered, or why it did not.
impl payments_domain::dispatch::Poster for WebhookClient {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
        now: payments_domain::Now,
    ) -> payments_domain::dispatch::Attempt {
        let started = Instant::now();
        let result = WebhookClient::post(self, url, headers, body.as_bytes()).await;
        let waited = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(answer) => payments_domain::dispatch::Attempt {
                timestamp: now.epoch_ms(),
                response_status: Some(answer.status),
                duration_ms: answer.duration_ms,
                error: None,
            },
            Err(failure) => payments_domain::dispatch::Attempt {
                timestamp: now.epoch_ms(),
                response_status: None,
                duration_ms: waited,
                error: Some(failure.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests;

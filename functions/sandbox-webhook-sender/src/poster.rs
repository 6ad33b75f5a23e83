//! An HTTP(S) client for posting webhooks: hyper with rustls over aws-lc (the one TLS stack,
//! docs/decisions/0011) and the system's roots, built once per cold start.

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use payments_domain::error::Error;
use payments_domain::providers::WebhookPoster;
use std::time::Duration;

/// How long one delivery may take before it counts as failed (and is sent again).
const TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpPoster {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpPoster {
    pub fn new() -> Result<Self, Error> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| Error::internal("loading the system's root certificates", e))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpPoster {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

impl WebhookPoster for HttpPoster {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<u16, Error> {
        let mut request = http::Request::post(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| Error::internal("building a webhook request", e))?;
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|e| Error::internal("posting a webhook", e))?
            .map_err(|e| Error::internal("posting a webhook", e))?;
        Ok(response.status().as_u16())
    }
}

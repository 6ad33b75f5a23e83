//! The local HTTP API: what API Gateway does in front of the functions. It selects the route as
//! API Gateway does, sends the function the payload 2.0 event through the invoke API, and turns
//! the answer into the HTTP response. Failures look as they do on AWS: 404 `Not Found` for no
//! route, 413 for bodies over 10 MB, 500 `Internal Server Error` when the invoke fails. Like API
//! Gateway it tells the function how the client reached it (`x-forwarded-for`, `-proto`,
//! `-port`), replacing whatever the client claimed.
//!
//! It listens on 127.0.0.1 only: it serves unauthenticated developer traffic.

use crate::api_reference::ApiReference;
use crate::apigw::{build_event, gateway_error, into_response, EventInput};
use crate::invoke::Invoker;
use crate::routes::RouteTable;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// API Gateway's payload limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

pub struct Gateway {
    routes: RouteTable,
    invoker: Invoker,
    /// `/docs`, when the viewer is installed: answered here, before any route is selected.
    reference: Option<ApiReference>,
}

/// Binds the gateway's port on the loopback interface (port 0: any free port).
pub async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

impl Gateway {
    pub fn new(routes: RouteTable, invoker: Invoker) -> Gateway {
        Gateway {
            routes,
            invoker,
            reference: None,
        }
    }

    /// Also serves the API reference viewer at `/docs` (local only; see `api_reference`).
    pub fn with_api_reference(self, reference: ApiReference) -> Gateway {
        Gateway {
            reference: Some(reference),
            ..self
        }
    }

    /// Serves connections until the future is dropped; dropping it also ends every open
    /// connection, so aborting the task that runs it stops the gateway completely.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let port = listener.local_addr()?.port();
        let mut connections = JoinSet::new();
        loop {
            let (stream, remote) = listener.accept().await?;
            while connections.try_join_next().is_some() {}
            let gateway = Arc::clone(&self);
            connections.spawn(async move {
                let service = service_fn(move |request| {
                    let gateway = Arc::clone(&gateway);
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            gateway.handle(request, remote, port).await,
                        )
                    }
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

    /// Answers one request that `remote` sent to the gateway's `port`.
    pub async fn handle(
        &self,
        request: Request<Incoming>,
        remote: SocketAddr,
        port: u16,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let mut response = self.respond(request, remote, port, &request_id).await;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("apigw-requestid", value);
        }
        tracing::info!(
            %method, %path, status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64, "request"
        );
        response
    }

    async fn respond(
        &self,
        request: Request<Incoming>,
        remote: SocketAddr,
        port: u16,
        request_id: &str,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let viewer = (parts.method == http::Method::GET)
            .then_some(self.reference.as_ref())
            .flatten()
            .and_then(|reference| reference.serve(parts.uri.path()));
        if let Some(page) = viewer {
            return page;
        }
        let Some(selected) = self.routes.select(parts.method.as_str(), parts.uri.path()) else {
            return gateway_error(StatusCode::NOT_FOUND, "Not Found");
        };
        let too_large = || gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
            return too_large();
        }
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
            Err(_) => return gateway_error(StatusCode::BAD_REQUEST, "Bad Request"),
        };
        let event = build_event(&EventInput {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: &body,
            source_ip: remote.ip(),
            port,
            protocol: if parts.version == Version::HTTP_10 {
                "HTTP/1.0"
            } else {
                "HTTP/1.1"
            },
            route_key: selected.route_key,
            path_parameters: &selected.path_parameters,
            request_id,
            time: chrono::Utc::now(),
        });
        let internal = || gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        let answer = match self.invoker.invoke(selected.function, &event).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(function = selected.function, error = %e, "invoke failed");
                return internal();
            }
        };
        into_response(&answer).unwrap_or_else(|e| {
            tracing::warn!(function = selected.function, error = %e, "unusable function answer");
            internal()
        })
    }
}

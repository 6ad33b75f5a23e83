//! Shared test helpers: the moto endpoint from the environment and a fake function behind a
//! fake Lambda invoke endpoint.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The moto server the tests use; `make test` starts one and sets `MOTO_ENDPOINT`.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set. These tests need a moto server: run \
             `moto_server -H 127.0.0.1 -p 5055 &` and `export MOTO_ENDPOINT=http://127.0.0.1:5055` \
             (`make test` does both)"
        )
    })
}

pub async fn sdk() -> aws_config::SdkConfig {
    local_stack::aws::sdk_config(&moto_endpoint()).await
}

/// A unique suffix for queue and table names, so tests can run in parallel on one moto.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A state directory of its own for one test of `suite`.
pub fn temp_state_dir(suite: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("local-stack-{suite}-{}", unique()))
}

/// The real template's table in moto, as `make dev` provisions it: API keys, schemes and the
/// rewards' catalogue are kept there.
pub async fn provisioned_store() -> payments_aws::Store {
    let path = local_stack::template_path();
    let template = local_stack::template::Template::load(&path).expect("template");
    let config = sdk().await;
    local_stack::provision::provision(&config, &template)
        .await
        .expect("provision");
    let table = local_stack::scheme::table_name(&template).expect("table");
    local_stack::scheme::store(&config, table)
}

/// One invocation the fake received: the function name from the URL and the payload.
#[derive(Debug, Clone)]
pub struct Call {
    pub function: String,
    pub payload: Value,
}

type Answer = dyn Fn(usize, &Value) -> (u16, String) + Send + Sync;

/// A Lambda invoke endpoint whose answers come from a closure (call index, payload) →
/// (HTTP status, body). It records every call.
pub struct FakeFunction {
    pub base: String,
    calls: Arc<Mutex<Vec<Call>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeFunction {
    pub async fn start(
        answer: impl Fn(usize, &Value) -> (u16, String) + Send + Sync + 'static,
    ) -> FakeFunction {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let answer: Arc<Answer> = Arc::new(answer);
        let recorded = Arc::clone(&calls);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (calls, answer) = (Arc::clone(&recorded), Arc::clone(&answer));
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let (calls, answer) = (Arc::clone(&calls), Arc::clone(&answer));
                            async move {
                                let path = request.uri().path().to_owned();
                                let body = request
                                    .into_body()
                                    .collect()
                                    .await
                                    .expect("body")
                                    .to_bytes();
                                let payload: Value =
                                    serde_json::from_slice(&body).expect("JSON payload");
                                let function = path
                                    .strip_prefix("/2015-03-31/functions/")
                                    .and_then(|p| p.strip_suffix("/invocations"))
                                    .unwrap_or("<bad path>")
                                    .to_owned();
                                let index = {
                                    let mut calls = calls.lock().expect("lock");
                                    calls.push(Call {
                                        function,
                                        payload: payload.clone(),
                                    });
                                    calls.len() - 1
                                };
                                let (status, body) = answer(index, &payload);
                                let mut response =
                                    http::Response::new(Full::new(Bytes::from(body)));
                                *response.status_mut() =
                                    http::StatusCode::from_u16(status).expect("status");
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeFunction { base, calls, task }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("lock").clone()
    }

    /// Waits until at least `n` calls arrived.
    pub async fn wait_for_calls(&self, n: usize, within: Duration) -> Vec<Call> {
        let deadline = Instant::now() + within;
        loop {
            let calls = self.calls();
            if calls.len() >= n {
                return calls;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} calls within {within:?}, got {}",
                calls.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for FakeFunction {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A local port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

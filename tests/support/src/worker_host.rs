//! An in-process stand-in for `cargo lambda watch`: it serves the Lambda invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`) on 127.0.0.1 and hands each payload to the
//! handler registered under that function name. End-to-end tests point the real pump (or the
//! gateway, or the scheduler) at it, so worker code runs in the test process — breakpoints,
//! shared state and assertions work — while delivery, batching and deletes stay the local
//! stack's own.
//!
//! Answers are what Lambda's invoke API gives, because `local_stack::invoke` decides success
//! from them: a handler's `Ok` is the JSON answer (200); its `Err` (or a panic) is a function
//! error, 200 with `X-Amz-Function-Error: Unhandled` and `{"errorType", "errorMessage"}`, which
//! the pump treats as a failed batch; an unknown function is 404 `ResourceNotFoundException`,
//! a payload that is not JSON 400, one over Lambda's 6 MB limit 413.

use bytes::Bytes;
pub use futures_util::future::{BoxFuture, FutureExt};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Lambda's limit on a synchronous invocation's payload.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// The `errorType` of a handler's `Err`.
pub const HANDLER_ERROR_TYPE: &str = "HandlerError";
/// The `errorType` of a handler that panicked.
pub const PANIC_ERROR_TYPE: &str = "Panic";

/// A function's code: the invocation payload in, the answer or an error message out.
pub type Handler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// One invocation a handler finished, in the order they finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub function: String,
    pub payload: Value,
    /// The handler's answer; a panic shows as `Err("panicked: …")`.
    pub answer: Result<Value, String>,
}

#[derive(Default)]
struct Shared {
    handlers: RwLock<HashMap<String, Handler>>,
    invocations: Mutex<Vec<Invocation>>,
}

/// Serves the invoke API until dropped.
pub struct WorkerHost {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHost {
    /// Listens on a free port of 127.0.0.1. Handlers may be registered before or after.
    pub async fn start() -> std::io::Result<WorkerHost> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Ok(WorkerHost { url, shared, task })
    }

    /// The base URL to give an `Invoker` or `pump_until_idle`, like `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Routes invocations of `function` (the template's `Binary`) to `handler`, replacing any
    /// handler registered under that name.
    pub fn register(&self, function: impl Into<String>, handler: Handler) {
        self.shared
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(function.into(), handler);
    }

    /// [`register`](Self::register) for an async closure.
    pub fn register_fn<F, Fut>(&self, function: impl Into<String>, handler: F)
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        self.register(function, Arc::new(move |payload| handler(payload).boxed()));
    }

    /// Every invocation a handler finished so far.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.shared
            .invocations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for WorkerHost {
    /// Ends the accept loop and, with it, every open connection.
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Such as running out of file descriptors: wait, rather than spin or stop.
                eprintln!("worker host: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, std::convert::Infallible>(handle(&shared, request).await) }
            });
            // A client that goes away mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The function name of an invoke API path.
fn function_name(path: &str) -> Option<&str> {
    path.strip_prefix("/2015-03-31/functions/")?
        .strip_suffix("/invocations")
        .filter(|name| !name.is_empty() && !name.contains('/'))
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let Some(function) = function_name(&path).map(str::to_owned) else {
        return service_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("no invoke API operation at {path}"),
        );
    };
    if request.method() != Method::POST {
        return service_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "invocations are POSTed",
        );
    }
    let body = match Limited::new(request.into_body(), MAX_PAYLOAD_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return service_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                "the payload exceeds 6 MB",
            )
        }
        Err(e) => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                &format!("cannot read the payload: {e}"),
            )
        }
    };
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(e) => {
            return service_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                &format!("the payload is not JSON: {e}"),
            )
        }
    };
    let handler = shared
        .handlers
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&function)
        .cloned();
    let Some(handler) = handler else {
        eprintln!("worker host: {function} was invoked but has no handler");
        return service_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {function}"),
        );
    };
    // On a task of its own, so a panicking handler becomes a function error, as a panic in
    // a Rust Lambda does, instead of a dropped connection.
    let (answer, error_type) = match tokio::spawn(handler(payload.clone())).await {
        Ok(answer) => (answer, HANDLER_ERROR_TYPE),
        Err(e) => {
            eprintln!("worker host: the {function} handler panicked: {e}");
            (Err(format!("panicked: {e}")), PANIC_ERROR_TYPE)
        }
    };
    let response = match &answer {
        Ok(value) => json_response(StatusCode::OK, value),
        Err(message) => {
            let mut response = json_response(
                StatusCode::OK,
                &json!({"errorType": error_type, "errorMessage": message}),
            );
            response.headers_mut().insert(
                "x-amz-function-error",
                http::HeaderValue::from_static("Unhandled"),
            );
            response
        }
    };
    shared
        .invocations
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Invocation {
            function,
            payload,
            answer,
        });
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// An error of the invoke API itself (not of the function), shaped as Lambda's.
fn service_error(
    status: StatusCode,
    error_type: &'static str,
    message: &str,
) -> Response<Full<Bytes>> {
    let mut response = json_response(status, &json!({"Type": "User", "message": message}));
    response.headers_mut().insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static(error_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use local_stack::invoke::{InvokeError, Invoker};

    fn invoker(host: &WorkerHost) -> Invoker {
        Invoker::new(host.url(), Duration::from_secs(5))
    }

    #[test]
    fn invoke_paths() {
        assert_eq!(
            function_name("/2015-03-31/functions/sweep/invocations"),
            Some("sweep")
        );
        assert_eq!(function_name("/2015-03-31/functions//invocations"), None);
        assert_eq!(function_name("/2015-03-31/functions/a/b/invocations"), None);
        assert_eq!(function_name("/2015-03-31/functions/sweep"), None);
        assert_eq!(function_name("/"), None);
    }

    #[tokio::test]
    async fn answers_as_the_invoke_api_does() {
        let host = WorkerHost::start().await.expect("start");
        host.register_fn("echo", |payload| async move { Ok(json!({"got": payload})) });
        host.register_fn("fails", |_| async { Err("no funds".to_owned()) });
        host.register(
            "panics",
            Arc::new(|_| async { panic!("handler bug") }.boxed()),
        );
        let invoker = invoker(&host);

        let answer = invoker.invoke("echo", &json!({"a": 1})).await.expect("ok");
        assert_eq!(
            serde_json::from_slice::<Value>(&answer).expect("json"),
            json!({"got": {"a": 1}})
        );
        assert!(matches!(
            invoker.invoke("fails", &json!({})).await,
            Err(InvokeError::Function(t)) if t == HANDLER_ERROR_TYPE
        ));
        assert!(matches!(
            invoker.invoke("panics", &json!({})).await,
            Err(InvokeError::Function(t)) if t == PANIC_ERROR_TYPE
        ));
        assert!(matches!(
            invoker.invoke("nobody", &json!({})).await,
            Err(InvokeError::Status(404))
        ));

        let invocations = host.invocations();
        assert_eq!(invocations.len(), 3, "unknown functions are not recorded");
        assert_eq!(invocations[0].function, "echo");
        assert_eq!(invocations[0].payload, json!({"a": 1}));
        assert_eq!(invocations[1].answer, Err("no funds".to_owned()));
        assert!(invocations[2]
            .answer
            .as_ref()
            .is_err_and(|e| e.starts_with("panicked")));
    }

    #[tokio::test]
    async fn the_function_error_has_lambdas_shape() {
        let host = WorkerHost::start().await.expect("start");
        host.register_fn("fails", |_| async { Err("no funds".to_owned()) });
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        let call = |method: Method, path: &str, body: &'static str| {
            let request = Request::builder()
                .method(method)
                .uri(format!("{}{path}", host.url()))
                .body(Full::new(Bytes::from(body)))
                .expect("request");
            let client = client.clone();
            async move {
                let response = client.request(request).await.expect("response");
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes();
                (
                    status,
                    headers,
                    serde_json::from_slice::<Value>(&body).expect("json"),
                )
            }
        };

        let (status, headers, body) = call(
            Method::POST,
            "/2015-03-31/functions/fails/invocations",
            "{}",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["x-amz-function-error"], "Unhandled");
        assert_eq!(
            body,
            json!({"errorType": "HandlerError", "errorMessage": "no funds"})
        );

        let (status, headers, _) =
            call(Method::POST, "/2015-03-31/functions/fails/invocations", "{").await;
        assert_eq!(status, 400);
        assert_eq!(
            headers["x-amzn-errortype"],
            "InvalidRequestContentException"
        );
        let (status, _, _) = call(Method::GET, "/2015-03-31/functions/fails/invocations", "").await;
        assert_eq!(status, 405);
        let (status, headers, _) = call(Method::POST, "/elsewhere", "{}").await;
        assert_eq!(status, 404);
        assert_eq!(headers["x-amzn-errortype"], "UnknownOperationException");
    }
}

//! Invokes a function through the Lambda Invoke API that `cargo lambda watch` serves
//! (`POST {base}/2015-03-31/functions/{name}/invocations`), the way the gateway and the pump
//! reach the functions.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("invoke endpoint unreachable: {0}")]
    Unreachable(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("invoke endpoint answered HTTP {0}")]
    Status(u16),
    /// The function failed: the answer was a Lambda error payload (`errorType`).
    #[error("function error {0}")]
    Function(String),
}

#[derive(Clone)]
pub struct Invoker {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Invoker {
    /// `base` is like `http://127.0.0.1:9000`. `timeout` bounds a whole invocation; locally it
    /// must leave room for `cargo lambda watch` compiling the function on first use.
    pub fn new(base: &str, timeout: Duration) -> Invoker {
        Invoker {
            base: base.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        }
    }

    /// The function's answer, or why there is none.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> Result<Bytes, InvokeError> {
        let uri = format!("{}/2015-03-31/functions/{function}/invocations", self.base);
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(payload.to_string())))
            .map_err(|e| InvokeError::Unreachable(e.to_string()))?;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| InvokeError::Unreachable(e.to_string()))?;
            let status = response.status();
            let function_error = response.headers().get("x-amz-function-error").is_some();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| InvokeError::Unreachable(e.to_string()))?
                .to_bytes();
            if !status.is_success() {
                return Err(InvokeError::Status(status.as_u16()));
            }
            if let Some(error_type) =
                error_type(&body).or(function_error.then(|| "Unhandled".to_owned()))
            {
                return Err(InvokeError::Function(error_type));
            }
            Ok(body)
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| InvokeError::Timeout(self.timeout))?
    }
}

/// The `errorType` of a Lambda error payload (`{"errorType": ..., "errorMessage": ...}`).
fn error_type(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("errorType")?.as_str().map(str::to_owned)
}

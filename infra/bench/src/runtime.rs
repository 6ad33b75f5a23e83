//! A local Lambda Runtime API (the `2018-06-01` interface a custom runtime polls) and a
//! function process started under it, as Lambda starts `bootstrap` on `provided.al2023`.
//!
//! Each process gets a server of its own on a free 127.0.0.1 port. [`FunctionProcess::invoke`]
//! hands one event to the process's next `GET …/invocation/next` and waits for its
//! `POST …/response` (or `…/error`); the instants of both are kept, so a cold start is measured
//! from the spawn to the arrival of the first response.

use crate::procfs;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{function} reported an init error: {body}")]
    InitError { function: String, body: String },
    #[error("{function} exited before answering (see {log})")]
    Exited { function: String, log: String },
    #[error("{function} gave no answer within {timeout:?} (see {log})")]
    Timeout {
        function: String,
        timeout: Duration,
        log: String,
    },
}

/// What the function posted for one invocation.
#[derive(Debug)]
pub struct Answer {
    /// `…/response` (true) or `…/error` (false).
    pub ok: bool,
    pub body: Bytes,
    /// When the event was handed to the function (its `next` answered).
    pub delivered: Instant,
    /// When its answer arrived.
    pub answered: Instant,
}

struct Invocation {
    id: String,
    body: Bytes,
    answer: oneshot::Sender<Answer>,
}

/// X-Ray tracing of a function, as the template's `FunctionTracing` sets it: with `Active`,
/// Lambda samples the invocations (`Sampled=1` in the trace header it hands the function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracing {
    PassThrough,
    Active,
}

struct Shared {
    function_arn: String,
    tracing: Tracing,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    inflight: Mutex<HashMap<String, (Instant, oneshot::Sender<Answer>)>>,
    first_next: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return respond(StatusCode::NOT_FOUND, Bytes::new());
    };
    if method == Method::GET && rest == "invocation/next" {
        lock(&shared.first_next).get_or_insert_with(Instant::now);
        let next = shared.queue.lock().await.recv().await;
        let Some(invocation) = next else {
            // The harness is shutting down: the function waits for ever, as on Lambda.
            return respond(StatusCode::SERVICE_UNAVAILABLE, Bytes::new());
        };
        let delivered = Instant::now();
        lock(&shared.inflight).insert(invocation.id.clone(), (delivered, invocation.answer));
        let deadline = chrono::Utc::now().timestamp_millis() + 900_000;
        let mut response = respond(StatusCode::OK, invocation.body);
        let headers = response.headers_mut();
        for (name, value) in [
            ("lambda-runtime-aws-request-id", invocation.id.clone()),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                shared.function_arn.clone(),
            ),
            (
                "lambda-runtime-trace-id",
                format!(
                    "Root=1-{:08x}-{};Sampled={}",
                    chrono::Utc::now().timestamp(),
                    &uuid::Uuid::new_v4().simple().to_string()[..24],
                    u8::from(shared.tracing == Tracing::Active)
                ),
            ),
            ("content-type", "application/json".to_owned()),
        ] {
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        return response;
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return respond(StatusCode::BAD_REQUEST, Bytes::new()),
    };
    if method == Method::POST && rest == "init/error" {
        *lock(&shared.init_error) = Some(String::from_utf8_lossy(&body).into_owned());
        return respond(StatusCode::ACCEPTED, Bytes::new());
    }
    let answered = Instant::now();
    let outcome = rest
        .strip_prefix("invocation/")
        .and_then(|tail| tail.split_once('/'))
        .filter(|_| method == Method::POST)
        .and_then(|(id, kind)| match kind {
            "response" => Some((id, true)),
            "error" => Some((id, false)),
            _ => None,
        });
    let Some((id, ok)) = outcome else {
        return respond(StatusCode::NOT_FOUND, Bytes::new());
    };
    match lock(&shared.inflight).remove(id) {
        Some((delivered, sender)) => {
            let _ = sender.send(Answer {
                ok,
                body,
                delivered,
                answered,
            });
            respond(StatusCode::ACCEPTED, Bytes::new())
        }
        None => respond(StatusCode::BAD_REQUEST, Bytes::new()),
    }
}

/// The Runtime API one process polls.
struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    sender: mpsc::UnboundedSender<Invocation>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    async fn start(function: &str, tracing: Tracing) -> Result<RuntimeApi, RuntimeError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| RuntimeError::Io("binding the runtime API".into(), e))?;
        let address = listener
            .local_addr()
            .map_err(|e| RuntimeError::Io("binding the runtime API".into(), e))?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"),
            tracing,
            queue: tokio::sync::Mutex::new(receiver),
            inflight: Mutex::new(HashMap::new()),
            first_next: Mutex::new(None),
            init_error: Mutex::new(None),
        });
        let serving = shared.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(shared, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(RuntimeApi {
            address,
            shared,
            sender,
            server,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A function binary running under its own Runtime API.
pub struct FunctionProcess {
    pub name: String,
    child: tokio::process::Child,
    pid: i32,
    api: RuntimeApi,
    pub spawned: Instant,
    log: String,
    next_id: u64,
}

/// The environment Lambda gives every function, for a function named `name`.
fn lambda_environment(name: &str, api: SocketAddr) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS_LAMBDA_RUNTIME_API".into(), api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{name}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "bench".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        ("AWS_EXECUTION_ENV".into(), "AWS_Lambda_rapid".into()),
        // Set for every function; whether it is traced is the trace header's `Sampled`.
        (
            "AWS_XRAY_DAEMON_ADDRESS".into(),
            "169.254.79.129:2000".into(),
        ),
        ("AWS_XRAY_CONTEXT_MISSING".into(), "LOG_ERROR".into()),
        ("_HANDLER".into(), "bootstrap".into()),
        ("LANG".into(), "en_US.UTF-8".into()),
        ("TZ".into(), ":UTC".into()),
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
    ])
}

impl FunctionProcess {
    /// Starts `binary` with nothing but Lambda's environment and `environment`, its standard
    /// output and error appended to `log`, traced as `tracing` says.
    pub async fn spawn(
        name: &str,
        binary: &Path,
        environment: &BTreeMap<String, String>,
        log: &Path,
        tracing: Tracing,
    ) -> Result<FunctionProcess, RuntimeError> {
        let api = RuntimeApi::start(name, tracing).await?;
        let io = |e| RuntimeError::Io(log.display().to_string(), e);
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(io)?;
        let err = out.try_clone().map_err(io)?;
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .envs(lambda_environment(name, api.address))
            .envs(environment)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let spawned = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| RuntimeError::Io(binary.display().to_string(), e))?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .unwrap_or_default();
        Ok(FunctionProcess {
            name: name.to_owned(),
            child,
            pid,
            api,
            spawned,
            log: log.display().to_string(),
            next_id: 0,
        })
    }

    /// When the process first asked for an event: the end of its init.
    pub fn init_done(&self) -> Option<Instant> {
        *lock(&self.api.shared.first_next)
    }

    /// CPU time each of its threads has used so far.
    pub fn cpu(&self) -> Result<procfs::ThreadCpu, RuntimeError> {
        procfs::ThreadCpu::read(self.pid)
            .map_err(|e| RuntimeError::Io(format!("/proc/{}", self.pid), e))
    }

    /// Its peak resident set (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64, RuntimeError> {
        procfs::peak_rss(self.pid).map_err(|e| RuntimeError::Io(format!("/proc/{}", self.pid), e))
    }

    /// One invocation: the event is handed to the function's next poll and its answer awaited.
    pub async fn invoke(
        &mut self,
        event: Bytes,
        timeout: Duration,
    ) -> Result<Answer, RuntimeError> {
        self.next_id += 1;
        let id = format!("{:08x}-bench-{:012}", std::process::id(), self.next_id);
        let (answer, answered) = oneshot::channel();
        let sent = self.api.sender.send(Invocation {
            id,
            body: event,
            answer,
        });
        if sent.is_err() {
            return Err(self.exited());
        }
        let waited = tokio::select! {
            biased;
            answer = answered => answer.ok(),
            _ = self.child.wait() => None,
            () = tokio::time::sleep(timeout) => {
                return Err(RuntimeError::Timeout {
                    function: self.name.clone(),
                    timeout,
                    log: self.log.clone(),
                });
            }
        };
        waited.ok_or_else(|| self.exited())
    }

    fn exited(&self) -> RuntimeError {
        if let Some(body) = lock(&self.api.shared.init_error).clone() {
            return RuntimeError::InitError {
                function: self.name.clone(),
                body,
            };
        }
        RuntimeError::Exited {
            function: self.name.clone(),
            log: self.log.clone(),
        }
    }

    /// Stops the process (SIGKILL, as Lambda ends an environment) and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

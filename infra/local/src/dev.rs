//! `local-stack dev`: the whole local stack in one command, started in dependency order and
//! stopped as a unit on Ctrl-C or SIGTERM.
//!
//! moto (tables and queues) → provisioning from the template and the dev tenant's schemes,
//! rewards and API key → `cargo lambda watch` (the functions, with the template's environment
//! and the local keys) → the gateway, the SQS pump and the scheduler, in-process. Once it serves,
//! it records its endpoints in the state dir (for `local-stack scheme`, `reward` and `apikey`
//! from another terminal) and removes the record when it stops.
//! Standard output carries only the lines scripts read (`API_URL=…` etc.); everything else,
//! including the functions' logs, goes to standard error, and moto's chatter to
//! `<state dir>/moto.log`.

use crate::api_reference::ApiReference;
use crate::gateway::{self, Gateway};
use crate::invoke::Invoker;
use crate::process::Child;
use crate::provision::{provision, ProvisionError, Provisioned};
use crate::pump;
use crate::routes::{RouteError, RouteTable};
use crate::schedule;
use crate::state::{
    DevApiKey, DevEndpoints, DevIdentity, DevRewards, DevSchemes, StateDir, StateError,
};
use crate::template::{Template, TemplateError};
use payments_domain::ids::TenantScope;
use payments_domain::payments::{Direction, Schemes};
use payments_domain::secret::Secret;
use payments_http::{SigningKeyPair, TokenSigner};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::Command;
use tokio::signal::unix::{signal, SignalKind};

/// Bounds one invocation. Generous: after a source change, `cargo lambda watch` rebuilds the
/// function while the invocation waits, and a function that crashes at start-up is restarted
/// by watch until this runs out.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(180);
/// The dev token's lifetime: a working day.
const DEV_TOKEN_TTL_SECONDS: i64 = 12 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    #[error(transparent)]
    Routes(#[from] RouteError),
    #[error(transparent)]
    Pump(#[from] pump::PumpError),
    #[error("port {port} ({what}) is already in use on 127.0.0.1; is another `local-stack dev` running?")]
    PortInUse { port: u16, what: &'static str },
    #[error("cannot start {what}: {source}")]
    Start {
        what: String,
        source: std::io::Error,
    },
    #[error("{0} did not become ready in time")]
    NotReady(String),
    #[error("{0} exited unexpectedly")]
    ChildExited(String),
    #[error("functions need different values for {name}, but cargo lambda watch gives all functions one environment")]
    EnvironmentConflict { name: String },
    #[error("environment variable {name}: cargo lambda watch's --env-file cannot carry a value with a newline or a backslash")]
    UnsupportedValue { name: String },
    #[error("dev token: {0}")]
    Token(String),
    #[error("dev schemes: {0}")]
    Schemes(payments_domain::Error),
    #[error("dev rewards: {0}")]
    Rewards(payments_domain::Error),
    #[error("dev API key: {0}")]
    ApiKey(payments_domain::Error),
    #[error("gateway: {0}")]
    Gateway(std::io::Error),
    #[error(transparent)]
    ApiReference(#[from] crate::api_reference::MissingAsset),
}

pub struct DevOptions {
    pub repo: PathBuf,
    pub template: PathBuf,
    pub state_dir: PathBuf,
    pub tools_bin: PathBuf,
    pub api_port: u16,
    pub moto_port: u16,
    pub invoke_port: u16,
    /// Replaces the interval of every schedule event (`--schedule-interval`), so a walk-through
    /// need not wait for a `rate(5 minutes)`; `None` keeps the template's.
    pub schedule_interval: Option<Duration>,
    /// Replaces the template's `RequeueAfterSeconds` (`--requeue-after`); `None` keeps it.
    pub requeue_after_seconds: Option<u64>,
    /// The installed `swagger-ui-dist` folder (`--api-reference`): the gateway serves it at
    /// `/docs`. `None`: no viewer.
    pub api_reference: Option<PathBuf>,
}

fn ensure_free(port: u16, what: &'static str) -> Result<(), DevError> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| DevError::PortInUse { port, what })
}

/// Waits until `port` accepts connections, failing early if `child` exits.
async fn wait_for_port(port: u16, child: &mut Child, within: Duration) -> Result<(), DevError> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if !child.running() {
            return Err(DevError::ChildExited(child.name().to_owned()));
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(DevError::NotReady(child.name().to_owned()))
}

/// Our standard error, for children whose standard output must not mix with ours.
fn stderr() -> Stdio {
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_or_else(|_| Stdio::inherit(), Stdio::from)
}

/// The identity function's signing keys when `TOKEN_SIGNING_SECRET_ARN` is empty.
pub const TOKEN_SIGNING_KEYS: &str = "TOKEN_SIGNING_KEYS";
/// The identity function's key-encryption key file when `API_KEY_KMS_KEY_ID` is empty.
pub const API_KEY_KEK_FILE: &str = "API_KEY_KEK_FILE";
/// SANDBOX's webhook secret when `SANDBOX_WEBHOOK_SECRET_ARN` is empty.
pub const SANDBOX_WEBHOOK_SECRET: &str = "SANDBOX_WEBHOOK_SECRET";
/// Where SANDBOX's sender posts (in AWS, the HttpApi's URL).
pub const SANDBOX_WEBHOOK_URL: &str = "SANDBOX_WEBHOOK_URL";

/// The keys the functions get locally, where AWS has the template's parameters, Secrets
/// Manager and KMS (whose references resolve to empty strings locally, see
/// [`crate::template`]).
#[derive(Debug, Clone)]
pub struct LocalKeys {
    /// The dev signing key's public half: the `TokenPublicKey` parameter, so every function's
    /// `TOKEN_PUBLIC_KEY`.
    pub token_public_key: String,
    /// The dev signing key itself, base64 PKCS#8: `TOKEN_SIGNING_KEYS`, what the identity
    /// function signs tokens with, so every function accepts them.
    pub token_signing_keys: Secret<String>,
    /// `API_KEY_KEK_FILE`: the file whose key seals API private keys (`.local/apikey-kek.key`).
    pub api_key_kek_file: PathBuf,
    /// `SANDBOX_WEBHOOK_SECRET`: what SANDBOX signs its webhooks with, and they are verified
    /// with (`.local/sandbox-webhook.secret`).
    pub sandbox_webhook_secret: Secret<String>,
}

impl LocalKeys {
    /// The state dir's dev signing key and key-encryption key file, each created on first use.
    pub fn from_state(state: &StateDir) -> Result<LocalKeys, StateError> {
        let key = state.signing_key()?;
        state.api_key_kek()?;
        let file = state.file(crate::state::KEK_FILE);
        Ok(LocalKeys::new(
            &key,
            std::path::absolute(&file).unwrap_or(file),
            state.sandbox_webhook_secret()?,
        ))
    }

    pub fn new(
        key: &SigningKeyPair,
        api_key_kek_file: PathBuf,
        sandbox_webhook_secret: Secret<String>,
    ) -> LocalKeys {
        LocalKeys {
            token_public_key: key.public_key_base64.clone(),
            token_signing_keys: Secret::new(crate::state::pkcs8_base64(&key.private_key_pem)),
            api_key_kek_file,
            sandbox_webhook_secret,
        }
    }
}

/// The one environment every function gets: each function's resolved template environment
/// (they must agree on shared names), the local keys, and the AWS settings that point the SDK
/// at moto. One environment for all, so every function also gets `TOKEN_SIGNING_KEYS`; only
/// the identity function reads it.
pub fn functions_environment(
    template: &Template,
    provisioned: &Provisioned,
    keys: &LocalKeys,
    moto_endpoint: &str,
    api_url: &str,
    requeue_after_seconds: Option<u64>,
) -> Result<BTreeMap<String, String>, DevError> {
    let mut parameters = BTreeMap::from([
        ("TokenPublicKey".to_owned(), keys.token_public_key.clone()),
        // Tenant webhooks to a receiver on this machine (`make listen`).
        ("AllowLoopbackWebhooks".to_owned(), "true".to_owned()),
    ]);
    if let Some(seconds) = requeue_after_seconds {
        parameters.insert("RequeueAfterSeconds".to_owned(), seconds.to_string());
    }
    let locals = provisioned.locals(parameters);
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for function in &template.functions {
        for (name, value) in template.environment(function, &locals)? {
            if merged.get(&name).is_some_and(|existing| *existing != value) {
                return Err(DevError::EnvironmentConflict { name });
            }
            merged.insert(name, value);
        }
    }
    merged.insert(
        TOKEN_SIGNING_KEYS.to_owned(),
        keys.token_signing_keys.expose().clone(),
    );
    merged.insert(
        API_KEY_KEK_FILE.to_owned(),
        keys.api_key_kek_file.display().to_string(),
    );
    merged.insert(
        SANDBOX_WEBHOOK_SECRET.to_owned(),
        keys.sandbox_webhook_secret.expose().clone(),
    );
    // SANDBOX's sender posts to this stack's own gateway, as it posts to the API in AWS.
    merged.insert(
        SANDBOX_WEBHOOK_URL.to_owned(),
        format!("{api_url}/v1/providers/SANDBOX/webhooks"),
    );
    merged.extend(crate::aws::function_environment(moto_endpoint).map(|(k, v)| (k.to_owned(), v)));
    Ok(merged)
}

/// Writes the functions' environment for `cargo lambda watch --env-file`.
///
/// Watch gives every function the environment it was started with, plus `--env-var` and
/// `--env-file` entries. The file is used because it reaches only the functions: inherited
/// variables would also reach cargo-lambda itself (a `RUST_LOG` makes it dump
/// its whole configuration), and `--env-var` splits values at commas. Its parser needs
/// values with `=` (base64 keys) quoted, takes `\"` for a quote, and has no escape for a
/// backslash, so values with a backslash or a newline are refused. It holds the dev signing
/// key, so only its owner may read it.
fn write_env_file(
    path: &std::path::Path,
    environment: &BTreeMap<String, String>,
) -> Result<(), DevError> {
    let mut text = String::from(
        "# Written by local-stack dev from infra/template.yaml; rewritten on every start.\n",
    );
    for (name, value) in environment {
        if value.contains(['\n', '\r', '\\']) {
            return Err(DevError::UnsupportedValue { name: name.clone() });
        }
        text.push_str(&format!("{name}=\"{}\"\n", value.replace('"', "\\\"")));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| {
            // An env file left by an older version may be readable by others.
            let permissions = std::os::unix::fs::PermissionsExt::from_mode(0o600);
            file.set_permissions(permissions)?;
            file.write_all(text.as_bytes())
        })
        .map_err(|source| DevError::Start {
            what: path.display().to_string(),
            source,
        })
}

/// SIGINT or SIGTERM, whichever comes first.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals, DevError> {
        let start = |e| DevError::Start {
            what: "signal handler".into(),
            source: e,
        };
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).map_err(start)?,
            terminate: signal(SignalKind::terminate()).map_err(start)?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// What `dev` started, so that whatever was started gets stopped, even when start-up fails
/// or is interrupted half-way.
#[derive(Default)]
struct Children {
    moto: Option<Child>,
    watch: Option<Child>,
}

impl Children {
    async fn stop(&mut self) {
        let started: Vec<&mut Child> = [self.watch.as_mut(), self.moto.as_mut()]
            .into_iter()
            .flatten()
            .collect();
        if started.is_empty() {
            return;
        }
        tracing::info!("stopping");
        for child in started {
            child.stop().await;
        }
        tracing::info!("stopped");
    }
}

async fn exited(child: Option<&mut Child>) -> String {
    match child {
        Some(child) => {
            let _ = child.exited().await;
            child.name().to_owned()
        }
        None => std::future::pending().await,
    }
}

/// The in-process parts, running once start-up is done.
struct Running {
    gateway: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The queue pumps and the schedules.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The lines for standard output.
    banner: String,
    /// Recorded in the state dir while the stack serves.
    endpoints: DevEndpoints,
}

pub async fn run(options: DevOptions) -> Result<(), DevError> {
    // First of all, so that a Ctrl-C during start-up stops what was already started.
    let mut signals = Signals::install()?;
    let mut children = Children::default();
    let started = tokio::select! {
        result = start(&options, &mut children) => Some(result),
        () = signals.recv() => None,
    };
    let outcome = match started {
        None => Ok(()),
        Some(Err(e)) => Err(e),
        Some(Ok(mut running)) => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out
                .write_all(running.banner.as_bytes())
                .and_then(|()| out.flush())
            {
                tracing::warn!(error = %e, "cannot write to standard output");
            }
            drop(out);
            let outcome = tokio::select! {
                () = signals.recv() => Ok(()),
                name = exited(children.moto.as_mut()) => Err(DevError::ChildExited(name)),
                name = exited(children.watch.as_mut()) => Err(DevError::ChildExited(name)),
                ended = &mut running.gateway => Err(DevError::Gateway(match ended {
                    Ok(Err(e)) => e,
                    _ => std::io::Error::other("the gateway stopped"),
                })),
            };
            running.gateway.abort();
            running.tasks.iter().for_each(|t| t.abort());
            StateDir::new(&options.state_dir).clear_endpoints(&running.endpoints);
            outcome
        }
    };
    children.stop().await;
    outcome
}

async fn start(options: &DevOptions, children: &mut Children) -> Result<Running, DevError> {
    let template = Template::load(&options.template)?;
    let routes = RouteTable::from_template(&template)?;
    let reference = options
        .api_reference
        .as_deref()
        .map(ApiReference::load)
        .transpose()?;
    let state = StateDir::new(&options.state_dir);
    let key = state.signing_key()?;
    let local_keys = LocalKeys::from_state(&state)?;
    let kek = state.api_key_kek()?;
    let identity = state.dev_identity()?;
    let schemes = state.dev_schemes()?;
    let rewards = state.dev_rewards()?;
    let api_key = state.dev_api_key()?;
    let scope = TenantScope {
        tenant: identity.tenant,
        account: identity.account,
    };
    ensure_free(options.api_port, "API")?;
    ensure_free(options.moto_port, "moto")?;
    ensure_free(options.invoke_port, "cargo lambda watch")?;
    let path = std::env::join_paths(std::iter::once(options.tools_bin.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| DevError::Start {
        what: "PATH".into(),
        source: std::io::Error::other(e),
    })?;

    // 1. moto.
    let log_path = state.file("moto.log");
    let log_error = |source| DevError::Start {
        what: log_path.display().to_string(),
        source,
    };
    let moto_log = std::fs::File::create(&log_path).map_err(log_error)?;
    let moto_log_err = moto_log.try_clone().map_err(log_error)?;
    let moto = children.moto.insert(
        Child::spawn(
            "moto_server",
            // Through the launcher that gives moto DynamoDB's atomicity (see moto_server.py).
            Command::new(options.tools_bin.join("python"))
                .arg(options.repo.join("infra/scripts/moto_server.py"))
                .args(["-H", "127.0.0.1", "-p", &options.moto_port.to_string()])
                .stdin(Stdio::null())
                .stdout(moto_log)
                .stderr(moto_log_err),
        )
        .map_err(|source| DevError::Start {
            what: "moto_server".into(),
            source,
        })?,
    );
    wait_for_port(options.moto_port, moto, Duration::from_secs(30)).await?;
    let moto_endpoint = format!("http://127.0.0.1:{}", options.moto_port);
    tracing::info!(endpoint = %moto_endpoint, log = %log_path.display(), "moto is up");

    // 2. Tables and queues.
    let sdk = crate::aws::sdk_config(&moto_endpoint).await;
    let provisioned = provision(&sdk, &template).await?;
    tracing::info!(
        tables = provisioned.tables.len(),
        queues = provisioned.queues.len(),
        "provisioned"
    );
    // moto starts empty, so the dev tenant's schemes, rewards and API key are saved again, under
    // the same ids.
    let store = crate::scheme::store(&sdk, crate::scheme::table_name(&template)?);
    for (id, direction) in [
        (&schemes.debit, Direction::Debit),
        (&schemes.credit, Direction::Credit),
    ] {
        store
            .save_scheme(&scope, &crate::scheme::dev_scheme(id.clone(), direction))
            .await
            .map_err(DevError::Schemes)?;
    }
    crate::reward::seed_dev(&store, &scope, &rewards)
        .await
        .map_err(DevError::Rewards)?;
    crate::apikey::seed_dev(&store, &kek, scope, &api_key)
        .await
        .map_err(DevError::ApiKey)?;

    // 3. The functions.
    let api_url = format!("http://127.0.0.1:{}", options.api_port);
    let environment = functions_environment(
        &template,
        &provisioned,
        &local_keys,
        &moto_endpoint,
        &api_url,
        options.requeue_after_seconds,
    )?;
    let env_file = state.file("functions.env");
    write_env_file(&env_file, &environment)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    prebuild(&cargo, options, &template, &path).await;
    let mut command = Command::new(&cargo);
    // The developer's own AWS settings must not reach the functions: they get moto's.
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ]
    .into_iter()
    .chain(environment.keys().map(String::as_str))
    {
        command.env_remove(name);
    }
    let watch = children.watch.insert(
        Child::spawn(
            "cargo lambda watch",
            command
                .args([
                    "lambda",
                    "watch",
                    "--invoke-address",
                    "127.0.0.1",
                    "--invoke-port",
                ])
                .arg(options.invoke_port.to_string())
                .arg("--env-file")
                .arg(&env_file)
                .current_dir(&options.repo)
                .env("PATH", &path)
                .stdin(Stdio::null())
                .stdout(stderr()),
        )
        .map_err(|source| DevError::Start {
            what: "cargo lambda watch".into(),
            source,
        })?,
    );
    wait_for_port(options.invoke_port, watch, Duration::from_secs(60)).await?;
    tracing::info!(variables = ?environment.keys().collect::<Vec<_>>(), "cargo lambda watch is up");

    // 4. Gateway, pump and scheduler, in-process.
    let invoker = Invoker::new(
        &format!("http://127.0.0.1:{}", options.invoke_port),
        INVOKE_TIMEOUT,
    );
    let listener = gateway::bind(options.api_port)
        .await
        .map_err(DevError::Gateway)?;
    let docs_url = reference
        .is_some()
        .then(|| format!("{api_url}{}", crate::api_reference::PATH));
    let mut gateway = Gateway::new(routes, invoker.clone());
    if let Some(reference) = reference {
        gateway = gateway.with_api_reference(reference);
    }
    let gateway = tokio::spawn(Arc::new(gateway).serve(listener));
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut tasks: Vec<_> = pump::workers(&template, &provisioned)?
        .into_iter()
        .map(|worker| tokio::spawn(pump::run(sqs.clone(), invoker.clone(), worker)))
        .collect();
    tasks.extend(
        schedule::scheduled(&template, options.schedule_interval)
            .into_iter()
            .map(|scheduled| tokio::spawn(schedule::run(invoker.clone(), scheduled))),
    );

    let issuer = template.parameter("TokenIssuer", &BTreeMap::new())?;
    let audience = template.parameter("TokenAudience", &BTreeMap::new())?;
    let token = TokenSigner::new(&key.private_key_pem, &issuer, &audience)
        .and_then(|signer| signer.issue(scope, &["tenant-admin"], DEV_TOKEN_TTL_SECONDS))
        .map_err(|e| DevError::Token(e.to_string()))?;
    let mut banner = banner(
        &api_url,
        identity,
        &token,
        &schemes,
        &rewards,
        &api_key,
        &local_keys.sandbox_webhook_secret,
    );
    if let Some(docs_url) = docs_url {
        banner.push_str(&format!("DOCS_URL={docs_url}\n"));
    }
    let endpoints = DevEndpoints {
        moto_endpoint,
        api_url,
    };
    state.record_endpoints(&endpoints)?;
    Ok(Running {
        gateway,
        tasks,
        banner,
        endpoints,
    })
}

/// What `dev` prints on standard output once it serves, one `NAME=value` per line (scripts read
/// them, docs/local-development.md lists them), then example calls: one with the token, and the
/// exchange of the dev API key for a token ([`crate::apikey::EXCHANGE_ONE_LINER`]).
pub fn banner(
    api_url: &str,
    identity: DevIdentity,
    token: &str,
    schemes: &DevSchemes,
    rewards: &DevRewards,
    api_key: &DevApiKey,
    sandbox_webhook_secret: &Secret<String>,
) -> String {
    let (account, tenant) = (identity.account, identity.tenant);
    let (debit, credit) = (&schemes.debit, &schemes.credit);
    let (gift_card, coffee_voucher, failing) =
        (rewards.gift_card, rewards.coffee_voucher, rewards.failing);
    format!(
        "API_URL={api_url}\nACCOUNT_ID={account}\nTENANT_ID={tenant}\nTOKEN={token}\n\
         DEBIT_SCHEME_ID={debit}\nCREDIT_SCHEME_ID={credit}\n\
         REWARD_IDS={gift_card},{coffee_voucher}\nFAILING_REWARD_ID={failing}\n\
         PUBLIC_KEY={public_key}\nPRIVATE_KEY={private_key}\n\
         SANDBOX_WEBHOOK_SECRET={sandbox_webhook_secret}\n\
         curl -s \"{api_url}/v2/customer-vault/customer-1\" -H \"Authorization: Bearer {token}\" \
         -H \"x-account-id: {account}\" -H \"x-tenant-id: {tenant}\"\n\
         {exchange}\n",
        public_key = api_key.public_key,
        private_key = api_key.private_key.expose(),
        sandbox_webhook_secret = sandbox_webhook_secret.expose(),
        exchange = crate::apikey::EXCHANGE_ONE_LINER,
    )
}

/// Builds the function binaries before watch starts, so the first request does not wait for
/// a compile. A build failure is reported but not fatal: watch shows it again on invoke, and
/// the other functions still work.
async fn prebuild(
    cargo: &std::ffi::OsStr,
    options: &DevOptions,
    template: &Template,
    path: &std::ffi::OsStr,
) {
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .current_dir(&options.repo)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(stderr())
        .kill_on_drop(true);
    for function in &template.functions {
        command.args(["--bin", &function.binary]);
    }
    tracing::info!("building the functions");
    match command.status().await {
        Ok(status) if status.success() => {}
        Ok(status) => tracing::warn!(%status, "building the functions failed; see above"),
        Err(e) => tracing::warn!(error = %e, "cannot run cargo build"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_share_one_resolved_environment() {
        let path = crate::template_path();
        let template = Template::load(&path).expect("template");
        let keys = LocalKeys {
            token_public_key: "PUB=".to_owned(),
            token_signing_keys: Secret::new("PRIVATE+/=".to_owned()),
            api_key_kek_file: PathBuf::from("/state/apikey-kek.key"),
            sandbox_webhook_secret: Secret::new("whsec_c2VjcmV0".to_owned()),
        };
        // Every queue of the template, as provisioning would name it, for `!Ref <Queue>`.
        let provisioned = Provisioned {
            queues: template
                .queues
                .iter()
                .map(|q| {
                    let name = q.local_name();
                    let local = crate::template::LocalQueue {
                        url: format!("http://127.0.0.1:5050/123456789012/{name}"),
                        arn: format!("arn:aws:sqs:us-east-1:123456789012:{name}"),
                    };
                    (q.logical_id.clone(), local)
                })
                .collect(),
            ..Provisioned::default()
        };
        let env = functions_environment(
            &template,
            &provisioned,
            &keys,
            "http://127.0.0.1:5050",
            "http://127.0.0.1:3000",
            Some(7),
        )
        .expect("environment");
        assert_eq!(env["REQUEUE_AFTER_SECONDS"], "7");
        assert_eq!(
            env[SANDBOX_WEBHOOK_URL],
            "http://127.0.0.1:3000/v1/providers/SANDBOX/webhooks"
        );
        assert_eq!(env["TABLE_NAME"], "PaymentsTable");
        assert_eq!(env["TOKEN_PUBLIC_KEY"], "PUB=");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:5050");
        assert_eq!(env["AWS_REGION"], "us-east-1");
        // The identity function: the local keys in place of Secrets Manager and KMS, whose
        // references are empty locally (the function reads empty as unset).
        assert!(template.functions.iter().any(|f| f.binary == "identity"));
        assert_eq!(env[TOKEN_SIGNING_KEYS], "PRIVATE+/=");
        assert_eq!(env[API_KEY_KEK_FILE], "/state/apikey-kek.key");
        // SANDBOX's webhook secret in place of Secrets Manager's.
        assert_eq!(env[SANDBOX_WEBHOOK_SECRET], "whsec_c2VjcmV0");
        assert_eq!(env["SANDBOX_WEBHOOK_SECRET_ARN"], "");
        assert_eq!(env["TOKEN_SIGNING_SECRET_ARN"], "");
        assert_eq!(env["API_KEY_KMS_KEY_ID"], "");
        // Tenant webhooks may go to a receiver on this machine.
        assert_eq!(env["ALLOW_LOOPBACK_WEBHOOKS"], "true");
        assert!(!format!("{keys:?}").contains("PRIVATE"), "{keys:?}");

        let conflicting = Template::parse(
            r#"
Resources:
  A:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: a}}
    Properties: {Environment: {Variables: {MODE: one}}}
  B:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: b}}
    Properties: {Environment: {Variables: {MODE: two}}}
"#,
        )
        .expect("template");
        let result = functions_environment(
            &conflicting,
            &Provisioned::default(),
            &keys,
            "http://x",
            "http://y",
            None,
        );
        assert!(matches!(result, Err(DevError::EnvironmentConflict { name }) if name == "MODE"));
    }

    #[test]
    fn local_keys_are_the_dev_signing_key_and_the_kek_file() {
        let dir = std::env::temp_dir().join(format!("local-stack-keys-{}", uuid::Uuid::new_v4()));
        let state = StateDir::new(&dir);
        let keys = LocalKeys::from_state(&state).expect("keys");
        let pair = state.signing_key().expect("signing key");
        assert_eq!(keys.token_public_key, pair.public_key_base64);
        // What the identity function parses: it signs with the key every function trusts.
        let signing = payments_http::SigningKeys::parse(keys.token_signing_keys.expose(), "i", "a")
            .expect("TOKEN_SIGNING_KEYS parses");
        let scope = TenantScope {
            tenant: payments_domain::ids::TenantId::new_random(),
            account: payments_domain::ids::AccountId::new_random(),
        };
        let token = signing
            .signer()
            .issue(scope, &["tenant-admin"], 60)
            .expect("token");
        let verified = payments_http::TokenVerifier::new(&keys.token_public_key, "i", "a")
            .expect("verifier")
            .verify(&token)
            .expect("valid");
        assert_eq!(verified.scope, scope);
        assert!(keys.api_key_kek_file.is_absolute());
        assert_eq!(keys.api_key_kek_file, dir.join(crate::state::KEK_FILE));
        payments_domain::identity::LocalKeyWrapper::from_file(
            &keys.api_key_kek_file.display().to_string(),
        )
        .expect("the identity function can read the KEK file");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn banner_lists_the_ids_in_order_then_the_example_calls() {
        use payments_domain::ids::{AccountId, RewardId, TenantId};
        use payments_domain::payments::SchemeId;
        let identity = DevIdentity {
            account: AccountId::new_random(),
            tenant: TenantId::new_random(),
        };
        let schemes = DevSchemes {
            debit: SchemeId::new_random(),
            credit: SchemeId::new_random(),
        };
        let rewards = DevRewards {
            gift_card: RewardId::new_random(),
            coffee_voucher: RewardId::new_random(),
            failing: RewardId::new_random(),
        };
        let dir = std::env::temp_dir().join(format!("local-stack-banner-{}", uuid::Uuid::new_v4()));
        let api_key = StateDir::new(&dir).dev_api_key().expect("dev API key");
        let text = banner(
            "http://127.0.0.1:3000",
            identity,
            "tok",
            &schemes,
            &rewards,
            &api_key,
            &Secret::new("whsec_c2VjcmV0".to_owned()),
        );
        let _ = std::fs::remove_dir_all(dir);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..11],
            [
                "API_URL=http://127.0.0.1:3000".to_owned(),
                format!("ACCOUNT_ID={}", identity.account),
                format!("TENANT_ID={}", identity.tenant),
                "TOKEN=tok".to_owned(),
                format!("DEBIT_SCHEME_ID={}", schemes.debit),
                format!("CREDIT_SCHEME_ID={}", schemes.credit),
                format!(
                    "REWARD_IDS={},{}",
                    rewards.gift_card, rewards.coffee_voucher
                ),
                format!("FAILING_REWARD_ID={}", rewards.failing),
                format!("PUBLIC_KEY={}", api_key.public_key),
                format!("PRIVATE_KEY={}", api_key.private_key.expose()),
                "SANDBOX_WEBHOOK_SECRET=whsec_c2VjcmV0".to_owned(),
            ]
        );
        assert_eq!(lines.len(), 13, "{text}");
        assert!(
            lines[11].starts_with("curl -s \"http://127.0.0.1:3000/v2/"),
            "{text}"
        );
        assert_eq!(lines[12], crate::apikey::EXCHANGE_ONE_LINER);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn env_file_quotes_values() {
        let path = std::env::temp_dir().join(format!("local-stack-env-{}", uuid::Uuid::new_v4()));
        let env = BTreeMap::from([
            ("KEY".to_owned(), "ab+/==".to_owned()),
            ("QUOTED".to_owned(), "say \"hi\", ok".to_owned()),
        ]);
        write_env_file(&path, &env).expect("written");
        let mode = std::fs::metadata(&path).expect("env file").permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600,
            "it holds the dev signing key"
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.ends_with("KEY=\"ab+/==\"\nQUOTED=\"say \\\"hi\\\", ok\"\n"),
            "{text}"
        );
        let _ = std::fs::remove_file(&path);
        let bad = BTreeMap::from([("BAD".to_owned(), "a\\b".to_owned())]);
        assert!(
            matches!(write_env_file(&path, &bad), Err(DevError::UnsupportedValue { name }) if name == "BAD")
        );
    }
}

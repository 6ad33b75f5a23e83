//! `local-stack`: the command line behind the Makefile's local targets (API.md, section 7).
//! Its standard output carries only what scripts read; logs go to standard error.

use local_stack::dev::{self, DevOptions};
use local_stack::reward::RewardArgs;
use local_stack::scheme::SchemeArgs;
use local_stack::state::{StateDir, ENDPOINTS_FILE};
use local_stack::template::Template;
use payments_core::auth::TokenSigner;
use payments_core::ids::{AccountId, TenantId, TenantScope};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  local-stack token --account <uuid> --tenant <uuid> --roles <a,b> [--ttl <seconds, default 3600, negative = expired>]
  local-stack scheme --account <uuid> --tenant <uuid> --direction DEBIT|CREDIT [--app SANDBOX]
                     [--currencies EUR,GBP] [--countries GB,DE] [--endpoint <moto url>]
                     (empty lists accept every currency / country; without --endpoint, the moto
                     of the running `local-stack dev` recorded in the state dir)
  local-stack reward --account <uuid> --tenant <uuid> --name <1-100 characters> [--provider SANDBOX]
                     [--currencies EUR,GBP] [--endpoint <moto url>]
                     (prints REWARD_ID=<uuid>; an empty list accepts every currency; moto found
                     as for scheme)
  local-stack apikey --account <uuid> --tenant <uuid> --roles <a,b> [--endpoint <moto url>]
                     (prints PUBLIC_KEY=… and PRIVATE_KEY=…, the private key only this once; the key
                     is sealed with <state dir>/apikey-kek.key, the one the running stack's
                     identity function opens it with; moto found as for scheme)
  local-stack apikey-disable --public-key <public key> [--endpoint <moto url>]
                     (prints DISABLED=<public key>; fails for a key that does not exist)
  local-stack apikey --aws-table <name> --kms-key-id <id> --account … --tenant … --roles …
  local-stack apikey-disable --aws-table <name> --public-key …
                     (the same against a deployment, with the default AWS credentials: the key is
                     sealed by the stack's KMS key, output ApiKeyEncryptionKeyId, in its table,
                     output TableName)
  local-stack dev --tools-bin <dir with moto_server and cargo-lambda> [--api-port 3000] [--moto-port 5050] [--invoke-port 9000]
                  [--schedule-interval <seconds>]   (every schedule event at this interval instead of the template's)
  local-stack provision --endpoint <url>
common options:
  --repo <dir>        the repository (default: the one local-stack was built from)
  --template <file>   default <repo>/infra/template.yaml
  --state-dir <dir>   signing key, dev identity, dev scheme and reward ids, API key encryption
                      key, dev API key and dev endpoints; default <repo>/.local";

/// A failure the user can act on; printed as `error: …` with exit code 1 (2 for usage).
#[derive(Debug)]
enum Failure {
    Usage(String),
    Run(String),
}

fn run_error(e: impl std::fmt::Display) -> Failure {
    Failure::Run(e.to_string())
}

/// `--name value` pairs, each name allowed once and only those the command knows.
struct Args {
    values: BTreeMap<String, String>,
}

impl Args {
    fn parse(raw: &[String], known: &[&str]) -> Result<Args, Failure> {
        let mut values = BTreeMap::new();
        let mut iter = raw.iter();
        while let Some(flag) = iter.next() {
            let name = flag
                .strip_prefix("--")
                .filter(|n| known.contains(n) || ["repo", "template", "state-dir"].contains(n))
                .ok_or_else(|| Failure::Usage(format!("unknown argument {flag}")))?;
            let value = iter
                .next()
                .ok_or_else(|| Failure::Usage(format!("{flag} needs a value")))?;
            if values.insert(name.to_owned(), value.clone()).is_some() {
                return Err(Failure::Usage(format!("{flag} given twice")));
            }
        }
        Ok(Args { values })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<&str, Failure> {
        self.get(name)
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, Failure> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| Failure::Usage(format!("--{name}: {v} is not a valid number")))
        })
    }

    fn repo(&self) -> PathBuf {
        self.get("repo")
            .map_or_else(local_stack::repo_root, PathBuf::from)
    }

    fn template(&self) -> PathBuf {
        self.get("template")
            .map_or_else(|| self.repo().join(local_stack::TEMPLATE), PathBuf::from)
    }

    fn state_dir(&self) -> PathBuf {
        self.get("state-dir")
            .map_or_else(|| self.repo().join(".local"), PathBuf::from)
    }
}

fn token(args: &Args) -> Result<(), Failure> {
    let scope = scope(args)?;
    let roles: Vec<&str> = args
        .required("roles")?
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    let ttl: i64 = args.number("ttl", 3600)?;
    let template = Template::load(&args.template()).map_err(run_error)?;
    let issuer = template
        .parameter("TokenIssuer", &BTreeMap::new())
        .map_err(run_error)?;
    let audience = template
        .parameter("TokenAudience", &BTreeMap::new())
        .map_err(run_error)?;
    let key = StateDir::new(args.state_dir())
        .signing_key()
        .map_err(run_error)?;
    let token = TokenSigner::new(&key.private_key_pem, &issuer, &audience)
        .and_then(|signer| signer.issue(scope, &roles, ttl))
        .map_err(run_error)?;
    println!("{token}");
    Ok(())
}

fn scope(args: &Args) -> Result<TenantScope, Failure> {
    let account = AccountId::parse(args.required("account")?)
        .map_err(|_| Failure::Usage("--account must be a lowercase hyphenated UUID".into()))?;
    let tenant = TenantId::parse(args.required("tenant")?)
        .map_err(|_| Failure::Usage("--tenant must be a lowercase hyphenated UUID".into()))?;
    Ok(TenantScope { tenant, account })
}

/// The moto to write to: `--endpoint`, or the one the running dev stack recorded.
async fn moto_endpoint(args: &Args) -> Result<String, Failure> {
    if let Some(endpoint) = args.get("endpoint") {
        if !local_stack::scheme::reachable(endpoint).await {
            return Err(Failure::Run(format!(
                "nothing answers at --endpoint {endpoint}"
            )));
        }
        return Ok(endpoint.to_owned());
    }
    let state = StateDir::new(args.state_dir());
    let recorded = state.file(ENDPOINTS_FILE);
    let endpoints = state.dev_endpoints().map_err(run_error)?.ok_or_else(|| {
        Failure::Run(format!(
            "no running dev stack is recorded ({} does not exist): start `make dev` \
             (with the same --state-dir), or pass --endpoint <moto url>",
            recorded.display()
        ))
    })?;
    if !local_stack::scheme::reachable(&endpoints.moto_endpoint).await {
        return Err(Failure::Run(format!(
            "the dev stack recorded in {} does not answer at {}: is `make dev` still running?",
            recorded.display(),
            endpoints.moto_endpoint
        )));
    }
    Ok(endpoints.moto_endpoint)
}

async fn scheme(args: &Args) -> Result<(), Failure> {
    let scope = scope(args)?;
    let request = SchemeArgs::parse(
        args.required("direction")?,
        args.get("app"),
        args.get("currencies"),
        args.get("countries"),
    )
    .map_err(|e| Failure::Usage(e.to_string()))?;
    let template = Template::load(&args.template()).map_err(run_error)?;
    let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
    let endpoint = moto_endpoint(args).await?;
    let sdk = local_stack::aws::sdk_config(&endpoint).await;
    let store = local_stack::scheme::store(&sdk, table);
    let scheme = local_stack::scheme::create(&store, &scope, request)
        .await
        .map_err(run_error)?;
    println!("SCHEME_ID={}", scheme.scheme_id);
    Ok(())
}

async fn reward(args: &Args) -> Result<(), Failure> {
    let scope = scope(args)?;
    let request = RewardArgs::parse(
        args.required("name")?,
        args.get("provider"),
        args.get("currencies"),
    )
    .map_err(|e| Failure::Usage(e.to_string()))?;
    let template = Template::load(&args.template()).map_err(run_error)?;
    let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
    let endpoint = moto_endpoint(args).await?;
    let sdk = local_stack::aws::sdk_config(&endpoint).await;
    let catalogue = local_stack::reward::catalogue(&sdk, table);
    let reward = local_stack::reward::create(&catalogue, &scope, request)
        .await
        .map_err(run_error)?;
    println!("REWARD_ID={}", reward.reward_id);
    Ok(())
}

/// `--aws-table`: the deployed table (and KMS key), reached with the default AWS credentials.
fn deployed(args: &Args) -> bool {
    args.get("aws-table").is_some()
}

async fn apikey(args: &Args) -> Result<(), Failure> {
    let scope = scope(args)?;
    let roles = local_stack::apikey::parse_roles(args.required("roles")?)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if deployed(args) {
        let table = args.required("aws-table")?.to_owned();
        let key_id = args.required("kms-key-id")?.to_owned();
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let wrapper = identity::KmsKeyWrapper::new(aws_sdk_kms::Client::new(&sdk), key_id);
        let store = local_stack::apikey::store(&sdk, table);
        let created = local_stack::apikey::create(&store, &wrapper, scope, &roles)
            .await
            .map_err(run_error)?;
        println!(
            "PUBLIC_KEY={}\nPRIVATE_KEY={}",
            created.key.public_key, created.private_key
        );
        return Ok(());
    }
    let template = Template::load(&args.template()).map_err(run_error)?;
    let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
    let endpoint = moto_endpoint(args).await?;
    let wrapper = StateDir::new(args.state_dir())
        .api_key_kek()
        .map_err(run_error)?;
    let sdk = local_stack::aws::sdk_config(&endpoint).await;
    let store = local_stack::apikey::store(&sdk, table);
    let created = local_stack::apikey::create(&store, &wrapper, scope, &roles)
        .await
        .map_err(run_error)?;
    println!(
        "PUBLIC_KEY={}\nPRIVATE_KEY={}",
        created.key.public_key, created.private_key
    );
    Ok(())
}

async fn apikey_disable(args: &Args) -> Result<(), Failure> {
    let public_key = local_stack::apikey::parse_public_key(args.required("public-key")?)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let (sdk, table, endpoint) = if deployed(args) {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        (
            sdk,
            args.required("aws-table")?.to_owned(),
            "AWS".to_owned(),
        )
    } else {
        let template = Template::load(&args.template()).map_err(run_error)?;
        let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
        let endpoint = moto_endpoint(args).await?;
        (
            local_stack::aws::sdk_config(&endpoint).await,
            table,
            endpoint,
        )
    };
    let store = local_stack::apikey::store(&sdk, table.clone());
    if !store.disable(&public_key).await.map_err(run_error)? {
        return Err(Failure::Run(format!(
            "no API key {public_key} in the table {table} at {endpoint}"
        )));
    }
    println!("DISABLED={public_key}");
    Ok(())
}

async fn provision(args: &Args) -> Result<(), Failure> {
    let endpoint = args.required("endpoint")?;
    let template = Template::load(&args.template()).map_err(run_error)?;
    let sdk = local_stack::aws::sdk_config(endpoint).await;
    let provisioned = local_stack::provision::provision(&sdk, &template)
        .await
        .map_err(run_error)?;
    for name in provisioned.tables.values() {
        println!("TABLE={name}");
    }
    for (id, queue) in &provisioned.queues {
        println!("QUEUE_{id}={}", queue.url);
    }
    Ok(())
}

/// `--schedule-interval`: whole seconds, at least 1.
fn schedule_interval(args: &Args) -> Result<Option<std::time::Duration>, Failure> {
    match args.number::<u64>("schedule-interval", 0)? {
        0 if args.get("schedule-interval").is_some() => Err(Failure::Usage(
            "--schedule-interval must be at least 1 second".into(),
        )),
        0 => Ok(None),
        seconds => Ok(Some(std::time::Duration::from_secs(seconds))),
    }
}

async fn dev(args: &Args) -> Result<(), Failure> {
    let options = DevOptions {
        repo: args.repo(),
        template: args.template(),
        state_dir: args.state_dir(),
        tools_bin: {
            let given = PathBuf::from(args.required("tools-bin")?);
            // Absolute, because watch runs from the repository root with it on PATH.
            std::path::absolute(&given).unwrap_or(given)
        },
        api_port: args.number("api-port", 3000)?,
        moto_port: args.number("moto-port", 5050)?,
        invoke_port: args.number("invoke-port", 9000)?,
        schedule_interval: schedule_interval(args)?,
    };
    dev::run(options).await.map_err(run_error)
}

async fn main_inner(raw: &[String]) -> Result<(), Failure> {
    let (command, rest) = raw
        .split_first()
        .ok_or_else(|| Failure::Usage("a command is required".into()))?;
    match command.as_str() {
        "token" => token(&Args::parse(rest, &["account", "tenant", "roles", "ttl"])?),
        "scheme" => {
            scheme(&Args::parse(
                rest,
                &[
                    "account",
                    "tenant",
                    "direction",
                    "app",
                    "currencies",
                    "countries",
                    "endpoint",
                ],
            )?)
            .await
        }
        "reward" => {
            reward(&Args::parse(
                rest,
                &[
                    "account",
                    "tenant",
                    "name",
                    "provider",
                    "currencies",
                    "endpoint",
                ],
            )?)
            .await
        }
        "apikey" => {
            apikey(&Args::parse(
                rest,
                &[
                    "account",
                    "tenant",
                    "roles",
                    "endpoint",
                    "aws-table",
                    "kms-key-id",
                ],
            )?)
            .await
        }
        "apikey-disable" => {
            apikey_disable(&Args::parse(
                rest,
                &["public-key", "endpoint", "aws-table"],
            )?)
            .await
        }
        "provision" => provision(&Args::parse(rest, &["endpoint"])?).await,
        "dev" => {
            dev(&Args::parse(
                rest,
                &[
                    "tools-bin",
                    "api-port",
                    "moto-port",
                    "invoke-port",
                    "schedule-interval",
                ],
            )?)
            .await
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::Usage(format!("unknown command {other}"))),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOCAL_STACK_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
            }),
        )
        .init();
    let raw: Vec<String> = std::env::args().skip(1).collect();
    match main_inner(&raw).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

//! `local-stack`: the command line behind the Makefile's local targets (docs/api.md §7). Its
//! standard output carries only what scripts read; logs go to standard error. A bad argument
//! exits with 2 before anything is touched, a failure with 1.

use clap::{Args, Parser, Subcommand};
use local_stack::dev::{self, DevOptions};
use local_stack::listen::ListenOptions;
use local_stack::reward::RewardArgs;
use local_stack::scheme::SchemeArgs;
use local_stack::state::{StateDir, ENDPOINTS_FILE};
use local_stack::template::Template;
use payments_domain::identity::ApiKeys;
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_http::TokenSigner;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "local-stack",
    about = "The local stack of `make dev`, and the commands that act on it"
)]
struct Cli {
    #[command(flatten)]
    paths: Paths,
    #[command(subcommand)]
    command: Command,
}

/// Where the repository, the template and the state dir are.
#[derive(Args)]
struct Paths {
    /// The repository (default: the one local-stack was built from).
    #[arg(long, global = true)]
    repo: Option<PathBuf>,
    /// The SAM template (default: <repo>/infra/template.yaml).
    #[arg(long, global = true)]
    template: Option<PathBuf>,
    /// Signing key, dev identity, dev scheme and reward ids, API key encryption key, dev API
    /// key and dev endpoints (default: <repo>/.local).
    #[arg(long, global = true)]
    state_dir: Option<PathBuf>,
}

impl Paths {
    fn repo(&self) -> PathBuf {
        self.repo.clone().unwrap_or_else(local_stack::repo_root)
    }

    fn template(&self) -> PathBuf {
        self.template
            .clone()
            .unwrap_or_else(|| self.repo().join(local_stack::TEMPLATE))
    }

    fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| self.repo().join(".local"))
    }
}

/// The tenant and account a command acts for.
#[derive(Args)]
struct Tenant {
    /// Lowercase hyphenated UUID.
    #[arg(long, value_parser = account_id)]
    account: AccountId,
    /// Lowercase hyphenated UUID.
    #[arg(long, value_parser = tenant_id)]
    tenant: TenantId,
}

impl Tenant {
    fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant,
            account: self.account,
        }
    }
}

/// The tenant and account a command acts for; both or neither (then the dev identity).
#[derive(Args)]
struct OptionalTenant {
    /// Lowercase hyphenated UUID (default: the dev account).
    #[arg(long, value_parser = account_id, requires = "tenant")]
    account: Option<AccountId>,
    /// Lowercase hyphenated UUID (default: the dev tenant).
    #[arg(long, value_parser = tenant_id, requires = "account")]
    tenant: Option<TenantId>,
}

impl OptionalTenant {
    fn scope(&self, paths: &Paths) -> Result<TenantScope, Failure> {
        if let (Some(account), Some(tenant)) = (self.account, self.tenant) {
            return Ok(TenantScope { tenant, account });
        }
        let identity = StateDir::new(paths.state_dir())
            .dev_identity()
            .map_err(run_error)?;
        Ok(TenantScope {
            tenant: identity.tenant,
            account: identity.account,
        })
    }
}

fn account_id(input: &str) -> Result<AccountId, String> {
    AccountId::parse(input).map_err(|_| "must be a lowercase hyphenated UUID".to_owned())
}

fn tenant_id(input: &str) -> Result<TenantId, String> {
    TenantId::parse(input).map_err(|_| "must be a lowercase hyphenated UUID".to_owned())
}

#[derive(Subcommand)]
enum Command {
    /// Prints a token the local stack accepts.
    Token {
        #[command(flatten)]
        tenant: Tenant,
        /// Comma-separated roles.
        #[arg(long)]
        roles: String,
        /// Seconds until it expires; negative gives an expired token.
        #[arg(long, default_value_t = 3600, allow_negative_numbers = true)]
        ttl: i64,
    },
    /// Creates a scheme of the tenant; prints SCHEME_ID=… (empty lists accept every currency
    /// and country).
    Scheme {
        #[command(flatten)]
        tenant: Tenant,
        /// DEBIT or CREDIT.
        #[arg(long)]
        direction: String,
        /// The payment app (default SANDBOX).
        #[arg(long)]
        app: Option<String>,
        #[arg(long)]
        currencies: Option<String>,
        #[arg(long)]
        countries: Option<String>,
        /// The moto to write to (default: the running `local-stack dev`'s, from the state dir).
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Creates a reward of the tenant; prints REWARD_ID=…
    Reward {
        #[command(flatten)]
        tenant: Tenant,
        /// 1-100 characters.
        #[arg(long)]
        name: String,
        /// The reward provider's app id (default SANDBOX).
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        currencies: Option<String>,
        /// The moto to write to (default: as for `scheme`).
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Creates an API key; prints PUBLIC_KEY=… and PRIVATE_KEY=…, the private key only this once.
    /// Locally it is sealed with <state dir>/apikey-kek.key; with --aws-table, in a deployment's
    /// table, by its KMS key (outputs TableName and ApiKeyEncryptionKeyId), with the default
    /// AWS credentials.
    Apikey {
        #[command(flatten)]
        tenant: Tenant,
        /// Comma-separated roles.
        #[arg(long)]
        roles: String,
        #[arg(long, conflicts_with = "aws_table")]
        endpoint: Option<String>,
        #[arg(long, requires = "kms_key_id")]
        aws_table: Option<String>,
        #[arg(long, requires = "aws_table")]
        kms_key_id: Option<String>,
    },
    /// Seals, in place, the personal data of items written before sealing (docs/decisions/0019);
    /// prints SCANNED=…, SEALED=…, CHANGED_MEANWHILE=… (run again for those) and UNREADABLE=…
    /// (items left as they are, logged by key). Safe to run again. Locally, in the running
    /// stack's table with <state dir>/apikey-kek.key; with --aws-table, in a deployment's
    /// (outputs TableName, DataKeysTableName and ApiKeyEncryptionKeyId), with the default AWS
    /// credentials.
    SealStored {
        #[arg(long, conflicts_with = "aws_table")]
        endpoint: Option<String>,
        #[arg(long, requires_all = ["data_keys_table", "kms_key_id"])]
        aws_table: Option<String>,
        #[arg(long, requires = "aws_table")]
        data_keys_table: Option<String>,
        #[arg(long, requires = "aws_table")]
        kms_key_id: Option<String>,
    },
    /// Disables an API key for good; prints DISABLED=…
    ApikeyDisable {
        #[arg(long)]
        public_key: String,
        #[arg(long, conflicts_with = "aws_table")]
        endpoint: Option<String>,
        #[arg(long)]
        aws_table: Option<String>,
    },
    /// Receives the tenant's webhooks: registers http://127.0.0.1:<port>/webhooks as a webhook
    /// endpoint through the running dev stack's API, prints each delivery (type, webhook-id,
    /// whether the signature verifies, the pretty-printed body), and removes the endpoint on
    /// Ctrl-C or SIGTERM.
    Listen {
        #[command(flatten)]
        tenant: OptionalTenant,
        /// The port to receive on (default: one the OS chooses).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Comma-separated event types to subscribe to, or * for all.
        #[arg(long, default_value = "*")]
        events: String,
        /// The API to register with (default: the running `local-stack dev`'s, from the state dir).
        #[arg(long)]
        api_url: Option<String>,
    },
    /// Runs the whole API locally: moto, the functions under `cargo lambda watch`, the gateway,
    /// the queue pumps and the schedules.
    Dev {
        /// The directory with moto_server and cargo-lambda.
        #[arg(long)]
        tools_bin: PathBuf,
        #[arg(long, default_value_t = 3000)]
        api_port: u16,
        #[arg(long, default_value_t = 5050)]
        moto_port: u16,
        #[arg(long, default_value_t = 9000)]
        invoke_port: u16,
        /// Every schedule event at this interval instead of the template's (seconds, at least 1).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        schedule_interval: Option<u64>,
        /// The sweep's re-queue delay instead of the template's RequeueAfterSeconds (seconds, at
        /// least 1), so work waiting on a provider is asked about sooner.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        requeue_after: Option<u64>,
        /// The installed swagger-ui-dist folder: the gateway serves the API reference at /docs.
        #[arg(long)]
        api_reference: Option<PathBuf>,
    },
    /// Creates the template's tables and queues in the moto at --endpoint.
    Provision {
        #[arg(long)]
        endpoint: String,
    },
}

/// A failure the user can act on; printed as `error: …` with exit code 1 (2 for usage).
#[derive(Debug)]
enum Failure {
    Usage(String),
    Run(String),
}

fn run_error(e: impl std::fmt::Display) -> Failure {
    Failure::Run(e.to_string())
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}

/// Signs tokens the local stack accepts: the template's issuer and audience, the state dir's key.
fn token_signer(paths: &Paths) -> Result<TokenSigner, Failure> {
    let template = Template::load(&paths.template()).map_err(run_error)?;
    let issuer = template
        .parameter("TokenIssuer", &BTreeMap::new())
        .map_err(run_error)?;
    let audience = template
        .parameter("TokenAudience", &BTreeMap::new())
        .map_err(run_error)?;
    let key = StateDir::new(paths.state_dir())
        .signing_key()
        .map_err(run_error)?;
    TokenSigner::new(&key.private_key_pem, &issuer, &audience).map_err(run_error)
}

fn token(paths: &Paths, tenant: &Tenant, roles: &str, ttl: i64) -> Result<(), Failure> {
    let roles: Vec<&str> = roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    let token = token_signer(paths)?
        .issue(tenant.scope(), &roles, ttl)
        .map_err(run_error)?;
    println!("{token}");
    Ok(())
}

/// The API to call: `--api-url`, or the one the running dev stack recorded.
fn api_url(paths: &Paths, api_url: Option<String>) -> Result<String, Failure> {
    if let Some(api_url) = api_url {
        return Ok(api_url);
    }
    let state = StateDir::new(paths.state_dir());
    let endpoints = state.dev_endpoints().map_err(run_error)?.ok_or_else(|| {
        Failure::Run(format!(
            "no running dev stack is recorded ({} does not exist): start `make dev` \
             (with the same --state-dir), or pass --api-url <API url>",
            state.file(ENDPOINTS_FILE).display()
        ))
    })?;
    Ok(endpoints.api_url)
}

/// The moto to write to: `--endpoint`, or the one the running dev stack recorded.
async fn moto_endpoint(paths: &Paths, endpoint: Option<&str>) -> Result<String, Failure> {
    if let Some(endpoint) = endpoint {
        if !local_stack::scheme::reachable(endpoint).await {
            return Err(Failure::Run(format!(
                "nothing answers at --endpoint {endpoint}"
            )));
        }
        return Ok(endpoint.to_owned());
    }
    let state = StateDir::new(paths.state_dir());
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

/// The table of the local stack (in the moto `endpoint` names, or the running stack's).
async fn local_store(
    paths: &Paths,
    endpoint: Option<&str>,
) -> Result<(payments_aws::Store, String), Failure> {
    let template = Template::load(&paths.template()).map_err(run_error)?;
    let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
    let endpoint = moto_endpoint(paths, endpoint).await?;
    let sdk = local_stack::aws::sdk_config(&endpoint).await;
    Ok((local_stack::scheme::store(&sdk, table), endpoint))
}

/// A deployment's table, with the default AWS credentials.
async fn deployed_store(table: &str) -> (aws_config::SdkConfig, payments_aws::Store) {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = local_stack::scheme::store(&sdk, table.to_owned());
    (sdk, store)
}

/// `store`, sealing and opening personal data with the keys of `keys_table` wrapped by
/// `wrapper`.
fn with_data_keys(
    store: payments_aws::Store,
    sdk: &aws_config::SdkConfig,
    keys_table: String,
    wrapper: Arc<dyn payments_domain::identity::KeyWrapper>,
) -> payments_aws::Store {
    let keys =
        payments_aws::data_keys::DataKeysTable::new(aws_sdk_dynamodb::Client::new(sdk), keys_table);
    store.with_keyring(Arc::new(payments_domain::shredding::Keyring::new(
        keys, wrapper,
    )))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let paths = &cli.paths;
    match cli.command {
        Command::Token { tenant, roles, ttl } => token(paths, &tenant, &roles, ttl),
        Command::Scheme {
            tenant,
            direction,
            app,
            currencies,
            countries,
            endpoint,
        } => {
            let request = SchemeArgs::parse(
                &direction,
                app.as_deref(),
                currencies.as_deref(),
                countries.as_deref(),
            )
            .map_err(usage)?;
            let (store, _) = local_store(paths, endpoint.as_deref()).await?;
            let scheme = local_stack::scheme::create(&store, &tenant.scope(), request)
                .await
                .map_err(run_error)?;
            println!("SCHEME_ID={}", scheme.scheme_id);
            Ok(())
        }
        Command::Reward {
            tenant,
            name,
            provider,
            currencies,
            endpoint,
        } => {
            let request = RewardArgs::parse(&name, provider.as_deref(), currencies.as_deref())
                .map_err(usage)?;
            let (store, _) = local_store(paths, endpoint.as_deref()).await?;
            let reward = local_stack::reward::create(&store, &tenant.scope(), request)
                .await
                .map_err(run_error)?;
            println!("REWARD_ID={}", reward.reward_id);
            Ok(())
        }
        Command::Apikey {
            tenant,
            roles,
            endpoint,
            aws_table,
            kms_key_id,
        } => {
            let roles = local_stack::apikey::parse_roles(&roles).map_err(usage)?;
            let created = match (aws_table, kms_key_id) {
                (Some(table), Some(key_id)) => {
                    let (sdk, store) = deployed_store(&table).await;
                    let wrapper = payments_aws::kms::KmsKeyWrapper::new(
                        aws_sdk_kms::Client::new(&sdk),
                        key_id,
                    );
                    local_stack::apikey::create(&store, &wrapper, tenant.scope(), &roles).await
                }
                _ => {
                    let wrapper = StateDir::new(paths.state_dir())
                        .api_key_kek()
                        .map_err(run_error)?;
                    let (store, _) = local_store(paths, endpoint.as_deref()).await?;
                    local_stack::apikey::create(&store, &wrapper, tenant.scope(), &roles).await
                }
            }
            .map_err(run_error)?;
            println!(
                "PUBLIC_KEY={}\nPRIVATE_KEY={}",
                created.key.public_key,
                created.private_key.expose()
            );
            Ok(())
        }
        Command::SealStored {
            endpoint,
            aws_table,
            data_keys_table,
            kms_key_id,
        } => {
            let store = match (aws_table, data_keys_table, kms_key_id) {
                (Some(table), Some(keys_table), Some(key_id)) => {
                    let (sdk, store) = deployed_store(&table).await;
                    let wrapper = payments_aws::kms::KmsKeyWrapper::new(
                        aws_sdk_kms::Client::new(&sdk),
                        key_id,
                    );
                    with_data_keys(store, &sdk, keys_table, Arc::new(wrapper))
                }
                _ => {
                    let wrapper = StateDir::new(paths.state_dir())
                        .api_key_kek()
                        .map_err(run_error)?;
                    let template = Template::load(&paths.template()).map_err(run_error)?;
                    let keys_table =
                        local_stack::scheme::data_keys_table_name(&template).map_err(run_error)?;
                    let endpoint = moto_endpoint(paths, endpoint.as_deref()).await?;
                    let sdk = local_stack::aws::sdk_config(&endpoint).await;
                    let table = local_stack::scheme::table_name(&template).map_err(run_error)?;
                    let store = local_stack::scheme::store(&sdk, table);
                    with_data_keys(store, &sdk, keys_table, Arc::new(wrapper))
                }
            };
            let migrated = store.seal_stored_items().await.map_err(run_error)?;
            println!(
                "SCANNED={}\nSEALED={}\nCHANGED_MEANWHILE={}\nUNREADABLE={}",
                migrated.scanned, migrated.sealed, migrated.changed_meanwhile, migrated.unreadable
            );
            Ok(())
        }
        Command::ApikeyDisable {
            public_key,
            endpoint,
            aws_table,
        } => {
            let public_key = local_stack::apikey::parse_public_key(&public_key).map_err(usage)?;
            let (store, at) = match aws_table {
                Some(table) => (deployed_store(&table).await.1, "AWS".to_owned()),
                None => local_store(paths, endpoint.as_deref()).await?,
            };
            if !store
                .disable_api_key(&public_key)
                .await
                .map_err(run_error)?
            {
                return Err(Failure::Run(format!(
                    "no API key {public_key} in the table {} at {at}",
                    store.table_name()
                )));
            }
            println!("DISABLED={public_key}");
            Ok(())
        }
        Command::Listen {
            tenant,
            port,
            events,
            api_url: url,
        } => {
            let events = local_stack::listen::parse_events(&events).map_err(usage)?;
            let options = ListenOptions {
                api_url: api_url(paths, url)?,
                scope: tenant.scope(paths)?,
                events,
            };
            local_stack::listen::run(options, token_signer(paths)?, port)
                .await
                .map_err(run_error)
        }
        Command::Dev {
            tools_bin,
            api_port,
            moto_port,
            invoke_port,
            schedule_interval,
            requeue_after,
            api_reference,
        } => {
            let options = DevOptions {
                repo: paths.repo(),
                template: paths.template(),
                state_dir: paths.state_dir(),
                // Absolute, because watch runs from the repository root with it on PATH.
                tools_bin: std::path::absolute(&tools_bin).unwrap_or(tools_bin),
                api_port,
                moto_port,
                invoke_port,
                schedule_interval: schedule_interval.map(Duration::from_secs),
                requeue_after_seconds: requeue_after,
                api_reference,
            };
            dev::run(options).await.map_err(run_error)
        }
        Command::Provision { endpoint } => {
            let template = Template::load(&paths.template()).map_err(run_error)?;
            let sdk = local_stack::aws::sdk_config(&endpoint).await;
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
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

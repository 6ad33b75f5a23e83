//! Round trips: an SDK interceptor ([`RoundTrips`]) that counts every attempted DynamoDB and
//! SQS operation by service and operation name, the clients and table that carry it (so the
//! routers, workers and sweep built on them report exactly what they call), and the budget of
//! every route, worker and the sweep ([`BUDGETS`]) that `tests/tests/round_trips.rs` holds them
//! to and writes out, with what it measured, as a Markdown table ([`report`]) for `make bench`.
//!
//! Attempts are counted, not executions, so a retried call shows as two. Each execution also
//! records the IAM permissions it needs ([`Permission`]), for the test that holds every
//! function to its template policy. KMS and Secrets Manager calls are not counted, but their
//! permissions are recorded too, on the wire ([`RecordingHttp`]): the functions build those
//! clients from the SDK config themselves, where no interceptor of ours reaches.

use crate::iam::{Permission, DATA_KEYS_TABLE, TABLE};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use payments_aws::{Clients, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Where the report goes when set; else `round-trips.md` in the cargo target directory.
pub const REPORT_ENV: &str = "ROUND_TRIPS_REPORT";
pub const REPORT_FILE: &str = "round-trips.md";

/// The services counted, as the SDK's operation metadata names them.
pub const DYNAMODB: &str = "DynamoDB";
pub const SQS: &str = "SQS";

/// DynamoDB operations that read: a call needing more than one says why in its budget.
pub const READ_OPERATIONS: &[&str] = &[
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
];

/// Attempted operations by `(service, operation)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<(String, String), u32>);

impl Counts {
    pub fn total(&self) -> u32 {
        self.0.values().sum()
    }

    /// DynamoDB read operations (see [`READ_OPERATIONS`]).
    pub fn reads(&self) -> u32 {
        self.0
            .iter()
            .filter(|((service, operation), _)| {
                service == DYNAMODB && READ_OPERATIONS.contains(&operation.as_str())
            })
            .map(|(_, count)| count)
            .sum()
    }
}

/// `DynamoDB GetItem 1, TransactWriteItems 1; SQS SendMessage 1`, or `none`.
impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let mut services: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((service, operation), count) in &self.0 {
            services
                .entry(service)
                .or_default()
                .push(format!("{operation} {count}"));
        }
        let parts: Vec<String> = services
            .into_iter()
            .map(|(service, operations)| format!("{service} {}", operations.join(", ")))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// The interceptor: one per test, shared by every client it is given to. Clones share the
/// counts.
#[derive(Debug, Clone, Default)]
pub struct RoundTrips {
    counts: Arc<Mutex<Counts>>,
    permissions: Arc<Mutex<BTreeSet<Permission>>>,
}

/// The permissions a DynamoDB or SQS call needs. A transaction needs its items' actions
/// (AWS has no `TransactWriteItems` action); a Query of an index needs the index; an SQS call
/// names its queue by URL, which the caller maps to the queue's logical id.
fn permissions_of(
    service: &str,
    operation: &str,
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> Vec<Permission> {
    use aws_sdk_dynamodb::operation::query::QueryInput;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
    use aws_sdk_sqs::operation::send_message::SendMessageInput;
    use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchInput;
    let needs = |action: &str, resource: &str| Permission {
        action: action.to_owned(),
        resource: resource.to_owned(),
    };
    match service {
        DYNAMODB => {
            if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
                return transaction
                    .transact_items()
                    .iter()
                    .filter_map(|item| {
                        let action = if item.put().is_some() {
                            "dynamodb:PutItem"
                        } else if item.update().is_some() {
                            "dynamodb:UpdateItem"
                        } else if item.delete().is_some() {
                            "dynamodb:DeleteItem"
                        } else if item.condition_check().is_some() {
                            "dynamodb:ConditionCheckItem"
                        } else {
                            return None;
                        };
                        Some(needs(action, TABLE))
                    })
                    .collect();
            }
            use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
            use aws_sdk_dynamodb::operation::get_item::GetItemInput;
            use aws_sdk_dynamodb::operation::put_item::PutItemInput;
            // The keys of personal data have a table of their own; every other table a test
            // uses stands for the one table of the template.
            let keys_table = input
                .downcast_ref::<GetItemInput>()
                .and_then(|i| i.table_name())
                .or_else(|| {
                    input
                        .downcast_ref::<PutItemInput>()
                        .and_then(|i| i.table_name())
                })
                .or_else(|| {
                    input
                        .downcast_ref::<DeleteItemInput>()
                        .and_then(|i| i.table_name())
                })
                .filter(|name| *name == DATA_KEYS_TABLE);
            let resource = match (
                keys_table,
                input
                    .downcast_ref::<QueryInput>()
                    .and_then(|query| query.index_name()),
            ) {
                (Some(table), _) => table.to_owned(),
                (None, Some(index)) => format!("{TABLE}/index/{index}"),
                (None, None) => TABLE.to_owned(),
            };
            vec![needs(&format!("dynamodb:{operation}"), &resource)]
        }
        SQS => {
            let queue = input
                .downcast_ref::<SendMessageInput>()
                .and_then(|send| send.queue_url())
                .or_else(|| {
                    input
                        .downcast_ref::<SendMessageBatchInput>()
                        .and_then(|send| send.queue_url())
                })
                .unwrap_or("*");
            // IAM has no action of its own for a batch: SendMessage allows it.
            let action = match operation {
                "SendMessageBatch" => "SendMessage",
                other => other,
            };
            vec![needs(&format!("sqs:{action}"), queue)]
        }
        _ => Vec::new(),
    }
}

/// The permission a KMS or Secrets Manager request needs, from its `X-Amz-Target` and the key
/// or secret its JSON body names (`KeyId`, `SecretId`).
fn wire_permission(request: &HttpRequest) -> Option<Permission> {
    let (service, operation) = request.headers().get("x-amz-target")?.split_once('.')?;
    let (prefix, field) = match service {
        "TrentService" => ("kms", "KeyId"),
        "secretsmanager" => ("secretsmanager", "SecretId"),
        _ => return None,
    };
    let body: serde_json::Value = serde_json::from_slice(request.body().bytes()?).ok()?;
    Some(Permission {
        action: format!("{prefix}:{operation}"),
        resource: body[field].as_str().unwrap_or("*").to_owned(),
    })
}

/// The SDK config's HTTP client, recording the permission of each KMS and Secrets Manager
/// request it sends.
#[derive(Debug, Clone)]
struct RecordingHttp {
    inner: SharedHttpClient,
    permissions: Arc<Mutex<BTreeSet<Permission>>>,
}

#[derive(Debug)]
struct RecordingConnector {
    inner: SharedHttpConnector,
    permissions: Arc<Mutex<BTreeSet<Permission>>>,
}

impl HttpClient for RecordingHttp {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RecordingConnector {
            inner: self.inner.http_connector(settings, components),
            permissions: Arc::clone(&self.permissions),
        })
    }
}

impl HttpConnector for RecordingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let Some(permission) = wire_permission(&request) {
            self.permissions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(permission);
        }
        self.inner.call(request)
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    /// Once per execution, before the input is serialised: the permissions it needs.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let needed = permissions_of(metadata.service(), metadata.name(), context.input());
            self.permissions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(needed);
        }
        Ok(())
    }

    /// Once per attempt: the operation's `Metadata` is in the config bag from the start of
    /// the execution.
    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = match cfg.load::<Metadata>() {
            Some(metadata) => (metadata.service().to_owned(), metadata.name().to_owned()),
            None => ("unknown".to_owned(), "unknown".to_owned()),
        };
        *self.lock().0.entry((service, operation)).or_default() += 1;
        Ok(())
    }
}

impl RoundTrips {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets what was counted and recorded so far.
    pub fn reset(&self) {
        self.lock().0.clear();
        self.take_permissions();
    }

    /// The permissions the calls since the last reset needed, and resets them.
    pub fn take_permissions(&self) -> BTreeSet<Permission> {
        std::mem::take(
            &mut *self
                .permissions
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// What was counted since the last reset, and resets.
    pub fn take(&self) -> Counts {
        std::mem::take(&mut *self.lock())
    }

    /// A DynamoDB client for the test's moto that counts its calls here.
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let sdk = crate::sdk_config().await;
        let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// An SQS client for the test's moto that counts its calls here.
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        let sdk = crate::sdk_config().await;
        let config = aws_sdk_sqs::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    /// The shared table (see [`crate::table`]) through a counting client, its personal data
    /// keys too.
    pub async fn table(&self) -> Store {
        let table = crate::table().await;
        self.counted(table.table_name()).await
    }

    /// A table of its own (see [`crate::isolated_table`]) through a counting client.
    pub async fn isolated_table(&self) -> Store {
        let table = crate::isolated_table().await;
        self.counted(table.table_name()).await
    }

    async fn counted(&self, table: &str) -> Store {
        let client = self.dynamodb().await;
        Store::new(client.clone(), table).with_keyring(crate::personal_data_keys(client).await)
    }

    /// AWS clients that count their calls here, for a function built by its constructor;
    /// the KMS and Secrets Manager clients it builds from `sdk` record their permissions here.
    pub async fn clients(&self) -> Clients {
        // The functions' own HTTP client, recording.
        let inner = SharedHttpClient::new(
            payments_aws::Http1Client::new().expect("the functions' HTTP client"),
        );
        let sdk = crate::sdk_config()
            .await
            .to_builder()
            .http_client(RecordingHttp {
                inner,
                permissions: Arc::clone(&self.permissions),
            })
            .build();
        Clients {
            sdk,
            dynamodb: self.dynamodb().await,
            sqs: self.sqs().await,
        }
    }
}

/// Some attempts of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub service: &'static str,
    pub operation: &'static str,
    pub count: u32,
}

pub const fn dynamodb(operation: &'static str, count: u32) -> Call {
    Call {
        service: DYNAMODB,
        operation,
        count,
    }
}

pub const fn sqs(operation: &'static str, count: u32) -> Call {
    Call {
        service: SQS,
        operation,
        count,
    }
}

/// What one call of a route, a worker or the sweep may cost, exactly.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The function, as the template's `Binary` names it.
    pub function: &'static str,
    /// `METHOD /path` as the function's route table lists it; [`SQS_MESSAGE`] for a worker,
    /// [`SCHEDULE`] for the sweep.
    pub call: &'static str,
    /// What is asked: the representative success, or a refusal (with its status).
    pub case: &'static str,
    pub calls: &'static [Call],
    /// Why, when the call reads more than once.
    pub why: &'static str,
}

impl Budget {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for call in self.calls {
            *counts
                .0
                .entry((call.service.to_owned(), call.operation.to_owned()))
                .or_default() += call.count;
        }
        counts
    }
}

/// A worker's trigger: one SQS message in its batch.
pub const SQS_MESSAGE: &str = "SQS message";
/// The sweep's trigger: one scheduled run.
pub const SCHEDULE: &str = "schedule";

const VAULT: &str = "customer-vault";
const WALLET: &str = "customer-wallet";
const ORDERS: &str = "order-management";
const MANDATES: &str = "mandates";
const IDENTITY: &str = "identity";
const NOTIFICATIONS: &str = "notifications";
const WEBHOOK: &str = "GET /v1/notifications/webhooks/{webhookId}";
const REDELIVER: &str =
    "POST /v1/notifications/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver";

const fn budget(
    function: &'static str,
    call: &'static str,
    case: &'static str,
    calls: &'static [Call],
) -> Budget {
    Budget {
        function,
        call,
        case,
        calls,
        why: "",
    }
}

const fn explained(
    function: &'static str,
    call: &'static str,
    case: &'static str,
    calls: &'static [Call],
    why: &'static str,
) -> Budget {
    Budget {
        function,
        call,
        case,
        calls,
        why,
    }
}

const SUCCESS: &str = "success";

const GET: &[Call] = &[dynamodb("GetItem", 1)];
const QUERY: &[Call] = &[dynamodb("Query", 1)];
const UPDATE: &[Call] = &[dynamodb("UpdateItem", 1)];
const TRANSACTION: &[Call] = &[dynamodb("TransactWriteItems", 1)];
const BATCH_GET: &[Call] = &[dynamodb("BatchGetItem", 1)];
/// Why a call that meets a mandate's debtor reads once more.
const MANDATE_KEY_READ: &str = "one GetItem more: the mandate's data key, to open or seal its \
     debtor (docs/decisions/0019)";
/// Why a call that meets account details reads once more.
const KEY_READ: &str = "one GetItem more: the customer's data key, to open or seal their account \
     details (docs/decisions/0019)";

/// Every route of every HTTP function, each worker and the sweep, with what a call costs. The
/// round-trip test makes each call and fails on any difference, on a route without a budget
/// and on a budget never measured.
/// A POST with an `Idempotency-Key` (docs/api.md §10) whose body is refused: the first time,
/// and a repeat.
pub const IDEMPOTENT_FIRST: &str = "an Idempotency-Key, a body that is not an object (400)";
pub const IDEMPOTENT_REPLAYED: &str = "the same request and key again (replayed)";
const KEY_CLAIMED_AND_KEPT: &[Call] = &[dynamodb("PutItem", 2)];
const KEY_REPLAYED: &[Call] = &[dynamodb("GetItem", 1), dynamodb("PutItem", 1)];

const fn key_claimed(function: &'static str, call: &'static str) -> Budget {
    explained(
        function,
        call,
        IDEMPOTENT_FIRST,
        KEY_CLAIMED_AND_KEPT,
        "the key claimed (a conditional PutItem), the handler refusing the body before any \
         call, its answer kept with the key (a PutItem conditional on the claim)",
    )
}

const fn key_replayed(function: &'static str, call: &'static str) -> Budget {
    explained(
        function,
        call,
        IDEMPOTENT_REPLAYED,
        KEY_REPLAYED,
        "the claim refused (the key is taken), then the key read: the same request, so its \
         kept answer is given again and the handler does not run",
    )
}

const CUSTOMER_KEY_CLAIMED_AND_KEPT: &[Call] = &[dynamodb("GetItem", 1), dynamodb("PutItem", 3)];
const CUSTOMER_KEY_REPLAYED: &[Call] = &[dynamodb("GetItem", 2), dynamodb("PutItem", 1)];

/// [`key_claimed`] on a path that names a customer: the answer is sealed under their key.
const fn customer_key_claimed(function: &'static str, call: &'static str) -> Budget {
    explained(
        function,
        call,
        IDEMPOTENT_FIRST,
        CUSTOMER_KEY_CLAIMED_AND_KEPT,
        "the key claimed (a conditional PutItem), the handler refusing the body before any \
         call, its answer kept with the key (a PutItem conditional on the claim), sealed under \
         the customer's data key, made here since this customer has none (read, not found, \
         put): an answer about a customer may quote their data (docs/decisions/0019)",
    )
}

/// [`key_replayed`] on a path that names a customer: the kept answer opens with their key.
const fn customer_key_replayed(function: &'static str, call: &'static str) -> Budget {
    explained(
        function,
        call,
        IDEMPOTENT_REPLAYED,
        CUSTOMER_KEY_REPLAYED,
        "the claim refused (the key is taken), then the key read and its answer opened with the \
         customer's data key: the same request, so its kept answer is given again and the \
         handler does not run",
    )
}

pub const BUDGETS: &[Budget] = &[
    // Idempotency keys, on one POST of each HTTP function.
    customer_key_claimed(VAULT, "POST /v2/customer-vault/{customerRef}/uk-bank-account"),
    customer_key_replayed(VAULT, "POST /v2/customer-vault/{customerRef}/uk-bank-account"),
    customer_key_claimed(WALLET, "POST /v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}"),
    customer_key_replayed(WALLET, "POST /v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}"),
    key_claimed(ORDERS, "POST /v2/order-management"),
    key_replayed(ORDERS, "POST /v2/order-management"),
    key_claimed(MANDATES, "POST /v2/mandates/creditor-profiles/sepa"),
    key_replayed(MANDATES, "POST /v2/mandates/creditor-profiles/sepa"),
    key_claimed(NOTIFICATIONS, "POST /v1/notifications/webhooks"),
    key_replayed(NOTIFICATIONS, "POST /v1/notifications/webhooks"),
    // customer-vault
    explained(
        VAULT,
        "GET /v2/customer-vault/{customerRef}",
        "a customer with an account, a paid payout and a reward claim",
        &[dynamodb("Query", 1), dynamodb("GetItem", 1)],
        KEY_READ,
    ),
    budget(
        VAULT,
        "PUT /v2/customer-vault/{customerRef}",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("UpdateItem", 1)],
    ),
    explained(
        VAULT,
        "POST /v2/customer-vault/{customerRef}/forget",
        "a customer with one bank account",
        &[
            dynamodb("UpdateItem", 2),
            dynamodb("Query", 6),
            dynamodb("DeleteItem", 2),
        ],
        "marks the profile FORGOTTEN first, destroys the customer's data key (and those of \
         their orders and mandates: none here), then reads each kind of item it erases with a \
         Query of its own sort-key prefix (instruments, transactions, instruction links, \
         mandate links, reward claims, tenant events); then one write per item found; last, \
         destroys the keys again, in case a racing write made one since",
    ),
    // The customer's first account: its data key is made (read, not found, put).
    budget(
        VAULT,
        "POST /v2/customer-vault/{customerRef}/international-bank-account",
        SUCCESS,
        &[
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
        ],
    ),
    budget(
        VAULT,
        "POST /v2/customer-vault/{customerRef}/uk-bank-account",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("TransactWriteItems", 1)],
    ),
    explained(
        VAULT,
        "GET /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
        SUCCESS,
        &[dynamodb("GetItem", 2)],
        KEY_READ,
    ),
    budget(
        VAULT,
        "GET /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
        "an unknown instrument (404)",
        GET,
    ),
    budget(
        VAULT,
        "PUT /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/close",
        "an account no instruction uses",
        &[dynamodb("UpdateItem", 1), dynamodb("Query", 1)],
    ),
    explained(
        VAULT,
        "PUT /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/close",
        "an account a READY instruction uses",
        &[
            dynamodb("UpdateItem", 1),
            dynamodb("Query", 1),
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
        ],
        "the customer's instruction links (one Query), then each linked instruction, which \
         lives in its order's partition, is read and written back INCOMPLETE",
    ),
    budget(
        VAULT,
        "GET /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}",
        SUCCESS,
        GET,
    ),
    budget(
        VAULT,
        "POST /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund",
        SUCCESS,
        &[
            dynamodb("GetItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
    ),
    budget(
        VAULT,
        "POST /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund",
        "more than the amount left (400)",
        GET,
    ),
    budget(
        VAULT,
        "GET /v2/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}/refund/{refundId}",
        SUCCESS,
        GET,
    ),
    budget(
        VAULT,
        "GET /v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}/transaction/{transactionId}",
        SUCCESS,
        GET,
    ),
    explained(
        VAULT,
        "GET /v1/customer-vault/{customerRef}",
        SUCCESS,
        &[dynamodb("Query", 1), dynamodb("GetItem", 1)],
        KEY_READ,
    ),
    budget(
        VAULT,
        "GET /v1/customer-vault/{customerRef}/reward/{financialInstrumentId}/transaction/{transactionId}",
        SUCCESS,
        GET,
    ),
    explained(
        VAULT,
        "GET /v1/customer-vault/{customerRef}/financial-instrument/{financialInstrumentId}",
        SUCCESS,
        &[dynamodb("GetItem", 2)],
        KEY_READ,
    ),
    // customer-wallet
    explained(
        WALLET,
        "GET /v1/customer-vault/{customerRef}/wallet",
        SUCCESS,
        &[dynamodb("Query", 1), dynamodb("GetItem", 1)],
        KEY_READ,
    ),
    budget(
        WALLET,
        "POST /v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}",
        SUCCESS,
        UPDATE,
    ),
    explained(
        WALLET,
        "POST /v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}",
        "a closed instrument (400)",
        &[dynamodb("UpdateItem", 1), dynamodb("GetItem", 2)],
        "the refused update, then the instrument to tell closed from missing, and (one GetItem \
         more) the customer's data key to open its account details (docs/decisions/0019)",
    ),
    budget(
        WALLET,
        "DELETE /v1/customer-vault/{customerRef}/wallet/financial-instrument/{financialInstrumentId}",
        SUCCESS,
        UPDATE,
    ),
    // order-management
    budget(
        ORDERS,
        "POST /v2/order-management",
        "an order alone (201)",
        TRANSACTION,
    ),
    explained(
        ORDERS,
        "POST /v2/order-management",
        "one payout due today",
        &[
            dynamodb("BatchGetItem", 1),
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        KEY_READ,
    ),
    explained(
        ORDERS,
        "POST /v2/order-management",
        "three payouts due today",
        &[
            dynamodb("BatchGetItem", 1),
            dynamodb("GetItem", 1),
            dynamodb("BatchWriteItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessageBatch", 1),
        ],
        KEY_READ,
    ),
    budget(
        ORDERS,
        "POST /v2/order-management",
        "an unknown instrument (400)",
        BATCH_GET,
    ),
    budget(ORDERS, "GET /v2/order-management/{orderRef}", SUCCESS, QUERY),
    explained(
        ORDERS,
        "PUT /v2/order-management/{orderRef}/metadata",
        SUCCESS,
        &[
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
            dynamodb("Query", 1),
            dynamodb("TransactWriteItems", 1),
        ],
        "the order's data key, made here for its first metadata (read, not found, put), to seal \
         it; metadata concerns the customers of the order's instructions, which are read and \
         checked not to be forgotten in the write",
    ),
    budget(
        ORDERS,
        "DELETE /v2/order-management/{orderRef}/metadata",
        SUCCESS,
        UPDATE,
    ),
    explained(
        ORDERS,
        "POST /v2/order-management/{orderRef}/instruction",
        "a payout due today",
        &[
            dynamodb("BatchGetItem", 1),
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        KEY_READ,
    ),
    budget(
        ORDERS,
        "GET /v2/order-management/{orderRef}/instruction/{instructionRef}",
        SUCCESS,
        GET,
    ),
    explained(
        ORDERS,
        "GET /v2/order-management/{orderRef}/instruction/{instructionRef}",
        "an unknown instruction of an existing order (400)",
        &[dynamodb("GetItem", 2)],
        "only when the instruction is missing: a second GetItem, of the order, tells \
         ORDER_NOT_FOUND from INSTRUCTION_NOT_FOUND",
    ),
    explained(
        ORDERS,
        "PUT /v2/order-management/{orderRef}/instruction/{instructionRef}",
        "a new amount for a READY payout due today",
        &[
            dynamodb("GetItem", 2),
            dynamodb("BatchGetItem", 1),
            dynamodb("PutItem", 2),
            sqs("SendMessage", 1),
        ],
        "read-modify-write: the instruction, then the instrument and scheme it names once \
         changed (one BatchGetItem, and the customer's data key to open the instrument), then \
         its link and itself",
    ),
    explained(
        ORDERS,
        "POST /v2/order-management/{orderRef}/instruction/{instructionRef}/cancel",
        SUCCESS,
        &[
            dynamodb("GetItem", 2),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "read-modify-write: the instruction, its link, then the instruction with its \
         instruction.cancelled event in one transaction, the reason sealed in both under the \
         customer's data key (one GetItem for the request); the event relayed to the webhook \
         dispatcher",
    ),
    budget(
        ORDERS,
        "POST /v2/order-management/{orderRef}/instruction/{instructionRef}/authorize-reward",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("PutItem", 1)],
    ),
    budget(
        ORDERS,
        "POST /v2/order-management/{orderRef}/instruction/{instructionRef}/claim-reward",
        SUCCESS,
        &[
            dynamodb("BatchGetItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
    ),
    budget(
        ORDERS,
        "POST /v2/order-management/{orderRef}/instruction/{instructionRef}/claim-reward",
        "a reward not in the catalogue (400)",
        BATCH_GET,
    ),
    budget(ORDERS, "GET /v1/order-management/{orderRef}", SUCCESS, QUERY),
    budget(
        ORDERS,
        "GET /v1/order-management/{orderRef}/instruction/{instructionRef}",
        SUCCESS,
        GET,
    ),
    // mandates
    budget(
        MANDATES,
        "GET /v2/mandates/creditor-profiles",
        SUCCESS,
        QUERY,
    ),
    budget(
        MANDATES,
        "POST /v2/mandates/creditor-profiles/sepa",
        SUCCESS,
        &[dynamodb("PutItem", 1)],
    ),
    budget(
        MANDATES,
        "POST /v2/mandates/creditor-profiles/sepa",
        "a ref already in use (400)",
        &[dynamodb("PutItem", 1)],
    ),
    budget(
        MANDATES,
        "GET /v2/mandates/creditor-profiles/sepa/{creditorProfileRef}",
        SUCCESS,
        GET,
    ),
    explained(
        MANDATES,
        "POST /v2/mandates/sepa",
        SUCCESS,
        &[
            dynamodb("GetItem", 2),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "the creditor profile; the mandate's own data key, made here (read, not found, put), \
         to seal the debtor; the mandate written in one transaction",
    ),
    budget(
        MANDATES,
        "POST /v2/mandates/sepa",
        "an unknown creditor profile (400)",
        GET,
    ),
    budget(
        MANDATES,
        "POST /v2/mandates/sepa/draft",
        SUCCESS,
        TRANSACTION,
    ),
    budget(
        MANDATES,
        "PUT /v2/mandates/sepa/{mandateId}",
        "a draft still incomplete (200)",
        &[dynamodb("GetItem", 1), dynamodb("TransactWriteItems", 1)],
    ),
    explained(
        MANDATES,
        "PUT /v2/mandates/sepa/{mandateId}",
        "a draft completed and submitted (202)",
        &[
            dynamodb("GetItem", 3),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "read-modify-write of the draft, then, once its terms are complete, the creditor \
         profile they name (another partition; read only when the draft is submitted); the \
         mandate's data key, made here for the draft's first debtor (read, not found, put)",
    ),
    explained(
        MANDATES,
        "GET /v2/mandates/sepa/{mandateId}",
        SUCCESS,
        &[dynamodb("GetItem", 2)],
        MANDATE_KEY_READ,
    ),
    explained(
        MANDATES,
        "PUT /v2/mandates/sepa/{mandateId}/amend",
        "an active mandate (202)",
        &[
            dynamodb("GetItem", 2),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        MANDATE_KEY_READ,
    ),
    budget(
        MANDATES,
        "PUT /v2/mandates/sepa/{mandateId}/amend",
        "a draft (400)",
        GET,
    ),
    // identity
    budget(
        IDENTITY,
        "POST /v2/identity/hmac",
        "a signed request (201)",
        &[dynamodb("GetItem", 1), dynamodb("PutItem", 1)],
    ),
    budget(
        IDENTITY,
        "POST /v2/identity/hmac",
        "a wrong signature (401)",
        GET,
    ),
    budget(IDENTITY, "GET /.well-known/jwks.json", SUCCESS, &[]),
    budget(
        IDENTITY,
        "GET /.well-known/openid-configuration",
        SUCCESS,
        &[],
    ),
    budget(IDENTITY, "GET /openapi.json", SUCCESS, &[]),
    // notifications
    budget(
        NOTIFICATIONS,
        "POST /v1/notifications/webhooks",
        "success (201)",
        &[dynamodb("PutItem", 1)],
    ),
    budget(
        NOTIFICATIONS,
        "POST /v1/notifications/webhooks",
        "a private address (400)",
        &[],
    ),
    budget(NOTIFICATIONS, "GET /v1/notifications/webhooks", SUCCESS, QUERY),
    budget(NOTIFICATIONS, WEBHOOK, SUCCESS, GET),
    budget(
        NOTIFICATIONS,
        "PUT /v1/notifications/webhooks/{webhookId}",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("PutItem", 1)],
    ),
    budget(
        NOTIFICATIONS,
        "POST /v1/notifications/webhooks/{webhookId}/rotate-secret",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("PutItem", 1)],
    ),
    explained(
        NOTIFICATIONS,
        "POST /v1/notifications/webhooks/{webhookId}/test",
        "success (202)",
        &[
            dynamodb("GetItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "the endpoint (the event's data); the test event and its delivery in one transaction; \
         the delivery's message",
    ),
    explained(
        NOTIFICATIONS,
        "GET /v1/notifications/webhooks/{webhookId}/deliveries",
        SUCCESS,
        &[dynamodb("GetItem", 1), dynamodb("Query", 1)],
        "the endpoint (404 when unknown), then one page of its partition, newest first",
    ),
    explained(
        NOTIFICATIONS,
        REDELIVER,
        "success (202)",
        &[
            dynamodb("GetItem", 2),
            dynamodb("PutItem", 1),
            sqs("SendMessage", 1),
        ],
        "the endpoint, then the delivery made due now with one conditional PutItem, and its \
         message",
    ),
    explained(
        NOTIFICATIONS,
        REDELIVER,
        "an unknown delivery (404)",
        &[dynamodb("GetItem", 2)],
        "the endpoint (WEBHOOK_NOT_FOUND comes first), then the delivery",
    ),
    budget(
        NOTIFICATIONS,
        "DELETE /v1/notifications/webhooks/{webhookId}",
        SUCCESS,
        &[dynamodb("DeleteItem", 1)],
    ),
    budget(
        NOTIFICATIONS,
        "DELETE /v1/notifications/webhooks/{webhookId}",
        "an unknown webhook (404)",
        &[dynamodb("DeleteItem", 1)],
    ),
    // provider-webhooks
    explained(
        "provider-webhooks",
        "POST /v1/providers/{appId}/webhooks",
        "a new event (202)",
        &[dynamodb("PutItem", 1), sqs("SendMessage", 1)],
        "the signature and the event are checked first; then one conditional PutItem stores \
         the raw event, and its message goes to the event worker",
    ),
    explained(
        "provider-webhooks",
        "POST /v1/providers/{appId}/webhooks",
        "the same event again (202)",
        &[dynamodb("PutItem", 1)],
        "the conditional PutItem finds it stored: nothing is sent",
    ),
    budget(
        "provider-webhooks",
        "POST /v1/providers/{appId}/webhooks",
        "a wrong signature (401)",
        &[],
    ),
    // workers and the sweep
    explained(
        "instruction-worker",
        SQS_MESSAGE,
        "a payout due today, paid",
        &[
            dynamodb("GetItem", 2),
            dynamodb("BatchGetItem", 1),
            dynamodb("PutItem", 2),
            dynamodb("TransactWriteItems", 2),
            sqs("SendMessage", 1),
        ],
        "the instruction, then the instrument and scheme it names (one BatchGetItem, and the \
         customer's data key to open the instrument); the \
         claim (one TransactWriteItems with the instrument's ACTIVE check) and the counted \
         attempt are conditional writes before the app is called; SANDBOX records the payment \
         in its own books (a PutItem a real provider makes on its side); the answer is one \
         TransactWriteItems; its instruction.completed event relayed to the dispatcher",
    ),
    budget(
        "instruction-worker",
        SQS_MESSAGE,
        "a duplicate message for a paid instruction",
        GET,
    ),
    explained(
        "refund-worker",
        SQS_MESSAGE,
        "one pending refund, completed",
        &[
            dynamodb("GetItem", 1),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 2),
            sqs("SendMessage", 1),
        ],
        "the transaction; the counted attempt and the outcome, each with the instruction's \
         copy; SANDBOX records the refund in its own books (a PutItem a real provider makes \
         on its side); the refund.completed event relayed to the dispatcher",
    ),
    budget(
        "refund-worker",
        SQS_MESSAGE,
        "a duplicate message (nothing pending)",
        GET,
    ),
    explained(
        "mandate-worker",
        SQS_MESSAGE,
        "a submitted mandate, registered",
        &[
            dynamodb("GetItem", 4),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "the mandate and its data key (to open the debtor), then the creditor profile it names \
         (another partition) for the network; the customer's data key, made here for their first account (read, not found, put), to \
         seal the debtor's account details in the new instrument; the mandate.active event \
         relayed to the dispatcher",
    ),
    explained(
        "reward-worker",
        SQS_MESSAGE,
        "a claimed gift card, settled",
        &[
            dynamodb("GetItem", 3),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 2),
        ],
        "the reward claim; the counted attempt, saved before the provider is called; then the \
         instruction it names (in its order's partition), both written in one transaction with \
         their reward.settled and instruction.completed events, each relayed to the dispatcher; \
         the credentials sealed under the customer's data key (one GetItem for the message)",
    ),
    explained(
        "provider-event-worker",
        SQS_MESSAGE,
        "payment.settled for a pending payment, applied",
        &[
            dynamodb("GetItem", 4),
            dynamodb("PutItem", 1),
            dynamodb("TransactWriteItems", 1),
            sqs("SendMessage", 1),
        ],
        "the stored event, the link from the provider's id, the transaction and its \
         instruction; both settled in one TransactWriteItems with the instruction.completed \
         event, relayed to the dispatcher; the provider's event marked applied",
    ),
    budget(
        "provider-event-worker",
        SQS_MESSAGE,
        "a duplicate message (already applied)",
        GET,
    ),
    explained(
        "sandbox-webhook-sender",
        SQS_MESSAGE,
        "a webhook posted (202)",
        &[],
        "no AWS call: the secret is read once per cold start, then each webhook is one HTTPS \
         POST to the service's own provider webhook route",
    ),
    explained(
        "webhook-dispatcher",
        SQS_MESSAGE,
        "an event fanned out to one endpoint",
        &[
            dynamodb("GetItem", 1),
            dynamodb("Query", 1),
            dynamodb("PutItem", 1),
            dynamodb("UpdateItem", 1),
            sqs("SendMessage", 1),
        ],
        "the event, the tenant's endpoints (one Query of their partition), one conditional \
         PutItem per delivery and its message, then the event taken out of the work index",
    ),
    explained(
        "webhook-dispatcher",
        SQS_MESSAGE,
        "an attempt that gets no answer, retried in 5 s",
        &[
            dynamodb("GetItem", 3),
            dynamodb("PutItem", 3),
            sqs("SendMessage", 1),
        ],
        "the delivery, claimed with one conditional PutItem; the endpoint and the event; the \
         endpoint's run of failures begun (a PutItem made only when a run begins or ends); the \
         attempt recorded; the retry as a delayed message",
    ),
    explained(
        "sweep",
        SCHEDULE,
        "nothing overdue",
        &[dynamodb("Query", 24)],
        "the work index has one partition per kind of work and shard (6 kinds × 4 shards): \
         one Query each, every five minutes",
    ),
    explained(
        "sweep",
        SCHEDULE,
        "one overdue instruction",
        &[
            dynamodb("Query", 24),
            dynamodb("UpdateItem", 1),
            sqs("SendMessage", 1),
        ],
        "as above, then one conditional UpdateItem and one SendMessage per overdue item",
    ),
];

/// What one call cost.
#[derive(Debug, Clone)]
pub struct Measured {
    pub function: String,
    pub call: String,
    pub case: String,
    pub counts: Counts,
    /// The IAM permissions the calls needed (SQS queues by URL).
    pub permissions: BTreeSet<Permission>,
}

impl Measured {
    fn is(&self, budget: &Budget) -> bool {
        self.function == budget.function && self.call == budget.call && self.case == budget.case
    }
}

/// Every difference between `measured` and [`BUDGETS`]: a budget never measured, a call
/// measured without a budget, counts that differ, more than one read without a reason.
pub fn differences(measured: &[Measured]) -> Vec<String> {
    let mut found = Vec::new();
    for budget in BUDGETS {
        let name = format!("{}: {} ({})", budget.function, budget.call, budget.case);
        let matching: Vec<&Measured> = measured.iter().filter(|m| m.is(budget)).collect();
        match matching.as_slice() {
            [] => found.push(format!(
                "{name}: budgeted but never measured; make the call in tests/tests/round_trips.rs"
            )),
            [one] if one.counts != budget.counts() => found.push(format!(
                "{name}: budget {}, measured {}",
                budget.counts(),
                one.counts
            )),
            [_] => {}
            _ => found.push(format!("{name}: measured {} times", matching.len())),
        }
        if budget.counts().reads() > 1 && budget.why.trim().is_empty() {
            found.push(format!(
                "{name}: {} reads; say why in its budget",
                budget.counts().reads()
            ));
        }
        let twins = BUDGETS
            .iter()
            .filter(|b| (b.function, b.call, b.case) == (budget.function, budget.call, budget.case))
            .count();
        if twins > 1 {
            found.push(format!("{name}: budgeted {twins} times"));
        }
    }
    for m in measured {
        if !BUDGETS.iter().any(|b| m.is(b)) {
            found.push(format!(
                "{}: {} ({}): measured {} but has no budget; add one to BUDGETS in \
                 tests/support/src/round_trips.rs",
                m.function, m.call, m.case, m.counts
            ));
        }
    }
    found
}

/// [`BUDGETS`] with what was measured, as Markdown.
pub fn report(measured: &[Measured]) -> String {
    let mut out = String::from(
        "# Round trips per call\n\n\
         DynamoDB and SQS operations one call makes, counted by an SDK interceptor (attempts, \
         so retries would show) in `tests/tests/round_trips.rs`, against the budgets in \
         `tests/support/src/round_trips.rs`.\n\n\
         | Function | Route or trigger | Case | Budget | Measured | Round trips | Why more than one read |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let cell = |text: &str| text.replace('|', "\\|");
    for budget in BUDGETS {
        let expected = budget.counts();
        let (measured_text, total) = match measured.iter().find(|m| m.is(budget)) {
            Some(m) if m.counts == expected => ("as budgeted".to_owned(), m.counts.total()),
            Some(m) => (format!("**{}**", m.counts), m.counts.total()),
            None => ("**not measured**".to_owned(), expected.total()),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            budget.function,
            cell(budget.call),
            cell(budget.case),
            expected,
            measured_text,
            total,
            cell(budget.why),
        );
    }
    for m in measured.iter().filter(|m| !BUDGETS.iter().any(|b| m.is(b))) {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | **none** | {} | {} | |",
            m.function,
            cell(&m.call),
            cell(&m.case),
            m.counts,
            m.counts.total()
        );
    }
    out
}

/// Where the report goes: `$ROUND_TRIPS_REPORT` when set, else [`REPORT_FILE`] in
/// `target_dir` (the cargo target directory).
pub fn report_path(target_dir: &Path) -> PathBuf {
    match std::env::var_os(REPORT_ENV).filter(|path| !path.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => target_dir.join(REPORT_FILE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_and_print_by_service() {
        const CALLS: &[Call] = &[
            dynamodb("GetItem", 1),
            dynamodb("BatchGetItem", 1),
            dynamodb("PutItem", 2),
            sqs("SendMessage", 1),
        ];
        let counts = budget("f", "c", "k", CALLS).counts();
        assert_eq!(counts.reads(), 2);
        assert_eq!(counts.total(), 5);
        assert_eq!(
            counts.to_string(),
            "DynamoDB BatchGetItem 1, GetItem 1, PutItem 2; SQS SendMessage 1"
        );
        assert_eq!(Counts::default().to_string(), "none");
    }

    #[test]
    fn differences_name_what_is_missing_or_off() {
        let budget = &BUDGETS[0];
        let right = Measured {
            function: budget.function.into(),
            call: budget.call.into(),
            case: budget.case.into(),
            counts: budget.counts(),
            permissions: BTreeSet::new(),
        };
        let found = differences(std::slice::from_ref(&right));
        assert!(!found.iter().any(|d| d.starts_with(&format!(
            "{}: {} ({})",
            budget.function, budget.call, budget.case
        ))));
        let mut off = right.clone();
        off.counts.0.insert((DYNAMODB.into(), "GetItem".into()), 1);
        assert!(differences(&[off])
            .iter()
            .any(|d| d.contains("budget DynamoDB Query 1, measured")));
        let stray = Measured {
            case: "something else".into(),
            ..right
        };
        assert!(differences(&[stray])
            .iter()
            .any(|d| d.contains("has no budget")));
    }
}

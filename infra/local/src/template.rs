//! Reads `infra/template.yaml`, the single source of truth for AWS and for the local stack.
//!
//! Only what the local stack acts on is extracted: tables and queues to create in the emulator,
//! the functions with their HTTP routes, SQS and schedule event sources and environment. CloudFormation
//! intrinsics (`!Ref`, `!GetAtt`, `!Sub`, short or long form) are kept as [`Expr`] and resolved
//! later against local names, because queue URLs only exist once the queues are created.
//!
//! What exists only in AWS resolves to an empty string locally: a resource of a type with no
//! local counterpart ([`AWS_ONLY_RESOURCE_TYPES`], e.g. the KMS key that wraps API keys) and a
//! parameter that names an AWS resource by ARN (its `AllowedPattern` starts with `^arn:`, e.g. the
//! token signing secret) when no value is supplied. The functions read an empty value as unset
//! and use what `local-stack dev` gives them instead (the identity function: `TOKEN_SIGNING_KEYS`
//! and `API_KEY_KEK_FILE` in place of Secrets Manager and KMS).

use crate::schedule_expression::ScheduleExpression;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use yaml_serde::{Mapping, Value};

/// The account id moto uses; local ARNs are built with it so they match what moto returns.
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";
/// The region every local client is configured with.
pub const LOCAL_REGION: &str = "us-east-1";
/// Resource types nothing emulates locally: their `!Ref` and `!GetAtt` resolve to `""`.
pub const AWS_ONLY_RESOURCE_TYPES: &[&str] = &[
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    // Its URL is the local gateway's, which `local-stack dev` gives the functions itself.
    "AWS::Serverless::HttpApi",
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] yaml_serde::Error),
    #[error("template: {0}")]
    Invalid(String),
    #[error("template: cannot resolve {0} locally")]
    Unresolved(String),
}

fn invalid(message: impl Into<String>) -> TemplateError {
    TemplateError::Invalid(message.into())
}

/// A property value that may be a CloudFormation intrinsic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Literal(String),
    Ref(String),
    GetAtt { resource: String, attribute: String },
    Sub(String),
}

impl Expr {
    fn parse(value: &Value, at: &str) -> Result<Expr, TemplateError> {
        let text = |v: &Value| scalar(v).ok_or_else(|| invalid(format!("{at}: expected a string")));
        match value {
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = tag.trim_start_matches('!');
                Self::intrinsic(name, &tagged.value, at, text)
            }
            Value::Mapping(map) if map.len() == 1 => {
                let (key, inner) = map.iter().next().ok_or_else(|| invalid(at.to_owned()))?;
                let name = key.as_str().unwrap_or_default();
                Self::intrinsic(name.trim_start_matches("Fn::"), inner, at, text)
            }
            other => scalar(other)
                .map(Expr::Literal)
                .ok_or_else(|| invalid(format!("{at}: unsupported value"))),
        }
    }

    fn intrinsic(
        name: &str,
        inner: &Value,
        at: &str,
        text: impl Fn(&Value) -> Result<String, TemplateError>,
    ) -> Result<Expr, TemplateError> {
        match name {
            "Ref" => Ok(Expr::Ref(text(inner)?)),
            "Sub" => Ok(Expr::Sub(text(inner)?)),
            "GetAtt" => {
                let (resource, attribute) = match inner {
                    Value::Sequence(parts) if parts.len() == 2 => {
                        (text(&parts[0])?, text(&parts[1])?)
                    }
                    _ => {
                        let joined = text(inner)?;
                        let (r, a) = joined.split_once('.').ok_or_else(|| {
                            invalid(format!("{at}: GetAtt needs Resource.Attribute"))
                        })?;
                        (r.to_owned(), a.to_owned())
                    }
                };
                Ok(Expr::GetAtt {
                    resource,
                    attribute,
                })
            }
            other => Err(invalid(format!(
                "{at}: intrinsic {other} is not supported locally"
            ))),
        }
    }
}

/// Strings, numbers and booleans all become strings, as CloudFormation treats them.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub default: Option<String>,
    /// The parameter names an AWS resource by ARN (`AllowedPattern` starting with `^arn:`):
    /// without a supplied value or a default it resolves to `""` locally.
    pub aws_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    pub attribute: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryIndex {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Also the table's local name.
    pub logical_id: String,
    pub key_schema: Vec<KeyElement>,
    /// Attribute name → `S`, `N` or `B`.
    pub attribute_definitions: BTreeMap<String, String>,
    pub global_secondary_indexes: Vec<SecondaryIndex>,
    /// `TimeToLiveSpecification.AttributeName` when enabled.
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub logical_id: String,
    /// Seconds; SQS's default is 30.
    pub visibility_timeout: Option<u32>,
    pub redrive: Option<Redrive>,
    pub fifo: bool,
}

impl Queue {
    /// The local queue name: the logical id (plus `.fifo`, which SQS requires for FIFO queues).
    pub fn local_name(&self) -> String {
        if self.fifo {
            format!("{}.fifo", self.logical_id)
        } else {
            self.logical_id.clone()
        }
    }
}

/// An HttpApi event of a function: `Route` from its `Method` (default `ANY`) and `Path`,
/// `Default` for the `$default` route (an event with neither).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteKey {
    Default,
    Route { method: String, path: String },
}

impl RouteKey {
    /// An `ANY …/{proxy+}` route (or an `ANY` one on a path the group serves with other
    /// methods): it hands the group's own router what no route of it matches, so that router
    /// answers 405 or 404 in the group's format. It serves no operation of its own.
    pub fn is_catch_all(&self) -> bool {
        match self {
            RouteKey::Default => false,
            RouteKey::Route { method, .. } => method == "ANY",
        }
    }
}

impl std::fmt::Display for RouteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteKey::Default => f.write_str("$default"),
            RouteKey::Route { method, path } => write!(f, "{method} {path}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEventSource {
    pub event: String,
    pub queue: String,
    pub batch_size: u32,
    pub report_batch_item_failures: bool,
    pub enabled: bool,
}

/// A `Schedule` (EventBridge rule) or `ScheduleV2` (EventBridge Scheduler) event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEventSource {
    pub event: String,
    /// The schedule expression as written (`Schedule` or `ScheduleExpression`), for logs.
    pub expression: String,
    /// How often the local scheduler invokes the function: the rate, or for `cron(...)` a fixed
    /// fallback (see [`crate::schedule_expression`]).
    pub interval: Duration,
    /// False for `Enabled: false` or `State: DISABLED`.
    pub enabled: bool,
    /// `Input`: the JSON sent instead of the Scheduled Event, as AWS does.
    pub input: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the name cargo lambda watch invokes.
    pub binary: String,
    pub routes: Vec<RouteKey>,
    pub sqs_events: Vec<SqsEventSource>,
    pub schedules: Vec<ScheduleEventSource>,
    /// `Globals.Function.Environment.Variables` overlaid with the function's own.
    pub environment: BTreeMap<String, Expr>,
    /// `MemorySize` in MB: the function's own, or `Globals.Function`'s (what `make bench` sizes).
    pub memory_size: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub parameters: BTreeMap<String, Parameter>,
    pub tables: Vec<Table>,
    pub queues: Vec<Queue>,
    pub functions: Vec<Function>,
    /// Logical ids of the resources whose type is in [`AWS_ONLY_RESOURCE_TYPES`].
    pub aws_only_resources: Vec<String>,
}

/// A queue as it exists in the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalQueue {
    pub url: String,
    pub arn: String,
}

/// What intrinsics resolve to locally.
#[derive(Debug, Clone, Default)]
pub struct Locals {
    /// Parameter values that replace the template's defaults.
    pub parameters: BTreeMap<String, String>,
    /// Queue logical id → its local URL and ARN (from provisioning).
    pub queues: BTreeMap<String, LocalQueue>,
}

fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(key)
}

fn mapping<'a>(value: Option<&'a Value>, at: &str) -> Result<Option<&'a Mapping>, TemplateError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Mapping(m)) => Ok(Some(m)),
        Some(_) => Err(invalid(format!("{at}: expected a mapping"))),
    }
}

fn string(map: &Mapping, key: &str, at: &str) -> Result<String, TemplateError> {
    get(map, key)
        .and_then(scalar)
        .ok_or_else(|| invalid(format!("{at}: {key} is required and must be a string")))
}

fn number(map: &Mapping, key: &str, at: &str) -> Result<Option<u32>, TemplateError> {
    match get(map, key).and_then(scalar) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| invalid(format!("{at}: {key} must be a non-negative integer"))),
    }
}

fn sequence<'a>(map: &'a Mapping, key: &str, at: &str) -> Result<&'a [Value], TemplateError> {
    match get(map, key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Sequence(items)) => Ok(items),
        Some(_) => Err(invalid(format!("{at}: {key} must be a list"))),
    }
}

fn entries<'a>(
    value: Option<&'a Value>,
    at: &str,
) -> Result<Vec<(String, &'a Value)>, TemplateError> {
    let Some(map) = mapping(value, at)? else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(k, v)| {
            let key = scalar(k).ok_or_else(|| invalid(format!("{at}: keys must be strings")))?;
            Ok((key, v))
        })
        .collect()
}

fn key_schema(map: &Mapping, at: &str) -> Result<Vec<KeyElement>, TemplateError> {
    sequence(map, "KeySchema", at)?
        .iter()
        .map(|item| {
            let m = mapping(Some(item), at)?
                .ok_or_else(|| invalid(format!("{at}: empty KeySchema entry")))?;
            Ok(KeyElement {
                attribute: string(m, "AttributeName", at)?,
                key_type: string(m, "KeyType", at)?,
            })
        })
        .collect()
}

fn env_variables(value: Option<&Value>, at: &str) -> Result<BTreeMap<String, Expr>, TemplateError> {
    let Some(env) = mapping(value, at)? else {
        return Ok(BTreeMap::new());
    };
    entries(get(env, "Variables"), at)?
        .into_iter()
        .map(|(name, v)| Ok((name.clone(), Expr::parse(v, &format!("{at}.{name}"))?)))
        .collect()
}

impl Template {
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Template::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let root: Value = yaml_serde::from_str(text)?;
        let root = mapping(Some(&root), "template")?.ok_or_else(|| invalid("empty template"))?;
        let mut template = Template::default();

        for (name, value) in entries(get(root, "Parameters"), "Parameters")? {
            let parameter = mapping(Some(value), &name)?;
            let default = parameter.and_then(|m| get(m, "Default")).and_then(scalar);
            let aws_only = parameter
                .and_then(|m| get(m, "AllowedPattern"))
                .and_then(scalar)
                .is_some_and(|pattern| pattern.starts_with("^arn:"));
            template
                .parameters
                .insert(name, Parameter { default, aws_only });
        }

        let globals = mapping(get(root, "Globals"), "Globals")?;
        let global_function =
            mapping(globals.and_then(|g| get(g, "Function")), "Globals.Function")?;
        let global_env = env_variables(
            global_function.and_then(|f| get(f, "Environment")),
            "Globals",
        )?;
        let empty = Mapping::new();
        let global_memory = number(global_function.unwrap_or(&empty), "MemorySize", "Globals")?;

        for (id, value) in entries(get(root, "Resources"), "Resources")? {
            let resource = mapping(Some(value), &id)?
                .ok_or_else(|| invalid(format!("{id}: empty resource")))?;
            let empty = Mapping::new();
            let props = mapping(get(resource, "Properties"), &id)?.unwrap_or(&empty);
            match get(resource, "Type").and_then(Value::as_str) {
                Some("AWS::DynamoDB::Table") => template.tables.push(parse_table(&id, props)?),
                Some("AWS::SQS::Queue") => template.queues.push(parse_queue(&id, props)?),
                Some("AWS::Serverless::Function") => template.functions.push(parse_function(
                    &id,
                    resource,
                    props,
                    &global_env,
                    global_memory,
                )?),
                Some(kind) if AWS_ONLY_RESOURCE_TYPES.contains(&kind) => {
                    template.aws_only_resources.push(id)
                }
                _ => {}
            }
        }
        template.check_references()?;
        Ok(template)
    }

    /// Every queue a redrive policy or an SQS event names must be a queue of the template.
    fn check_references(&self) -> Result<(), TemplateError> {
        let known = |id: &str| self.queues.iter().any(|q| q.logical_id == id);
        for queue in &self.queues {
            if let Some(r) = queue
                .redrive
                .as_ref()
                .filter(|r| !known(&r.dead_letter_queue))
            {
                return Err(invalid(format!(
                    "{}: dead-letter queue {} is not a queue",
                    queue.logical_id, r.dead_letter_queue
                )));
            }
        }
        for function in &self.functions {
            if let Some(e) = function.sqs_events.iter().find(|e| !known(&e.queue)) {
                return Err(invalid(format!(
                    "{}.{}: queue {} is not a queue",
                    function.logical_id, e.event, e.queue
                )));
            }
        }
        Ok(())
    }

    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    pub fn queue(&self, logical_id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    /// Whether `logical_id` is a resource that exists only in AWS.
    pub fn is_aws_only(&self, logical_id: &str) -> bool {
        self.aws_only_resources.iter().any(|id| id == logical_id)
    }

    /// A parameter's value: the override if supplied, else its `Default`, else `""` for a
    /// parameter that names an AWS resource by ARN.
    pub fn parameter(
        &self,
        name: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        if !self.parameters.contains_key(name) {
            return Err(TemplateError::Unresolved(format!(
                "parameter {name} (not in the template)"
            )));
        }
        let parameter = self.parameters.get(name);
        overrides
            .get(name)
            .cloned()
            .or_else(|| parameter.and_then(|p| p.default.clone()))
            .or_else(|| parameter.filter(|p| p.aws_only).map(|_| String::new()))
            .ok_or_else(|| {
                TemplateError::Unresolved(format!(
                    "parameter {name} (no Default and no value supplied)"
                ))
            })
    }

    /// Resolves an expression to its local value.
    pub fn resolve(&self, expr: &Expr, locals: &Locals) -> Result<String, TemplateError> {
        match expr {
            Expr::Literal(text) => Ok(text.clone()),
            Expr::Ref(name) => self.resolve_ref(name, locals),
            Expr::GetAtt {
                resource,
                attribute,
            } => self.resolve_get_att(resource, attribute, locals),
            Expr::Sub(text) => self.resolve_sub(text, locals),
        }
    }

    fn resolve_ref(&self, name: &str, locals: &Locals) -> Result<String, TemplateError> {
        match name {
            "AWS::Region" => return Ok(LOCAL_REGION.to_owned()),
            "AWS::AccountId" => return Ok(LOCAL_ACCOUNT_ID.to_owned()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            "AWS::StackName" => return Ok("local".to_owned()),
            _ => {}
        }
        if self.parameters.contains_key(name) {
            return self.parameter(name, &locals.parameters);
        }
        if self.table(name).is_some() {
            return Ok(name.to_owned());
        }
        if self.queue(name).is_some() {
            return local_queue(locals, name).map(|q| q.url.clone());
        }
        if self.is_aws_only(name) {
            return Ok(String::new());
        }
        Err(TemplateError::Unresolved(format!("!Ref {name}")))
    }

    fn resolve_get_att(
        &self,
        resource: &str,
        attribute: &str,
        locals: &Locals,
    ) -> Result<String, TemplateError> {
        match (self.table(resource), self.queue(resource), attribute) {
            (Some(t), _, "Arn") => Ok(format!(
                "arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{}",
                t.logical_id
            )),
            (_, Some(_), "Arn") => local_queue(locals, resource).map(|q| q.arn.clone()),
            (_, Some(_), "QueueUrl") => local_queue(locals, resource).map(|q| q.url.clone()),
            (_, Some(q), "QueueName") => Ok(q.local_name()),
            _ if self.is_aws_only(resource) => Ok(String::new()),
            _ => Err(TemplateError::Unresolved(format!(
                "!GetAtt {resource}.{attribute}"
            ))),
        }
    }

    /// `${Name}` is a Ref, `${Name.Attr}` a GetAtt, `${!Text}` the literal `${Text}`.
    fn resolve_sub(&self, text: &str, locals: &Locals) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| invalid(format!("!Sub {text}: unclosed ${{")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&self.resolve_get_att(resource, attribute, locals)?);
            } else {
                out.push_str(&self.resolve_ref(name, locals)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A function's environment with every intrinsic resolved.
    pub fn environment(
        &self,
        function: &Function,
        locals: &Locals,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        function
            .environment
            .iter()
            .map(|(name, expr)| Ok((name.clone(), self.resolve(expr, locals)?)))
            .collect()
    }
}

fn local_queue<'a>(locals: &'a Locals, id: &str) -> Result<&'a LocalQueue, TemplateError> {
    locals
        .queues
        .get(id)
        .ok_or_else(|| TemplateError::Unresolved(format!("queue {id} (not provisioned)")))
}

fn parse_table(id: &str, props: &Mapping) -> Result<Table, TemplateError> {
    let attribute_definitions = sequence(props, "AttributeDefinitions", id)?
        .iter()
        .map(|item| {
            let m = mapping(Some(item), id)?
                .ok_or_else(|| invalid(format!("{id}: empty AttributeDefinitions entry")))?;
            Ok((
                string(m, "AttributeName", id)?,
                string(m, "AttributeType", id)?,
            ))
        })
        .collect::<Result<_, TemplateError>>()?;
    let global_secondary_indexes = sequence(props, "GlobalSecondaryIndexes", id)?
        .iter()
        .map(|item| {
            let m = mapping(Some(item), id)?
                .ok_or_else(|| invalid(format!("{id}: empty index entry")))?;
            let projection = mapping(get(m, "Projection"), id)?;
            Ok(SecondaryIndex {
                name: string(m, "IndexName", id)?,
                key_schema: key_schema(m, id)?,
                projection_type: projection
                    .and_then(|p| get(p, "ProjectionType"))
                    .and_then(scalar)
                    .unwrap_or_else(|| "ALL".to_owned()),
                non_key_attributes: projection
                    .map(|p| sequence(p, "NonKeyAttributes", id))
                    .transpose()?
                    .unwrap_or_default()
                    .iter()
                    .filter_map(scalar)
                    .collect(),
            })
        })
        .collect::<Result<_, TemplateError>>()?;
    let ttl = mapping(get(props, "TimeToLiveSpecification"), id)?;
    let ttl_attribute = ttl
        .filter(|t| get(t, "Enabled").and_then(Value::as_bool).unwrap_or(false))
        .and_then(|t| get(t, "AttributeName"))
        .and_then(scalar);
    let key_schema = key_schema(props, id)?;
    if key_schema.is_empty() {
        return Err(invalid(format!("{id}: KeySchema is required")));
    }
    Ok(Table {
        logical_id: id.to_owned(),
        key_schema,
        attribute_definitions,
        global_secondary_indexes,
        ttl_attribute,
    })
}

fn parse_queue(id: &str, props: &Mapping) -> Result<Queue, TemplateError> {
    let redrive = match mapping(get(props, "RedrivePolicy"), id)? {
        None => None,
        Some(policy) => {
            let at = format!("{id}.RedrivePolicy");
            let target = get(policy, "deadLetterTargetArn")
                .ok_or_else(|| invalid(format!("{at}: deadLetterTargetArn is required")))?;
            let dead_letter_queue = match Expr::parse(target, &at)? {
                Expr::GetAtt {
                    resource,
                    attribute,
                } if attribute == "Arn" => resource,
                _ => {
                    return Err(invalid(format!(
                        "{at}: deadLetterTargetArn must be !GetAtt <Queue>.Arn"
                    )))
                }
            };
            let max_receive_count = number(policy, "maxReceiveCount", &at)?
                .ok_or_else(|| invalid(format!("{at}: maxReceiveCount is required")))?;
            Some(Redrive {
                dead_letter_queue,
                max_receive_count,
            })
        }
    };
    Ok(Queue {
        logical_id: id.to_owned(),
        visibility_timeout: number(props, "VisibilityTimeout", id)?,
        redrive,
        fifo: get(props, "FifoQueue")
            .and_then(scalar)
            .is_some_and(|v| v == "true"),
    })
}

fn parse_function(
    id: &str,
    resource: &Mapping,
    props: &Mapping,
    global_env: &BTreeMap<String, Expr>,
    global_memory: Option<u32>,
) -> Result<Function, TemplateError> {
    let binary = mapping(get(resource, "Metadata"), id)?
        .and_then(|m| get(m, "BuildProperties"))
        .and_then(|b| b.as_mapping())
        .and_then(|b| get(b, "Binary"))
        .and_then(scalar)
        .ok_or_else(|| invalid(format!("{id}: Metadata.BuildProperties.Binary is required")))?;
    let mut environment = global_env.clone();
    environment.extend(env_variables(get(props, "Environment"), id)?);

    let mut routes = Vec::new();
    let mut sqs_events = Vec::new();
    let mut schedules = Vec::new();
    for (event, value) in entries(get(props, "Events"), &format!("{id}.Events"))? {
        let at = format!("{id}.Events.{event}");
        let body =
            mapping(Some(value), &at)?.ok_or_else(|| invalid(format!("{at}: empty event")))?;
        let empty = Mapping::new();
        let ep = mapping(get(body, "Properties"), &at)?.unwrap_or(&empty);
        match get(body, "Type").and_then(Value::as_str) {
            Some("HttpApi") => routes.push(match get(ep, "Path").and_then(scalar) {
                None => RouteKey::Default,
                Some(path) => RouteKey::Route {
                    method: get(ep, "Method")
                        .and_then(scalar)
                        .map_or_else(|| "ANY".to_owned(), |m| m.to_uppercase()),
                    path,
                },
            }),
            Some("SQS") => {
                let target =
                    get(ep, "Queue").ok_or_else(|| invalid(format!("{at}: Queue is required")))?;
                let queue = match Expr::parse(target, &at)? {
                    Expr::GetAtt {
                        resource,
                        attribute,
                    } if attribute == "Arn" => resource,
                    _ => return Err(invalid(format!("{at}: Queue must be !GetAtt <Queue>.Arn"))),
                };
                let report = sequence(ep, "FunctionResponseTypes", &at)?
                    .iter()
                    .any(|t| t.as_str() == Some("ReportBatchItemFailures"));
                sqs_events.push(SqsEventSource {
                    event: event.clone(),
                    queue,
                    batch_size: number(ep, "BatchSize", &at)?.unwrap_or(10),
                    report_batch_item_failures: report,
                    enabled: get(ep, "Enabled").and_then(Value::as_bool).unwrap_or(true),
                });
            }
            Some(kind @ ("Schedule" | "ScheduleV2")) => {
                schedules.push(parse_schedule(&event, kind, ep, &at)?)
            }
            _ => {}
        }
    }
    Ok(Function {
        logical_id: id.to_owned(),
        binary,
        routes,
        sqs_events,
        schedules,
        environment,
        memory_size: number(props, "MemorySize", id)?.or(global_memory),
    })
}

/// A `Schedule` event names its expression `Schedule`, a `ScheduleV2` event
/// `ScheduleExpression`; both may carry `State`, `Schedule` also `Enabled`, and both `Input`.
/// The expression must be a literal: it decides how the stack runs, so it is checked when the
/// template is read rather than resolved later.
fn parse_schedule(
    event: &str,
    kind: &str,
    props: &Mapping,
    at: &str,
) -> Result<ScheduleEventSource, TemplateError> {
    let property = if kind == "Schedule" {
        "Schedule"
    } else {
        "ScheduleExpression"
    };
    let value =
        get(props, property).ok_or_else(|| invalid(format!("{at}: {property} is required")))?;
    let Expr::Literal(expression) = Expr::parse(value, at)? else {
        return Err(invalid(format!(
            "{at}: {property} must be a literal expression locally"
        )));
    };
    let interval = ScheduleExpression::parse(&expression)
        .map_err(|e| invalid(format!("{at}: {e}")))?
        .local_interval();
    let enabled = get(props, "Enabled").and_then(Value::as_bool) != Some(false)
        && get(props, "State").and_then(scalar).as_deref() != Some("DISABLED");
    let input = match get(props, "Input") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let text =
                scalar(value).ok_or_else(|| invalid(format!("{at}: Input must be a string")))?;
            let json = serde_json::from_str(&text)
                .map_err(|e| invalid(format!("{at}: Input is not valid JSON: {e}")))?;
            Some(json)
        }
    };
    Ok(ScheduleEventSource {
        event: event.to_owned(),
        expression,
        interval,
        enabled,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> Template {
        let path = crate::template_path();
        Template::load(&path).expect("the real template parses")
    }

    #[test]
    fn real_template_has_the_table_and_functions() {
        let t = real();
        let ids: Vec<&str> = t.tables.iter().map(|t| t.logical_id.as_str()).collect();
        assert_eq!(ids, ["PaymentsTable", "DataKeysTable"]);
        let table = &t.tables[0];
        assert_eq!(
            table.key_schema,
            vec![
                KeyElement {
                    attribute: "PK".into(),
                    key_type: "HASH".into()
                },
                KeyElement {
                    attribute: "SK".into(),
                    key_type: "RANGE".into()
                },
            ]
        );
        assert_eq!(
            table.attribute_definitions.get("PK").map(String::as_str),
            Some("S")
        );
        assert_eq!(
            table.attribute_definitions.get("SK").map(String::as_str),
            Some("S")
        );

        let binaries: Vec<&str> = t.functions.iter().map(|f| f.binary.as_str()).collect();
        assert!(binaries.contains(&"customer-vault"), "{binaries:?}");
        assert!(binaries.contains(&"customer-wallet"), "{binaries:?}");

        let vault = t
            .functions
            .iter()
            .find(|f| f.binary == "customer-vault")
            .expect("vault");
        assert!(vault.routes.contains(&RouteKey::Route {
            method: "GET".into(),
            path: "/v2/customer-vault/{customerRef}".into()
        }));
        assert!(
            vault.routes.contains(&RouteKey::Default),
            "the vault declares $default"
        );
        assert!(vault.sqs_events.is_empty());
        assert!(vault.schedules.is_empty());
    }

    #[test]
    fn real_template_environment_resolves_locally() {
        let t = real();
        let vault = t
            .functions
            .iter()
            .find(|f| f.binary == "customer-vault")
            .expect("vault");
        assert_eq!(
            vault.environment.get("TABLE_NAME"),
            Some(&Expr::Ref("PaymentsTable".into()))
        );
        let queues = t
            .queues
            .iter()
            .map(|q| {
                let local = LocalQueue {
                    url: format!("http://local/{}", q.logical_id),
                    arn: format!("arn:local:{}", q.logical_id),
                };
                (q.logical_id.clone(), local)
            })
            .collect();
        let locals = Locals {
            parameters: BTreeMap::from([("TokenPublicKey".into(), "PUBKEY".into())]),
            queues,
        };
        let env = t.environment(vault, &locals).expect("resolves");
        assert_eq!(env["REFUND_QUEUE_URL"], "http://local/RefundQueue");
        assert_eq!(env["TABLE_NAME"], "PaymentsTable");
        assert_eq!(env["TOKEN_PUBLIC_KEY"], "PUBKEY");
        assert_eq!(env["TOKEN_ISSUER"], "payments-identity");
        assert_eq!(env["TOKEN_AUDIENCE"], "payments-api");

        let without_parameters = Locals {
            queues: locals.queues.clone(),
            ..Locals::default()
        };
        let missing = t.environment(vault, &without_parameters);
        assert!(
            matches!(missing, Err(TemplateError::Unresolved(m)) if m.contains("TokenPublicKey"))
        );

        // The identity function's secrets are AWS-only: the signing secret's ARN (a required
        // parameter) and the KMS key resolve to nothing locally, where other settings stand
        // in for them.
        let identity = t
            .functions
            .iter()
            .find(|f| f.binary == "identity")
            .expect("identity");
        assert_eq!(
            identity.environment.get("TOKEN_SIGNING_SECRET_ARN"),
            Some(&Expr::Ref("TokenSigningSecretArn".into()))
        );
        assert_eq!(
            identity.environment.get("API_KEY_KMS_KEY_ID"),
            Some(&Expr::Ref("ApiKeyEncryptionKey".into()))
        );
        let env = t.environment(identity, &locals).expect("resolves");
        assert_eq!(env["TOKEN_SIGNING_SECRET_ARN"], "");
        assert_eq!(env["API_KEY_KMS_KEY_ID"], "");
        assert_eq!(env["TOKEN_PUBLIC_KEY"], "PUBKEY");
        assert!(t.parameters["TokenSigningSecretArn"].aws_only);
        assert!(!t.parameters["TokenPublicKey"].aws_only);
        assert_eq!(
            t.aws_only_resources,
            ["PaymentsApi", "ApiKeyEncryptionKey", "SandboxWebhookSecret"]
        );
        // A value supplied for it is used.
        let mut supplied = locals.clone();
        supplied.parameters.insert(
            "TokenSigningSecretArn".into(),
            "arn:aws:secretsmanager:x".into(),
        );
        let env = t.environment(identity, &supplied).expect("resolves");
        assert_eq!(env["TOKEN_SIGNING_SECRET_ARN"], "arn:aws:secretsmanager:x");
    }

    #[test]
    fn aws_only_resources_and_parameters_resolve_to_nothing() {
        let t = Template::parse(
            r#"
Parameters:
  SecretArn: {Type: String, AllowedPattern: "^arn:aws[a-z-]*:secretsmanager:.+$"}
  Required: {Type: String, AllowedPattern: "^[a-z]+$"}
Resources:
  Key:
    Type: AWS::KMS::Key
  Secret:
    Type: AWS::SecretsManager::Secret
  Topic:
    Type: AWS::SNS::Topic
  F:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: f}}
    Properties:
      Environment:
        Variables:
          KEY_ID: !Ref Key
          KEY_ARN: !GetAtt Key.Arn
          SECRET: !Ref Secret
          SECRET_ARN: !Ref SecretArn
          LABEL: !Sub "key=${Key};secret=${SecretArn}"
"#,
        )
        .expect("parses");
        let function = &t.functions[0];
        let env = t
            .environment(function, &Locals::default())
            .expect("resolves");
        for name in ["KEY_ID", "KEY_ARN", "SECRET", "SECRET_ARN"] {
            assert_eq!(env[name], "", "{name}");
        }
        assert_eq!(env["LABEL"], "key=;secret=");
        // Only those: another required parameter, or another resource type, still fails.
        for expr in [Expr::Ref("Required".into()), Expr::Ref("Topic".into())] {
            assert!(
                matches!(
                    t.resolve(&expr, &Locals::default()),
                    Err(TemplateError::Unresolved(_))
                ),
                "{expr:?}"
            );
        }
    }

    #[test]
    fn a_function_has_its_own_memory_size_or_the_globals() {
        let t = Template::parse(
            r#"
Globals:
  Function:
    MemorySize: 256
Resources:
  Own:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: own}}
    Properties:
      MemorySize: 512
  Inherited:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: inherited}}
"#,
        )
        .expect("parses");
        let memory = |id: &str| {
            t.functions
                .iter()
                .find(|f| f.logical_id == id)
                .and_then(|f| f.memory_size)
        };
        assert_eq!(memory("Own"), Some(512));
        assert_eq!(memory("Inherited"), Some(256));
    }

    const QUEUES: &str = r#"
Parameters:
  Stage: {Type: String, Default: dev}
Globals:
  Function:
    Environment:
      Variables:
        SHARED: one
        OVERRIDDEN: global
Resources:
  WorkDlq:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDlq.Arn
        maxReceiveCount: 5
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}, {AttributeName: G, AttributeType: N}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: ByG
          KeySchema: [{AttributeName: G, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}
  Worker:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: work-worker}}
    Properties:
      Environment:
        Variables:
          OVERRIDDEN: own
          QUEUE_URL: !Ref WorkQueue
          QUEUE_ARN: {"Fn::GetAtt": [WorkQueue, Arn]}
          TABLE_ARN: !GetAtt Table.Arn
          LABEL: !Sub "${Stage}-${WorkQueue.QueueName}-${AWS::Region}-${!Literal}"
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
        Other:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkDlq.Arn
            BatchSize: 3
        Api:
          Type: HttpApi
          Properties: {Path: "/things/{proxy+}"}
"#;

    #[test]
    fn queues_events_and_intrinsics() {
        let t = Template::parse(QUEUES).expect("parses");
        let queue = t.queue("WorkQueue").expect("queue");
        assert_eq!(queue.visibility_timeout, Some(60));
        assert_eq!(
            queue.redrive,
            Some(Redrive {
                dead_letter_queue: "WorkDlq".into(),
                max_receive_count: 5
            })
        );
        assert_eq!(t.queue("WorkDlq").and_then(|q| q.visibility_timeout), None);

        let table = t.table("Table").expect("table");
        assert_eq!(table.global_secondary_indexes[0].name, "ByG");
        assert_eq!(
            table.global_secondary_indexes[0].projection_type,
            "KEYS_ONLY"
        );
        assert_eq!(table.ttl_attribute.as_deref(), Some("expiresAt"));

        let worker = &t.functions[0];
        let work = worker
            .sqs_events
            .iter()
            .find(|e| e.event == "Work")
            .expect("event");
        assert_eq!(
            (
                work.queue.as_str(),
                work.batch_size,
                work.report_batch_item_failures
            ),
            ("WorkQueue", 10, true)
        );
        let other = worker
            .sqs_events
            .iter()
            .find(|e| e.event == "Other")
            .expect("event");
        assert_eq!(
            (
                other.queue.as_str(),
                other.batch_size,
                other.report_batch_item_failures
            ),
            ("WorkDlq", 3, false)
        );
        assert_eq!(
            worker.routes,
            vec![RouteKey::Route {
                method: "ANY".into(),
                path: "/things/{proxy+}".into()
            }]
        );

        let locals = Locals {
            queues: BTreeMap::from([(
                "WorkQueue".into(),
                LocalQueue {
                    url: "http://q/WorkQueue".into(),
                    arn: "arn:q".into(),
                },
            )]),
            ..Locals::default()
        };
        let env = t.environment(worker, &locals).expect("resolves");
        assert_eq!(env["SHARED"], "one");
        assert_eq!(env["OVERRIDDEN"], "own");
        assert_eq!(env["QUEUE_URL"], "http://q/WorkQueue");
        assert_eq!(env["QUEUE_ARN"], "arn:q");
        assert_eq!(
            env["TABLE_ARN"],
            "arn:aws:dynamodb:us-east-1:123456789012:table/Table"
        );
        assert_eq!(env["LABEL"], "dev-WorkQueue-us-east-1-${Literal}");
    }

    #[test]
    fn broken_references_are_reported() {
        let bad = QUEUES.replace(
            "deadLetterTargetArn: !GetAtt WorkDlq.Arn",
            "deadLetterTargetArn: !GetAtt Nope.Arn",
        );
        assert!(
            matches!(Template::parse(&bad), Err(TemplateError::Invalid(m)) if m.contains("Nope"))
        );
        let no_binary = QUEUES.replace("Metadata: {BuildProperties: {Binary: work-worker}}", "");
        assert!(
            matches!(Template::parse(&no_binary), Err(TemplateError::Invalid(m)) if m.contains("Binary"))
        );
    }

    const SCHEDULED: &str = r#"
Resources:
  Sweep:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: sweep}}
    Properties:
      Events:
        Every5Minutes:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            Input: '{"mode": "hourly"}'
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
            Enabled: false
        Paused:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
            State: DISABLED
"#;

    fn schedule<'a>(function: &'a Function, event: &str) -> &'a ScheduleEventSource {
        function
            .schedules
            .iter()
            .find(|s| s.event == event)
            .unwrap_or_else(|| panic!("schedule {event}"))
    }

    #[test]
    fn schedule_events_of_both_types() {
        let t = Template::parse(SCHEDULED).expect("parses");
        let sweep = &t.functions[0];
        assert_eq!(sweep.binary, "sweep");
        assert_eq!(sweep.schedules.len(), 4);
        assert!(sweep.routes.is_empty() && sweep.sqs_events.is_empty());

        let v2 = schedule(sweep, "Every5Minutes");
        assert_eq!(v2.expression, "rate(5 minutes)");
        assert_eq!(v2.interval, Duration::from_secs(300));
        assert!(v2.enabled);
        assert_eq!(v2.input, None);

        let v1 = schedule(sweep, "Hourly");
        assert_eq!(v1.interval, Duration::from_secs(3600));
        assert!(v1.enabled);
        assert_eq!(v1.input, Some(serde_json::json!({"mode": "hourly"})));

        let cron = schedule(sweep, "Nightly");
        assert_eq!(
            cron.interval,
            crate::schedule_expression::CRON_FALLBACK_INTERVAL
        );
        assert!(!cron.enabled, "Enabled: false");
        assert!(!schedule(sweep, "Paused").enabled, "State: DISABLED");
    }

    #[test]
    fn bad_schedule_events_are_reported() {
        let error = |from: &str, to: &str| {
            let text = SCHEDULED.replace(from, to);
            assert_ne!(text, SCHEDULED, "{from} is in the template");
            match Template::parse(&text) {
                Err(TemplateError::Invalid(message)) => message,
                other => panic!("{to}: expected an error, got {other:?}"),
            }
        };
        let message = error("rate(5 minutes)", "rate(5 minute)");
        assert!(
            message.starts_with("Sweep.Events.Every5Minutes: schedule expression"),
            "{message}"
        );
        assert!(message.contains("plural"), "{message}");
        assert!(error("rate(1 hour)", "rate(0 hours)").contains("Sweep.Events.Hourly"));
        assert!(error("rate(1 hour)", "every hour").contains("expected rate"));
        assert!(error("cron(0 2 * * ? *)", "cron(0 2 * *)").contains("six fields"));
        assert!(error("rate(1 day)", "rate(1 fortnight)").contains("unit"));
        assert!(error(
            "ScheduleExpression: rate(5 minutes)",
            "Schedule: rate(5 minutes)"
        )
        .contains("Every5Minutes: ScheduleExpression is required"));
        assert!(
            error("Schedule: rate(1 hour)", "ScheduleExpression: rate(1 hour)")
                .contains("Hourly: Schedule is required")
        );
        assert!(error(
            "ScheduleExpression: rate(5 minutes)",
            "ScheduleExpression: !Ref SweepRate"
        )
        .contains("must be a literal"));
        assert!(error("'{\"mode\": \"hourly\"}'", "'{mode'").contains("Input is not valid JSON"));
    }
}

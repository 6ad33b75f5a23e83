//! Every exchange of the end-to-end suites held to the OpenAPI document (`docs/openapi.json`,
//! which a test holds equal to what the route tables generate): the status must be one the
//! operation documents, the body must match the documented schema, and a request the API
//! accepted (2xx) must match the documented request schema, so the document never claims less
//! than the API takes or other than it answers. `Client::send` checks each exchange here.

use http::{Method, StatusCode};
use local_stack::routes::RouteTable;
use local_stack::template::RouteKey;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

struct Document {
    root: Value,
    /// The document's operations, selected as API Gateway selects routes (the local
    /// gateway's own table).
    routes: RouteTable,
    /// Compiled validators, by the `$ref` they check against.
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static DOCUMENT: LazyLock<Document> = LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("docs/openapi.json: {e}"));
    let keys: Vec<(RouteKey, String)> = operations(&root)
        .into_iter()
        .map(|(path, method, _)| {
            let key = RouteKey::Route {
                method,
                path: path.to_owned(),
            };
            (key, path.to_owned())
        })
        .collect();
    Document {
        routes: RouteTable::new(keys).unwrap_or_else(|e| panic!("docs/openapi.json: {e}")),
        root,
        validators: Mutex::new(HashMap::new()),
    }
});

/// Every operation of an OpenAPI `document`: its path, method (upper case) and object.
pub fn operations(document: &Value) -> Vec<(&str, String, &Value)> {
    document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(method, operation)| (path.as_str(), method.to_uppercase(), operation))
        })
        .collect()
}

/// One request and the answer to it.
pub struct Exchange<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub request: &'a [u8],
    pub status: StatusCode,
    pub response: &'a Value,
}

/// Panics with what differs when the exchange contradicts the document. A path the document
/// does not name (an unknown route, on purpose) is not checked.
pub fn check(exchange: &Exchange<'_>) {
    let document = &*DOCUMENT;
    let Some((template, operation)) = document.operation(exchange.method, exchange.path) else {
        return;
    };
    let at = format!("{} {} ({template})", exchange.method, exchange.path);
    let Some(response) = document.response(operation, exchange.status) else {
        panic!(
            "{at} answered {}, which the document does not list: {}",
            exchange.status, exchange.response
        );
    };
    match response["content"]["application/json"]["schema"].as_object() {
        Some(_) => document.validate(
            &response["content"]["application/json"]["schema"],
            exchange.response,
            &format!("{at}: the {} body", exchange.status),
        ),
        None => assert!(
            exchange.response.is_null(),
            "{at}: {} is documented without a body, but has one: {}",
            exchange.status,
            exchange.response
        ),
    }
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    if exchange.status.is_success() && schema.is_object() {
        match serde_json::from_slice::<Value>(exchange.request) {
            Ok(body) => document.validate(schema, &body, &format!("{at}: the accepted request")),
            Err(_) => assert!(
                exchange.request.is_empty() && operation["requestBody"]["required"] == false,
                "{at}: a request without a JSON body was accepted, but the document requires one"
            ),
        }
    }
}

/// Panics unless `instance` matches `schema` (which may `$ref` the document's components).
pub fn assert_matches(schema: &Value, instance: &Value, what: &str) {
    DOCUMENT.validate(schema, instance, what);
}

impl Document {
    /// The operation serving `path`: its template and object.
    fn operation(&self, method: &Method, path: &str) -> Option<(&str, &Value)> {
        let selected = self.routes.select(method.as_str(), path)?;
        let RouteKey::Route { method, path } = selected.route_key else {
            return None;
        };
        let operation = self.root["paths"][path.as_str()].get(method.to_lowercase())?;
        Some((path.as_str(), operation))
    }

    /// The documented response for `status`, `$ref`s to shared responses followed.
    fn response<'a>(&'a self, operation: &'a Value, status: StatusCode) -> Option<&'a Value> {
        let response = operation["responses"].get(status.as_str())?;
        match response["$ref"].as_str() {
            Some(reference) => self.root.pointer(reference.strip_prefix('#')?),
            None => Some(response),
        }
    }

    fn validate(&self, schema: &Value, instance: &Value, what: &str) {
        let key = schema.to_string();
        let validator = {
            let mut validators = self
                .validators
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(validators.entry(key).or_insert_with(|| {
                // The schema inside the whole document, so its `$ref`s resolve.
                let mut root = json!({ "components": self.root["components"] });
                if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
                    root.extend(schema.clone());
                }
                Arc::new(
                    jsonschema::draft202012::new(&root)
                        .unwrap_or_else(|e| panic!("an invalid schema {schema}: {e}")),
                )
            }))
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match the document ({schema}):\n  {}\nbody: {instance}",
            errors.join("\n  ")
        );
    }
}

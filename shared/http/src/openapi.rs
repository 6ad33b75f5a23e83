//! The OpenAPI 3.1 document of the API (issue 17), generated from what serves it, never written
//! by hand: each function's route table (method, path, the roles it admits, whether the token
//! guard runs or the handler checks a signature, the body types it reads and answers with) and
//! the format of its errors. Body schemas are derived from the body types (utoipa); errors are
//! the group's format (400, 409, 422, 500), format C (401, 403, 405, 413), or either for 404 (a
//! resource the group does not know, or no route), each with the error codes the service can
//! answer.

use crate::problem::ErrorFormat;
use crate::routes::RouteSpec;
use payments_domain::error::ErrorCode;
use serde_json::{json, Map, Value};

/// One HTTP function: its name (the template's `Binary`), error format and route table.
pub struct ApiGroup<'a> {
    pub function: &'a str,
    pub format: ErrorFormat,
    pub routes: &'a [RouteSpec],
}

/// The document of `groups`, paths in the order given.
pub fn document(groups: &[ApiGroup<'_>]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    let mut components = components();
    let mut schemas = match components["schemas"].take() {
        Value::Object(schemas) => schemas,
        _ => Map::new(),
    };
    for group in groups {
        for route in group.routes {
            let bodies = route.request.iter().map(|request| &request.schema);
            for body in bodies.chain(route.answers.iter().filter_map(|a| a.body.as_ref())) {
                body.register(&mut schemas);
            }
            let path = paths
                .entry(route.path)
                .or_insert_with(|| Value::Object(Map::new()));
            path[route.method.as_str().to_lowercase()] = operation(group, route);
        }
    }
    components["schemas"] = Value::Object(schemas);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Payments orchestration API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Generated from the functions' route tables; see docs/api.md for \
                            the behaviour of each route.",
        },
        "paths": paths,
        "components": components,
    })
}

fn operation(group: &ApiGroup<'_>, route: &RouteSpec) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    let mut responses = json!({
        "405": { "$ref": "#/components/responses/ErrorC" },
        "413": { "$ref": "#/components/responses/ErrorC" },
    });
    for answer in &route.answers {
        let mut response =
            json!({ "description": answer.status.canonical_reason().unwrap_or("Done") });
        if let Some(body) = &answer.body {
            response["content"] = json!({ "application/json": { "schema": body.reference() } });
        }
        if !answer.links.is_empty() {
            let links: Map<String, Value> = answer
                .links
                .iter()
                .map(|next| {
                    let id = operation_id(next.method, next.path);
                    let parameters: Map<String, Value> = next
                        .parameters
                        .iter()
                        .map(|(name, expression)| ((*name).to_owned(), json!(expression)))
                        .collect();
                    (
                        id.clone(),
                        json!({ "operationId": id, "parameters": parameters }),
                    )
                })
                .collect();
            response["links"] = Value::Object(links);
        }
        responses[answer.status.as_str()] = response;
    }
    let (group_error, not_found) = match group.format {
        ErrorFormat::A => ("ErrorA", "NotFoundA"),
        ErrorFormat::B => ("ErrorB", "NotFoundB"),
    };
    for status in ["400", "409", "422", "500"] {
        responses[status] = response_ref(group_error);
    }
    responses["404"] = response_ref(not_found);
    if route.guarded || route.signed {
        responses["401"] = response_ref("ErrorC");
    }
    let security = if route.guarded {
        for header in [crate::routes::ACCOUNT_HEADER, crate::routes::TENANT_HEADER] {
            parameters.push(json!({ "name": header, "in": "header", "required": true, "schema": { "type": "string", "format": "uuid" } }));
        }
        responses["403"] = response_ref("ErrorC");
        json!([{ "bearer": [] }])
    } else {
        json!([])
    };
    let mut operation = json!({
        "operationId": operation_id(route.method.as_str(), route.path),
        "tags": [group.function],
        "parameters": parameters,
        "security": security,
        "x-roles": route.roles.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
    });
    if let Some(request) = &route.request {
        operation["requestBody"] = json!({
            "required": request.required,
            "content": { "application/json": { "schema": request.schema.reference() } },
        });
    }
    operation["responses"] = responses;
    operation
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// `get_v2_customer_vault_customerRef`: the method and the path's words, unique per route.
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<&str> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    format!("{}_{}", method.to_lowercase(), words.join("_"))
}

fn components() -> Value {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    let schema_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let response = |schema: Value, description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": schema } },
        })
    };
    json!({
        "securitySchemes": {
            "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
        },
        "schemas": {
            "ErrorCode": { "type": "string", "enum": codes },
            "ErrorA": {
                "type": "object",
                "required": ["timestamp", "correlationId", "errors"],
                "properties": {
                    "timestamp": { "type": "integer", "description": "epoch milliseconds" },
                    "correlationId": { "type": "string" },
                    "errors": { "type": "array", "items": {
                        "type": "object",
                        "required": ["errorCode", "message", "messageTemplate", "metadata"],
                        "properties": {
                            "errorCode": { "$ref": "#/components/schemas/ErrorCode" },
                            "message": { "type": "string" },
                            "messageTemplate": { "type": "string" },
                            "metadata": { "type": "object" },
                        },
                    } },
                },
            },
            "ErrorB": {
                "type": "object",
                "required": ["title", "detail", "timestamp", "correlationId", "status", "traceId", "errors"],
                "properties": {
                    "title": { "type": "string" },
                    "detail": { "type": "string" },
                    "timestamp": { "type": "string", "format": "date-time" },
                    "correlationId": { "type": "string" },
                    "status": { "type": "integer" },
                    "traceId": { "type": "string" },
                    "errors": { "type": "array", "items": {
                        "type": "object",
                        "required": ["title", "detail", "metadata"],
                        "properties": {
                            "title": { "$ref": "#/components/schemas/ErrorCode" },
                            "detail": { "type": "string" },
                            "metadata": {
                                "type": "object",
                                "properties": {
                                    "PropertyName": { "type": ["string", "null"] },
                                    "AttemptedValue": { "type": "string" },
                                    "ErrorMessage": { "type": "string" },
                                },
                            },
                        },
                    } },
                },
            },
            "ErrorC": {
                "type": "object",
                "required": ["status", "title", "detail", "instance", "trace"],
                "properties": {
                    "status": { "type": "integer" },
                    "title": { "type": "string" },
                    "detail": { "type": "string" },
                    "instance": { "type": "string" },
                    "trace": {
                        "type": "object",
                        "required": ["timestamp", "requestId"],
                        "properties": {
                            "timestamp": { "type": "string", "format": "date-time" },
                            "requestId": { "type": "string" },
                        },
                    },
                },
            },
        },
        "responses": {
            "ErrorA": response(schema_ref("ErrorA"), "An error in format A (docs/api.md §2)."),
            "ErrorB": response(schema_ref("ErrorB"), "An error in format B (docs/api.md §2)."),
            "ErrorC": response(schema_ref("ErrorC"), "A refusal in format C (docs/api.md §2)."),
            "NotFoundA": response(
                json!({ "oneOf": [schema_ref("ErrorA"), schema_ref("ErrorC")] }),
                "Not found: what the path names, in format A, or no route, in format C.",
            ),
            "NotFoundB": response(
                json!({ "oneOf": [schema_ref("ErrorB"), schema_ref("ErrorC")] }),
                "Not found: what the path names, in format B, or no route, in format C.",
            ),
        },
    })
}

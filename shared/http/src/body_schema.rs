//! What a route reads and answers, for the OpenAPI document: the schemas of its body types
//! (`Api::takes`, `Api::answers`), kept with its route (`RouteSpec`).

use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

/// A body type's schema: `T::schema()` under `T::name()` among the components, with the
/// schemas it refers to.
#[derive(Clone, Copy)]
pub struct BodySchema {
    name: fn() -> String,
    schema: fn() -> RefOr<Schema>,
    referred: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl BodySchema {
    pub fn of<T: ToSchema>() -> BodySchema {
        BodySchema {
            name: || T::name().into_owned(),
            schema: T::schema,
            referred: T::schemas,
        }
    }

    pub(crate) fn reference(&self) -> Value {
        json!({ "$ref": format!("#/components/schemas/{}", (self.name)()) })
    }

    /// Adds this schema and those it refers to to `schemas`.
    pub(crate) fn register(&self, schemas: &mut Map<String, Value>) {
        let mut all = vec![((self.name)(), (self.schema)())];
        (self.referred)(&mut all);
        for (name, schema) in all {
            schemas
                .entry(name)
                .or_insert_with(|| serde_json::to_value(schema).unwrap_or(Value::Null));
        }
    }
}

impl std::fmt::Debug for BodySchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

/// The body a route reads: required, or optional (a request without one is valid).
#[derive(Debug, Clone, Copy)]
pub struct RequestBody {
    pub required: bool,
    pub schema: BodySchema,
}

/// One success answer of a route: its status, body (`None`: no body), and the routes it
/// leads to.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Option<BodySchema>,
    pub links: Vec<NextRoute>,
}

/// A route the answer leads to (an OpenAPI link): what it is reached with, each of its path
/// parameters a runtime expression such as `$response.body#/id` or `$request.path.customerRef`.
#[derive(Debug, Clone, Copy)]
pub struct NextRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
}

//! The OpenAPI document (issue 17): `docs/openapi.json` is exactly what the functions' route
//! tables generate, it names exactly the routes the template deploys, and each operation
//! documents its success. After changing a route or a body type, regenerate it with
//! `UPDATE_OPENAPI=1 cargo test -p api-tests --test api openapi`. Every exchange of the suites is
//! held to it as well (`test_support::conformance`).

use local_stack::template::{RouteKey, Template};
use payments_http::ApiGroup;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

pub(crate) fn generated() -> Value {
    let functions = crate::round_trips::http_functions();
    let groups: Vec<ApiGroup<'_>> = functions
        .iter()
        .map(|function| ApiGroup {
            function: function.name,
            format: function.format,
            routes: &function.routes,
        })
        .collect();
    payments_http::openapi_document(&groups)
}

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let text = serde_json::to_string_pretty(&generated()).unwrap_or_else(|e| panic!("{e}")) + "\n";
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/openapi.json is not what the route tables generate: run \
         `UPDATE_OPENAPI=1 cargo test -p api-tests --test api openapi` and commit it"
    );
}

#[test]
fn the_document_names_exactly_the_routes_the_template_deploys() {
    let template = Template::load(&local_stack::template_path()).unwrap_or_else(|e| panic!("{e}"));
    let deployed: BTreeSet<String> = template
        .functions
        .iter()
        .flat_map(|function| function.routes.iter())
        .filter(|route| matches!(route, RouteKey::Route { .. }) && !route.is_catch_all())
        .map(ToString::to_string)
        .collect();
    let document = generated();
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    assert_eq!(documented, deployed);
    let ids: BTreeSet<&str> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, operations)| operations.as_object().into_iter().flatten())
        .filter_map(|(_, operation)| operation["operationId"].as_str())
        .collect();
    assert_eq!(ids.len(), deployed.len(), "operation ids are unique");
}

/// A route added without `answers` would document no success: each names at least one.
#[test]
fn every_operation_documents_its_success() {
    let document = generated();
    let undocumented: Vec<String> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, operation)| {
                    !operation["responses"]
                        .as_object()
                        .is_some_and(|responses| responses.keys().any(|s| s.starts_with('2')))
                })
                .map(move |(method, _)| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "no success documented: {undocumented:?}"
    );
}

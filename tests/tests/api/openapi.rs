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
use test_support::conformance::operations;

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
    let documented: BTreeSet<String> = operations(&document)
        .into_iter()
        .map(|(path, method, _)| format!("{method} {path}"))
        .collect();
    assert_eq!(documented, deployed);
    let ids: BTreeSet<&str> = operations(&document)
        .into_iter()
        .filter_map(|(_, _, operation)| operation["operationId"].as_str())
        .collect();
    assert_eq!(ids.len(), deployed.len(), "operation ids are unique");
}

/// Each link names an operation of the document and fills exactly its path parameters.
#[test]
fn every_link_leads_to_an_operation_with_its_parameters() {
    let document = generated();
    let operations: Vec<(&Value, BTreeSet<&str>)> = operations(&document)
        .into_iter()
        .map(|(path, _, operation)| {
            let parameters = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            (operation, parameters)
        })
        .collect();
    let mut links = 0;
    for (operation, _) in &operations {
        let responses = operation["responses"].as_object().into_iter().flatten();
        for (_, response) in responses {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let target = operations
                    .iter()
                    .find(|(candidate, _)| candidate["operationId"] == link["operationId"]);
                let Some((_, expected)) = target else {
                    panic!("{}: link {name} to no operation", operation["operationId"]);
                };
                let filled: BTreeSet<&str> = link["parameters"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(parameter, _)| parameter.as_str())
                    .collect();
                assert_eq!(
                    &filled, expected,
                    "{}: link {name}",
                    operation["operationId"]
                );
                links += 1;
            }
        }
    }
    assert!(links >= 15, "only {links} links");
}

/// The examples (seed-shaped) are valid instances of their own schemas.
#[test]
fn every_example_matches_its_schema() {
    let document = generated();
    let mut checked = 0;
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if let Some(example) = schema.get("example") {
            let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
            test_support::conformance::assert_matches(
                &reference,
                example,
                &format!("{name}'s example"),
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} examples");
}

/// A route added without `answers` would document no success: each names at least one.
#[test]
fn every_operation_documents_its_success() {
    let document = generated();
    let undocumented: Vec<String> = operations(&document)
        .into_iter()
        .filter(|(_, _, operation)| {
            !operation["responses"]
                .as_object()
                .is_some_and(|responses| responses.keys().any(|s| s.starts_with('2')))
        })
        .map(|(path, method, _)| format!("{method} {path}"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "no success documented: {undocumented:?}"
    );
}

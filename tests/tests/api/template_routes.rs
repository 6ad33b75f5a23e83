//! The SAM template and the functions agree: each function's HttpApi events in
//! `infra/template.yaml` are exactly the routes its router serves, so nothing deployed is
//! unrouted and nothing routed is undeployed.

use local_stack::template::{RouteKey, Template};
use payments_http::RouteSpec;
use std::collections::BTreeSet;

fn template() -> Template {
    let path = local_stack::template_path();
    Template::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn template_routes(template: &Template, binary: &str) -> BTreeSet<String> {
    let function = template
        .functions
        .iter()
        .find(|f| f.binary == binary)
        .unwrap_or_else(|| panic!("the template has no function built from {binary}"));
    function
        .routes
        .iter()
        .filter(|route| **route != RouteKey::Default)
        .map(ToString::to_string)
        .collect()
}

fn router_routes(table: &[RouteSpec]) -> BTreeSet<String> {
    table
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn each_function_serves_exactly_its_template_routes() {
    let template = template();
    assert_eq!(
        template_routes(&template, "customer-vault"),
        router_routes(customer_vault::api().table())
    );
    assert_eq!(
        template_routes(&template, "customer-wallet"),
        router_routes(customer_wallet::api().table())
    );
    assert_eq!(
        template_routes(&template, "order-management"),
        router_routes(order_management::api().table())
    );
    assert_eq!(
        template_routes(&template, "mandates"),
        router_routes(mandates::api().table())
    );
    assert_eq!(
        template_routes(&template, "identity"),
        router_routes(identity::api().table())
    );
    assert_eq!(
        template_routes(&template, "notifications"),
        router_routes(notifications::api().table())
    );
}

#[test]
fn exactly_one_function_takes_unmatched_requests() {
    let template = template();
    let defaults: Vec<&str> = template
        .functions
        .iter()
        .filter(|f| f.routes.contains(&RouteKey::Default))
        .map(|f| f.binary.as_str())
        .collect();
    assert_eq!(defaults, vec!["customer-vault"]);
}

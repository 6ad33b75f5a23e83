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
        .filter(|route| **route != RouteKey::Default && !route.is_catch_all())
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

/// A method a group does not serve on a path it serves reaches the group's own function, whose
/// router answers 405 in the group's format, rather than the `$default` function (docs/decisions/0013).
#[test]
fn every_method_on_a_served_path_reaches_the_function_that_serves_it() {
    let template = template();
    let gateway =
        local_stack::routes::RouteTable::from_template(&template).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for function in &template.functions {
        for route in function.routes.iter().filter(|route| !route.is_catch_all()) {
            let RouteKey::Route { path, .. } = route else {
                continue;
            };
            let concrete: Vec<String> = path
                .split('/')
                .map(|segment| match segment.starts_with('{') {
                    true => "p-1".to_owned(),
                    false => segment.to_owned(),
                })
                .collect();
            let concrete = concrete.join("/");
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let selected = gateway
                    .select(method, &concrete)
                    .unwrap_or_else(|| panic!("{method} {concrete}: no route"));
                assert_eq!(
                    selected.function, function.binary,
                    "{method} {concrete} reaches {}, not the function that serves {path}",
                    selected.function
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked} requests checked");
}

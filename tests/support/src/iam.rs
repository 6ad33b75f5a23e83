//! IAM as AWS enforces it and moto does not: the permissions each function's template policy
//! grants ([`Policies`]), and the permission an SDK call needs ([`Permission`], recorded by the
//! round-trip interceptor), so a test can fail where a deployed function would be denied.
//!
//! Resources are named by the template's logical ids: `PaymentsTable`,
//! `PaymentsTable/index/WorkIndex`, `InstructionQueue`.

use std::collections::{BTreeMap, BTreeSet};
use yaml_serde::Value;

/// What one call needs: an action (`dynamodb:PutItem`) on a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Permission {
    pub action: String,
    pub resource: String,
}

/// The table of every item: every table a test uses stands for it, but for the keys'.
pub const TABLE: &str = "PaymentsTable";
/// The table of personal data keys (its name in the tests is its logical id).
pub const DATA_KEYS_TABLE: &str = "DataKeysTable";

/// One `Allow` statement: its actions on its resources.
#[derive(Debug, Clone, Default)]
struct Statement {
    actions: BTreeSet<String>,
    resources: BTreeSet<String>,
}

impl Statement {
    fn allows(&self, permission: &Permission) -> bool {
        let service_wide = permission
            .action
            .split_once(':')
            .map(|(service, _)| format!("{service}:*"));
        let action = self.actions.contains(&permission.action)
            || service_wide.is_some_and(|any| self.actions.contains(&any));
        action && (self.resources.contains(&permission.resource) || self.resources.contains("*"))
    }
}

/// Every function's policy, by the binary the template builds it as.
#[derive(Debug, Clone, Default)]
pub struct Policies(BTreeMap<String, Vec<Statement>>);

/// A resource as the template writes it, by logical id: `!GetAtt X.Arn` and `!Ref X` are `X`,
/// `!Sub "${X.Arn}/index/I"` is `X/index/I`; a plain string is itself.
fn resource_name(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Tagged(tagged) => {
            let text = tagged.value.as_str()?;
            let name = match tagged.tag.to_string().trim_start_matches('!') {
                "GetAtt" => text.trim_end_matches(".Arn").to_owned(),
                "Ref" => text.to_owned(),
                "Sub" => text.replace("${", "").replace(".Arn}", "").replace('}', ""),
                _ => return None,
            };
            Some(name)
        }
        _ => None,
    }
}

fn strings(value: Option<&Value>, each: impl Fn(&Value) -> Option<String>) -> BTreeSet<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(each).collect(),
        Some(one) => each(one).into_iter().collect(),
        None => BTreeSet::new(),
    }
}

impl Policies {
    /// The policies `infra/template.yaml` gives its functions.
    pub fn load() -> Policies {
        let path = local_stack::template_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let template: Value =
            yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut policies = BTreeMap::new();
        let resources = template.get("Resources").and_then(Value::as_mapping);
        for resource in resources.into_iter().flat_map(|r| r.values()) {
            let Some(binary) = resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let documents = resource
                .get("Properties")
                .and_then(|p| p.get("Policies"))
                .and_then(Value::as_sequence);
            let statements = documents
                .into_iter()
                .flatten()
                .filter_map(|document| document.get("Statement").and_then(Value::as_sequence))
                .flatten()
                .filter(|statement| {
                    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
                })
                .map(|statement| Statement {
                    actions: strings(statement.get("Action"), |v| v.as_str().map(str::to_owned)),
                    resources: strings(statement.get("Resource"), resource_name),
                })
                .collect();
            policies.insert(binary.to_owned(), statements);
        }
        Policies(policies)
    }

    pub fn functions(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }

    /// Whether `function`'s policy lets it make a call that needs `permission`.
    pub fn allows(&self, function: &str, permission: &Permission) -> bool {
        self.0
            .get(function)
            .is_some_and(|statements| statements.iter().any(|s| s.allows(permission)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permission(action: &str, resource: &str) -> Permission {
        Permission {
            action: action.into(),
            resource: resource.into(),
        }
    }

    #[test]
    fn the_template_policies_read_as_aws_applies_them() {
        let policies = Policies::load();
        assert!(policies.allows(
            "sweep",
            &permission("dynamodb:Query", "PaymentsTable/index/WorkIndex")
        ));
        assert!(
            !policies.allows("sweep", &permission("dynamodb:Query", TABLE)),
            "the index only"
        );
        assert!(policies.allows("sweep", &permission("sqs:SendMessage", "InstructionQueue")));
        assert!(!policies.allows(
            "customer-wallet",
            &permission("sqs:SendMessage", "InstructionQueue")
        ));
        assert!(!policies.allows("no-such-function", &permission("dynamodb:GetItem", TABLE)));
    }
}

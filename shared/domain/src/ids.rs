//! Identifiers that arrive as lowercase hyphenated UUIDs: tenant and account headers and the
//! ids the service generates (financial instruments, transactions, refunds, mandates, rewards).

use crate::error::{ErrorCode, Violation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Parses the only UUID spelling the API accepts: 36 characters, lowercase, hyphenated.
fn parse_canonical_uuid(input: &str) -> Option<Uuid> {
    let uuid = Uuid::try_parse(input).ok()?;
    (input.len() == 36 && uuid.hyphenated().to_string() == input).then_some(uuid)
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $property:literal, $invalid:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0.hyphenated())
            }
        }

        /// Read back only in the spelling the API accepts, like a path parameter.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                parse_canonical_uuid(&text).map($name).ok_or_else(|| {
                    serde::de::Error::custom(concat!("a stored ", stringify!($name), " that is not a lowercase hyphenated UUID"))
                })
            }
        }

        impl $name {
            pub fn parse(input: &str) -> Result<Self, Violation> {
                parse_canonical_uuid(input).map($name).ok_or_else(|| {
                    Violation::new(ErrorCode::$invalid).on_property($property, Some(input))
                })
            }

            pub fn new_random() -> Self {
                $name(Uuid::new_v4())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::text_form::string_schema(
                    Some(utoipa::openapi::SchemaFormat::Custom("uuid".to_owned())),
                    Some("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
                )
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

uuid_id!(
    /// The `x-account-id` header and the token's `account` claim.
    AccountId, "AccountId", ACCOUNT_ID_IS_INVALID
);
uuid_id!(
    /// The `x-tenant-id` header and the token's `tenant` claim.
    TenantId, "TenantId", TENANT_ID_IS_INVALID
);
uuid_id!(
    /// A financial instrument in a customer's vault.
    FinancialInstrumentId, "FinancialInstrumentId", FINANCIAL_INSTRUMENT_ID_IS_INVALID
);

uuid_id!(
    /// A transaction in a customer's vault: one execution of an instruction.
    TransactionId,
    "TransactionId",
    TRANSACTION_ID_IS_INVALID
);

uuid_id!(
    /// A refund of a transaction.
    RefundId,
    "RefundId",
    REFUND_ID_IS_INVALID
);

uuid_id!(
    /// A SEPA mandate.
    MandateId,
    "MandateId",
    MANDATE_ID_IS_INVALID
);

uuid_id!(
    /// A tenant's webhook endpoint.
    WebhookId,
    "WebhookId",
    WEBHOOK_ID_IS_INVALID
);
uuid_id!(
    /// A reward in a tenant's catalogue.
    RewardId,
    "RewardId",
    REWARD_ID_IS_INVALID
);

/// The tenant and account a request acts for. Every storage key starts with it, so no read
/// or write can reach another tenant's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    pub tenant: TenantId,
    pub account: AccountId,
}

/// The tenant and account a queue message acts for, as the message spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageScope {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
}

impl From<TenantScope> for MessageScope {
    fn from(scope: TenantScope) -> Self {
        MessageScope {
            tenant_id: scope.tenant,
            account_id: scope.account,
        }
    }
}

impl From<MessageScope> for TenantScope {
    fn from(scope: MessageScope) -> Self {
        TenantScope {
            tenant: scope.tenant_id,
            account: scope.account_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_hyphenated_uuids_are_accepted() {
        let cases = [
            ("1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c", true),
            ("00000000-0000-0000-0000-000000000000", true),
            ("1AA81E1E-B072-4E64-B1EC-FDCC54F2D08C", false),
            ("1aa81e1eb0724e64b1ecfdcc54f2d08c", false),
            ("{1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c}", false),
            ("urn:uuid:1aa81e1e-b072-4e64-b1ec-fdcc54f2d08c", false),
            ("1aa81e1e-b072-4e64-b1ec-fdcc54f2d08", false),
            ("1aa81e1e-b072-4e64-b1ec-fdcc54f2d08g", false),
            ("", false),
        ];
        for (input, valid) in cases {
            assert_eq!(AccountId::parse(input).is_ok(), valid, "{input}");
            assert_eq!(TenantId::parse(input).is_ok(), valid, "{input}");
        }
    }

    #[test]
    fn each_id_reports_its_own_code() {
        let error = FinancialInstrumentId::parse("x").err().map(|v| v.code);
        assert_eq!(error, Some(ErrorCode::FINANCIAL_INSTRUMENT_ID_IS_INVALID));
        assert_eq!(
            TenantId::parse("x").err().map(|v| v.code),
            Some(ErrorCode::TENANT_ID_IS_INVALID)
        );
    }
}

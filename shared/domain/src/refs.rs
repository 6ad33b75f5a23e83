//! Client-chosen references: 1–50 characters of `[a-zA-Z0-9-_.]`.

use crate::error::{ErrorCode, Violation};

pub const REF_MAX_LENGTH: usize = 50;

fn check_reference(
    input: &str,
    property: &'static str,
    invalid: ErrorCode,
    length: ErrorCode,
) -> Result<(), Violation> {
    if input.is_empty() || input.chars().count() > REF_MAX_LENGTH {
        return Err(Violation::new(length)
            .with("minLength", 1)
            .with("maxLength", REF_MAX_LENGTH)
            .on_property(property, Some(input)));
    }
    if !input
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Violation::new(invalid).on_property(property, Some(input)));
    }
    Ok(())
}

macro_rules! reference {
    ($(#[$doc:meta])* $name:ident, $property:literal, $invalid:ident, $length:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        $crate::text_form!($name);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, Violation> {
                check_reference(input, $property, ErrorCode::$invalid, ErrorCode::$length)?;
                Ok($name(input.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

reference!(
    /// The tenant's own identifier for an order.
    OrderRef,
    "OrderRef",
    ORDER_REF_IS_INVALID,
    ORDER_REF_LENGTH_OUT_OF_RANGE
);
reference!(
    /// The tenant's own identifier for an instruction, unique within its order.
    InstructionRef,
    "InstructionRef",
    INSTRUCTION_REF_IS_INVALID,
    INSTRUCTION_REF_LENGTH_OUT_OF_RANGE
);
reference!(
    /// The tenant's own identifier for a customer; names the customer's vault.
    CustomerRef, "CustomerRef", CUSTOMER_REF_IS_INVALID, CUSTOMER_REF_LENGTH_OUT_OF_RANGE
);

reference!(
    /// The tenant's own identifier for a SEPA creditor profile.
    CreditorProfileRef,
    "CreditorProfileRef",
    CREDITOR_PROFILE_REF_IS_INVALID,
    CREDITOR_PROFILE_REF_LENGTH_OUT_OF_RANGE
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_rules() {
        let fifty = "a".repeat(50);
        let fifty_one = "a".repeat(51);
        let cases: [(&str, Option<ErrorCode>); 10] = [
            ("customer1", None),
            ("A-b_c.9", None),
            (&fifty, None),
            ("", Some(ErrorCode::CUSTOMER_REF_LENGTH_OUT_OF_RANGE)),
            (
                &fifty_one,
                Some(ErrorCode::CUSTOMER_REF_LENGTH_OUT_OF_RANGE),
            ),
            ("has space", Some(ErrorCode::CUSTOMER_REF_IS_INVALID)),
            ("slash/y", Some(ErrorCode::CUSTOMER_REF_IS_INVALID)),
            ("hash#y", Some(ErrorCode::CUSTOMER_REF_IS_INVALID)),
            ("ünïcode", Some(ErrorCode::CUSTOMER_REF_IS_INVALID)),
            ("percent%20", Some(ErrorCode::CUSTOMER_REF_IS_INVALID)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                CustomerRef::parse(input).err().map(|v| v.code),
                expected,
                "{input}"
            );
        }
    }
}

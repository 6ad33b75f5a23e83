//! Every error code the service answers with, and its message template. This list is the one place
//! codes are defined; docs/error-codes.md is generated from it (a test fails when the two
//! differ and says how to write the file again).

macro_rules! error_codes {
    ($($code:ident => $template:literal,)*) => {
        /// A published error code. The variant name is the code as clients see it.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($code,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$code => stringify!($code),)* }
            }

            /// Message template; `{name}` placeholders are filled from the error's metadata.
            pub fn template(self) -> &'static str {
                match self { $(ErrorCode::$code => $template,)* }
            }
        }
    };
}

error_codes! {
    ACCOUNT_ID_IS_REQUIRED => "AccountId is required.",
    ACCOUNT_ID_IS_INVALID => "AccountId is invalid. It must be a lowercase hyphenated UUID.",
    TENANT_ID_IS_REQUIRED => "TenantId is required.",
    TENANT_ID_IS_INVALID => "TenantId is invalid. It must be a lowercase hyphenated UUID.",
    ORDER_REF_IS_REQUIRED => "OrderRef is required.",
    ORDER_REF_IS_INVALID => "OrderRef contains invalid characters. It must contain only alphanumeric characters or [-_.].",
    ORDER_REF_LENGTH_OUT_OF_RANGE => "OrderRef length out of range. It must be between {minLength} and {maxLength} characters.",
    INSTRUCTION_REF_IS_REQUIRED => "InstructionRef is required.",
    INSTRUCTION_REF_IS_INVALID => "InstructionRef contains invalid characters. It must contain only alphanumeric characters or [-_.].",
    INSTRUCTION_REF_LENGTH_OUT_OF_RANGE => "InstructionRef length out of range. It must be between {minLength} and {maxLength} characters.",
    CUSTOMER_REF_IS_REQUIRED => "CustomerRef is required.",
    CUSTOMER_REF_IS_INVALID => "CustomerRef contains invalid characters. It must contain only alphanumeric characters or [-_.].",
    CUSTOMER_REF_LENGTH_OUT_OF_RANGE => "CustomerRef length out of range. It must be between {minLength} and {maxLength} characters.",
    DIRECTION_IS_REQUIRED => "Direction is required.",
    DIRECTION_IS_INVALID => "Direction is invalid. It must be Debit or Credit.",
    AMOUNT_IS_REQUIRED => "Amount is required.",
    AMOUNT_OUT_OF_RANGE => "Amount out of range. It must be greater than zero.",
    AMOUNT_IS_INVALID => "Amount is invalid.",
    CURRENCY_IS_REQUIRED => "Currency is required.",
    CURRENCY_LENGTH_OUT_OF_RANGE => "Currency length out of range. It must be in ISO 4217 currency code.",
    CURRENCY_IS_INVALID => "Currency is invalid. It must be an active ISO 4217 currency code.",
    COUNTRY_IS_REQUIRED => "Country is required.",
    COUNTRY_LENGTH_OUT_OF_RANGE => "Country length out of range. It must be an ISO 3166 Alpha-2 code.",
    COUNTRY_IS_INVALID => "Country is invalid. It must be an assigned ISO 3166-1 alpha-2 code.",
    SETTLED_BY_DATE_IS_REQUIRED => "SettledByDate is required.",
    SETTLED_BY_DATE_IS_INVALID => "SettledByDate is invalid. It must be in the format YYYY-MM-DD.",
    SCHEME_ID_IS_INVALID => "SchemeId is invalid. It must be 1 to 64 letters, digits or hyphens.",
    INSTRUCTIONS_IS_INVALID => "Instructions is invalid. It must be an array of instructions.",
    INSTRUCTIONS_COUNT_OUT_OF_RANGE => "Instructions out of range. An order may be created with at most {maxCount} instructions.",
    FINANCIAL_INSTRUMENT_ID_IS_INVALID => "FinancialInstrumentId is invalid. It must be a lowercase hyphenated UUID.",
    REFUND_ID_IS_INVALID => "RefundId is invalid. It must be a lowercase hyphenated UUID.",
    TRANSACTION_ID_IS_INVALID => "TransactionId is invalid. It must be a lowercase hyphenated UUID.",
    BODY_IS_REQUIRED => "A request body is required.",
    PATH_PARAMETER_IS_INVALID => "A path parameter is invalid. It must be valid UTF-8.",
    BODY_IS_INVALID => "The request body is invalid. It must be a well-formed JSON object.",
    METADATA_IS_INVALID => "Metadata is invalid. It must be an object whose values are strings.",
    METADATA_KEY_COUNT_OUT_OF_RANGE => "Metadata has too many keys. It must have at most {maxCount} keys.",
    METADATA_KEY_SIZE_OUT_OF_RANGE => "Metadata key {key} length out of range. It must be between {minLength} and {maxLength} characters.",
    METADATA_VALUE_SIZE_OUT_OF_RANGE => "Metadata value of key {key} exceeds the maximum length {maxLength}.",
    METADATA_VALUE_IS_INVALID => "Metadata value of key {key} is invalid. It must be a string.",
    NAME_IS_INVALID => "Name is invalid. It must be a string without control characters.",
    NAME_LENGTH_OUT_OF_RANGE => "Name length out of range. It must be between {minLength} and {maxLength} characters.",
    IBAN_IS_REQUIRED => "Iban is required.",
    IBAN_IS_INVALID => "Iban is invalid. It must be an ISO 13616 IBAN of letters and digits with valid check digits.",
    IBAN_COUNTRY_IS_INVALID => "Iban country is invalid. It must be a country that issues IBANs.",
    IBAN_LENGTH_OUT_OF_RANGE => "Iban length out of range. It must be {length} characters for its country.",
    BIC_IS_INVALID => "Bic is invalid. It must be 4 letters, an ISO 3166 country code and a 2 or 5 character location and branch code.",
    BIC_LENGTH_OUT_OF_RANGE => "Bic length out of range. It must be 8 or 11 characters.",
    BIC_COUNTRY_MISMATCH => "Bic country {bicCountry} does not match the Iban country {ibanCountry}.",
    ACCOUNT_HOLDER_NAME_IS_REQUIRED => "AccountHolderName is required.",
    ACCOUNT_HOLDER_NAME_IS_INVALID => "AccountHolderName is invalid. It must be uppercase with only [A-Z0-9.&/] and whitespace characters.",
    ACCOUNT_HOLDER_NAME_LENGTH_OUT_OF_RANGE => "AccountHolderName length out of range. It must be between {minLength} and {maxLength} characters.",
    ACCOUNT_NUMBER_IS_REQUIRED => "AccountNumber is required.",
    ACCOUNT_NUMBER_IS_INVALID => "AccountNumber is invalid. It must be 8 digits.",
    SORT_CODE_IS_REQUIRED => "SortCode is required.",
    SORT_CODE_IS_INVALID => "SortCode is invalid. It must be 6 digits.",
    REASON_IS_INVALID => "Reason is invalid. It must be a string.",
    REASON_LENGTH_OUT_OF_RANGE => "Reason exceeds the maximum length {MaxLength}.",
    CUSTOMER_FORGOTTEN => "Customer {customerRef} has been forgotten.",
    FINANCIAL_INSTRUMENT_NOT_FOUND => "Financial instrument {financialInstrumentId} does not exist.",
    REFUND_NOT_FOUND => "Refund {refundId} does not exist.",
    TRANSACTION_NOT_REFUNDABLE => "Transaction {transactionId} cannot be refunded: it did not succeed.",
    REFUND_AMOUNT_EXCEEDS_REFUNDABLE => "The refund exceeds what is left to refund ({refundable}).",
    TRANSACTION_NOT_FOUND => "Transaction {transactionId} does not exist.",
    FINANCIAL_INSTRUMENT_INACTIVE => "Financial instrument {financialInstrumentId} is inactive.",
    ORDER_NOT_FOUND => "Order {orderRef} does not exist.",
    ORDER_ALREADY_EXISTS => "Order {orderRef} already exists.",
    INSTRUCTION_NOT_FOUND => "Instruction {instructionRef} does not exist.",
    INSTRUCTION_ALREADY_EXISTS => "Instruction {instructionRef} already exists.",
    INSTRUCTION_CANCELLED => "Instruction {instructionRef} is cancelled.",
    INSTRUCTION_PROCESSING => "Instruction {instructionRef} is processing.",
    INSTRUCTION_COMPLETED => "Instruction {instructionRef} is completed.",
    INSTRUCTION_FAILED => "Instruction {instructionRef} has failed.",
    FINANCIAL_INSTRUMENT_DIRECTION_UNSUPPORTED => "Financial instrument {financialInstrumentId} cannot be used for {direction} instructions.",
    SCHEME_ID_NOT_RECOGNISED => "SchemeId {schemeId} not recognised.",
    SCHEME_CURRENCY_NOT_SUPPORTED => "Scheme {schemeId} does not accept currency {currency}.",
    SCHEME_COUNTRY_NOT_SUPPORTED => "Scheme {schemeId} does not accept country {country}.",
    FINANCIAL_INSTRUMENT_CURRENCY_UNSUPPORTED => "Financial instrument {financialInstrumentId} cannot be used for {currency} instructions.",
    REQUIRED_ATTRIBUTE => "The attribute {PropertyName} is required",
    ATTRIBUTE_IS_INVALID => "The attribute {PropertyName} is invalid. It must be a string without control characters.",
    ATTRIBUTE_LENGTH_OUT_OF_RANGE => "The attribute {PropertyName} length out of range. It must be between {minLength} and {maxLength} characters.",
    CREDITOR_PROFILE_REF_IS_INVALID => "CreditorProfileRef contains invalid characters. It must contain only alphanumeric characters or [-_.].",
    CREDITOR_PROFILE_REF_LENGTH_OUT_OF_RANGE => "CreditorProfileRef length out of range. It must be between {minLength} and {maxLength} characters.",
    IDENTIFIER_IS_INVALID => "Identifier is invalid. It must be a SEPA Creditor Identifier: a country code, 2 check digits, a 3 character business code and a national identifier of 1 to 28 letters or digits.",
    IDENTIFIER_COUNTRY_NOT_SEPA => "Identifier country {country} is not in the SEPA scheme.",
    IDENTIFIER_CHECK_DIGITS_ARE_INVALID => "Identifier check digits are wrong. They must pass the ISO 7064 mod 97-10 check.",
    IBAN_COUNTRY_NOT_SEPA => "Iban country {country} is not in the SEPA scheme.",
    EMAIL_IS_INVALID => "Email is invalid. It must be an address like name@example.com of at most 254 characters.",
    LANGUAGE_IS_INVALID => "Language is invalid. It must be an ISO 639-1 code of two lowercase letters.",
    MANDATE_ID_IS_INVALID => "MandateId is invalid. It must be a lowercase hyphenated UUID.",
    CREDITOR_PROFILE_NOT_FOUND => "Creditor profile {creditorProfileRef} does not exist.",
    CREDITOR_PROFILE_ALREADY_EXISTS => "Creditor profile {creditorProfileRef} already exists.",
    MANDATE_NOT_FOUND => "Mandate {mandateId} does not exist.",
    MANDATE_NOT_DRAFT => "Mandate {mandateId} is {status}: only a draft can be updated.",
    MANDATE_NOT_ACTIVE => "Mandate {mandateId} is {status}: only an active mandate can be amended.",
    FROM_IS_INVALID => "From is invalid. It must be a whole number of rows, 0 or more.",
    TAKE_OUT_OF_RANGE => "Take out of range. It must be a whole number between {min} and {max}.",
    REWARD_ID_IS_REQUIRED => "RewardId is required.",
    REWARD_ID_IS_INVALID => "RewardId is invalid. It must be a lowercase hyphenated UUID.",
    REWARD_ID_NOT_RECOGNISED => "RewardId {rewardId} not recognised.",
    REWARD_CURRENCY_NOT_SUPPORTED => "Reward {rewardId} cannot be issued in {currency}.",
    REWARD_NOT_AUTHORIZED => "Instruction {instructionRef} has no authorized reward.",
    REWARD_DIRECTION_UNSUPPORTED => "Instruction {instructionRef} is not a payout: only a Credit instruction can be paid as a reward.",
    TRANSACTION_ALREADY_EXISTS => "Instruction {instructionRef} already has a transaction.",
    EVENT_TYPE_IS_REQUIRED => "Type is required.",
    EVENT_TYPE_NOT_RECOGNISED => "Event type {type} not recognised.",
    OCCURRED_AT_IS_INVALID => "OccurredAt is invalid. It must be an ISO-8601 date and time with an offset.",
    APP_TRANSACTION_ID_IS_REQUIRED => "AppTransactionId is required.",
    APP_TRANSACTION_ID_IS_INVALID => "AppTransactionId is invalid. It must be a string of 1 to 200 characters.",
    APP_REFUND_ID_IS_REQUIRED => "AppRefundId is required.",
    APP_REFUND_ID_IS_INVALID => "AppRefundId is invalid. It must be the refundId: a lowercase hyphenated UUID.",
    CHARGEBACK_ID_IS_REQUIRED => "ChargebackId is required.",
    CHARGEBACK_ID_IS_INVALID => "ChargebackId is invalid. It must be a string of 1 to 200 characters.",
    WEBHOOK_ID_IS_INVALID => "WebhookId is invalid. It must be a lowercase hyphenated UUID.",
    WEBHOOK_NOT_FOUND => "Webhook {webhookId} does not exist.",
    DELIVERY_NOT_FOUND => "Delivery {deliveryId} does not exist.",
    IDEMPOTENCY_KEY_IS_INVALID => "Idempotency-Key is invalid. It must be 1 to 255 printable ASCII characters.",
    IDEMPOTENCY_KEY_REUSED => "Idempotency-Key was already used with another request.",
    IDEMPOTENCY_KEY_IN_USE => "A request with this Idempotency-Key is still being processed. Try again shortly.",
    IDEMPOTENCY_KEY_ANSWER_ERASED => "The request with this Idempotency-Key was done, but its answer held personal data that has since been erased: it cannot be given again. Read the resource instead.",
    URL_IS_REQUIRED => "Url is required.",
    URL_IS_INVALID => "Url is invalid. It must be an absolute http or https URL of at most {maxLength} characters, without user information.",
    WEBHOOK_URL_NOT_ALLOWED => "Url is not allowed. It must be https to a public address; http only to a loopback address where the deployment allows it.",
    EVENTS_IS_REQUIRED => "Events is required. It must be a non-empty list of event types, or [\"*\"].",
    DESCRIPTION_IS_INVALID => "Description is invalid. It must be a string without control characters.",
    DESCRIPTION_LENGTH_OUT_OF_RANGE => "Description length out of range. It must be between {minLength} and {maxLength} characters.",
    STATUS_IS_INVALID => "Status is invalid. It must be ENABLED or DISABLED.",
    INTERNAL_ERROR => "An unexpected error occurred.",
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/error-codes.md: every code and its message template, as a Markdown table.
    pub fn markdown_table() -> String {
        let mut text = String::from(
            "# Error codes\n\n\
             Generated from `shared/domain/src/error/codes.rs` by the test `error::codes::tests::\
             the_documented_codes_are_the_codes`; do not edit by hand. `{name}` placeholders are filled \
             from the error's `metadata` (docs/api.md §2).\n\n\
             | Code | Message template |\n|---|---|\n",
        );
        for code in ErrorCode::ALL {
            text.push_str(&format!(
                "| `{}` | {} |\n",
                code.as_str(),
                code.template().replace('|', "\\|")
            ));
        }
        text
    }

    /// The test runs in the crate's directory; `BLESS=1` writes the file instead of comparing.
    #[test]
    fn the_documented_codes_are_the_codes() {
        let path = std::path::Path::new("../../docs/error-codes.md");
        let expected = markdown_table();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(path, &expected).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
        }
        let documented = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            documented == expected,
            "docs/error-codes.md is not the list in codes.rs: run \
             `BLESS=1 cargo test -p payments-domain the_documented_codes` and commit the file"
        );
    }
}

//! Turning vault and wallet request bodies into domain values, every problem reported.

use super::AccountDetails;
use crate::bank::{
    bic_matches_iban, AccountHolderName, Bic, BicError, Iban, IbanError, SortCode, UkAccountNumber,
    UkBankError,
};
use crate::error::{ErrorCode, Violation, Violations};
use crate::http::{Field, JsonBody};
use crate::metadata::Metadata;

/// Longest wallet change reason (seed 002).
pub const WALLET_REASON_MAX_LENGTH: usize = 100;
/// Longest close reason: the API's other free-text reasons allow 256.
pub const CLOSE_REASON_MAX_LENGTH: usize = 256;
/// Longest international account holder name (the SWIFT name field).
pub const HOLDER_NAME_MAX_LENGTH: usize = 140;

const NAME: Field = Field {
    name: "name",
    property: "Name",
    required: ErrorCode::NAME_IS_INVALID,
    invalid: ErrorCode::NAME_IS_INVALID,
};
const IBAN: Field = Field {
    name: "iban",
    property: "Iban",
    required: ErrorCode::IBAN_IS_REQUIRED,
    invalid: ErrorCode::IBAN_IS_INVALID,
};
const BIC: Field = Field {
    name: "bic",
    property: "Bic",
    required: ErrorCode::BIC_IS_INVALID,
    invalid: ErrorCode::BIC_IS_INVALID,
};
const ACCOUNT_HOLDER_NAME: Field = Field {
    name: "accountHolderName",
    property: "AccountHolderName",
    required: ErrorCode::ACCOUNT_HOLDER_NAME_IS_REQUIRED,
    invalid: ErrorCode::ACCOUNT_HOLDER_NAME_IS_INVALID,
};
const ACCOUNT_NUMBER: Field = Field {
    name: "accountNumber",
    property: "AccountNumber",
    required: ErrorCode::ACCOUNT_NUMBER_IS_REQUIRED,
    invalid: ErrorCode::ACCOUNT_NUMBER_IS_INVALID,
};
const SORT_CODE: Field = Field {
    name: "sortCode",
    property: "SortCode",
    required: ErrorCode::SORT_CODE_IS_REQUIRED,
    invalid: ErrorCode::SORT_CODE_IS_INVALID,
};

/// The violation for an IBAN that does not parse, on the named property.
pub(crate) fn iban_violation(error: IbanError, property: &'static str) -> Violation {
    let violation = match error {
        IbanError::Empty => Violation::new(ErrorCode::IBAN_IS_REQUIRED),
        IbanError::InvalidCharacters | IbanError::Checksum => {
            Violation::new(ErrorCode::IBAN_IS_INVALID)
        }
        IbanError::UnknownCountry => Violation::new(ErrorCode::IBAN_COUNTRY_IS_INVALID),
        IbanError::WrongLength { expected } => {
            Violation::new(ErrorCode::IBAN_LENGTH_OUT_OF_RANGE).with("length", expected)
        }
    };
    violation.on_property(property, None)
}

/// The violation for a BIC that does not parse, on the named property.
pub(crate) fn bic_violation(error: BicError, property: &'static str) -> Violation {
    let code = match error {
        BicError::Empty | BicError::WrongLength => ErrorCode::BIC_LENGTH_OUT_OF_RANGE,
        BicError::InvalidFormat | BicError::UnknownCountry => ErrorCode::BIC_IS_INVALID,
    };
    Violation::new(code).on_property(property, None)
}

/// BIC_COUNTRY_MISMATCH when both are known and name different countries.
pub(crate) fn bic_mismatch(bic: &Bic, iban: &Iban, property: &'static str) -> Option<Violation> {
    (!bic_matches_iban(bic, iban)).then(|| {
        Violation::new(ErrorCode::BIC_COUNTRY_MISMATCH)
            .with("bicCountry", bic.country())
            .with("ibanCountry", iban.country())
            .on_property(property, None)
    })
}

fn holder_name(text: &str) -> Result<String, Violation> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > HOLDER_NAME_MAX_LENGTH {
        return Err(Violation::new(ErrorCode::NAME_LENGTH_OUT_OF_RANGE)
            .with("minLength", 1)
            .with("maxLength", HOLDER_NAME_MAX_LENGTH)
            .on_property(NAME.property, None));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Violation::new(ErrorCode::NAME_IS_INVALID).on_property(NAME.property, None));
    }
    Ok(trimmed.to_owned())
}

/// POST international-bank-account: `{name?, iban, bic?}`.
pub fn parse_iban_account(body: JsonBody) -> Result<AccountDetails, Vec<Violation>> {
    let object = body.required_object()?;
    let mut found = Violations::new();
    let name = found.check(
        object
            .text(&NAME)
            .and_then(|name| name.map(holder_name).transpose()),
    );
    let iban = found.check(
        object
            .required_text(&IBAN)
            .and_then(|text| Iban::parse(text).map_err(|e| iban_violation(e, IBAN.property))),
    );
    let bic = found.check(object.text(&BIC).and_then(|text| {
        text.map(|t| Bic::parse(t).map_err(|e| bic_violation(e, BIC.property)))
            .transpose()
    }));
    if let (Some(iban), Some(Some(bic))) = (&iban, &bic) {
        if let Some(mismatch) = bic_mismatch(bic, iban, BIC.property) {
            found.push(mismatch);
        }
    }
    let details = name
        .zip(iban)
        .zip(bic)
        .map(|((name, iban), bic)| AccountDetails::Iban {
            holder_name: name,
            iban: iban.as_str().to_owned(),
            bic: bic.map(|b| b.as_str().to_owned()),
        });
    found.collect(details)
}

fn uk_violation(
    field: &Field,
    length_code: Option<ErrorCode>,
) -> impl Fn(UkBankError) -> Violation + '_ {
    move |error| match (error, length_code) {
        (UkBankError::WrongLength { min, max }, Some(code)) => Violation::new(code)
            .with("minLength", min)
            .with("maxLength", max)
            .on_property(field.property, None),
        _ => Violation::new(field.invalid).on_property(field.property, None),
    }
}

/// POST uk-bank-account: `{accountHolderName, accountNumber, sortCode}`.
pub fn parse_uk_account(body: JsonBody) -> Result<AccountDetails, Vec<Violation>> {
    let object = body.required_object()?;
    let mut found = Violations::new();
    let holder = found.check(object.required_text(&ACCOUNT_HOLDER_NAME).and_then(|text| {
        AccountHolderName::parse(text).map_err(uk_violation(
            &ACCOUNT_HOLDER_NAME,
            Some(ErrorCode::ACCOUNT_HOLDER_NAME_LENGTH_OUT_OF_RANGE),
        ))
    }));
    let number = found.check(object.required_text(&ACCOUNT_NUMBER).and_then(|text| {
        UkAccountNumber::parse(text).map_err(uk_violation(&ACCOUNT_NUMBER, None))
    }));
    let sort_code = found.check(
        object
            .required_text(&SORT_CODE)
            .and_then(|text| SortCode::parse(text).map_err(uk_violation(&SORT_CODE, None))),
    );
    let details = holder
        .zip(number)
        .zip(sort_code)
        .map(|((holder, number), sort_code)| AccountDetails::Uk {
            holder_name: holder.as_str().to_owned(),
            account_number: number.as_str().to_owned(),
            sort_code: sort_code.as_str().to_owned(),
        });
    found.collect(details)
}

/// PUT customer: `{metadata}`; absent or null metadata clears it.
pub fn parse_metadata_update(body: JsonBody) -> Result<Metadata, Vec<Violation>> {
    let object = body.required_object()?;
    match object.value("metadata") {
        None => Ok(Metadata::default()),
        Some(value) => Metadata::from_json(value),
    }
}

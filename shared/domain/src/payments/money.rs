//! Exact amounts. A request's amount is read from the JSON number's own text (serde_json keeps
//! it: `arbitrary_precision` is on), checked against its currency's ISO 4217 minor unit, and
//! held and stored as an integer count of minor units — never a float.

use crate::currency::Currency;
use crate::error::{ErrorCode, Violation};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};
use std::str::FromStr;

/// Most integer digits an amount may have.
pub const MAX_INTEGER_DIGITS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Not a JSON number.
    NotANumber,
    /// Zero or negative.
    NotPositive,
    /// More than `MAX_INTEGER_DIGITS` integer digits.
    TooLarge,
    /// More decimal places than the currency's minor unit allows.
    TooManyDecimals { allowed: u32 },
    /// More decimal places than any amount can hold exactly (28): refused, never rounded.
    TooPrecise,
}

impl AmountError {
    /// The error a request gets; `currency` names the minor unit a decimal-places error meant.
    pub fn violation(self, currency: Option<Currency>) -> Violation {
        let invalid = Violation::new(ErrorCode::AMOUNT_IS_INVALID);
        let found = match self {
            AmountError::NotPositive => Violation::new(ErrorCode::AMOUNT_OUT_OF_RANGE),
            AmountError::NotANumber => invalid,
            AmountError::TooLarge => invalid.with("maxIntegerDigits", MAX_INTEGER_DIGITS),
            AmountError::TooManyDecimals { allowed } => invalid
                .with("maxDecimalPlaces", allowed)
                .with("currency", currency.map(|c| c.code()).unwrap_or_default()),
            AmountError::TooPrecise => match currency {
                Some(currency) => {
                    let allowed = u32::from(currency.minor_units());
                    return AmountError::TooManyDecimals { allowed }.violation(Some(currency));
                }
                None => invalid,
            },
        };
        found.on_property("Amount", None)
    }
}

/// A positive amount of at most 12 integer digits, not yet tied to a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(Decimal);

impl Amount {
    /// Reads a JSON value that must be a number, exactly as written.
    pub fn from_json(value: &Value) -> Result<Amount, AmountError> {
        let Value::Number(number) = value else {
            return Err(AmountError::NotANumber);
        };
        let decimal = exact_decimal(&number.to_string())?.normalize();
        if decimal <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        if decimal.trunc() >= Decimal::from(10_i64.pow(MAX_INTEGER_DIGITS)) {
            return Err(AmountError::TooLarge);
        }
        Ok(Amount(decimal))
    }

    /// The amount as an exact JSON number.
    pub fn to_json(&self) -> Value {
        decimal_json(self.0.normalize())
    }

    /// The amount in `currency`, refused when it has more decimals than the currency allows.
    pub fn in_currency(self, currency: Currency) -> Result<Money, AmountError> {
        let allowed = u32::from(currency.minor_units());
        if self.0.scale() > allowed {
            return Err(AmountError::TooManyDecimals { allowed });
        }
        let minor = self.0 * Decimal::from(10_i64.pow(allowed));
        let minor = i64::try_from(minor.trunc()).map_err(|_| AmountError::TooLarge)?;
        Ok(Money { minor, currency })
    }
}

/// The decimal a JSON number's text writes, exactly: `Decimal::from_str` would round a 29th
/// decimal place away, and an amount must be refused rather than changed.
fn exact_decimal(text: &str) -> Result<Decimal, AmountError> {
    // Beyond 28 decimals, or an integer part beyond what 96 bits hold.
    let unrepresentable = |e: rust_decimal::Error| match e {
        rust_decimal::Error::Underflow | rust_decimal::Error::ScaleExceedsMaximumPrecision(_) => {
            AmountError::TooPrecise
        }
        _ => AmountError::TooLarge,
    };
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return Decimal::from_str_exact(text).map_err(unrepresentable);
    };
    let mantissa = Decimal::from_str_exact(mantissa).map_err(unrepresentable)?;
    let exponent: i64 = exponent.parse().map_err(|_| AmountError::NotANumber)?;
    if exponent >= 0 {
        // 10^29 is beyond any amount: no need to multiply further.
        let power = u32::try_from(exponent).map_err(|_| AmountError::TooLarge)?;
        if power > 28 {
            return Err(AmountError::TooLarge);
        }
        return mantissa
            .checked_mul(Decimal::from_i128_with_scale(10_i128.pow(power), 0))
            .ok_or(AmountError::TooLarge);
    }
    let scale = u32::try_from(exponent.unsigned_abs())
        .ok()
        .and_then(|extra| mantissa.scale().checked_add(extra))
        .filter(|scale| *scale <= 28)
        .ok_or(AmountError::TooPrecise)?;
    let mut decimal = mantissa;
    decimal
        .set_scale(scale)
        .map_err(|_| AmountError::TooPrecise)?;
    Ok(decimal)
}

/// An amount in a currency, as a whole number of the currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredMoney", into = "StoredMoney")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn minor_units(&self) -> i64 {
        self.minor
    }

    /// The same currency, `minor` units less.
    pub fn less(&self, minor: i64) -> Money {
        Money {
            minor: self.minor - minor,
            currency: self.currency,
        }
    }

    pub fn amount(&self) -> Amount {
        Amount(self.decimal().normalize())
    }

    pub fn decimal(&self) -> Decimal {
        Decimal::new(self.minor, u32::from(self.currency.minor_units()))
    }

    /// The amount as an exact JSON number (`50.01`, `10`), as the seeds show amounts.
    pub fn to_json(&self) -> Value {
        decimal_json(self.decimal().normalize())
    }
}

fn decimal_json(decimal: Decimal) -> Value {
    let text = decimal.to_string();
    Number::from_str(&text)
        .map(Value::Number)
        .unwrap_or(Value::String(text))
}

/// How money is stored: `{minor: N, currency: S}`.
#[derive(Serialize, Deserialize)]
struct StoredMoney {
    minor: i64,
    currency: String,
}

impl From<Money> for StoredMoney {
    fn from(money: Money) -> Self {
        StoredMoney {
            minor: money.minor,
            currency: money.currency.code().to_owned(),
        }
    }
}

impl TryFrom<StoredMoney> for Money {
    type Error = String;

    fn try_from(stored: StoredMoney) -> Result<Self, String> {
        let currency = Currency::parse(&stored.currency)
            .map_err(|_| format!("unknown stored currency {}", stored.currency))?;
        Ok(Money {
            minor: stored.minor,
            currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str, currency: &str) -> Result<Money, AmountError> {
        let value: Value = serde_json::from_str(text).map_err(|_| AmountError::NotANumber)?;
        let currency = Currency::parse(currency).map_err(|_| AmountError::NotANumber)?;
        Amount::from_json(&value)?.in_currency(currency)
    }

    #[test]
    fn amounts_respect_their_currency_minor_unit() {
        let cases: [(&str, &str, Result<i64, AmountError>); 17] = [
            ("20", "EUR", Ok(2000)),
            ("20.01", "EUR", Ok(2001)),
            ("20.10", "EUR", Ok(2010)),
            ("20.100", "EUR", Ok(2010)),
            (
                "20.011",
                "EUR",
                Err(AmountError::TooManyDecimals { allowed: 2 }),
            ),
            ("1000", "JPY", Ok(1000)),
            ("1000.0", "JPY", Ok(1000)),
            (
                "1000.5",
                "JPY",
                Err(AmountError::TooManyDecimals { allowed: 0 }),
            ),
            ("1.234", "BHD", Ok(1234)),
            (
                "1.2345",
                "BHD",
                Err(AmountError::TooManyDecimals { allowed: 3 }),
            ),
            ("0", "EUR", Err(AmountError::NotPositive)),
            ("-5", "EUR", Err(AmountError::NotPositive)),
            ("999999999999.99", "EUR", Ok(99_999_999_999_999)),
            ("1000000000000", "EUR", Err(AmountError::TooLarge)),
            ("1e3", "EUR", Ok(100_000)),
            ("\"10\"", "EUR", Err(AmountError::NotANumber)),
            (
                "0.1234567890123456789012345",
                "EUR",
                Err(AmountError::TooManyDecimals { allowed: 2 }),
            ),
        ];
        for (text, currency, expected) in cases {
            assert_eq!(
                parse(text, currency).map(|m| m.minor_units()),
                expected,
                "{text} {currency}"
            );
        }
    }

    #[test]
    fn amounts_are_exact_where_floats_are_not() {
        // 0.1 + 0.2 is not 0.3 in binary floating point; here it is.
        let a = parse("0.1", "EUR").unwrap();
        let b = parse("0.2", "EUR").unwrap();
        assert_eq!(
            a.minor_units() + b.minor_units(),
            parse("0.3", "EUR").unwrap().minor_units()
        );
        assert_eq!(
            parse("50.01", "CHF").unwrap().to_json().to_string(),
            "50.01"
        );
        assert_eq!(parse("10", "EUR").unwrap().to_json(), json!(10));
        assert_eq!(parse("12.30", "EUR").unwrap().to_json().to_string(), "12.3");
    }

    #[test]
    fn amounts_that_would_round_are_refused_not_rounded() {
        let too_precise = "10.00000000000000000000000000001";
        assert_eq!(parse(too_precise, "EUR"), Err(AmountError::TooPrecise));
        assert_eq!(
            AmountError::TooPrecise.violation(Currency::parse("EUR").ok()),
            AmountError::TooManyDecimals { allowed: 2 }.violation(Currency::parse("EUR").ok())
        );
        assert_eq!(parse("1e-29", "EUR"), Err(AmountError::TooPrecise));
        assert_eq!(
            parse("1.001e0", "EUR"),
            Err(AmountError::TooManyDecimals { allowed: 2 })
        );
        assert_eq!(parse("1.25e1", "EUR").map(|m| m.minor_units()), Ok(1250));
        assert_eq!(parse("125e-2", "EUR").map(|m| m.minor_units()), Ok(125));
        assert_eq!(parse("1E2", "JPY").map(|m| m.minor_units()), Ok(100));
        assert_eq!(parse("1e13", "EUR"), Err(AmountError::TooLarge));
        assert_eq!(parse("1e400", "EUR"), Err(AmountError::TooLarge));
        assert_eq!(
            parse("79228162514264337593543950336", "EUR"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn money_is_stored_as_minor_units_and_read_back() {
        let money = parse("50.01", "CHF").unwrap();
        let stored = serde_json::to_value(money).unwrap();
        assert_eq!(stored, json!({ "minor": 5001, "currency": "CHF" }));
        let back: Money = serde_json::from_value(stored).unwrap();
        assert_eq!(back, money);
        let unknown = json!({ "minor": 1, "currency": "XXX" });
        assert!(serde_json::from_value::<Money>(unknown).is_err());
    }
}

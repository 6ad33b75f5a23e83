//! The debtor of a SEPA mandate: who pays, from which IBAN. Every field is optional while the
//! mandate is a draft; [`Debtor::missing`] says what registration still needs. All of it but
//! the language and the country is personal data, each a `Secret`, erased by forget.

use super::required;
use crate::bank::{Bic, Iban};
use crate::country::Country;
use crate::error::Violation;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// The properties registration needs, as format B names them.
pub const FIRST_NAME_PROPERTY: &str = "Debtor.FirstName";
pub const LAST_NAME_PROPERTY: &str = "Debtor.LastName";
pub const ACCOUNT_HOLDER_NAME_PROPERTY: &str = "Debtor.AccountHolderName";
pub const IBAN_PROPERTY: &str = "Debtor.Iban";
pub const DEBTOR_PROPERTY: &str = "Debtor";
pub const ADDRESS_PROPERTY: &str = "Debtor.Address";
pub const COUNTRY_PROPERTY: &str = "Debtor.Address.Country";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DebtorAddress {
    #[schema(value_type = Option<String>)]
    pub house_number_or_name: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub street_address: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub extended_address: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub postcode: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub city: Option<Secret<String>>,
    pub country: Option<Country>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Debtor {
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub company_name: Option<Secret<String>>,
    #[schema(value_type = Option<String>)]
    pub email: Option<Secret<String>>,
    pub language: Option<String>,
    pub address: Option<DebtorAddress>,
    /// In a SEPA country.
    #[schema(value_type = Option<String>)]
    pub iban: Option<Secret<Iban>>,
    pub bic: Option<Bic>,
    /// In the SEPA character set.
    #[schema(value_type = Option<String>)]
    pub account_holder_name: Option<Secret<String>>,
}

impl Debtor {
    /// What registration needs and the debtor lacks: a person's first and last name (or a
    /// company name), the IBAN, the account holder's name and the address's country.
    pub fn missing(&self) -> Vec<Violation> {
        let mut missing = Vec::new();
        if self.company_name.is_none() {
            if self.first_name.is_none() {
                missing.push(required(FIRST_NAME_PROPERTY));
            }
            if self.last_name.is_none() {
                missing.push(required(LAST_NAME_PROPERTY));
            }
        }
        if self.iban.is_none() {
            missing.push(required(IBAN_PROPERTY));
        }
        if self.account_holder_name.is_none() {
            missing.push(required(ACCOUNT_HOLDER_NAME_PROPERTY));
        }
        match &self.address {
            None => missing.push(required(ADDRESS_PROPERTY)),
            Some(address) if address.country.is_none() => missing.push(required(COUNTRY_PROPERTY)),
            Some(_) => {}
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_registration_needs() {
        let names: Vec<_> = Debtor::default()
            .missing()
            .iter()
            .map(|v| v.property.unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            vec![
                "Debtor.FirstName",
                "Debtor.LastName",
                "Debtor.Iban",
                "Debtor.AccountHolderName",
                "Debtor.Address"
            ]
        );
        let company = Debtor {
            company_name: Some(Secret::new("Imburse Ltd".into())),
            iban: Iban::parse("DE89370400440532013000").ok().map(Secret::new),
            account_holder_name: Some(Secret::new("IMBURSE LTD".into())),
            address: Some(DebtorAddress {
                country: Country::parse("DE").ok(),
                ..DebtorAddress::default()
            }),
            ..Debtor::default()
        };
        assert!(company.missing().is_empty());
    }
}

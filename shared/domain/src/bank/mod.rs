//! Bank identifiers: IBAN, BIC, UK domestic account details and the SEPA Creditor Identifier.
//!
//! Everything here is pure validation (no I/O). Values that identify a person's
//! account are kept in a [`Secret`](crate::secret::Secret) by whoever holds them.

pub mod bic;
pub mod creditor_identifier;
pub mod iban;
pub mod uk;

pub use bic::{bic_matches_iban, Bic, BicError};
pub use creditor_identifier::{CreditorIdentifier, CreditorIdentifierError};
pub use iban::{is_sepa_country, last_four, mask, Iban, IbanError};
pub use uk::{AccountHolderName, SortCode, UkAccountNumber, UkBankError};

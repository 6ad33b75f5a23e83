//! Bank account identifiers: IBAN, BIC and UK domestic account details.
//!
//! Everything here is pure validation (no I/O). Types that identify a person's
//! account redact themselves in `Debug` so they can't leak into logs.

pub mod bic;
pub mod iban;
pub mod uk;

pub use bic::{bic_matches_iban, Bic, BicError};
pub use iban::{is_sepa_country, last_four, mask, Iban, IbanError};
pub use uk::{AccountHolderName, SortCode, UkAccountNumber, UkBankError};

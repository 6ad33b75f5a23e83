//! SEPA creditor profiles and mandates (docs/api.md §3, mandates). A mandate moves `Draft` → `Registering` →
//! `Active` | `Failed`, and `Active` → `Amending` → `Active`; each transition is a method here
//! that refuses to run from the wrong state. An active mandate is a financial instrument of
//! type `MANDATE:SEPA_DIRECT_DEBIT` in its customer's vault.

mod debtor;
mod network;
mod ports;
mod profile;
mod registration;
mod submission;

pub use debtor::{Debtor, DebtorAddress, DEBTOR_PROPERTY};
pub use network::{
    MandateNetwork, RegistrationOutcome, RegistrationRequest, SandboxNetwork, VerificationCheck,
};
pub use ports::{CreditorProfiles, InstrumentChange, MandateWrite, Mandates, ProfilePage};
pub use profile::{CreditorAddress, CreditorProfile, SEPA};
pub use registration::{apply_network_answer, register_mandate, RegisterMandate};
pub use submission::{
    amend_mandate, create_draft, create_mandate, create_profile, creditor_profile_not_found,
    mandate, mandate_not_found, profile, profile_page, update_draft, DraftUpdate,
};

use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, MandateId, TenantScope};
use crate::metadata::Metadata;
use crate::notifications::EventType;
use crate::payments::{LinkTarget, ProviderLink};
use crate::refs::{CreditorProfileRef, CustomerRef};
use crate::versioned::Versioned;
use serde::{Deserialize, Serialize};

/// How format B names the creditor profile a body refers to.
pub const CREDITOR_PROFILE_REF_PROPERTY: &str = "CreditorProfileRef";
/// How format B names the customer a mandate body refers to.
pub const CUSTOMER_REF_PROPERTY: &str = "CustomerRef";

/// REQUIRED_ATTRIBUTE for a property a body lacks.
pub fn required(property: &'static str) -> Violation {
    Violation::new(ErrorCode::REQUIRED_ATTRIBUTE).on_property(property, None)
}

/// Mandate statuses are spelled in PascalCase (docs/api.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum MandateStatus {
    Draft,
    Registering,
    Active,
    Failed,
    Amending,
}

impl MandateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::Draft => "Draft",
            MandateStatus::Registering => "Registering",
            MandateStatus::Active => "Active",
            MandateStatus::Failed => "Failed",
            MandateStatus::Amending => "Amending",
        }
    }
}

/// Why a mandate is not (or no longer) usable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InactiveReason {
    pub reason_code: String,
    pub description: String,
}

/// What the tenant asks for: everything a create, draft or draft update body carries. Any
/// part may be missing while the mandate is a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MandateTerms {
    pub customer_ref: Option<CustomerRef>,
    pub creditor_profile_ref: Option<CreditorProfileRef>,
    pub debtor: Option<Debtor>,
    #[serde(default)]
    pub metadata: Metadata,
}

impl MandateTerms {
    /// REQUIRED_ATTRIBUTE for everything registration needs and the terms lack.
    pub fn missing(&self) -> Vec<Violation> {
        let mut missing = Vec::new();
        if self.customer_ref.is_none() {
            missing.push(required(CUSTOMER_REF_PROPERTY));
        }
        if self.creditor_profile_ref.is_none() {
            missing.push(required(CREDITOR_PROFILE_REF_PROPERTY));
        }
        match &self.debtor {
            None => missing.push(required(DEBTOR_PROPERTY)),
            Some(debtor) => missing.extend(debtor.missing()),
        }
        missing
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mandate {
    pub mandate_id: MandateId,
    /// Generated, unique within the tenant: what the debtor's bank sees.
    pub mandate_ref: String,
    pub status: MandateStatus,
    pub inactive_reason: Option<InactiveReason>,
    pub terms: MandateTerms,
    /// Handed out when the mandate is submitted; the instrument exists once it is active.
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    pub verification_check: Option<VerificationCheck>,
    /// The debtor details an amendment asks for, until the network confirms them.
    pub amendment: Option<Debtor>,
    /// Epoch milliseconds.
    pub created: i64,
    /// Set by forget: the personal data is gone and the mandate can never be registered.
    #[serde(default)]
    pub forgotten: bool,
    /// Answers of "try again later" the network gave to the registration or amendment under
    /// way: after [`MAX_NETWORK_ATTEMPTS`] the request is refused rather than asked for ever.
    #[serde(default)]
    pub network_attempts: u32,
    /// Bumped by every write; writes are conditional on the version read.
    pub version: u64,
    /// What this change reports to the tenant's webhooks: written with it, never stored in it.
    #[serde(skip)]
    pub events: crate::notifications::PendingEvents,
}

/// "Try again later" answers a registration or amendment gets before it is refused.
pub const MAX_NETWORK_ATTEMPTS: u32 = 5;

/// Mandate refs use letters and digits that cannot be mistaken for each other when read out.
const REF_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const REF_LENGTH: usize = 10;

/// A random mandate ref such as `AYJ3BR4H67` (about 48 random bits: a few bits of a v4 UUID are fixed); the store makes it unique.
pub fn new_mandate_ref() -> String {
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(REF_LENGTH)
        .map(|byte| char::from(REF_ALPHABET[usize::from(byte % 32)]))
        .collect()
}

fn refused(code: ErrorCode, mandate: &Mandate) -> Error {
    Error::invalid(
        Violation::new(code)
            .with("mandateId", mandate.mandate_id.to_string())
            .with("status", mandate.status.as_str())
            .on_property("MandateId", None),
    )
}

impl Versioned for Mandate {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

/// The app whose network registers mandates, and whose webhooks report on them.
pub const MANDATE_NETWORK_APP_ID: &str = crate::payments::SANDBOX_APP_ID;

impl Mandate {
    /// The link by which the network's webhooks, naming the mandate by its id, find it.
    pub fn provider_link(&self, scope: &TenantScope) -> ProviderLink {
        ProviderLink {
            app_id: MANDATE_NETWORK_APP_ID.to_owned(),
            app_reference: self.mandate_id.to_string(),
            target: LinkTarget::Mandate {
                scope: (*scope).into(),
                mandate_id: self.mandate_id,
            },
        }
    }

    pub fn draft(mandate_ref: String, terms: MandateTerms, now_ms: i64) -> Mandate {
        Mandate {
            mandate_id: MandateId::new_random(),
            mandate_ref,
            status: MandateStatus::Draft,
            inactive_reason: None,
            terms,
            financial_instrument_id: None,
            verification_check: None,
            amendment: None,
            created: now_ms,
            forgotten: false,
            network_attempts: 0,
            version: 0,
            events: Default::default(),
        }
    }

    /// MANDATE_NOT_DRAFT once the mandate has left `Draft`.
    pub fn ensure_draft(&self) -> Result<(), Error> {
        if self.status != MandateStatus::Draft {
            return Err(refused(ErrorCode::MANDATE_NOT_DRAFT, self));
        }
        Ok(())
    }

    /// Replaces a draft's terms (PUT semantics).
    pub fn replace_terms(&mut self, terms: MandateTerms) -> Result<(), Error> {
        self.ensure_draft()?;
        self.terms = terms;
        self.version += 1;
        Ok(())
    }

    /// Draft → Registering, once the terms are complete and verified.
    pub fn submit(&mut self, verification: VerificationCheck) -> Result<(), Error> {
        self.ensure_draft()?;
        let missing = self.terms.missing();
        if !missing.is_empty() {
            return Err(Error::Invalid(missing));
        }
        self.status = MandateStatus::Registering;
        self.network_attempts = 0;
        self.verification_check = Some(verification);
        self.financial_instrument_id = Some(FinancialInstrumentId::new_random());
        self.version += 1;
        Ok(())
    }

    /// Active → Amending with new debtor details.
    pub fn amend(&mut self, debtor: Debtor, verification: VerificationCheck) -> Result<(), Error> {
        if self.status != MandateStatus::Active {
            return Err(refused(ErrorCode::MANDATE_NOT_ACTIVE, self));
        }
        self.status = MandateStatus::Amending;
        self.network_attempts = 0;
        self.amendment = Some(debtor);
        self.verification_check = Some(verification);
        self.version += 1;
        Ok(())
    }

    /// Whether the mandate waits for the network.
    pub fn needs_registration(&self) -> bool {
        matches!(
            self.status,
            MandateStatus::Registering | MandateStatus::Amending
        )
    }

    /// The network asked to try again later. After [`MAX_NETWORK_ATTEMPTS`] such answers the
    /// request is refused as unanswered, so that work which never succeeds ends. `false` when
    /// the mandate no longer waits for the network.
    pub fn unanswered(&mut self, now_ms: i64) -> bool {
        if !self.needs_registration() {
            return false;
        }
        self.network_attempts += 1;
        if self.network_attempts >= MAX_NETWORK_ATTEMPTS {
            return self.refused(
                InactiveReason {
                    reason_code: "NetworkUnavailable".into(),
                    description: "The mandate network did not answer.".into(),
                },
                now_ms,
            );
        }
        self.version += 1;
        true
    }

    /// The network accepted the mandate or its amendment. `false` when there was nothing to
    /// accept (a duplicate message).
    pub fn registered(&mut self, now_ms: i64) -> bool {
        match self.status {
            MandateStatus::Registering => self.events.record(EventType::MandateActive, now_ms),
            MandateStatus::Amending => {
                if let Some(debtor) = self.amendment.take() {
                    self.terms.debtor = Some(debtor);
                }
            }
            _ => return false,
        }
        self.status = MandateStatus::Active;
        self.version += 1;
        true
    }

    /// The network refused: a new mandate fails; a refused amendment leaves the mandate
    /// active with the debtor details it had.
    pub fn refused(&mut self, reason: InactiveReason, now_ms: i64) -> bool {
        match self.status {
            MandateStatus::Registering => {
                self.status = MandateStatus::Failed;
                self.inactive_reason = Some(reason);
                self.events.record(EventType::MandateFailed, now_ms);
            }
            MandateStatus::Amending => {
                self.status = MandateStatus::Active;
                self.amendment = None;
            }
            _ => return false,
        }
        self.version += 1;
        true
    }

    /// Whether the mandate holds personal data (a debtor, a pending amendment, metadata): such a
    /// write is refused once its customer is forgotten.
    pub fn carries_personal_data(&self) -> bool {
        self.terms.debtor.is_some() || self.amendment.is_some() || !self.terms.metadata.is_empty()
    }

    /// Erases every personal field; a mandate not yet registered can no longer be.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        self.terms.debtor = None;
        self.terms.metadata = Metadata::default();
        self.amendment = None;
        self.forgotten = true;
        if self.status == MandateStatus::Registering {
            self.status = MandateStatus::Failed;
            self.inactive_reason = Some(InactiveReason {
                reason_code: "CustomerForgotten".into(),
                description: "The customer's personal data was erased.".into(),
            });
            self.events.record(EventType::MandateFailed, now_ms);
        }
        if self.status == MandateStatus::Amending {
            self.status = MandateStatus::Active;
        }
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Iban;
    use crate::country::Country;
    use crate::secret::Secret;

    fn verified() -> VerificationCheck {
        VerificationCheck::verified()
    }

    fn complete_terms() -> MandateTerms {
        MandateTerms {
            customer_ref: CustomerRef::parse("c1").ok(),
            creditor_profile_ref: CreditorProfileRef::parse("p1").ok(),
            debtor: Some(Debtor {
                first_name: Some(Secret::new("John".into())),
                last_name: Some(Secret::new("Smith".into())),
                iban: Iban::parse("DE89370400440532013000").ok().map(Secret::new),
                account_holder_name: Some(Secret::new("JOHN SMITH".into())),
                address: Some(DebtorAddress {
                    country: Country::parse("DE").ok(),
                    ..DebtorAddress::default()
                }),
                ..Debtor::default()
            }),
            metadata: Metadata::default(),
        }
    }

    #[test]
    fn an_incomplete_draft_cannot_be_submitted() {
        let mut mandate = Mandate::draft("REF".into(), MandateTerms::default(), 0);
        match mandate.submit(verified()) {
            Err(Error::Invalid(missing)) => assert_eq!(missing.len(), 3),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(mandate.status, MandateStatus::Draft);
    }

    #[test]
    fn registration_then_amendment() {
        let mut mandate = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(mandate.submit(verified()).is_ok());
        assert!(mandate.financial_instrument_id.is_some());
        assert!(mandate.replace_terms(complete_terms()).is_err());
        assert!(mandate.amend(Debtor::default(), verified()).is_err());
        assert!(mandate.registered(0));
        assert!(
            !mandate.registered(0),
            "a duplicate confirmation changes nothing"
        );
        let new_debtor = Debtor {
            account_holder_name: Some(Secret::new("J SMITH".into())),
            ..complete_terms().debtor.unwrap_or_default()
        };
        assert!(mandate.amend(new_debtor.clone(), verified()).is_ok());
        assert_eq!(mandate.status, MandateStatus::Amending);
        assert!(mandate.registered(0));
        assert_eq!(mandate.terms.debtor, Some(new_debtor));
    }

    #[test]
    fn a_network_that_never_answers_refuses_the_request_after_the_last_attempt() {
        let mut mandate = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(mandate.submit(verified()).is_ok());
        for _ in 1..MAX_NETWORK_ATTEMPTS {
            assert!(mandate.unanswered(0));
            assert_eq!(mandate.status, MandateStatus::Registering);
        }
        assert!(mandate.unanswered(0));
        assert_eq!(mandate.status, MandateStatus::Failed);
        let reason = mandate
            .inactive_reason
            .as_ref()
            .map(|r| r.reason_code.as_str());
        assert_eq!(reason, Some("NetworkUnavailable"));
        assert!(!mandate.unanswered(0), "nothing waits any more");

        let mut active = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(active.submit(verified()).is_ok() && active.registered(0));
        assert!(active.amend(Debtor::default(), verified()).is_ok());
        for _ in 0..MAX_NETWORK_ATTEMPTS {
            assert!(active.unanswered(0));
        }
        assert_eq!(active.status, MandateStatus::Active);
        assert_eq!(active.amendment, None);
        assert!(active.amend(Debtor::default(), verified()).is_ok());
        assert_eq!(active.network_attempts, 0, "a new amendment starts afresh");
    }

    #[test]
    fn a_refused_registration_fails_and_a_refused_amendment_keeps_the_mandate() {
        let reason = InactiveReason {
            reason_code: "AccountClosed".into(),
            description: "closed".into(),
        };
        let mut mandate = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(mandate.submit(verified()).is_ok());
        assert!(mandate.refused(reason.clone(), 0));
        assert_eq!(mandate.status, MandateStatus::Failed);
        assert!(!mandate.refused(reason.clone(), 0));

        let mut active = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(active.submit(verified()).is_ok() && active.registered(0));
        assert!(active.amend(Debtor::default(), verified()).is_ok());
        assert!(active.refused(reason, 0));
        assert_eq!(active.status, MandateStatus::Active);
        assert_eq!(active.terms.debtor, complete_terms().debtor);
    }

    #[test]
    fn forget_erases_the_debtor_and_stops_registration() {
        let mut mandate = Mandate::draft("REF".into(), complete_terms(), 0);
        assert!(mandate.submit(verified()).is_ok());
        mandate.forget_personal_data(0);
        assert_eq!(mandate.terms.debtor, None);
        assert_eq!(mandate.status, MandateStatus::Failed);
        assert!(!mandate.needs_registration());
    }
}

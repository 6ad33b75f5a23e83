//! The one interface to the direct-debit network: verify a debtor's account before a mandate is
//! accepted, and register a mandate (or an amendment) with the debtor's bank. The SANDBOX
//! network stands in for a real one, deterministically (docs/api.md §6).

use super::{Debtor, InactiveReason};
use crate::ids::MandateId;
use crate::BoxFuture;
use serde::{Deserialize, Serialize};

/// The synchronous account check a create, submit or amend answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerificationCheck {
    pub status: String,
    pub reason: String,
}

impl VerificationCheck {
    pub fn verified() -> Self {
        VerificationCheck {
            status: "VERIFIED".into(),
            reason: "Verification Successful".into(),
        }
    }
}

/// A mandate (or its amendment) to register; `mandate_id` is the idempotency key.
#[derive(Debug, Clone)]
pub struct RegistrationRequest<'a> {
    pub mandate_id: MandateId,
    pub mandate_ref: &'a str,
    pub creditor_identifier: &'a str,
    pub debtor: &'a Debtor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationOutcome {
    Registered,
    /// Final: the debtor's bank refused the mandate.
    Refused(InactiveReason),
    /// Not final: try again later.
    Retryable {
        reason: String,
    },
}

pub trait MandateNetwork: Send + Sync {
    fn verify<'a>(&'a self, debtor: &'a Debtor) -> BoxFuture<'a, VerificationCheck>;

    fn register<'a>(
        &'a self,
        request: &'a RegistrationRequest<'a>,
    ) -> BoxFuture<'a, RegistrationOutcome>;
}

/// Verifies that the account holder's name carries the debtor's last name (or company name),
/// as a confirmation-of-payee check would; refuses to register accounts whose holder name
/// contains `CLOSED`.
pub struct SandboxNetwork;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_uppercase)
        .collect()
}

impl MandateNetwork for SandboxNetwork {
    fn verify<'a>(&'a self, debtor: &'a Debtor) -> BoxFuture<'a, VerificationCheck> {
        Box::pin(async move {
            let holder = debtor
                .account_holder_name
                .as_ref()
                .map(|name| words(name.expose()))
                .unwrap_or_default();
            let name = debtor
                .company_name
                .as_ref()
                .or(debtor.last_name.as_ref())
                .map(|name| words(name.expose()))
                .unwrap_or_default();
            let matches = !name.is_empty() && name.iter().all(|word| holder.contains(word));
            if matches {
                VerificationCheck::verified()
            } else {
                VerificationCheck {
                    status: "NOT_VERIFIED".into(),
                    reason: "The account holder name does not match the debtor".into(),
                }
            }
        })
    }

    fn register<'a>(
        &'a self,
        request: &'a RegistrationRequest<'a>,
    ) -> BoxFuture<'a, RegistrationOutcome> {
        Box::pin(async move {
            let holder = request.debtor.account_holder_name.as_ref();
            if holder.is_some_and(|name| name.expose().to_uppercase().contains("CLOSED")) {
                RegistrationOutcome::Refused(InactiveReason {
                    reason_code: "AccountClosed".into(),
                    description: "The debtor's account is closed.".into(),
                })
            } else {
                RegistrationOutcome::Registered
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn debtor(last: &str, holder: &str) -> Debtor {
        Debtor {
            last_name: Some(Secret::new(last.into())),
            account_holder_name: Some(Secret::new(holder.into())),
            ..Debtor::default()
        }
    }

    #[tokio::test]
    async fn verification_matches_the_holder_to_the_debtor() {
        let check = SandboxNetwork
            .verify(&debtor("Smith", "MR J D SMITH"))
            .await;
        assert_eq!(check, VerificationCheck::verified());
        let check = SandboxNetwork
            .verify(&debtor("Jones", "MR J D SMITH"))
            .await;
        assert_eq!(check.status, "NOT_VERIFIED");
    }

    #[tokio::test]
    async fn a_closed_account_is_refused() {
        let closed = debtor("Smith", "SMITH CLOSED");
        let request = RegistrationRequest {
            mandate_id: MandateId::new_random(),
            mandate_ref: "REF",
            creditor_identifier: "DE98ZZZ09999999999",
            debtor: &closed,
        };
        match SandboxNetwork.register(&request).await {
            RegistrationOutcome::Refused(reason) => assert_eq!(reason.reason_code, "AccountClosed"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

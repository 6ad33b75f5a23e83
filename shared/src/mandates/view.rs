//! Mandate response bodies in seed 004's field names. Timestamps are ISO-8601 UTC here, as the
//! seed shows, unlike the epoch milliseconds of the other groups.

use super::requests::Paging;
use super::{Mandate, ProfilePage, SEPA};
use serde_json::{json, Value};

/// SEPA Core direct debits, recurring, signed electronically: the one kind of mandate offered.
const MANDATE_TYPE: &str = "SepaCore";
const AGREEMENT_TYPE: &str = "Recurring";
const DOCUMENT_TYPE: &str = "Electronic";

fn iso(epoch_ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(epoch_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Where a mandate is read: the draft's `Location`.
pub fn mandate_href(mandate: &Mandate) -> String {
    format!("/v2/mandates/sepa/{}", mandate.mandate_id)
}

/// GET sepa/{mandateId}.
pub fn mandate_body(mandate: &Mandate) -> Value {
    json!({
        "mandateId": mandate.mandate_id,
        "mandateRef": mandate.mandate_ref,
        "network": SEPA,
        "mandateType": MANDATE_TYPE,
        "agreementType": AGREEMENT_TYPE,
        "customerRef": mandate.terms.customer_ref,
        "status": mandate.status.as_str(),
        "inactiveReason": mandate.inactive_reason,
        "creditorProfileRef": mandate.terms.creditor_profile_ref,
        "financialInstrumentId": mandate.financial_instrument_id,
        "created": iso(mandate.created),
        "debtor": mandate.terms.debtor,
        "documentType": DOCUMENT_TYPE,
        "metadata": mandate.terms.metadata,
    })
}

/// The answer to create, draft, update and amend: `{financialInstrumentId, mandateId,
/// verificationCheck}`, plus `mandateRef` (the seed's draft answer names it).
pub fn submission_body(mandate: &Mandate) -> Value {
    json!({
        "financialInstrumentId": mandate.financial_instrument_id,
        "mandateId": mandate.mandate_id,
        "mandateRef": mandate.mandate_ref,
        "verificationCheck": mandate.verification_check,
    })
}

/// GET creditor-profiles: a page and where it sits among all of them.
pub fn profile_page_body(page: &ProfilePage, paging: Paging) -> Value {
    json!({
        "currentPage": paging.from / paging.take + 1,
        "pageCount": page.total_count.div_ceil(paging.take),
        "pageSize": paging.take,
        "rowCount": page.results.len(),
        "totalCount": page.total_count,
        "results": page.results.iter().map(|p| p.body()).collect::<Vec<_>>(),
    })
}

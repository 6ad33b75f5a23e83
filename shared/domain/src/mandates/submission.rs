//! Where a mandate is submitted: creditor profiles, mandates created complete or as drafts,
//! drafts completed, active mandates amended. What the network must do comes after, through
//! the mandate worker (`registration`); the synchronous part is validation and the network's
//! verification of the debtor.

use super::{
    new_mandate_ref, CreditorProfile, CreditorProfiles, Debtor, Mandate, MandateNetwork,
    MandateTerms, MandateWrite, Mandates, ProfilePage, RegisterMandate, VerificationCheck,
};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{MandateId, TenantScope};
use crate::paging::Paging;
use crate::refs::CreditorProfileRef;
use crate::vault::customer_forgotten;
use crate::versioned::{self, Updated};
use crate::work::{send_after_commit, Queue};

/// Fresh refs drawn for a new mandate before giving up: a clash is one in 2^48.
const MAX_REF_DRAWS: usize = 5;

fn profile_not_found(reference: &CreditorProfileRef) -> Violation {
    Violation::new(ErrorCode::CREDITOR_PROFILE_NOT_FOUND)
        .with("creditorProfileRef", reference.as_str())
        .on_property("CreditorProfileRef", Some(reference.as_str()))
}

/// 404 for GET profile; the same code is a 400 when a mandate names a missing profile.
pub fn creditor_profile_not_found(reference: &CreditorProfileRef) -> Error {
    Error::NotFound(profile_not_found(reference))
}

pub fn mandate_not_found(id: MandateId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::MANDATE_NOT_FOUND)
            .with("mandateId", id.to_string())
            .on_property("MandateId", Some(&id.to_string())),
    )
}

/// POST creditor profile: a ref is created once; nothing is overwritten.
pub async fn create_profile(
    profiles: &impl CreditorProfiles,
    scope: &TenantScope,
    profile: &CreditorProfile,
) -> Result<(), Error> {
    let reference = &profile.creditor_profile_ref;
    if !profiles.create_profile(scope, profile).await? {
        return Err(Error::invalid(
            Violation::new(ErrorCode::CREDITOR_PROFILE_ALREADY_EXISTS)
                .with("creditorProfileRef", reference.as_str())
                .on_property("CreditorProfileRef", Some(reference.as_str())),
        ));
    }
    tracing::info!(creditor_profile_ref = %reference, "creditor profile created");
    Ok(())
}

/// GET creditor profile.
pub async fn profile(
    profiles: &impl CreditorProfiles,
    scope: &TenantScope,
    reference: &CreditorProfileRef,
) -> Result<CreditorProfile, Error> {
    profiles
        .profile(scope, reference)
        .await?
        .ok_or_else(|| creditor_profile_not_found(reference))
}

/// GET creditor profiles: one page.
pub async fn profile_page(
    profiles: &impl CreditorProfiles,
    scope: &TenantScope,
    paging: Paging,
) -> Result<ProfilePage, Error> {
    profiles.profile_page(scope, paging).await
}

/// GET mandate.
pub async fn mandate(
    mandates: &impl Mandates,
    scope: &TenantScope,
    id: MandateId,
) -> Result<Mandate, Error> {
    mandates
        .mandate(scope, id)
        .await?
        .ok_or_else(|| mandate_not_found(id))
}

/// What submitting complete terms needs before the mandate changes: everything registration
/// needs, an existing creditor profile, and the network's verification of the debtor.
async fn verify_terms(
    profiles: &impl CreditorProfiles,
    network: &dyn MandateNetwork,
    scope: &TenantScope,
    terms: &MandateTerms,
) -> Result<VerificationCheck, Error> {
    let missing = terms.missing();
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    if let Some(reference) = &terms.creditor_profile_ref {
        if profiles.profile(scope, reference).await?.is_none() {
            return Err(Error::invalid(profile_not_found(reference)));
        }
    }
    match &terms.debtor {
        Some(debtor) => Ok(network.verify(debtor).await),
        None => Err(Error::bug("complete terms without a debtor")),
    }
}

fn forgotten(mandate: &Mandate) -> Error {
    match &mandate.terms.customer_ref {
        Some(customer) => customer_forgotten(customer),
        None => Error::bug("a customer check failed for a mandate without a customer"),
    }
}

/// Stores a new mandate under a fresh ref, drawing again in the unlikely event it is taken.
async fn insert(
    mandates: &impl Mandates,
    scope: &TenantScope,
    mandate: &mut Mandate,
    now: Now,
) -> Result<(), Error> {
    for _ in 0..MAX_REF_DRAWS {
        match mandates.insert_mandate(scope, mandate, now).await? {
            MandateWrite::Written => return Ok(()),
            MandateWrite::CustomerForgotten => return Err(forgotten(mandate)),
            MandateWrite::Stale => mandate.mandate_ref = new_mandate_ref(),
        }
    }
    Err(Error::bug("no free mandate ref"))
}

/// POST mandate: complete terms, verified, stored `Registering`, registration queued.
pub async fn create_mandate<S: CreditorProfiles + Mandates>(
    store: &S,
    network: &dyn MandateNetwork,
    queue: &impl Queue<RegisterMandate>,
    scope: &TenantScope,
    terms: MandateTerms,
    now: Now,
) -> Result<Mandate, Error> {
    let verification = verify_terms(store, network, scope, &terms).await?;
    let mut mandate = Mandate::draft(new_mandate_ref(), terms, now.epoch_ms());
    mandate.submit(verification)?;
    insert(store, scope, &mut mandate, now).await?;
    send_after_commit(queue, &RegisterMandate::for_mandate(scope, &mandate)).await;
    tracing::info!(mandate_id = %mandate.mandate_id, "mandate created");
    Ok(mandate)
}

/// POST mandate draft: any subset of the terms.
pub async fn create_draft(
    mandates: &impl Mandates,
    scope: &TenantScope,
    terms: MandateTerms,
    now: Now,
) -> Result<Mandate, Error> {
    let mut mandate = Mandate::draft(new_mandate_ref(), terms, now.epoch_ms());
    insert(mandates, scope, &mut mandate, now).await?;
    tracing::info!(mandate_id = %mandate.mandate_id, "mandate draft created");
    Ok(mandate)
}

/// Whether a draft update left the draft incomplete or submitted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftUpdate {
    Incomplete,
    Submitted,
}

/// Saves a changed mandate; a lost race is `false`, a forgotten customer an error.
async fn save(
    mandates: &impl Mandates,
    scope: &TenantScope,
    mandate: &Mandate,
    read: u64,
    now: Now,
) -> Result<bool, Error> {
    match mandates.save_mandate(scope, mandate, read, now).await? {
        MandateWrite::Written => Ok(true),
        MandateWrite::Stale => Ok(false),
        MandateWrite::CustomerForgotten => Err(forgotten(mandate)),
    }
}

/// PUT mandate: replaces a draft's terms; once they are complete the draft is submitted and
/// its registration queued.
pub async fn update_draft<S: CreditorProfiles + Mandates>(
    store: &S,
    network: &dyn MandateNetwork,
    queue: &impl Queue<RegisterMandate>,
    scope: &TenantScope,
    id: MandateId,
    terms: MandateTerms,
    now: Now,
) -> Result<(Mandate, DraftUpdate), Error> {
    let current = mandate(store, scope, id).await?;
    current.ensure_draft()?;
    let verification = match terms.missing().is_empty() {
        true => Some(verify_terms(store, network, scope, &terms).await?),
        false => None,
    };
    let updated = versioned::update(
        "mandate",
        Some(current),
        || store.mandate(scope, id),
        |mandate| {
            mandate.replace_terms(terms.clone())?;
            if let Some(verification) = &verification {
                mandate.submit(verification.clone())?;
            }
            Ok(Some(()))
        },
        |mandate, read| async move { save(store, scope, &mandate, read, now).await },
    )
    .await?;
    let Updated::Saved(mandate, ()) = updated else {
        return Err(mandate_not_found(id));
    };
    if verification.is_none() {
        return Ok((mandate, DraftUpdate::Incomplete));
    }
    send_after_commit(queue, &RegisterMandate::for_mandate(scope, &mandate)).await;
    tracing::info!(mandate_id = %id, "mandate draft submitted");
    Ok((mandate, DraftUpdate::Submitted))
}

/// PUT mandate amend: new debtor details for an active mandate, verified, registration queued.
pub async fn amend_mandate(
    mandates: &impl Mandates,
    network: &dyn MandateNetwork,
    queue: &impl Queue<RegisterMandate>,
    scope: &TenantScope,
    id: MandateId,
    debtor: Debtor,
    now: Now,
) -> Result<Mandate, Error> {
    let verification = network.verify(&debtor).await;
    let updated = versioned::update(
        "mandate",
        None,
        || mandates.mandate(scope, id),
        |mandate| {
            mandate.amend(debtor.clone(), verification.clone())?;
            Ok(Some(()))
        },
        |mandate, read| async move { save(mandates, scope, &mandate, read, now).await },
    )
    .await?;
    let Updated::Saved(mandate, ()) = updated else {
        return Err(mandate_not_found(id));
    };
    send_after_commit(queue, &RegisterMandate::for_mandate(scope, &mandate)).await;
    tracing::info!(mandate_id = %id, "mandate amendment queued");
    Ok(mandate)
}

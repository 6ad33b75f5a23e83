//! SEPA creditor profiles and mandates (seed 004), answering in error format B. Registration
//! is queued for the mandate worker; the synchronous part is validation and the network's
//! verification check.

use axum::extract::{RawQuery, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_core::auth::Role;
use payments_core::error::{Error, Violations};
use payments_core::http::{Api, Caller, Edge, JsonBody, PathParams};
use payments_core::ids::{MandateId, TenantScope};
use payments_core::mandates::{
    self, creditor_profile_not_found, mandate_not_found, CreditorProfile, Mandate, MandateNetwork,
    MandateStore, MandateTerms, RegisterMandate,
};
use payments_core::queue::{Queue, SqsQueue};
use payments_core::refs::CreditorProfileRef;
use std::sync::Arc;

const READ: &[Role] = &[Role::MandateRead, Role::Admin];
const WRITE: &[Role] = &[Role::MandateWrite, Role::Admin];

const MANDATE: &str = "/v2/mandates/sepa/{mandateId}";

/// Attempts at a read-modify-write of one mandate, and at finding an unused mandate ref.
const MAX_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct AppState {
    pub mandates: MandateStore,
    pub network: Arc<dyn MandateNetwork>,
    /// Where submitted mandates and amendments go to be registered.
    pub registrations: SqsQueue,
}

/// Every route of the function, with its roles.
pub fn api() -> Api<AppState> {
    Api::new()
        .route(
            Method::GET,
            "/v2/mandates/creditor-profiles",
            READ,
            list_profiles,
        )
        .route(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            WRITE,
            create_profile,
        )
        .route(
            Method::GET,
            "/v2/mandates/creditor-profiles/sepa/{creditorProfileRef}",
            READ,
            get_profile,
        )
        .route(Method::POST, "/v2/mandates/sepa", WRITE, create_mandate)
        .route(Method::POST, "/v2/mandates/sepa/draft", WRITE, create_draft)
        .route(Method::PUT, MANDATE, WRITE, update_draft)
        .route(Method::GET, MANDATE, READ, get_mandate)
        .route(
            Method::PUT,
            "/v2/mandates/sepa/{mandateId}/amend",
            WRITE,
            amend_mandate,
        )
}

pub fn router(state: AppState, edge: Edge) -> Router {
    api().into_router(state, edge)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn list_profiles(
    caller: Caller,
    RawQuery(query): RawQuery,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let paging = mandates::parse_paging(query.as_deref()).map_err(Error::Invalid)?;
    let page = app.mandates.profile_page(&caller.scope, paging).await?;
    Ok(Json(mandates::profile_page_body(&page, paging)).into_response())
}

async fn create_profile(
    caller: Caller,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let profile = CreditorProfile::parse(body).map_err(Error::Invalid)?;
    app.mandates.create_profile(&caller.scope, &profile).await?;
    tracing::info!(creditor_profile_ref = %profile.creditor_profile_ref, "creditor profile created");
    Ok((StatusCode::CREATED, Json(profile.body())).into_response())
}

async fn get_profile(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let reference =
        CreditorProfileRef::parse(path.get("creditorProfileRef")).map_err(Error::invalid)?;
    let profile = app
        .mandates
        .load_profile(&caller.scope, &reference)
        .await?
        .ok_or_else(|| creditor_profile_not_found(&reference))?;
    Ok(Json(profile.body()).into_response())
}

/// The terms of a create or update body; with `complete`, also everything registration needs,
/// so one 400 lists both kinds of problem.
fn terms(body: JsonBody, complete: bool) -> Result<MandateTerms, Error> {
    let terms = mandates::parse_terms(body).map_err(Error::Invalid)?;
    let missing = terms.missing();
    if complete && !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    Ok(terms)
}

/// Draft → Registering: the creditor profile must exist, and the network verifies the debtor.
async fn submit(app: &AppState, scope: &TenantScope, mandate: &mut Mandate) -> Result<(), Error> {
    let missing = mandate.terms.missing();
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    if let Some(reference) = &mandate.terms.creditor_profile_ref {
        app.mandates.named_profile(scope, reference).await?;
    }
    let verification = match &mandate.terms.debtor {
        Some(debtor) => app.network.verify(debtor).await,
        None => return Err(Error::Internal("complete terms without a debtor".into())),
    };
    mandate.submit(verification)
}

/// Stores a new mandate under a fresh ref, drawing again in the unlikely event it is taken.
async fn insert(app: &AppState, scope: &TenantScope, mandate: &mut Mandate) -> Result<(), Error> {
    for _ in 0..MAX_ATTEMPTS {
        if app
            .mandates
            .insert_mandate(scope, mandate, now_ms())
            .await?
        {
            return Ok(());
        }
        mandate.mandate_ref = mandates::new_mandate_ref();
    }
    Err(Error::Internal("no free mandate ref".into()))
}

/// Asks the worker to register. A failed send is logged: the mandate stays in the work index
/// and the scheduled sweep queues it.
async fn queue_registration(app: &AppState, scope: &TenantScope, mandate: &Mandate) {
    let message = RegisterMandate {
        tenant_id: scope.tenant,
        account_id: scope.account,
        mandate_id: mandate.mandate_id,
    };
    if let Err(e) = app.registrations.send(&message).await {
        tracing::warn!(error = %e, mandate_id = %mandate.mandate_id, "queueing a registration failed; the sweep will queue it");
    }
}

async fn create_mandate(
    caller: Caller,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let terms = terms(body, true)?;
    let mut mandate = Mandate::draft(mandates::new_mandate_ref(), terms, now_ms());
    submit(&app, &caller.scope, &mut mandate).await?;
    insert(&app, &caller.scope, &mut mandate).await?;
    queue_registration(&app, &caller.scope, &mandate).await;
    tracing::info!(mandate_id = %mandate.mandate_id, "mandate created");
    Ok((
        StatusCode::CREATED,
        Json(mandates::submission_body(&mandate)),
    )
        .into_response())
}

async fn create_draft(
    caller: Caller,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let terms = terms(body, false)?;
    let mut mandate = Mandate::draft(mandates::new_mandate_ref(), terms, now_ms());
    insert(&app, &caller.scope, &mut mandate).await?;
    tracing::info!(mandate_id = %mandate.mandate_id, "mandate draft created");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, mandates::mandate_href(&mandate))],
        Json(mandates::submission_body(&mandate)),
    )
        .into_response())
}

/// The mandate id of the path, and the body, checked together so one 400 lists both.
fn mandate_request<T>(path: &PathParams, body: Result<T, Error>) -> Result<(MandateId, T), Error> {
    let mut found = Violations::new();
    let id = found.check(MandateId::parse(path.get("mandateId")));
    let body = match body {
        Ok(value) => Some(value),
        Err(Error::Invalid(all)) => {
            for violation in all {
                found.push(violation);
            }
            None
        }
        Err(other) => return Err(other),
    };
    found.finish(id.zip(body))
}

async fn load(app: &AppState, scope: &TenantScope, id: MandateId) -> Result<Mandate, Error> {
    app.mandates
        .load_mandate(scope, id)
        .await?
        .ok_or_else(|| mandate_not_found(id))
}

/// PUT replaces the draft's terms: 200 while they are still incomplete, 202 once they are
/// complete and registration is queued.
async fn update_draft(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let (id, terms) = mandate_request(&path, terms(body, false))?;
    let scope = &caller.scope;
    for _ in 0..MAX_ATTEMPTS {
        let mut mandate = load(&app, scope, id).await?;
        let read = mandate.version;
        mandate.replace_terms(terms.clone())?;
        let complete = mandate.terms.missing().is_empty();
        if complete {
            submit(&app, scope, &mut mandate).await?;
        }
        if !app
            .mandates
            .save_mandate(scope, &mandate, read, now_ms())
            .await?
        {
            continue;
        }
        let body = Json(mandates::submission_body(&mandate));
        if complete {
            queue_registration(&app, scope, &mandate).await;
            tracing::info!(mandate_id = %id, "mandate draft submitted");
            return Ok((StatusCode::ACCEPTED, body).into_response());
        }
        return Ok((StatusCode::OK, body).into_response());
    }
    Err(Error::Internal(
        "the mandate changed on every attempt".into(),
    ))
}

async fn get_mandate(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, Error> {
    let id = MandateId::parse(path.get("mandateId")).map_err(Error::invalid)?;
    let mandate = load(&app, &caller.scope, id).await?;
    Ok(Json(mandates::mandate_body(&mandate)).into_response())
}

async fn amend_mandate(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let debtor = mandates::parse_amendment(body).map_err(Error::Invalid);
    let (id, debtor) = mandate_request(&path, debtor)?;
    let scope = &caller.scope;
    let verification = app.network.verify(&debtor).await;
    for _ in 0..MAX_ATTEMPTS {
        let mut mandate = load(&app, scope, id).await?;
        let read = mandate.version;
        mandate.amend(debtor.clone(), verification.clone())?;
        if app
            .mandates
            .save_mandate(scope, &mandate, read, now_ms())
            .await?
        {
            queue_registration(&app, scope, &mandate).await;
            tracing::info!(mandate_id = %id, "mandate amendment queued");
            return Ok((
                StatusCode::ACCEPTED,
                Json(mandates::submission_body(&mandate)),
            )
                .into_response());
        }
    }
    Err(Error::Internal(
        "the mandate changed on every attempt".into(),
    ))
}

//! SEPA creditor profiles and mandates (docs/api.md §3), answering in error format B. Each
//! handler parses, calls one use case, and renders; registration is queued for the mandate
//! worker.

use axum::extract::{RawQuery, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use payments_aws::{Clients, Settings, SqsQueue, Store};
use payments_bodies::mandates as bodies;
use payments_domain::auth::Role;
use payments_domain::error::{Error, Violations};
use payments_domain::ids::MandateId;
use payments_domain::mandates::{
    self, DraftUpdate, MandateNetwork, RegisterMandate, SandboxNetwork,
};
use payments_domain::refs::CreditorProfileRef;
use payments_domain::Now;
use payments_http::{Api, ApiError, Caller, Edge, ErrorFormat, JsonBody, PathParams};
use std::sync::Arc;

const READ: &[Role] = &[Role::MandateRead, Role::Admin];
const WRITE: &[Role] = &[Role::MandateWrite, Role::Admin];

const MANDATE: &str = "/v2/mandates/sepa/{mandateId}";
const AMEND: &str = "/v2/mandates/sepa/{mandateId}/amend";
/// The mandate a POST made, for the routes it leads to.
const NEW_MANDATE: &[(&str, &str)] = &[("mandateId", "$response.body#/mandateId")];

#[derive(Clone)]
pub struct AppState {
    store: Store,
    network: Arc<dyn MandateNetwork>,
    /// Where submitted mandates and amendments go to be registered.
    registrations: SqsQueue<RegisterMandate>,
}

/// The body format of this group's errors (docs/api.md §2), for its edge and its OpenAPI
/// document.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat::B;

/// The function as deployed, from its settings, verifying debtors with `network` (the SANDBOX
/// network in every deployment so far): `main` and the tests both build it here.
pub async fn app(
    settings: &Settings,
    aws: &Clients,
    network: Arc<dyn MandateNetwork>,
) -> Result<Router, Error> {
    let state = AppState {
        store: Store::from_settings(aws, settings)?,
        network,
        registrations: SqsQueue::from_settings(aws, settings)?,
    };
    let edge = Edge::from_settings(ERROR_FORMAT, settings, &state.store)?;
    Ok(api().into_router(state, edge))
}

/// The network a deployment registers mandates with.
pub fn deployed_network() -> Arc<dyn MandateNetwork> {
    Arc::new(SandboxNetwork)
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
        .answers::<bodies::ProfilePageBody>(StatusCode::OK)
        .route(
            Method::POST,
            "/v2/mandates/creditor-profiles/sepa",
            WRITE,
            create_profile,
        )
        .takes::<bodies::CreditorProfileRequest>()
        .answers::<bodies::ProfileBody>(StatusCode::CREATED)
        .leads_to(
            "GET",
            "/v2/mandates/creditor-profiles/sepa/{creditorProfileRef}",
            &[("creditorProfileRef", "$response.body#/creditorProfileRef")],
        )
        .route(
            Method::GET,
            "/v2/mandates/creditor-profiles/sepa/{creditorProfileRef}",
            READ,
            get_profile,
        )
        .answers::<bodies::ProfileBody>(StatusCode::OK)
        .route(Method::POST, "/v2/mandates/sepa", WRITE, create_mandate)
        .takes::<bodies::MandateRequest>()
        .answers::<bodies::SubmissionBody>(StatusCode::CREATED)
        .leads_to("GET", MANDATE, NEW_MANDATE)
        .leads_to("PUT", AMEND, NEW_MANDATE)
        .route(Method::POST, "/v2/mandates/sepa/draft", WRITE, create_draft)
        .takes::<bodies::MandateRequest>()
        .answers::<bodies::SubmissionBody>(StatusCode::CREATED)
        .leads_to("GET", MANDATE, NEW_MANDATE)
        .leads_to("PUT", MANDATE, NEW_MANDATE)
        .route(Method::PUT, MANDATE, WRITE, update_draft)
        .takes::<bodies::MandateRequest>()
        .answers::<bodies::SubmissionBody>(StatusCode::OK)
        .answers::<bodies::SubmissionBody>(StatusCode::ACCEPTED)
        .route(Method::GET, MANDATE, READ, get_mandate)
        .answers::<bodies::MandateBody>(StatusCode::OK)
        .route(Method::PUT, AMEND, WRITE, amend_mandate)
        .takes::<bodies::AmendmentRequest>()
        .answers::<bodies::SubmissionBody>(StatusCode::ACCEPTED)
}

async fn list_profiles(
    caller: Caller,
    RawQuery(query): RawQuery,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let paging = payments_bodies::paging::paging(query.as_deref())?;
    let page = mandates::profile_page(&app.store, &caller.scope, paging).await?;
    Ok(Json(bodies::profile_page_body(&page, paging)).into_response())
}

async fn create_profile(
    caller: Caller,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let profile = bodies::creditor_profile(body)?;
    mandates::create_profile(&app.store, &caller.scope, &profile).await?;
    Ok((StatusCode::CREATED, Json(bodies::profile_body(&profile))).into_response())
}

async fn get_profile(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let reference = CreditorProfileRef::parse(path.get("creditorProfileRef"))?;
    let profile = mandates::profile(&app.store, &caller.scope, &reference).await?;
    Ok(Json(bodies::profile_body(&profile)).into_response())
}

async fn create_mandate(
    caller: Caller,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let terms = bodies::complete_terms(body)?;
    let mandate = mandates::create_mandate(
        &app.store,
        app.network.as_ref(),
        &app.registrations,
        &caller.scope,
        terms,
        Now::read(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(bodies::submission_body(&mandate))).into_response())
}

async fn create_draft(
    caller: Caller,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let terms = bodies::terms(body)?;
    let mandate = mandates::create_draft(&app.store, &caller.scope, terms, Now::read()).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, bodies::mandate_location(&mandate))],
        Json(bodies::submission_body(&mandate)),
    )
        .into_response())
}

/// The mandate id of the path and what the body says, checked together so one 400 lists both.
fn mandate_request<T>(
    path: &PathParams,
    body: Result<T, Vec<payments_domain::Violation>>,
) -> Result<(MandateId, T), ApiError> {
    let mut found = Violations::new();
    let id = found.check(MandateId::parse(path.get("mandateId")));
    let body = found.check(body);
    Ok(found.finish(id.zip(body))?)
}

/// PUT replaces the draft's terms: 200 while they are still incomplete, 202 once they are
/// complete and registration is queued.
async fn update_draft(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (id, terms) = mandate_request(&path, bodies::terms(body))?;
    let (mandate, update) = mandates::update_draft(
        &app.store,
        app.network.as_ref(),
        &app.registrations,
        &caller.scope,
        id,
        terms,
        Now::read(),
    )
    .await?;
    let status = match update {
        DraftUpdate::Incomplete => StatusCode::OK,
        DraftUpdate::Submitted => StatusCode::ACCEPTED,
    };
    Ok((status, Json(bodies::submission_body(&mandate))).into_response())
}

async fn get_mandate(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<Response, ApiError> {
    let id = MandateId::parse(path.get("mandateId"))?;
    let mandate = mandates::mandate(&app.store, &caller.scope, id).await?;
    Ok(Json(bodies::mandate_body(&mandate)).into_response())
}

async fn amend_mandate(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (id, debtor) = mandate_request(&path, bodies::amendment(body))?;
    let mandate = mandates::amend_mandate(
        &app.store,
        app.network.as_ref(),
        &app.registrations,
        &caller.scope,
        id,
        debtor,
        Now::read(),
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(bodies::submission_body(&mandate)),
    )
        .into_response())
}

//! A function's routes as one table: method, path (in the API Gateway `{param}` syntax the
//! template uses) and the roles allowed. The same table builds the router, guards each route,
//! and lets tests compare the function with the SAM template.

use super::edge::{edge, method_not_allowed, route_not_found, Edge};
use crate::body_schema::{Answer, BodySchema, NextRoute, RequestBody};
use crate::problem::ApiError;
use crate::tokens::TokenVerifier;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::{header, request::Parts, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use payments_domain::auth::Role;
use payments_domain::error::{AuthFailure, Error, ErrorCode, Violation, Violations};
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use std::sync::Arc;
use utoipa::ToSchema;

pub const ACCOUNT_HEADER: &str = "x-account-id";
pub const TENANT_HEADER: &str = "x-tenant-id";

#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub roles: &'static [Role],
    /// Whether the bearer-token guard runs. Only the identity routes and provider webhooks go
    /// without it: they are where a token is obtained (with an API key), where what verifies it
    /// and what describes the API are published, and where providers call with their own
    /// signature.
    pub guarded: bool,
    /// Whether the handler checks a signature of its own instead (an API key's HMAC, a
    /// provider's webhook signature), answering 401 in format C when it fails.
    pub signed: bool,
    /// The JSON body it reads, for the OpenAPI document (`Api::takes`).
    pub request: Option<RequestBody>,
    /// What it answers when it succeeds, for the OpenAPI document (`Api::answers`).
    pub answers: Vec<Answer>,
}

pub struct Api<S> {
    router: Router<S>,
    table: Vec<RouteSpec>,
}

impl<S: Clone + Send + Sync + 'static> Default for Api<S> {
    fn default() -> Self {
        Api {
            router: Router::new(),
            table: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route whose handler runs only for a caller holding one of `roles` whose token
    /// matches the tenant and account headers.
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        roles: &'static [Role],
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let spec = RouteSpec {
            method: method.clone(),
            path,
            roles,
            guarded: true,
            signed: false,
            request: None,
            answers: Vec::new(),
        };
        let guarded = on(method_filter(&method, path), handler)
            .route_layer(from_fn_with_state(spec.clone(), guard));
        self.router = self.router.route(path, guarded);
        self.table.push(spec);
        self
    }

    /// Adds a route without the bearer-token guard (see `RouteSpec::guarded`) whose handler
    /// authenticates no caller: it serves what is public.
    pub fn unguarded_route<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.route_without_guard(method, path, false, handler)
    }

    /// Adds a route without the bearer-token guard whose handler checks the request's own
    /// signature instead (see `RouteSpec::signed`).
    pub fn signed_route<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.route_without_guard(method, path, true, handler)
    }

    fn route_without_guard<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        signed: bool,
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self
            .router
            .route(path, on(method_filter(&method, path), handler));
        self.table.push(RouteSpec {
            method,
            path,
            roles: &[],
            guarded: false,
            signed,
            request: None,
            answers: Vec::new(),
        });
        self
    }

    /// Documents the route added last as reading a JSON body of type `T`.
    pub fn takes<T: ToSchema>(self) -> Self {
        self.request(true, BodySchema::of::<T>())
    }

    /// Documents the route added last as reading a JSON body of type `T`, or none.
    pub fn takes_optional<T: ToSchema>(self) -> Self {
        self.request(false, BodySchema::of::<T>())
    }

    fn request(mut self, required: bool, schema: BodySchema) -> Self {
        if let Some(route) = self.table.last_mut() {
            route.request = Some(RequestBody { required, schema });
        }
        self
    }

    /// Documents the route added last as answering `status` with a JSON body of type `T`.
    pub fn answers<T: ToSchema>(self, status: StatusCode) -> Self {
        self.answer(status, Some(BodySchema::of::<T>()))
    }

    /// Documents the route added last as answering `status` with no body.
    pub fn answers_empty(self, status: StatusCode) -> Self {
        self.answer(status, None)
    }

    fn answer(mut self, status: StatusCode, body: Option<BodySchema>) -> Self {
        if let Some(route) = self.table.last_mut() {
            route.answers.push(Answer {
                status,
                body,
                links: Vec::new(),
            });
        }
        self
    }

    /// Documents the answer added last as leading to `method path`, whose path parameters
    /// `parameters` say how to fill (OpenAPI runtime expressions): what a client, or a
    /// stateful fuzzer, calls next.
    pub fn leads_to(
        mut self,
        method: &'static str,
        path: &'static str,
        parameters: &'static [(&'static str, &'static str)],
    ) -> Self {
        if let Some(answer) = self
            .table
            .last_mut()
            .and_then(|route| route.answers.last_mut())
        {
            answer.links.push(NextRoute {
                method,
                path,
                parameters,
            });
        }
        self
    }

    pub fn table(&self) -> &[RouteSpec] {
        &self.table
    }

    /// The finished router: unknown routes and methods answer format C, every request goes
    /// through the edge.
    pub fn into_router(self, state: S, edge_config: Edge) -> Router {
        self.router
            .fallback(route_not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(from_fn_with_state(edge_config, edge))
            .with_state(state)
    }
}

/// A route with a method axum cannot filter on is a programming error, found at cold start.
fn method_filter(method: &Method, path: &str) -> MethodFilter {
    MethodFilter::try_from(method.clone())
        .unwrap_or_else(|_| panic!("route {method} {path}: unsupported method"))
}

/// The authorised caller of a guarded route.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub scope: TenantScope,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or_else(|| Error::bug("handler reached without the route guard").into())
    }
}

async fn guard(State(spec): State<RouteSpec>, mut request: Request, next: Next) -> Response {
    match authorize(&spec, &request) {
        Ok(caller) => {
            tracing::info!(route = spec.path, "authorised");
            request.extensions_mut().insert(caller);
            let response = if spec.method == Method::POST {
                crate::idempotent::once(caller.scope, request, next).await
            } else {
                next.run(request).await
            };
            payments_aws::metrics::request_answered(spec.path, response.status().as_u16());
            response
        }
        Err(error) => {
            let response = ApiError(error).into_response();
            payments_aws::metrics::request_answered(spec.path, response.status().as_u16());
            response
        }
    }
}

/// 401 before anything else, so an unauthenticated caller learns nothing; then the headers
/// (400), then their match with the token and the role (403).
fn authorize(spec: &RouteSpec, request: &Request) -> Result<Caller, Error> {
    let verifier = request
        .extensions()
        .get::<Arc<TokenVerifier>>()
        .ok_or_else(|| Error::bug("route guard reached without the edge"))?;
    let token = bearer_token(request).ok_or(Error::Unauthenticated(AuthFailure::MissingToken))?;
    let identity = verifier.verify(token)?;
    let headers = tenant_headers(request)?;
    let scope = identity.authorize(headers, spec.roles)?;
    Ok(Caller { scope })
}

fn bearer_token(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

fn tenant_headers(request: &Request) -> Result<TenantScope, Error> {
    let mut found = Violations::new();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"))
    };
    let account = found.check(match header(ACCOUNT_HEADER) {
        None => {
            Err(Violation::new(ErrorCode::ACCOUNT_ID_IS_REQUIRED).on_property("AccountId", None))
        }
        Some(value) => AccountId::parse(value),
    });
    let tenant = found.check(match header(TENANT_HEADER) {
        None => Err(Violation::new(ErrorCode::TENANT_ID_IS_REQUIRED).on_property("TenantId", None)),
        Some(value) => TenantId::parse(value),
    });
    found.finish(
        account
            .zip(tenant)
            .map(|(account, tenant)| TenantScope { tenant, account }),
    )
}

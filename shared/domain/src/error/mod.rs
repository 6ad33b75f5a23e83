//! The service's one error type. Use cases and adapters return it; only the edges turn it
//! into something else: the HTTP edge (`payments-http`) into a status code and one of the
//! three body formats of docs/api.md §2, the SQS worker runtime into a message kept for
//! redelivery. Both log an internal error once, with its chain of causes.

mod codes;

pub use codes::ErrorCode;

use crate::secret::Secret;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// One problem with a request: one entry of a 400's `errors[]`, or the reason for a 404.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub code: ErrorCode,
    /// Request property at fault, for format B's `PropertyName` (e.g. `CreditorProfileRef`).
    pub property: Option<&'static str>,
    /// What the client sent, echoed in format B's `AttemptedValue`.
    pub attempted: Option<Secret<String>>,
    /// Values for the message template, returned as the error's `metadata`.
    pub params: Secret<Map<String, Value>>,
}

impl Violation {
    pub fn new(code: ErrorCode) -> Self {
        Violation {
            code,
            property: None,
            attempted: None,
            params: Secret::default(),
        }
    }

    pub fn with(self, name: &str, value: impl Into<Value>) -> Self {
        let mut params = self.params.into_exposed();
        params.insert(name.to_owned(), value.into());
        Violation {
            params: Secret::new(params),
            ..self
        }
    }

    pub fn on_property(mut self, property: &'static str, attempted: Option<&str>) -> Self {
        self.property = Some(property);
        self.attempted = attempted.map(|value| Secret::new(value.to_owned()));
        self
    }

    /// The template with every `{name}` filled from `params`. String values are shown in
    /// brackets and numbers bare, as the published samples do ("Order [order1] does not
    /// exist.", "Reason exceeds the maximum length 100."). A placeholder matches its
    /// parameter whatever the case of its first letter (`{MaxLength}` ↔ `maxLength`).
    pub fn message(&self) -> String {
        let mut message = self.code.template().to_owned();
        // Format B names the property bare ("The attribute CreditorProfileRef is required").
        if let Some(property) = self.property {
            message = message.replace("{PropertyName}", property);
        }
        for (name, value) in self.params.expose() {
            let shown = match value {
                Value::String(text) => format!("[{text}]"),
                other => other.to_string(),
            };
            for placeholder in [format!("{{{name}}}"), format!("{{{}}}", capitalised(name))] {
                message = message.replace(&placeholder, &shown);
            }
        }
        message
    }
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why a request was refused before it reached the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingToken,
    InvalidToken,
    ExpiredToken,
    /// An API key exchange that failed any of its checks (which one is logged, not told).
    InvalidApiKey,
    /// A provider webhook whose signature or timestamp did not check out.
    InvalidWebhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDenied {
    MissingRole,
    ScopeMismatch,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: every problem found in the request, reported together.
    #[error("invalid request: {0:?}")]
    Invalid(Vec<Violation>),
    /// 404 in the vault, wallet and mandates.
    #[error("not found: {0:?}")]
    NotFound(Violation),
    /// 409: the request clashes with one still being processed.
    #[error("conflict: {0:?}")]
    Conflict(Box<Violation>),
    /// 422: well formed, but cannot be processed as asked.
    #[error("unprocessable: {0:?}")]
    Unprocessable(Box<Violation>),
    /// 401.
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    /// 403.
    #[error("forbidden: {0:?}")]
    Forbidden(AccessDenied),
    /// 404 in format C: the path names nothing this service serves (an unknown provider app).
    #[error("no such route")]
    UnknownRoute,
    /// A failure inside the service (a downstream call, a stored item that does not read, a
    /// broken invariant): logged with its causes, answered with a generic 500.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl Error {
    pub fn invalid(violation: Violation) -> Self {
        Error::Invalid(vec![violation])
    }

    /// An internal error caused by `source`, described by `context` (what was being done).
    pub fn internal(
        context: impl Into<Cow<'static, str>>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Internal(Internal {
            context: context.into(),
            source: Some(source.into()),
        })
    }

    /// An internal error with no cause below it: a state the code should never reach.
    pub fn bug(context: impl Into<Cow<'static, str>>) -> Self {
        Error::Internal(Internal {
            context: context.into(),
            source: None,
        })
    }
}

/// What an internal error was doing and, when something below failed, that failure. Neither
/// ever reaches a client; the edge logs both with [`Chain`]. Contexts name operations and ids,
/// never personal data.
#[derive(Debug)]
pub struct Internal {
    context: Cow<'static, str>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for Internal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for Internal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// An error and each of its causes on one line, `context: cause: cause`, for the one log line
/// an edge writes.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

/// Collects every violation of a request so one 400 can list them all.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// Keeps the value of a successful check; records the violations of a failed one.
    pub fn check<T, E: Into<Vec<Violation>>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(found) => {
                self.0.extend(found.into());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded and every part of the value was checked.
    pub fn collect<T>(self, value: Option<T>) -> Result<T, Vec<Violation>> {
        if !self.0.is_empty() {
            return Err(self.0);
        }
        // A check that failed without recording a violation is a bug; say so rather than pass.
        value.ok_or_else(|| vec![Violation::new(ErrorCode::INTERNAL_ERROR)])
    }

    pub fn finish<T>(self, value: Option<T>) -> Result<T, Error> {
        self.collect(value).map_err(Error::Invalid)
    }
}

impl From<Violation> for Vec<Violation> {
    fn from(violation: Violation) -> Self {
        vec![violation]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_fills_placeholders_like_the_published_samples() {
        let reason = Violation::new(ErrorCode::REASON_LENGTH_OUT_OF_RANGE).with("maxLength", 100);
        assert_eq!(reason.message(), "Reason exceeds the maximum length 100.");
        let missing = Violation::new(ErrorCode::FINANCIAL_INSTRUMENT_NOT_FOUND)
            .with("financialInstrumentId", "abc");
        assert_eq!(
            missing.message(),
            "Financial instrument [abc] does not exist."
        );
        let required =
            Violation::new(ErrorCode::REQUIRED_ATTRIBUTE).on_property("CreditorProfileRef", None);
        assert_eq!(
            required.message(),
            "The attribute CreditorProfileRef is required"
        );
    }

    #[test]
    fn every_code_is_screaming_snake_case_and_has_a_template() {
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
            // Seed 004 publishes REQUIRED_ATTRIBUTE's message without a full stop.
            let published_bare = *code == ErrorCode::REQUIRED_ATTRIBUTE;
            assert!(
                published_bare || code.template().ends_with('.') || code.template().ends_with('}')
            );
        }
    }

    #[test]
    fn an_internal_error_is_logged_with_its_causes() {
        let cause = std::io::Error::other("connection reset");
        let error = Error::internal("DynamoDB GetItem", cause);
        assert_eq!(
            Chain(&error).to_string(),
            "DynamoDB GetItem: connection reset"
        );
        assert_eq!(
            Chain(&Error::bug("no transaction id")).to_string(),
            "no transaction id"
        );
    }

    #[test]
    fn debug_never_shows_attempted_values_or_parameter_values() {
        let violation = Violation::new(ErrorCode::IBAN_IS_INVALID)
            .on_property("Iban", Some("GB29NWBK60161331926819"))
            .with("key", "JOHN SMITH");
        let shown = format!("{violation:?}");
        assert!(
            !shown.contains("GB29") && !shown.contains("JOHN"),
            "{shown}"
        );
    }

    #[test]
    fn finish_reports_every_violation() {
        let mut found = Violations::new();
        let a: Option<u8> = found.check(Err(Violation::new(ErrorCode::IBAN_IS_REQUIRED)));
        let b: Option<u8> = found.check(Err(Violation::new(ErrorCode::BIC_IS_INVALID)));
        match found.finish(a.zip(b)) {
            Err(Error::Invalid(all)) => assert_eq!(all.len(), 2),
            other => panic!("unexpected {other:?}"),
        }
    }
}

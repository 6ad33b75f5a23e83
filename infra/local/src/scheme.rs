//! Tenant payment schemes in the local stack: the arguments of `local-stack scheme`
//! (docs/api.md §7, `make scheme`), checked before anything is touched, and the dev tenant's
//! SANDBOX schemes that `local-stack dev` saves on every start.

use crate::template::{Template, TemplateError};
use payments_aws::Store;
use payments_domain::country::Country;
use payments_domain::currency::Currency;
use payments_domain::ids::TenantScope;
use payments_domain::payments::{Direction, Scheme, SchemeId, Schemes};
use std::time::Duration;

/// The payment app a scheme gets when none is named.
pub const DEFAULT_APP: &str = "SANDBOX";
const APP_ID_MAX_LENGTH: usize = 64;
/// How long a moto endpoint may take to accept a connection before it counts as not running.
const REACH_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeArgError {
    #[error("--direction: {0:?} is neither DEBIT nor CREDIT")]
    Direction(String),
    #[error("--app: {0:?} is not an app id (1-64 characters of A-Z, 0-9, _ and -)")]
    App(String),
    #[error("--currencies: {code:?}: {reason}")]
    Currency { code: String, reason: String },
    #[error("--countries: {code:?}: {reason}")]
    Country { code: String, reason: String },
}

/// A new scheme's settings, each checked: the direction in any case, the app id, and
/// canonical ISO 4217 and ISO 3166-1 alpha-2 codes (empty lists accept everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeArgs {
    pub direction: Direction,
    pub app_id: String,
    pub currencies: Vec<Currency>,
    pub countries: Vec<Country>,
}

impl SchemeArgs {
    /// `app`, `currencies` and `countries` as given on the command line, if given at all.
    pub fn parse(
        direction: &str,
        app: Option<&str>,
        currencies: Option<&str>,
        countries: Option<&str>,
    ) -> Result<SchemeArgs, SchemeArgError> {
        Ok(SchemeArgs {
            direction: Direction::parse(direction.trim())
                .ok_or_else(|| SchemeArgError::Direction(direction.to_owned()))?,
            app_id: parse_app(app.unwrap_or(DEFAULT_APP))?,
            currencies: codes(currencies.unwrap_or_default(), |code| {
                currency(code).map_err(|reason| SchemeArgError::Currency {
                    code: code.to_owned(),
                    reason,
                })
            })?,
            countries: codes(countries.unwrap_or_default(), |code| {
                Country::parse(code).map_err(|e| SchemeArgError::Country {
                    code: code.to_owned(),
                    reason: e.to_string(),
                })
            })?,
        })
    }

    pub fn into_scheme(self, scheme_id: SchemeId) -> Scheme {
        Scheme {
            scheme_id,
            direction: self.direction,
            app_id: self.app_id,
            currencies: self.currencies,
            countries: self.countries,
        }
    }
}

fn parse_app(input: &str) -> Result<String, SchemeArgError> {
    is_app_id(input)
        .then(|| input.to_owned())
        .ok_or_else(|| SchemeArgError::App(input.to_owned()))
}

/// Whether `input` is a payment app id: 1-64 characters of A-Z, 0-9, `_` and `-`.
pub(crate) fn is_app_id(input: &str) -> bool {
    !input.is_empty()
        && input.len() <= APP_ID_MAX_LENGTH
        && input
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The ISO 4217 currency `code` is, or why it is none (too long, unknown, withdrawn).
pub(crate) fn currency(code: &str) -> Result<Currency, String> {
    Currency::parse(code).map_err(|e| e.to_string())
}

/// A comma-separated list: blanks around entries and empty entries are ignored, each entry
/// must pass `parse`, and a repeated entry counts once.
pub(crate) fn codes<T: PartialEq, E>(
    list: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, E> {
    let mut parsed: Vec<T> = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let code = parse(entry)?;
        if !parsed.contains(&code) {
            parsed.push(code);
        }
    }
    Ok(parsed)
}

/// The dev tenant's scheme in `direction`: SANDBOX, every currency, every country.
pub fn dev_scheme(scheme_id: SchemeId, direction: Direction) -> Scheme {
    Scheme {
        scheme_id,
        direction,
        app_id: DEFAULT_APP.to_owned(),
        currencies: Vec::new(),
        countries: Vec::new(),
    }
}

/// The table the functions read schemes and rewards from: their `TABLE_NAME`, resolved as
/// `dev` resolves it (a `!Ref` to a table is its logical id), or else the template's only table.
pub fn table_name(template: &Template) -> Result<String, TemplateError> {
    let from_environment = template
        .functions
        .iter()
        .find_map(|function| function.environment.get("TABLE_NAME"));
    match (from_environment, template.tables.as_slice()) {
        (Some(expr), _) => template.resolve(expr, &Default::default()),
        (None, [only]) => Ok(only.logical_id.clone()),
        (None, tables) => Err(TemplateError::Unresolved(format!(
            "the schemes' table: no function sets TABLE_NAME and the template declares {} tables",
            tables.len()
        ))),
    }
}

/// The personal data keys' table (docs/decisions/0019), as the functions' `DATA_KEYS_TABLE`
/// names it.
pub fn data_keys_table_name(template: &Template) -> Result<String, TemplateError> {
    let named = template
        .functions
        .iter()
        .find_map(|function| function.environment.get("DATA_KEYS_TABLE"))
        .ok_or_else(|| TemplateError::Unresolved("no function sets DATA_KEYS_TABLE".to_owned()))?;
    template.resolve(named, &Default::default())
}

/// The table `table` of the emulator `sdk` points at.
pub fn store(sdk: &aws_config::SdkConfig, table: String) -> Store {
    Store::new(aws_sdk_dynamodb::Client::new(sdk), table)
}

/// Saves a new scheme with a fresh id for `scope` and returns it.
pub async fn create(
    store: &Store,
    scope: &TenantScope,
    args: SchemeArgs,
) -> Result<Scheme, payments_domain::Error> {
    let scheme = args.into_scheme(SchemeId::new_random());
    store.save_scheme(scope, &scheme).await?;
    Ok(scheme)
}

/// Whether something accepts connections at an `http://host:port` endpoint, checked quickly
/// so that a stopped stack is reported at once rather than after the SDK's retries.
pub async fn reachable(endpoint: &str) -> bool {
    let Ok(uri) = endpoint.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(
        tokio::time::timeout(REACH_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        direction: &str,
        app: Option<&str>,
        currencies: Option<&str>,
        countries: Option<&str>,
    ) -> Result<SchemeArgs, SchemeArgError> {
        SchemeArgs::parse(direction, app, currencies, countries)
    }

    #[test]
    fn directions_are_read_in_any_case() {
        for (input, expected) in [
            ("DEBIT", Direction::Debit),
            ("debit", Direction::Debit),
            ("Debit", Direction::Debit),
            ("CREDIT", Direction::Credit),
            ("credit", Direction::Credit),
            ("cReDiT", Direction::Credit),
        ] {
            let args = parse(input, None, None, None).expect(input);
            assert_eq!(args.direction, expected, "{input}");
        }
        for input in ["", "DEBITS", "payout", "collect", "DEBIT,CREDIT"] {
            assert_eq!(
                parse(input, None, None, None),
                Err(SchemeArgError::Direction(input.to_owned())),
                "{input}"
            );
        }
    }

    #[test]
    fn defaults_are_sandbox_and_everything() {
        let args = parse("DEBIT", None, None, None).expect("valid");
        assert_eq!(
            args,
            SchemeArgs {
                direction: Direction::Debit,
                app_id: "SANDBOX".into(),
                currencies: vec![],
                countries: vec![],
            }
        );
        // An empty list, as `make scheme CURRENCIES=` might pass it, also means all.
        let args = parse("CREDIT", None, Some(""), Some(" , ")).expect("valid");
        assert!(args.currencies.is_empty() && args.countries.is_empty());
    }

    #[test]
    fn currencies_and_countries_are_checked_and_kept_in_order_once() {
        let args =
            parse("credit", None, Some("EUR, GBP,EUR,JPY"), Some("GB,DE,,GB")).expect("valid");
        let codes = |list: &[Currency]| list.iter().map(Currency::code).collect::<Vec<_>>();
        assert_eq!(codes(&args.currencies), ["EUR", "GBP", "JPY"]);
        let countries: Vec<_> = args.countries.iter().map(Country::code).collect();
        assert_eq!(countries, ["GB", "DE"]);

        for (input, reason) in [
            ("EURO", "3 letters"),
            ("EU", "3 letters"),
            ("XYZ", "unknown"),
            ("eur", "unknown"),
            ("HRK", "withdrawn"),
        ] {
            let err = parse("DEBIT", None, Some(&format!("GBP,{input}")), None).expect_err(input);
            assert!(
                matches!(&err, SchemeArgError::Currency { code, reason: r } if code == input && r.contains(reason)),
                "{input}: {err}"
            );
            assert!(err.to_string().starts_with("--currencies: "), "{err}");
        }
        for (input, reason) in [
            ("GBR", "2 letters"),
            ("UK", "unknown"),
            ("gb", "unknown"),
            ("ZZ", "unknown"),
        ] {
            let err = parse("DEBIT", None, None, Some(input)).expect_err(input);
            assert!(
                matches!(&err, SchemeArgError::Country { code, reason: r } if code == input && r.contains(reason)),
                "{input}: {err}"
            );
            assert!(err.to_string().starts_with("--countries: "), "{err}");
        }
    }

    #[test]
    fn app_ids_are_checked() {
        for app in ["SANDBOX", "ACME_PAY", "PROVIDER-2", &"A".repeat(64)] {
            let args = parse("DEBIT", Some(app), None, None).expect(app);
            assert_eq!(args.app_id, app);
        }
        for app in ["", "sandbox", "SAND BOX", "SANDBOX!", &"A".repeat(65)] {
            assert_eq!(
                parse("DEBIT", Some(app), None, None),
                Err(SchemeArgError::App(app.to_owned())),
                "{app}"
            );
        }
    }

    #[test]
    fn dev_schemes_accept_everything_through_sandbox() {
        let id = SchemeId::new_random();
        let scheme = dev_scheme(id.clone(), Direction::Credit);
        assert_eq!(scheme.scheme_id, id);
        assert_eq!(scheme.app_id, "SANDBOX");
        let (jpy, brazil) = (
            Currency::parse("JPY").expect("JPY"),
            Country::parse("BR").expect("BR"),
        );
        assert!(scheme.accepts_currency(jpy) && scheme.accepts_country(brazil));
    }

    #[test]
    fn the_table_is_the_functions_table_name() {
        let path = crate::template_path();
        let template = Template::load(&path).expect("template");
        assert_eq!(table_name(&template).expect("table"), "PaymentsTable");

        let two_tables = Template::parse(
            r#"
Resources:
  A:
    Type: AWS::DynamoDB::Table
    Properties: {KeySchema: [{AttributeName: PK, KeyType: HASH}], AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]}
  B:
    Type: AWS::DynamoDB::Table
    Properties: {KeySchema: [{AttributeName: PK, KeyType: HASH}], AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]}
"#,
        )
        .expect("template");
        assert!(table_name(&two_tables).is_err());
    }

    #[tokio::test]
    async fn an_endpoint_nobody_listens_on_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        assert!(reachable(&format!("http://127.0.0.1:{port}")).await);
        drop(listener);
        assert!(!reachable(&format!("http://127.0.0.1:{port}")).await);
        assert!(!reachable("not a url").await);
        assert!(!reachable("").await);
    }
}

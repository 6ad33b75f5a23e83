//! EventBridge schedule expressions (`rate(...)`, `cron(...)`), turned into the fixed interval
//! at which the local scheduler invokes a function.
//!
//! `rate(N unit)` follows EventBridge's rules exactly (a positive whole number; `minute`,
//! `hour` or `day`, singular when N is 1 and plural otherwise), so a template that runs
//! locally also deploys.
//!
//! `cron(...)` is accepted but not evaluated: locally it runs every [`CRON_FALLBACK_INTERVAL`]
//! (one minute, cron's finest granularity, so a cron function runs locally at least as often
//! as on AWS), and `local-stack dev --schedule-interval` chooses another. Only its shape is
//! checked (six fields), because a local cron evaluator would be a second implementation of
//! AWS's cron dialect to keep right, for a walk-through that overrides the interval anyway.
//! One-time `at(...)` schedules are refused.

use std::time::Duration;

/// How often a `cron(...)` schedule runs locally.
pub const CRON_FALLBACK_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule expression {expression:?}: {reason}")]
pub struct ScheduleExpressionError {
    pub expression: String,
    pub reason: String,
}

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleExpression {
    Rate(Duration),
    /// The text between the parentheses.
    Cron(String),
}

impl ScheduleExpression {
    pub fn parse(expression: &str) -> Result<ScheduleExpression, ScheduleExpressionError> {
        let fail = |reason: &str| ScheduleExpressionError {
            expression: expression.to_owned(),
            reason: reason.to_owned(),
        };
        let text = expression.trim();
        let inner = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
        };
        if let Some(body) = inner("rate(") {
            rate(body).map(ScheduleExpression::Rate).map_err(fail)
        } else if let Some(body) = inner("cron(") {
            match body.split_whitespace().count() {
                6 => Ok(ScheduleExpression::Cron(body.trim().to_owned())),
                _ => Err(fail(
                    "cron needs six fields (minutes hours day-of-month month day-of-week year)",
                )),
            }
        } else if inner("at(").is_some() {
            Err(fail("one-time at(...) schedules are not supported locally"))
        } else {
            Err(fail("expected rate(<n> <unit>) or cron(<six fields>)"))
        }
    }

    /// The interval the local scheduler uses.
    pub fn local_interval(&self) -> Duration {
        match self {
            ScheduleExpression::Rate(interval) => *interval,
            ScheduleExpression::Cron(_) => CRON_FALLBACK_INTERVAL,
        }
    }
}

/// The inside of `rate(...)`: `<n> <unit>`.
fn rate(body: &str) -> Result<Duration, &'static str> {
    let mut parts = body.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("rate needs a value and a unit, like rate(5 minutes)");
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the rate value must be a positive whole number");
    }
    // Only digits by now, so parsing fails only on overflow.
    let value: u64 = value.parse().map_err(|_| "the rate is too long")?;
    if value == 0 {
        return Err("the rate value must be a positive whole number");
    }
    let (seconds, singular) = match unit {
        "minute" => (60, true),
        "minutes" => (60, false),
        "hour" => (3600, true),
        "hours" => (3600, false),
        "day" => (86_400, true),
        "days" => (86_400, false),
        _ => return Err("the rate unit must be minute(s), hour(s) or day(s)"),
    };
    if singular != (value == 1) {
        return Err(
            "the rate unit must be singular for 1 and plural otherwise, as EventBridge requires",
        );
    }
    value
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or("the rate is too long")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(text: &str) -> Result<Duration, String> {
        ScheduleExpression::parse(text)
            .map(|e| e.local_interval())
            .map_err(|e| e.reason)
    }

    #[test]
    fn rates_in_every_unit() {
        assert_eq!(interval("rate(1 minute)"), Ok(Duration::from_secs(60)));
        assert_eq!(interval("rate(5 minutes)"), Ok(Duration::from_secs(300)));
        assert_eq!(
            interval(" rate( 5  minutes ) "),
            Ok(Duration::from_secs(300))
        );
        assert_eq!(interval("rate(1 hour)"), Ok(Duration::from_secs(3600)));
        assert_eq!(interval("rate(12 hours)"), Ok(Duration::from_secs(43_200)));
        assert_eq!(interval("rate(1 day)"), Ok(Duration::from_secs(86_400)));
        assert_eq!(interval("rate(7 days)"), Ok(Duration::from_secs(604_800)));
    }

    #[test]
    fn cron_runs_at_the_fallback_interval() {
        let parsed = ScheduleExpression::parse("cron(0/5 * * * ? *)").expect("cron");
        assert_eq!(parsed, ScheduleExpression::Cron("0/5 * * * ? *".into()));
        assert_eq!(parsed.local_interval(), CRON_FALLBACK_INTERVAL);
    }

    #[test]
    fn bad_expressions_say_why() {
        let reason = |text| interval(text).expect_err(text);
        assert!(reason("rate(0 minutes)").contains("positive"));
        assert!(reason("rate(-5 minutes)").contains("positive"));
        assert!(reason("rate(+5 minutes)").contains("positive"));
        assert!(reason("rate(1.5 hours)").contains("positive"));
        assert!(reason("rate(five minutes)").contains("positive"));
        assert!(reason("rate(5 seconds)").contains("unit"));
        assert!(reason("rate(5 Minutes)").contains("unit"));
        assert!(reason("rate(1 minutes)").contains("singular"));
        assert!(reason("rate(5 minute)").contains("singular"));
        assert!(reason("rate(5)").contains("value and a unit"));
        assert!(reason("rate()").contains("value and a unit"));
        assert!(reason("rate(5 minutes now)").contains("value and a unit"));
        assert!(reason("rate(99999999999999999999 days)").contains("too long"));
        assert!(reason("rate(999999999999999999 days)").contains("too long"));
        assert!(reason("rate(5 minutes").contains("expected rate"));
        assert!(reason("5 minutes").contains("expected rate"));
        assert!(reason("").contains("expected rate"));
        assert!(reason("cron(0 12 * * ?)").contains("six fields"));
        assert!(reason("at(2030-01-01T00:00:00)").contains("not supported"));
        let error = ScheduleExpression::parse("rate(0 minutes)").expect_err("zero");
        assert_eq!(
            error.to_string(),
            "schedule expression \"rate(0 minutes)\": the rate value must be a positive whole number"
        );
    }
}

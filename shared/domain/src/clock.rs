//! The time of a request or message. Each is handled with one reading of the clock, taken at
//! its edge and passed to the use case, so every timestamp it records agrees with every other
//! and a test can say exactly when "now" is.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now {
    epoch_ms: i64,
}

impl Now {
    /// Reads the system clock.
    pub fn read() -> Now {
        Now::at(chrono::Utc::now().timestamp_millis())
    }

    pub const fn at(epoch_ms: i64) -> Now {
        Now { epoch_ms }
    }

    pub fn epoch_ms(self) -> i64 {
        self.epoch_ms
    }

    pub fn epoch_seconds(self) -> i64 {
        self.epoch_ms.div_euclid(1000)
    }

    /// The UTC date: settle dates are due from the start of their day in UTC.
    pub fn today(self) -> NaiveDate {
        chrono::DateTime::from_timestamp_millis(self.epoch_ms)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }
}

/// An epoch-milliseconds moment as ISO-8601 UTC to the second (`2026-12-07T10:15:00Z`).
pub fn iso_timestamp(epoch_ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(epoch_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_utc_date() {
        // 2024-03-01T23:59:59.999Z and one millisecond later.
        assert_eq!(Now::at(1_709_337_599_999).today().to_string(), "2024-03-01");
        assert_eq!(Now::at(1_709_337_600_000).today().to_string(), "2024-03-02");
        assert_eq!(Now::at(1_709_337_600_999).epoch_seconds(), 1_709_337_600);
    }
}

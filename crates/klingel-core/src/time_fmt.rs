//! Timestamps: stored as Unix milliseconds, exchanged as RFC 3339.

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, the form timestamps take in SQLite.
pub fn to_millis(at: OffsetDateTime) -> i64 {
    // i128 -> i64 cannot overflow for any date the clock can produce before year 292 million.
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The inverse of [`to_millis`]; out-of-range values clamp to the epoch.
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The current time, truncated to milliseconds so it survives a round trip through the store.
pub fn now() -> OffsetDateTime {
    from_millis(to_millis(OffsetDateTime::now_utc()))
}

/// RFC 3339 text for logs and JSON output.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| to_millis(at).to_string())
}

/// Serde adapter writing an `OffsetDateTime` as RFC 3339.
pub mod serde_rfc3339 {
    pub use time::serde::rfc3339::*;
    /// The same for `Option<OffsetDateTime>`.
    pub mod option {
        pub use time::serde::rfc3339::option::*;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_keeps_the_instant() {
        let at = from_millis(1_700_000_000_123);
        assert_eq!(
            to_millis(at),
            1_700_000_000_123,
            "storing and loading must not move a timestamp"
        );
    }
}

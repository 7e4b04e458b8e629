//! How times read on screen and in emails. Stored times are UTC; this is the one place that
//! says how they are written.

use chrono::{DateTime, Utc};

/// `2026-11-29 14:03 UTC`: the minute a person needs, with the zone said out loud.
pub fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `14:03 UTC`: a time within the next hours.
pub fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

/// `2026-11-29`.
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

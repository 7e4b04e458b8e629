//! The New booking form's fields as domain values. Each parser's error is the sentence shown
//! under its field.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};

/// What was booked: one line of at most [`BookingTitle::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingTitle(String);

impl BookingTitle {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Enter what was booked.".to_owned());
        }
        if value.chars().any(char::is_control) {
            return Err("Keep what was booked on one line, without control characters.".to_owned());
        }
        if value.chars().count() > Self::MAX {
            return Err(format!(
                "Describe what was booked in at most {} characters.",
                Self::MAX
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When the booking starts, to the minute. There is no merchant time zone yet: the wall-clock
/// time typed into `<input type="datetime-local">` is stored as UTC and shown back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartsAt(DateTime<Utc>);

impl StartsAt {
    const FIRST_YEAR: i32 = 2000;
    const LAST_YEAR: i32 = 2100;

    /// `YYYY-MM-DDTHH:MM` (what the input sends), seconds tolerated and dropped.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Enter the date and time of the booking.".to_owned());
        }
        let parsed = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
            .map_err(|_| "Enter a date and time like 2026-07-14 09:30.".to_owned())?;
        if !(Self::FIRST_YEAR..=Self::LAST_YEAR).contains(&parsed.year()) {
            return Err(format!(
                "Enter a date between {} and {}.",
                Self::FIRST_YEAR,
                Self::LAST_YEAR
            ));
        }
        let minute = parsed.with_second(0).unwrap_or(parsed);
        Ok(Self(minute.and_utc()))
    }

    pub fn at(self) -> DateTime<Utc> {
        self.0
    }
}

/// How many people: a whole number from 1 to [`Participants::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Participants(u16);

impl Participants {
    pub const MAX: u16 = 500;

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().parse::<u16>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(format!(
                "Enter a whole number of participants from 1 to {}.",
                Self::MAX
            )),
        }
    }

    pub fn count(self) -> u16 {
        self.0
    }
}

/// How a booking's start is shown, and how the form's value looks: `2026-07-14 09:30`.
pub fn show_starts_at(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn titles_are_one_trimmed_line_of_at_most_200_characters() {
        assert_eq!(
            BookingTitle::parse("  Sunset kayak tour ")
                .unwrap()
                .as_str(),
            "Sunset kayak tour"
        );
        assert!(BookingTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            BookingTitle::parse(&"a".repeat(201)),
            Err("Describe what was booked in at most 200 characters.".into())
        );
        assert_eq!(
            BookingTitle::parse("   "),
            Err("Enter what was booked.".into())
        );
        assert!(BookingTitle::parse("Tour\r\nBcc: x@example.com").is_err());
    }

    #[test]
    fn starts_at_takes_what_a_datetime_local_input_sends() {
        let at = StartsAt::parse("2026-07-14T09:30").unwrap().at();
        assert_eq!(show_starts_at(at), "2026-07-14 09:30");
        assert_eq!(at.to_rfc3339(), "2026-07-14T09:30:00+00:00");
        assert_eq!(
            StartsAt::parse("2026-07-14T09:30:59").unwrap().at(),
            at,
            "seconds are dropped"
        );
        for bad in [
            "",
            "tomorrow",
            "2026-02-30T10:00",
            "2026-07-14",
            "14/07/2026 09:30",
        ] {
            assert!(StartsAt::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            StartsAt::parse("1999-12-31T23:59"),
            Err("Enter a date between 2000 and 2100.".into())
        );
        assert!(StartsAt::parse("2101-01-01T00:00").is_err());
    }

    #[test]
    fn participants_are_a_whole_number_from_1_to_500() {
        assert_eq!(Participants::parse(" 4 ").unwrap().count(), 4);
        assert_eq!(Participants::parse("500").unwrap().count(), 500);
        for bad in ["0", "501", "-1", "2.5", "", "ten", "70000"] {
            assert!(Participants::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn any_minute_in_range_round_trips(minutes in 0_i64..(100 * 365 * 24 * 60)) {
            let start = NaiveDateTime::parse_from_str("2000-01-01T00:00", "%Y-%m-%dT%H:%M")
                .unwrap()
                .and_utc();
            let at = start + chrono::Duration::minutes(minutes);
            let typed = at.format("%Y-%m-%dT%H:%M").to_string();
            prop_assert_eq!(StartsAt::parse(&typed).map(StartsAt::at), Ok(at));
        }

        #[test]
        fn parsed_participants_are_in_range(raw in "[-0-9 .]{0,6}") {
            if let Ok(n) = Participants::parse(&raw) {
                prop_assert!((1..=Participants::MAX).contains(&n.count()));
            }
        }
    }
}

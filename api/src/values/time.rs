//! Time zones and moments given as a date alone. A date means a whole day where the organization is
//! (`2026-12-01` from its first instant there to its last), so "created on the 1st" is what people there
//! call the 1st.

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::zones;
use crate::error::{ApiError, ApiResult};

/// An IANA time zone such as `America/Costa_Rica`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        raw.trim().parse::<Tz>().map(Self).map_err(|_| {
            ApiError::bad_input(field, format!("`{raw}` is not an IANA time zone such as America/Costa_Rica"))
        })
    }

    /// The default zone of a country, by its ISO code (its capital's, or most of its people's).
    pub fn of_country(country: &str) -> Self {
        Self(zones::of(country).parse().unwrap_or(Tz::UTC))
    }

    /// An organization's zone: the one it set, else its country's.
    pub fn of(organization: &entity::organization::Model) -> Self {
        let set = organization.time_zone.as_deref().and_then(|z| z.parse::<Tz>().ok());
        set.map_or_else(|| Self::of_country(&organization.default_country), Self)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The first instant of `day` here (after midnight when a clock change skips it).
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        (0..=24)
            .find_map(|h| self.0.from_local_datetime(&(midnight + Duration::hours(h))).earliest())
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The last instant of `day` here: a microsecond before the next day starts.
    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let next = day.succ_opt().unwrap_or(day);
        self.start_of(next) - Duration::microseconds(1)
    }

    /// `at` as people here read it, with their offset (`2026-12-01T08:30:00-06:00`).
    pub fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// A moment given as a date-time, or as a date alone (a whole day in the organization's zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

impl Moment {
    /// RFC 3339 (`2026-12-01T08:00:00Z`) or a date (`2026-12-01`).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        // What chrono's `DateTime` scalar read before (RFC 3339 and its looser forms), then a date alone.
        if let Ok(at) = raw.parse::<DateTime<Utc>>() {
            return Some(Self::At(at));
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().map(Self::Day)
    }

    /// As the start of a range: a date from its first instant.
    pub fn from(self, zone: &TimeZone) -> DateTime<Utc> {
        match self {
            Self::At(at) => at,
            Self::Day(day) => zone.start_of(day),
        }
    }

    /// As the end of a range: a date through its last instant.
    pub fn to(self, zone: &TimeZone) -> DateTime<Utc> {
        match self {
            Self::At(at) => at,
            Self::Day(day) => zone.end_of(day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_a_whole_day_where_the_organization_is() {
        let cr = TimeZone::parse("timeZone", "America/Costa_Rica").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(cr.start_of(day).to_rfc3339(), "2026-12-01T06:00:00+00:00");
        assert_eq!(cr.end_of(day).to_rfc3339(), "2026-12-02T05:59:59.999999+00:00");
        assert_eq!(Moment::parse("2026-12-01"), Some(Moment::Day(day)));
        assert!(matches!(Moment::parse("2026-12-01T10:00:00-06:00"), Some(Moment::At(_))));
        assert!(
            matches!(Moment::parse("2026-12-01 08:00:00+00:00"), Some(Moment::At(_))),
            "the looser forms read before"
        );
        assert_eq!(Moment::parse("12/01/2026"), None);
        assert!(TimeZone::parse("timeZone", "Mars/Olympus").is_err());
        assert_eq!(TimeZone::of_country("BR").name(), "America/Sao_Paulo");
        assert_eq!(TimeZone::of_country("CR").name(), "America/Costa_Rica");
        assert_eq!(cr.local(cr.start_of(day)), "2026-12-01T00:00:00-06:00");
    }
}

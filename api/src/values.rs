//! Values that are checked once, where they enter (a GraphQL input, an import row, a webhook), and carried
//! as their own types down to storage: a `Phone` is always E.164, an `Email` always lower-case and well
//! formed, a `CountryCode` always two upper-case letters. Each `parse` names the field it refuses.

use std::fmt;

use crate::error::{ApiError, ApiResult};

/// An ISO 3166-1 alpha-2 code such as `CR` or `MX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Trimmed and upper-cased; refused unless two letters.
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ApiError::bad_input(field, format!("`{raw}` is not a two-letter country code such as CR")));
        }
        Ok(Self(code))
    }

    /// An organization's stored default country (checked when it was written).
    pub fn of(organization: &entity::organization::Model) -> Self {
        Self(organization.default_country.clone())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+50688881234`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// The longest text we try to read as a phone number.
const MAX_PHONE_CHARS: usize = 40;

impl Phone {
    /// A number as a person types it: without a country code it is read in `country`.
    pub fn parse(field: &str, raw: &str, country: &CountryCode) -> ApiResult<Self> {
        Self::read(field, raw, country.as_str().parse::<phonenumber::country::Id>().ok())
    }

    /// A number that carries its country code (`+` and digits), as channels send them.
    pub fn parse_international(field: &str, raw: &str) -> ApiResult<Self> {
        Self::read(field, raw, None)
    }

    fn read(field: &str, raw: &str, country: Option<phonenumber::country::Id>) -> ApiResult<Self> {
        let invalid = || ApiError::bad_input(field, "Enter a valid phone number, with its country code");
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_PHONE_CHARS {
            return Err(invalid());
        }
        let number = phonenumber::parse(country, raw).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lower-cased email address with one `@`, a dotted domain and no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.matches('@').count() == 1
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            });
        if valid { Ok(Self(email)) } else { Err(ApiError::bad_input(field, "Enter a valid email address")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! as_text {
    ($($t:ident),+) => {$(
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

as_text!(CountryCode, Phone, Email);

#[cfg(test)]
mod tests {
    use super::*;

    fn cr() -> CountryCode {
        CountryCode::parse("country", "cr").unwrap()
    }

    #[test]
    fn phones_are_normalised_to_e164_in_the_default_country() {
        let phone = |raw: &str, c: &str| Phone::parse("phone", raw, &CountryCode::parse("c", c).unwrap());
        assert_eq!(phone("8888 1234", "CR").unwrap().as_str(), "+50688881234");
        assert_eq!(phone("+506 8888-1234", "MX").unwrap().as_str(), "+50688881234");
        assert_eq!(phone("(650) 555-1234", "US").unwrap().as_str(), "+16505551234");
        assert!(phone("12", "CR").is_err());
        assert!(phone("not a phone", "CR").is_err());
        assert!(phone("+999 1234 5678", "CR").is_err());
        assert!(phone(&"9".repeat(41), "CR").is_err());
    }

    #[test]
    fn channel_numbers_need_their_country_code() {
        assert_eq!(Phone::parse_international("from", "+50688881234").unwrap().as_str(), "+50688881234");
        assert!(Phone::parse_international("from", "88881234").is_err());
        assert_eq!(Phone::parse("phone", "88881234", &cr()).unwrap().to_string(), "+50688881234");
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert_eq!(Email::parse("email", " Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@@example.com", "a@example..com"]
        {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(cr().as_str(), "CR");
        for bad in ["", "C", "CRI", "1R", "ÇR"] {
            assert!(CountryCode::parse("defaultCountry", bad).is_err(), "{bad}");
        }
    }
}

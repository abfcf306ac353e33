//! Values that are checked once, where they enter (a GraphQL input, an import row, a webhook), and carried
//! as their own types down to storage: a `Phone` is always E.164, an `Email` always lower-case and well
//! formed, a `CountryCode` always two upper-case letters, a `TimeZone` an IANA zone. Each `parse` names the field it refuses.

use std::fmt;

mod time;
mod zones;

pub use time::{Moment, TimeZone};

use crate::error::{ApiError, ApiResult};

/// An ISO 3166-1 alpha-2 code such as `CR` or `MX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Trimmed and upper-cased; refused unless it names a country (two letters that do not, such as `XX`,
    /// are refused too).
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        let code = raw.trim().to_ascii_uppercase();
        // Every ISO 3166-1 country and territory has a numbering plan in the phone metadata.
        let known = code.len() == 2
            && code.chars().all(|c| c.is_ascii_uppercase())
            && phonenumber::metadata::DATABASE.by_id(&code).is_some();
        if !known {
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

/// A phone number in E.164 (`+50688881234`), mobile numbers in their one canonical form (`mobile_form`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// The longest text we try to read as a phone number.
const MAX_PHONE_CHARS: usize = 40;

impl Phone {
    /// A number as a person types it, with spaces, dashes, dots or parentheses. Read first as written: with
    /// its `+` and country code, or as a national number of `country` (or after `country`'s international
    /// prefix); otherwise its digits as a country code and number without the `+` (`573001234567`), or
    /// after the international prefix 00 (`0057 300 123 4567`).
    pub fn parse(field: &str, raw: &str, country: &CountryCode) -> ApiResult<Self> {
        let region = country.as_str().parse::<phonenumber::country::Id>().ok();
        Self::read(raw, region).ok_or_else(|| {
            let national = example(country.as_str());
            let example =
                national.as_deref().map_or(String::new(), |n| format!(", or a number of {country} such as {n}"));
            ApiError::bad_input(
                field,
                format!("Enter a phone number with its country code, such as +506 8312 3456{example}"),
            )
        })
    }

    /// A number that carries its country code (`+` and digits), as channels send them.
    pub fn parse_international(field: &str, raw: &str) -> ApiResult<Self> {
        Self::read(raw, None).ok_or_else(|| {
            ApiError::bad_input(field, "Expected a phone number with its country code, such as +50683123456")
        })
    }

    fn read(raw: &str, region: Option<phonenumber::country::Id>) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_PHONE_CHARS {
            return None;
        }
        if let Some(phone) = e164(region, raw) {
            return Some(phone);
        }
        let typed = raw.chars().all(|c| c.is_ascii_digit() || " -.()/".contains(c));
        if raw.starts_with('+') || !typed {
            return None;
        }
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let international = digits.strip_prefix("00").into_iter().chain([digits.as_str()]);
        international.filter(|d| !d.is_empty()).find_map(|d| e164(None, &format!("+{d}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The valid number `text` names (read in `region` when it has no `+`), in E.164, in its mobile form.
fn e164(region: Option<phonenumber::country::Id>, text: &str) -> Option<Phone> {
    let number = phonenumber::parse(region, text).ok()?;
    let code = number.code().value();
    let national = number.national().to_string();
    if let Some(form) = mobile_form(code, &national) {
        let canonical = format!("+{code}{form}");
        if phonenumber::parse(None, &canonical).is_ok_and(|n| phonenumber::is_valid(&n)) {
            return Some(Phone(canonical));
        }
    }
    phonenumber::is_valid(&number).then(|| Phone(number.format().mode(phonenumber::Mode::E164).to_string()))
}

/// Lines that people and WhatsApp write in two forms are stored in one (`docs/decisions.md`, phones):
/// Brazil's mobiles with the ninth digit, Mexico's without the `1` after +52, Argentina's with the `9`
/// after +54. The national number (digits, as the parser gives it) of the other form, or `None` when it is
/// already canonical. `m20261201_000013_phone_forms` applies the same rules in SQL.
fn mobile_form(country_code: u16, national: &str) -> Option<String> {
    match (country_code, national.len()) {
        // 2-digit area code, then an 8-digit mobile number (mobiles start 6 to 9; landlines 2 to 5).
        (55, 10) if matches!(national.as_bytes()[2], b'6'..=b'9') => {
            Some(format!("{}9{}", &national[..2], &national[2..]))
        }
        (52, 11) if national.starts_with('1') => Some(national[1..].to_string()),
        (54, 10) if !national.starts_with('9') => Some(format!("9{national}")),
        _ => None,
    }
}

/// A mobile number of `country` as written there, for error messages.
fn example(country: &str) -> Option<String> {
    let meta = phonenumber::metadata::DATABASE.by_id(country)?;
    let descriptors = meta.descriptors();
    let national = descriptors.mobile().and_then(|d| d.example()).or_else(|| descriptors.general().example())?;
    let number = phonenumber::parse(country.parse().ok(), national).ok()?;
    Some(number.format().mode(phonenumber::Mode::National).to_string())
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

/// A WhatsApp business-scoped user id (`US.13491208655302741918`), or with `parent` a parent one
/// (`US.ENT.11815799212886844830`): two capital letters, a period (`ENT.` for a parent), then up to 128
/// letters or digits, as Meta documents them.
pub fn whatsapp_user_id(field: &str, raw: &str, parent: bool) -> ApiResult<String> {
    let value = raw.trim();
    let rest = value.get(3..).filter(|_| value.as_bytes().get(2) == Some(&b'.'));
    let country = value.get(..2).is_some_and(|c| c.bytes().all(|b| b.is_ascii_uppercase()));
    let rest = if parent { rest.and_then(|r| r.strip_prefix("ENT.")) } else { rest };
    let id = rest.is_some_and(|r| (1..=128).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    if country && id {
        return Ok(value.to_string());
    }
    let example = if parent { "US.ENT.11815799212886844830" } else { "US.13491208655302741918" };
    Err(ApiError::bad_input(
        field,
        format!(
            "Expected a country code, a period{} and up to 128 letters or digits, such as {example}",
            if parent { ", ENT." } else { "" }
        ),
    ))
}

/// A username as it is compared: without a leading `@`, in lower case (WhatsApp compares usernames
/// ignoring case); letters, digits, `.`, `_` or `-`, at most 64 characters.
pub fn username(field: &str, raw: &str) -> ApiResult<String> {
    let value = raw.trim();
    let value = value.strip_prefix('@').unwrap_or(value).to_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=64).contains(&value.len()) && value.chars().all(allowed) {
        Ok(value)
    } else {
        Err(ApiError::bad_input(field, "Expected up to 64 letters, digits, `.`, `_` or `-`, such as maria.lopez"))
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
    fn numbers_as_people_type_them() {
        let co = CountryCode::parse("c", "CO").unwrap();
        let read = |raw: &str| Phone::parse("phone", raw, &cr()).map(String::from);
        assert_eq!(read("573001234567").unwrap(), "+573001234567", "a country code without +");
        assert_eq!(read("0057 300 123 4567").unwrap(), "+573001234567", "after the international prefix");
        assert_eq!(read("(506) 8888.1234").unwrap(), "+50688881234");
        assert_eq!(read("8888-1234").unwrap(), "+50688881234", "national first");
        assert_eq!(Phone::parse("phone", "300 123 4567", &co).unwrap().as_str(), "+573001234567");
        let err = read("12345").unwrap_err().to_string();
        assert!(err.contains("such as"), "the error gives an example: {err}");
        assert!(read("not a phone").is_err());
        assert!(read(&"1".repeat(40)).is_err());
    }

    #[test]
    fn mobile_forms_of_one_line_are_one_number() {
        let read = |raw: &str| Phone::parse_international("from", raw).map(String::from).unwrap();
        assert_eq!(read("+55 11 8765 4321"), read("+55 11 98765 4321"), "Brazil's ninth digit");
        assert_eq!(read("+55 11 98765 4321"), "+5511987654321");
        assert_eq!(read("+55 11 3456 7890"), "+551134567890", "a landline keeps its eight digits");
        assert_eq!(read("+52 1 55 1234 5678"), read("+52 55 1234 5678"), "Mexico's 1");
        assert_eq!(read("+52 55 1234 5678"), "+525512345678");
        assert_eq!(read("+54 9 11 2345 6789"), read("+54 11 2345 6789"), "Argentina's 9");
        assert_eq!(read("+54 9 11 2345 6789"), "+5491123456789");
        assert_ne!(read("+55 11 98765 4321"), read("+55 21 98765 4321"), "other lines stay apart");
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
    fn whatsapp_user_ids_and_usernames_have_their_documented_forms() {
        assert_eq!(whatsapp_user_id("u", "US.13491208655302741918", false).unwrap(), "US.13491208655302741918");
        assert!(whatsapp_user_id("u", "US.ENT.118157992128", true).is_ok());
        for bad in ["us.123", "US123", "US.", "US.12 3", &format!("US.{}", "1".repeat(129)), "US.ENT.1"] {
            assert!(whatsapp_user_id("u", bad, false).is_err(), "{bad}");
        }
        assert!(whatsapp_user_id("u", "US.123", true).is_err(), "a parent id has ENT");
        assert_eq!(username("n", "@RealSheena.Nelson").unwrap(), "realsheena.nelson");
        assert!(username("n", "mateo\u{7}mx").is_err());
        assert!(username("n", &"a".repeat(65)).is_err());
    }

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(cr().as_str(), "CR");
        for bad in ["", "C", "CRI", "1R", "ÇR", "XX", "ZZ"] {
            assert!(CountryCode::parse("defaultCountry", bad).is_err(), "{bad}");
        }
    }
}

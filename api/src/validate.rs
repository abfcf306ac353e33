//! Input rules shared by every domain: names, emails, phones, free text. Each failure names the field.

use crate::error::{ApiError, ApiResult};

pub const MAX_NAME_CHARS: usize = 200;

/// An ISO 3166-1 alpha-2 code such as `CR` or `MX`, trimmed and upper-cased.
pub fn country(field: &str, raw: &str) -> ApiResult<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::bad_input(field, format!("`{raw}` is not a two-letter country code such as CR")));
    }
    Ok(code)
}

/// A trimmed, non-empty name of at most 200 characters.
pub fn name(field: &str, raw: &str) -> ApiResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::bad_input(field, format!("Must be 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_string())
}

/// Trimmed text of 1 to `max` characters.
pub fn text(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(ApiError::bad_input(field, format!("Must be 1 to {max} characters")));
    }
    Ok(text.to_string())
}

/// A lower-cased email address with one `@`, a dotted domain and no spaces.
pub fn email(field: &str, raw: &str) -> ApiResult<String> {
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
    if valid { Ok(email) } else { Err(ApiError::bad_input(field, "Enter a valid email address")) }
}

/// A phone number in E.164 (`+50688881234`). A number without a country code is read in the
/// organization's default country.
pub fn phone(field: &str, raw: &str, default_country: &str) -> ApiResult<String> {
    let invalid = || ApiError::bad_input(field, "Enter a valid phone number, with its country code");
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 40 {
        return Err(invalid());
    }
    let country = default_country.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(country, raw).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Lower-case, accent-free text for matching: "José Martínez" becomes "jose martinez".
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_e164_in_the_default_country() {
        assert_eq!(phone("phone", "8888 1234", "CR").unwrap(), "+50688881234");
        assert_eq!(phone("phone", "+506 8888-1234", "MX").unwrap(), "+50688881234");
        assert_eq!(phone("phone", "(650) 555-1234", "US").unwrap(), "+16505551234");
        assert!(phone("phone", "12", "CR").is_err());
        assert!(phone("phone", "not a phone", "CR").is_err());
        assert!(phone("phone", "+999 1234 5678", "CR").is_err());
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert_eq!(email("email", " Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@@example.com", "a@example..com"]
        {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ana  ").unwrap(), "Ana");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(201)).is_err());
    }

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("José MARTÍNEZ Ñúñez"), "jose martinez nunez");
    }
}

//! Input rules shared by every domain for names and free text, each failure naming the field, and the
//! folding that matching uses. Phones, emails and country codes are types of their own (`values`).

use crate::error::{ApiError, ApiResult};

pub const MAX_NAME_CHARS: usize = 200;

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

/// The longest identity a channel gives a person (WhatsApp user ids, usernames, Telegram ids, sessions).
pub const MAX_IDENTITY_CHARS: usize = 128;

/// An identity a channel gives a person: trimmed, at most 128 characters, no spaces or control characters
/// (it is a key, compared exactly).
pub fn identity(field: &str, raw: &str) -> ApiResult<String> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > MAX_IDENTITY_CHARS {
        return Err(ApiError::bad_input(field, format!("Must be 1 to {MAX_IDENTITY_CHARS} characters")));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::bad_input(field, "Must have no spaces or control characters"));
    }
    Ok(value.to_string())
}

/// Lower-case, accent-free text for matching: "José Martínez" becomes "jose martinez".
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ana  ").unwrap(), "Ana");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(201)).is_err());
    }

    #[test]
    fn identities_are_keys_without_spaces_or_control_characters() {
        assert_eq!(identity("username", " mateo_mx ").unwrap(), "mateo_mx");
        assert!(identity("waUserId", &"U".repeat(300)).is_err());
        assert!(identity("username", "mateo\u{7}mx").is_err());
        assert!(identity("username", "mateo mx").is_err());
    }

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("José MARTÍNEZ Ñúñez"), "jose martinez nunez");
    }
}

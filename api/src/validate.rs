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
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("José MARTÍNEZ Ñúñez"), "jose martinez nunez");
    }
}

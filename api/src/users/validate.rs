//! Input rules for user fields.

use crate::error::{ApiError, ApiResult};

pub fn email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'));
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad_input("email", "Enter a valid email address"))
    }
}

pub fn name(raw: &str) -> ApiResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input("name", "Name must be 1 to 200 characters"));
    }
    Ok(name.to_string())
}

pub fn password(raw: &str) -> ApiResult<()> {
    let len = raw.chars().count();
    if !(8..=128).contains(&len) {
        return Err(ApiError::bad_input("password", "Password must be 8 to 128 characters"));
    }
    Ok(())
}

//! Input rules shared by the browser (instant feedback) and the server (the
//! rule that counts).

use unicode_normalization::UnicodeNormalization;

/// Shortest and longest accepted username, in characters.
pub const USERNAME_LEN: std::ops::RangeInclusive<usize> = 3..=64;
/// Shortest accepted password, in characters (NIST SP 800-63B).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest accepted password, in characters; generous so passphrases fit.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Normalizes a username for storage and comparison: trimmed, NFKC, lower case.
///
/// Returns a message for the user when the name is not acceptable.
pub fn normalize_username(raw: &str) -> Result<String, String> {
    let name: String = raw.trim().nfkc().flat_map(char::to_lowercase).collect();
    let len = name.chars().count();
    if !USERNAME_LEN.contains(&len) {
        return Err(format!(
            "A username has {} to {} characters.",
            USERNAME_LEN.start(),
            USERNAME_LEN.end()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("A username may contain letters, digits, '.', '_' and '-' only.".into());
    }
    Ok(name)
}

/// The display form of a username: trimmed and NFKC-normalized, case kept.
pub fn display_username(raw: &str) -> String {
    raw.trim().nfkc().collect()
}

/// Checks the length rules on a password; strength is judged by zxcvbn in the browser.
pub fn check_password_length(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        return Err(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters. A few words make a good password."
        ));
    }
    if len > PASSWORD_MAX_CHARS {
        return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    Ok(())
}

/// Checks an optional e-mail address: empty means none.
pub fn normalize_email(raw: &str) -> Result<Option<String>, String> {
    let email = raw.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(Some(email.to_string()))
    } else {
        Err("That does not look like an e-mail address.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_compare_case_insensitively_after_normalization() {
        assert_eq!(normalize_username("  Alice ").unwrap(), "alice");
        assert_eq!(normalize_username("ＡＬＩＣＥ").unwrap(), "alice");
    }

    #[test]
    fn usernames_outside_the_length_range_are_refused() {
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username(&"a".repeat(65)).is_err());
        assert!(normalize_username(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn usernames_with_markup_or_spaces_are_refused() {
        assert!(normalize_username("<script>").is_err());
        assert!(normalize_username("bob smith").is_err());
        assert!(normalize_username("bob/../x").is_err());
    }

    #[test]
    fn a_128_character_unicode_password_is_accepted() {
        let pw: String = "пароль🔑".chars().cycle().take(128).collect();
        assert!(check_password_length(&pw).is_ok());
    }

    #[test]
    fn a_seven_character_password_is_refused() {
        assert!(check_password_length("abcdefg").is_err());
        assert!(check_password_length("abcdefgh").is_ok());
    }

    #[test]
    fn emails_are_optional_but_checked_when_given() {
        assert_eq!(normalize_email(" ").unwrap(), None);
        assert!(normalize_email("a@b.example").unwrap().is_some());
        assert!(normalize_email("nope").is_err());
    }
}

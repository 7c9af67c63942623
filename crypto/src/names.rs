//! Decrypted file names are data, not paths. A name comes from whoever sealed the metadata (the
//! owner, or anybody holding the file key), so before it is used to save a file or shown as one it
//! goes through [`safe_file_name`] (docs/CRYPTO.md §7.1): decryptors MUST apply it.

/// The name to save (and show) a file under, made from a decrypted metadata name:
///
/// 1. every control character (Unicode general category Cc: U+0000–U+001F, U+007F–U+009F) and
///    every bidirectional formatting character (U+061C, U+200E, U+200F, U+202A–U+202E,
///    U+2066–U+2069) is removed;
/// 2. every path separator (`/` and `\`) is replaced by `_`;
/// 3. leading and trailing white space (Unicode White_Space) is removed;
/// 4. a name that is then empty or made only of dots (`.`, `..`, …) becomes `file`.
///
/// What remains cannot name another directory, hide its real extension behind right-to-left
/// overrides, or carry terminal escape sequences.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().all(|c| c == '.') {
        "file".to_string()
    } else {
        trimmed.to_string()
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn names_lose_paths_controls_and_bidi_overrides() {
        for (raw, safe) in [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", ".._.._etc_passwd"),
            ("..", "file"),
            (".", "file"),
            ("", "file"),
            ("   ", "file"),
            ("C:\\Windows\\evil.dll", "C:_Windows_evil.dll"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("a\u{0}b\u{1b}[31mc\u{7f}", "ab[31mc"),
            ("  spaced name.txt \n", "spaced name.txt"),
            ("Ünïcödé 日本語.txt", "Ünïcödé 日本語.txt"),
            ("report..pdf", "report..pdf"),
        ] {
            assert_eq!(safe_file_name(raw), safe, "for {raw:?}");
        }
    }
}

//! The one way Coffer writes a byte count for people: binary units, labelled as such
//! (`KiB`, `MiB`, `GiB`), the same in server messages and in the browser, so a quota set as
//! 50 GiB reads "50 GiB" everywhere.

/// `12 bytes`, `1 byte`, `300 KiB`, `1.5 MiB`, `50 GiB`: one decimal where it matters.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes == 1 {
        return "1 byte".into();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    format!("{} {}", text.trim_end_matches(".0"), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_like_a_person_would_write_them() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(300 * 1024), "300 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(human_bytes(10 * 1024 * 1024 * 1024), "10 GiB");
    }

    #[test]
    fn a_quota_set_in_gib_reads_back_in_gib() {
        assert_eq!(human_bytes(50 * 1024 * 1024 * 1024), "50 GiB");
        assert_eq!(human_bytes(1024 * 1024 - 1), "1 MiB");
        assert_eq!(human_bytes(u64::MAX), "16 EiB");
    }
}

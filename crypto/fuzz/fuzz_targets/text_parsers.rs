//! Arbitrary text into the parsers of human- and URL-facing encodings.
#![no_main]

use coffer_crypto::{FileKey, LinkSecret, RecoveryKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let _ = RecoveryKey::parse(s);
    let _ = LinkSecret::from_fragment(s);
    let _ = FileKey::import(s);
    if let Ok(rk) = RecoveryKey::parse(s) {
        // Whatever parses must print back to something that parses to the same key.
        let shown = rk.to_display();
        assert_eq!(RecoveryKey::parse(&shown).unwrap().to_display(), shown);
    }
});

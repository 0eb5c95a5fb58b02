//! Fuzzes the time parsers with any text: a time or None, never a panic or an overflow (the
//! fuzz build checks arithmetic overflow).
#![no_main]

use eastwest_model::time::{Civil, parse_rfc3339, parse_time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ms in [parse_time(text), parse_rfc3339(text)].into_iter().flatten() {
        let _ = Civil::from_ms(ms).iso_millis();
    }
});

//! Fuzzes the Sigma compiler with any text as a rule: each must end as a compiled condition or
//! a refusal with its reason, never a panic, a hang or unbounded memory (rules come from a
//! user's checkout, which is input like any log).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mappings = eastwest_sigma::Mappings::builtin();
    match eastwest_sigma::compile("fuzz.yml", text, &mappings) {
        Ok(rule) => {
            // A compiled condition is bounded and names the table the mapping gave.
            assert!(rule.condition_sql.len() <= eastwest_sigma::MAX_SQL_BYTES);
            assert!(!rule.table.is_empty());
        }
        Err(refused) => assert!(!refused.reason.is_empty()),
    }
});

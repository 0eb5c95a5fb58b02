//! The built-in network detectors: one SQL file each, with its header (see [`crate::rule`]).
//! To add one, write `<id>.sql` here and add one line to [`BUILTIN`].

use crate::rule::{Rule, RuleError};

/// Every built-in network detector: its file name and text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "internal-port-scan.sql",
        include_str!("internal-port-scan.sql"),
    ),
    ("external-scan.sql", include_str!("external-scan.sql")),
    ("bruteforce-flows.sql", include_str!("bruteforce-flows.sql")),
    (
        "new-internal-edge.sql",
        include_str!("new-internal-edge.sql"),
    ),
    ("mgmt-port-access.sql", include_str!("mgmt-port-access.sql")),
    ("data-tier-access.sql", include_str!("data-tier-access.sql")),
    (
        "exfiltration-volume.sql",
        include_str!("exfiltration-volume.sql"),
    ),
    (
        "unusual-outbound-port.sql",
        include_str!("unusual-outbound-port.sql"),
    ),
];

/// The built-in rules, parsed.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    crate::rule::builtin(BUILTIN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_parses_and_ids_match_file_names() {
        let rules = super::builtin().expect("builtin rules parse");
        assert_eq!(rules.len(), super::BUILTIN.len());
        for (rule, (file, _)) in rules.iter().zip(super::BUILTIN) {
            assert_eq!(format!("{}.sql", rule.header.id), *file);
            for (name, threshold) in &rule.header.thresholds {
                assert!(!threshold.doc.is_empty(), "{file}: {name} needs a doc");
            }
        }
    }
}

//! The built-in event detectors: SQL over the event tables (`cloudtrail`, `dns`, `process`,
//! `audit`), one file each, with its header (see [`crate::rule`]; `table` names what it
//! reads). Their rows carry their own evidence: an `evidence` list of
//! `file<TAB>line<TAB>summary` texts. To add one, write `<id>.sql` here and add one line to
//! [`BUILTIN`].

use crate::rule::{Rule, RuleError};

/// Every built-in event detector: its file name and text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "instance-credential-exfiltration.sql",
        include_str!("instance-credential-exfiltration.sql"),
    ),
    ("dns-tunnel.sql", include_str!("dns-tunnel.sql")),
    ("webserver-shell.sql", include_str!("webserver-shell.sql")),
    (
        "account-manipulation.sql",
        include_str!("account-manipulation.sql"),
    ),
    (
        "network-defense-tamper.sql",
        include_str!("network-defense-tamper.sql"),
    ),
    (
        "failed-logins-across-hosts.sql",
        include_str!("failed-logins-across-hosts.sql"),
    ),
];

/// The built-in rules, parsed.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    crate::rule::builtin(BUILTIN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_parses_reads_an_event_table_and_ids_match_file_names() {
        let rules = super::builtin().expect("builtin rules parse");
        assert_eq!(rules.len(), super::BUILTIN.len());
        for (rule, (file, _)) in rules.iter().zip(super::BUILTIN) {
            assert_eq!(format!("{}.sql", rule.header.id), *file);
            assert_ne!(rule.header.table, "connections", "{file}");
            for (name, threshold) in &rule.header.thresholds {
                assert!(!threshold.doc.is_empty(), "{file}: {name} needs a doc");
            }
        }
    }
}

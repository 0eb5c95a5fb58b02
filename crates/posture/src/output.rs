//! Audit results as a plain table, for `eastwest demo` until it prints through
//! `eastwest_sinks::table` (the `audit` command already does, as it does OCSF and SARIF: see
//! [`crate::to_finding`]). Remove this module once `demo` no longer calls it.

use crate::Result;

/// A plain table, most severe first.
pub fn table(results: &[Result]) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.check.len())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:<13} {:<width$} {:<22} WHY\n",
        "SEVERITY", "CHECK", "RESOURCE"
    ));
    for r in results {
        out.push_str(&format!(
            "{:<13} {:<width$} {:<22} {}\n{:<13} {:<width$} {:<22} fix: {}\n",
            r.severity.caption(),
            r.check,
            r.failure.resource,
            r.failure.why,
            "",
            "",
            "",
            r.failure.fix
        ));
    }
    out
}

//! Detection content as data: a SQL file with a TOML header.
//!
//! ```sql
//! /*
//! id = "internal-port-scan"
//! title = "Port scan from {src_name}: {n_probes} probes"
//! attack = ["T1046"]
//! severity = "medium"
//! [thresholds.min_probes]
//! default = 20
//! doc = "Distinct host:port pairs a source must fail to reach in a day."
//! */
//! SELECT ... HAVING count(*) >= ${min_probes}
//! ```
//!
//! The header is the block comment that opens the file. In the SQL, `${name}` stands for a
//! threshold's value (a number, so nothing from a config file can change the query's shape),
//! `${detect_from}` for the first millisecond the detector may report on (after the learning
//! period for detectors that need a baseline). In `title`, `description`, `remediation` and
//! `baseline` a `{column}` is replaced by that output column of the row, `{src_name}` and
//! `{dst_name}` by the endpoints' names, and `{name}` by a threshold.
//!
//! What the query must return, one row per finding: `src_addr` (text), `period` (text: what,
//! besides the detector and the source, makes the finding's identity, such as the day),
//! `first_seen`, `last_seen` (timestamps). Optional: `vpc_id`, `dst_addr`, `dst_port`,
//! `technique` (an ATT&CK id replacing the header's first), `severity`, `confidence`, and any
//! number of `n_*` columns, which become the finding's counts.

use std::collections::BTreeMap;

use eastwest_model::Severity;
use serde::Deserialize;

/// A threshold a detector's query uses.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The value when the config does not set one.
    pub default: f64,
    /// One sentence on what it means and why this default.
    pub doc: String,
}

/// The header of a detector file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Stable id (`internal-port-scan`): the finding's `analytic.uid`.
    pub id: String,
    /// One line, a template.
    pub title: String,
    /// What it detects and why it matters; a template filled per finding.
    pub description: String,
    /// ATT&CK ids: tactics (`TA0008`), techniques, sub-techniques.
    pub attack: Vec<String>,
    /// Default severity: `informational`, `low`, `medium`, `high`, `critical`.
    pub severity: String,
    /// Default confidence, 0-100.
    #[serde(default = "default_confidence")]
    pub confidence: u8,
    /// What to do, a template.
    pub remediation: String,
    /// Whether it compares with a baseline (and so cannot run on the learning period alone).
    #[serde(default)]
    pub needs_baseline: bool,
    /// For a detector that needs a baseline: when none is ready (the input is shorter than the
    /// learning period and the state has none), run it anyway over the whole input against an
    /// empty baseline, so that everything counts as never seen. For activity that is worth a
    /// look on its own (a remote command on an instance), not for volumes or counts.
    #[serde(default)]
    pub baseline_optional: bool,
    /// The baseline it departs from, a template (for detectors that need one).
    #[serde(default)]
    pub baseline: Option<String>,
    /// A SQL condition over `connections` that picks a finding's evidence among the rows of
    /// its source (and destination and port, where the finding names them) in its period.
    #[serde(default = "default_evidence")]
    pub evidence: String,
    /// Whether configured authorised scanners are exempt (counted as suppressed).
    #[serde(default)]
    pub scanner_exempt: bool,
    /// Named thresholds.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Threshold>,
    /// The table it reads: `connections` (the default), or an event table (`cloudtrail`,
    /// `dns`, `ssh`, `process`, `audit`), whose detectors return their own evidence as an
    /// `evidence` list of `file<TAB>line<TAB>summary` texts.
    #[serde(default = "default_table")]
    pub table: String,
}

fn default_table() -> String {
    CONNECTIONS.to_string()
}

/// Parses built-in detector files (name and text, compiled in); their origin is
/// `builtin:<file>`.
pub fn builtin(files: &[(&str, &str)]) -> Result<Vec<Rule>, RuleError> {
    files
        .iter()
        .map(|(file, text)| Rule::parse(text, &format!("builtin:{file}")))
        .collect()
}

/// The table network detectors read.
pub const CONNECTIONS: &str = "connections";

fn default_confidence() -> u8 {
    70
}

fn default_evidence() -> String {
    "true".to_string()
}

/// A detector file: header and query.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The header.
    pub header: Header,
    /// The query, with `${...}` placeholders.
    pub sql: String,
    /// Where it came from (`builtin` or a path), for messages.
    pub origin: String,
}

/// Why a detector file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// No header block.
    #[error("{0}: the file must open with a /* ... */ block holding the TOML header")]
    NoHeader(String),
    /// The header is not valid TOML of the right shape.
    #[error("{origin}: header: {message}")]
    Header {
        /// The file.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A placeholder names no threshold.
    #[error("{origin}: the query uses ${{{name}}}, which is not a threshold of the header")]
    UnknownPlaceholder {
        /// The file.
        origin: String,
        /// The placeholder.
        name: String,
    },
}

/// Longest detector file accepted: a query is a page or two; anything far larger is not one.
pub const MAX_RULE_BYTES: usize = 256 * 1024;

impl Rule {
    /// Parses a detector file.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RuleError> {
        let header_error = |message: String| RuleError::Header {
            origin: origin.to_string(),
            message,
        };
        if text.len() > MAX_RULE_BYTES {
            return Err(header_error(format!(
                "the file is larger than {MAX_RULE_BYTES} bytes"
            )));
        }
        let body = text.trim_start();
        let Some(rest) = body.strip_prefix("/*") else {
            return Err(RuleError::NoHeader(origin.to_string()));
        };
        let Some((header, sql)) = rest.split_once("*/") else {
            return Err(RuleError::NoHeader(origin.to_string()));
        };
        let header: Header = toml::from_str(header).map_err(|e| header_error(e.to_string()))?;
        if Severity::parse(&header.severity).is_none() {
            return Err(header_error(format!(
                "severity '{}' is not one of informational, low, medium, high, critical",
                header.severity
            )));
        }
        if header.confidence > 100 {
            return Err(header_error("confidence must be 0-100".into()));
        }
        for id in &header.attack {
            if !eastwest_model::attack::is_known(id) {
                return Err(header_error(format!("unknown ATT&CK id '{id}'")));
            }
        }
        if header.id.is_empty()
            || !header
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(header_error(format!(
                "id '{}' must be lowercase letters, digits and dashes",
                header.id
            )));
        }
        let rule = Self {
            header,
            sql: sql.trim().to_string(),
            origin: origin.to_string(),
        };
        for name in placeholders(&rule.sql) {
            if name != "detect_from" && !rule.header.thresholds.contains_key(&name) {
                return Err(RuleError::UnknownPlaceholder {
                    origin: origin.to_string(),
                    name,
                });
            }
        }
        Ok(rule)
    }

    /// The default severity.
    pub fn severity(&self) -> Severity {
        Severity::parse(&self.header.severity).unwrap_or(Severity::Medium)
    }

    /// The query with every placeholder replaced: thresholds from `values` (else their
    /// default), `${detect_from}` by `detect_from_ms`.
    pub fn render(&self, values: &BTreeMap<String, f64>, detect_from_ms: i64) -> String {
        let mut sql = self.sql.clone();
        for (name, threshold) in &self.header.thresholds {
            let value = values.get(name).copied().unwrap_or(threshold.default);
            sql = sql.replace(&format!("${{{name}}}"), &number(value));
        }
        sql.replace("${detect_from}", &detect_from_ms.to_string())
    }
}

/// A number as SQL: integers without a fraction, so they compare with integer columns.
pub fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 9e15 {
        format!("{}", value as i64)
    } else if value.is_finite() {
        format!("{value}")
    } else {
        "0".to_string()
    }
}

/// The `${name}` placeholders of a query.
fn placeholders(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("${") {
        rest = &rest[at + 2..];
        match rest.find('}') {
            Some(end) => {
                out.push(rest[..end].to_string());
                rest = &rest[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// Fills `{name}` in a template from `values`; unknown names are left as they are.
pub fn fill(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find('}') {
            Some(end) if values.contains_key(&after[..end]) => {
                out.push_str(&values[&after[..end]]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"/*
id = "x-scan"
title = "Scan from {src_name}: {n_probes} probes (at least {min_probes})"
description = "d"
attack = ["T1046"]
severity = "medium"
remediation = "r"
[thresholds.min_probes]
default = 20
doc = "why"
*/
SELECT 1 WHERE 5 >= ${min_probes} AND 7 >= ${detect_from}"#;

    #[test]
    fn parses_and_renders() {
        let rule = Rule::parse(FILE, "test").expect("parses");
        assert_eq!(rule.header.id, "x-scan");
        assert_eq!(rule.severity(), Severity::Medium);
        assert_eq!(
            rule.render(&BTreeMap::new(), 99),
            "SELECT 1 WHERE 5 >= 20 AND 7 >= 99"
        );
        let values = BTreeMap::from([("min_probes".to_string(), 2.5)]);
        assert!(rule.render(&values, 0).contains("5 >= 2.5"));
        let filled = fill(
            &rule.header.title,
            &BTreeMap::from([
                ("src_name".to_string(), "app-3".to_string()),
                ("n_probes".to_string(), "40".to_string()),
                ("min_probes".to_string(), "20".to_string()),
            ]),
        );
        assert_eq!(filled, "Scan from app-3: 40 probes (at least 20)");
        assert_eq!(fill("{unknown} {", &BTreeMap::new()), "{unknown} {");
    }

    #[test]
    fn refuses_what_is_not_a_detector() {
        assert!(matches!(
            Rule::parse("SELECT 1", "a"),
            Err(RuleError::NoHeader(_))
        ));
        let unknown = FILE.replace("${min_probes}", "${max_probes}");
        assert!(matches!(
            Rule::parse(&unknown, "b"),
            Err(RuleError::UnknownPlaceholder { .. })
        ));
        let severity = FILE.replace("\"medium\"", "\"dire\"");
        assert!(Rule::parse(&severity, "c").is_err());
        let attack = FILE.replace("T1046", "T0000");
        assert!(Rule::parse(&attack, "d").is_err());
        let id = FILE.replace("x-scan", "X Scan; DROP");
        assert!(Rule::parse(&id, "e").is_err());
    }
}

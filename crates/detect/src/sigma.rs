//! Sigma rules as detectors: each rule `eastwest-sigma` compiles (a condition over one event
//! table) becomes a [`Detector`] whose query groups the matching events by who did them and by
//! day, with up to five of them as evidence. The curated built-in rules run by default; `--rules
//! DIR` adds every `*.yml`/`*.yaml` under DIR (a SigmaHQ checkout works). A rule that cannot be
//! translated is never dropped silently: it is returned with its reason, `eastwest detectors`
//! lists each, and `detect` says how many did not run.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::Engine;
use eastwest_sigma::{Compiled, Mappings, Unsupported};

use crate::rule::Header;
use crate::{DetectError, Detector};

/// How a finding is built from one event table's matching rows: the address it is about, who
/// did it (the group key beside the day), and one line of evidence.
struct Shape {
    table: &'static str,
    source: &'static str,
    who: &'static str,
    summary: &'static str,
}

/// One shape per event table a mapping may name.
const SHAPES: [Shape; 5] = [
    Shape {
        table: "cloudtrail",
        source: "coalesce(session_addr, source_ip)",
        // `principal` is added when the run reads the table (events::derived_columns).
        who: "coalesce(principal, principal_arn, source_ip, '?')",
        summary: "concat(event_name, ' (', event_source, ') by ', coalesce(principal_arn, principal_id, '?'), \
                  ' from ', coalesce(source_ip, '?'), \
                  CASE WHEN error_code IS NULL THEN '' ELSE concat(', ', error_code) END, \
                  CASE WHEN source_event IS NULL THEN '' ELSE concat(', event ', CAST(source_event AS VARCHAR)) END)",
    },
    Shape {
        table: "dns",
        source: "source_ip",
        who: "coalesce(source_ip, '?')",
        summary: "concat(query_type, ' ', query_name, ' → ', rcode)",
    },
    Shape {
        table: "ssh",
        source: "coalesce(source_ip, host_addr)",
        who: "concat(coalesce(host, '?'), ' ', coalesce(source_ip, ''))",
        summary: "coalesce(message, concat(event, ' ', coalesce(user, '?'), ' on ', coalesce(host, '?')))",
    },
    Shape {
        table: "process",
        source: "host_addr",
        who: "coalesce(host, '?')",
        summary: "concat(coalesce(command_line, exe, comm, '?'), ' (uid ', coalesce(CAST(uid AS VARCHAR), '?'), \
                  ', parent pid ', coalesce(CAST(ppid AS VARCHAR), '?'), ')')",
    },
    Shape {
        table: "audit",
        source: "host_addr",
        who: "coalesce(host, '?')",
        summary: "concat(coalesce(kind, '?'), ' ', coalesce(path, account, exe, ''), ' (uid ', \
                  coalesce(CAST(uid AS VARCHAR), '?'), ')')",
    },
];

/// The prefix of a Sigma detector's id (`sigma:<rule id>`).
pub const PREFIX: &str = "sigma:";

/// A compiled Sigma rule as a detector.
pub struct SigmaDetector {
    header: Header,
    origin: String,
    condition: String,
    shape: &'static Shape,
}

/// Braces would be read as template fields in titles and descriptions.
fn plain(text: &str) -> String {
    text.replace('{', "(").replace('}', ")")
}

impl SigmaDetector {
    /// The detector of `rule`, or why there is none (its table has no finding shape).
    pub fn new(rule: Compiled) -> Result<Self, Unsupported> {
        let Some(shape) = SHAPES.iter().find(|s| s.table == rule.table) else {
            return Err(Unsupported {
                path: rule.path.clone(),
                title: Some(rule.title.clone()),
                reason: format!("eastwest builds no findings from the {} table", rule.table),
                invalid: false,
            });
        };
        // Sigma's levels are eastwest's severities, spelled the same.
        let severity = rule.level.as_str();
        // A rule's status says how much it was tried: stable rules earn more trust.
        let confidence = match rule.status.as_deref() {
            Some("stable") => 70,
            Some("test") => 60,
            _ => 50,
        };
        let attack: Vec<String> = rule
            .attack
            .iter()
            .filter(|id| eastwest_model::attack::is_known(id))
            .cloned()
            .collect();
        let mut description = plain(&rule.description);
        if description.is_empty() {
            description = plain(&rule.title);
        }
        description.push_str(&format!(
            " ({{n_events}} matching event(s) on {{period}}; Sigma rule {}.)",
            plain(&rule.path)
        ));
        let falsepositives = if rule.falsepositives.is_empty() {
            "none listed".to_string()
        } else {
            plain(&rule.falsepositives.join("; "))
        };
        let header = Header {
            id: format!("{PREFIX}{}", rule.id),
            title: format!("{}: {{who}}", plain(&rule.title)),
            description,
            attack,
            severity: severity.into(),
            confidence,
            remediation: format!(
                "Review the matching events (the evidence) with the owner of {{who}}. The rule's \
                 known false positives: {falsepositives}."
            ),
            needs_baseline: false,
            baseline_optional: false,
            baseline: None,
            evidence: "true".into(),
            scanner_exempt: false,
            thresholds: BTreeMap::new(),
            table: rule.table.clone(),
        };
        Ok(Self {
            header,
            origin: rule.path,
            condition: rule.condition_sql,
            shape,
        })
    }

    /// The query, reporting from `detect_from_ms` on.
    fn sql(&self, detect_from_ms: i64) -> String {
        let Shape {
            table,
            source,
            who,
            summary,
        } = self.shape;
        // The condition goes in as compiled, after every placeholder was filled: a Sigma value
        // may hold `${...}` (Log4Shell rules do), which must stay text.
        format!(
            "WITH m AS (SELECT * FROM \"{table}\" WHERE time >= to_timestamp_millis({detect_from_ms}) AND ({condition}))
             SELECT {source} AS src_addr,
                    {who} AS who,
                    concat(to_char(date_trunc('day', time), '%Y-%m-%d'), ' ', {who}) AS period,
                    count(*) AS n_events,
                    min(time) AS first_seen,
                    max(time) AS last_seen,
                    array_slice(array_agg(concat(source_file, chr(9), CAST(source_line AS VARCHAR), chr(9), {summary})
                      ORDER BY time), 1, 5) AS evidence
             FROM m
             GROUP BY {source}, {who}, date_trunc('day', time)",
            condition = self.condition
        )
    }
}

#[async_trait]
impl Detector for SigmaDetector {
    fn header(&self) -> &Header {
        &self.header
    }

    fn origin(&self) -> &str {
        &self.origin
    }

    async fn run(
        &self,
        engine: &Engine,
        _thresholds: &BTreeMap<String, f64>,
        detect_from_ms: i64,
    ) -> Result<Vec<RecordBatch>, DetectError> {
        engine
            .collect_table(&self.sql(detect_from_ms))
            .await
            .map_err(|e| {
                DetectError::query(
                    format!("Sigma rule {} ({})", self.header.id, self.origin),
                    e,
                )
            })
    }
}

/// The built-in Sigma rules and, with `dir`, every rule under it: the detectors, and the rules
/// that did not become one, each with its reason.
pub fn load(dir: Option<&Path>) -> (Vec<SigmaDetector>, Vec<Unsupported>) {
    let (mut compiled, mut refused) = eastwest_sigma::builtin();
    if let Some(dir) = dir {
        let (more, more_refused) = eastwest_sigma::load_dir(dir, &Mappings::builtin());
        compiled.extend(more);
        refused.extend(more_refused);
    }
    let mut detectors: Vec<SigmaDetector> = Vec::new();
    for rule in compiled {
        match SigmaDetector::new(rule) {
            // A later rule with the same id (the user's copy of a built-in) replaces it.
            Ok(detector) => {
                detectors.retain(|d| d.header.id != detector.header.id);
                detectors.push(detector);
            }
            Err(why) => refused.push(why),
        }
    }
    (detectors, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_becomes_a_detector_with_known_attack_ids() {
        let (detectors, refused) = load(None);
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(detectors.len(), eastwest_sigma::BUILTIN_RULES.len());
        for detector in &detectors {
            assert!(detector.header.id.starts_with("sigma:"));
            assert!(!detector.header.attack.is_empty(), "{}", detector.header.id);
            let sql = detector.sql(0);
            assert!(sql.contains("to_timestamp_millis(0)"), "{sql}");
        }
    }

    #[test]
    fn a_value_with_a_placeholder_stays_text() {
        let rule = "title: Log4Shell lookup\nid: jndi\nlogsource: {product: aws, service: cloudtrail}\n\
                    detection:\n  sel:\n    userAgent|contains: '${jndi:'\n  condition: sel\n";
        let compiled =
            eastwest_sigma::compile("jndi.yml", rule, &Mappings::builtin()).expect("compiles");
        let detector = SigmaDetector::new(compiled).expect("a detector");
        assert!(detector.sql(5).contains("${jndi:"));
        assert_eq!(detector.header.id, "sigma:jndi");
    }
}

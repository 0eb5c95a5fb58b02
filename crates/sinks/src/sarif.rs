//! Findings as a SARIF 2.1.0 log, for code-scanning tools and their dashboards.
//!
//! One rule per analytic (the caller fills [`Rule`]s from its registry: posture checks,
//! detectors), one result per finding. A result points at the records behind it as physical
//! locations (`file:line` of each evidence) and at what it concerns as logical locations (the
//! source endpoint, the AWS resources); its `partialFingerprints` carry the finding's stable uid
//! so that a tool tracking results across runs matches repeats.

use eastwest_model::{ControlStatus, Finding, Severity};
use serde_json::{Value, json};

/// Where SARIF readers find the schema.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The fingerprint key of a finding's uid; `/v1` is bumped if the uid's recipe ever changes.
const FINGERPRINT: &str = "eastwestUid/v1";

/// One analytic (posture check, detector) as a SARIF rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its id, which results name as `ruleId` (the check or detector id).
    pub id: String,
    /// One line.
    pub title: String,
    /// Why it matters, in a few sentences.
    pub description: String,
    /// Its default severity.
    pub severity: Severity,
}

impl Rule {
    /// A rule from its parts.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        description: impl Into<String>,
        severity: Severity,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            severity,
        }
    }
}

/// A SARIF 2.1.0 log of `findings`. Every `rules` entry is listed; a finding whose analytic is
/// not among them gets a rule made from the finding itself, so that every result's `ruleId`
/// names a rule of the log.
pub fn sarif(findings: &[Finding], rules: &[Rule]) -> Value {
    let mut rules: Vec<Rule> = rules.to_vec();
    for finding in findings {
        if !rules.iter().any(|r| r.id == finding.analytic) {
            rules.push(Rule::new(
                &finding.analytic,
                &finding.title,
                &finding.title,
                finding.severity,
            ));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, rules.iter().position(|r| r.id == f.analytic)))
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.description},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "eastwest",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/eastwest-sec/eastwest",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// SARIF `level` of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// One finding as one result.
fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let mut message = finding.title.clone();
    append_sentence(&mut message, &finding.description);
    if !finding.remediation.is_empty() {
        append_sentence(&mut message, &format!("Fix: {}", finding.remediation));
    }
    // A control that could not judge is SARIF's `open` kind ("not enough information to
    // decide"), which carries level `none`.
    let not_collected = finding
        .compliance
        .as_ref()
        .is_some_and(|c| c.status == ControlStatus::NotCollected);
    let mut result = json!({
        "ruleId": finding.analytic,
        "kind": if not_collected { "open" } else { "fail" },
        "level": if not_collected { "none" } else { level(finding.severity) },
        "message": {"text": message},
        "partialFingerprints": {FINGERPRINT: finding.uid},
        "properties": {
            "severity": finding.severity.caption(),
            "confidence": finding.confidence.min(100),
            "tags": finding.technique_ids(),
        },
    });
    if let Some(fields) = result.as_object_mut() {
        if let Some(index) = rule_index {
            fields.insert("ruleIndex".into(), json!(index));
        }
        if let Some(resource) = finding.resources.first()
            && let Some(properties) = fields.get_mut("properties").and_then(Value::as_object_mut)
        {
            properties.insert("resourceType".into(), json!(resource.kind));
        }
        let locations = locations(finding);
        if !locations.is_empty() {
            fields.insert("locations".into(), Value::Array(locations));
        }
    }
    result
}

/// Appends `sentence` to `text`, with a full stop between them when `text` has none.
fn append_sentence(text: &mut String, sentence: &str) {
    if sentence.is_empty() {
        return;
    }
    if !text.is_empty() {
        if !text.ends_with(['.', '!', '?', ':']) {
            text.push('.');
        }
        text.push(' ');
    }
    text.push_str(sentence);
}

/// One location per evidence record (`file:line`); the first also names, as logical locations,
/// the source endpoint and the resources. Without evidence, one location with the names only.
fn locations(finding: &Finding) -> Vec<Value> {
    let mut logical: Vec<Value> = Vec::new();
    if let Some(source) = &finding.source {
        logical.push(json!({"name": source.label(), "kind": "source"}));
    }
    for r in &finding.resources {
        logical.push(json!({
            "name": r.uid,
            "kind": "resource",
            "fullyQualifiedName": format!(
                "{}/{}/{}",
                r.account.as_deref().unwrap_or("-"),
                r.region.as_deref().unwrap_or("-"),
                r.uid
            ),
        }));
    }
    let mut out: Vec<Value> = finding
        .evidence
        .iter()
        .map(|e| {
            let mut physical = json!({"artifactLocation": {"uri": uri(&e.source_file)}});
            // SARIF lines start at 1; a line 0 means "the whole input".
            if e.source_line > 0 {
                physical["region"] = json!({"startLine": e.source_line});
            }
            json!({"physicalLocation": physical})
        })
        .collect();
    if !logical.is_empty() {
        match out.first_mut() {
            Some(first) => first["logicalLocations"] = Value::Array(logical),
            None => out.push(json!({"logicalLocations": logical})),
        }
    }
    out
}

/// An input's path or URL as a URI reference: bytes a URI may not hold as they are (spaces,
/// non-ASCII, `%`, `#`, `?`, backslashes) are percent-encoded, so `s3://bucket/key` and
/// relative paths stay readable and every path is a valid `uri`.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{compliance_finding, detection_finding};

    fn rules() -> Vec<Rule> {
        vec![Rule::new(
            "imdsv1-allowed",
            "Instances allow IMDSv1",
            "IMDSv1 hands out role credentials to any SSRF.",
            Severity::High,
        )]
    }

    #[test]
    fn results_name_their_rules_levels_and_fingerprints() {
        let log = sarif(&[detection_finding(), compliance_finding()], &rules());
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(rule_ids, ["imdsv1-allowed", "internal-port-scan"]);
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 2);
        let scan = &results[0];
        assert_eq!(scan["ruleId"], "internal-port-scan");
        assert_eq!(scan["ruleIndex"], 1);
        assert_eq!(scan["level"], "error");
        assert_eq!(
            scan["partialFingerprints"]["eastwestUid/v1"],
            "0123456789abcdef0123456789abcdef"
        );
        let text = scan["message"]["text"].as_str().expect("message");
        assert!(
            text.starts_with("Internal port scan. web-1 tried")
                && text.ends_with("Fix: Isolate the host."),
            "{text}"
        );
        let first = &scan["locations"][0];
        assert_eq!(
            first["physicalLocation"]["artifactLocation"]["uri"],
            "flows/a.log.gz"
        );
        assert_eq!(first["physicalLocation"]["region"]["startLine"], 12);
        assert_eq!(first["logicalLocations"][0]["name"], "web-1");
        assert_eq!(
            first["logicalLocations"][1]["fullyQualifiedName"],
            "111122223333/us-east-1/i-0aaa"
        );
        assert_eq!(scan["locations"].as_array().map(Vec::len), Some(2));
        assert_eq!(scan["properties"]["tags"][0], "T1046");

        let posture = &results[1];
        assert_eq!(posture["ruleId"], "imdsv1-allowed");
        assert_eq!(posture["level"], "warning", "the finding's severity wins");
        assert_eq!(
            posture["locations"][0]["logicalLocations"][0]["name"],
            "i-0bbb"
        );
        assert_eq!(posture["properties"]["resourceType"], "AWS::EC2::Instance");
    }

    #[test]
    fn uris_are_encoded_and_line_zero_has_no_region() {
        assert_eq!(uri("s3://b/k 1/ü#?%.gz"), "s3://b/k%201/%C3%BC%23%3F%25.gz");
        assert_eq!(uri(r"C:\logs\a.log"), "C:%5Clogs%5Ca.log");
        let mut finding = detection_finding();
        finding.evidence[0].source_line = 0;
        let log = sarif(&[finding], &[]);
        let physical = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert!(physical.get("region").is_none(), "{physical}");
    }

    #[test]
    fn an_empty_log_is_still_a_log() {
        let log = sarif(&[], &rules());
        assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
            "error"
        );
    }
}

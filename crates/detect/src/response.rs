//! Automatic response: which findings of a run may contain which instances, by the `[response]`
//! policy of the config. Off unless the config says otherwise; this module only chooses (the
//! `respond` crate plans, journals and applies, exactly as for a manual `eastwest contain`).
//!
//! ```toml
//! [response]
//! mode = "apply"            # "off" (the default), "plan" (say what would be done), "apply"
//! min_severity = "high"     # findings at or above it (default high)
//! min_confidence = 80       # and at or above this confidence, 0-100 (default 80)
//! detectors = ["internal-port-scan", "ssh-bruteforce"]   # only these (default: any)
//! max_instances = 1         # at most this many instances per run (default 1)
//! nacl = false              # what containment does besides the isolation group
//! revoke_sessions = false
//! snapshot = false
//! forensic_cidr = "203.0.113.0/24"
//! [response.hosts]          # only hosts these select (default: any)
//! tags = ["env=prod"]
//! [response.never]          # never these (besides the eastwest:never-contain tag)
//! assets = ["bastion-1"]
//! ```
//!
//! The host contained is a finding's *source*: the instance that scanned, sprayed, connected or
//! sent. A finding whose source is not an instance the inventory knows chooses nothing (an
//! address alone is not enough to act on).

use eastwest_inventory::assets::Asset;
use eastwest_model::{Endpoint, Finding, Severity};
use serde::Deserialize;

use crate::config::Selection;

/// What the policy lets `detect` do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing (the default).
    #[default]
    Off,
    /// Say which instances would be contained, and the calls; change nothing.
    Plan,
    /// Contain them.
    Apply,
}

/// The `[response]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Off, plan or apply.
    pub mode: Mode,
    /// Lowest severity acted on.
    pub min_severity: String,
    /// Lowest confidence acted on.
    pub min_confidence: u8,
    /// Detectors acted on (empty: any).
    pub detectors: Vec<String>,
    /// Most instances contained by one run.
    pub max_instances: usize,
    /// Deny the host in its subnets' NACLs too.
    pub nacl: bool,
    /// Revoke its role's sessions.
    pub revoke_sessions: bool,
    /// Snapshot its volumes first.
    pub snapshot: bool,
    /// SSH into the isolation group from this range.
    pub forensic_cidr: Option<String>,
    /// SSH into the isolation group from this group.
    pub forensic_group: Option<String>,
    /// Only these hosts (empty: any).
    pub hosts: Selection,
    /// Never these hosts.
    pub never: Selection,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            mode: Mode::Off,
            min_severity: "high".into(),
            min_confidence: 80,
            detectors: Vec::new(),
            max_instances: 1,
            nacl: false,
            revoke_sessions: false,
            snapshot: false,
            forensic_cidr: None,
            forensic_group: None,
            hosts: Selection::default(),
            never: Selection::default(),
        }
    }
}

/// Largest `max_instances`: automation that may isolate more hosts than this in one run is a
/// mistake in the config, not a policy.
pub const MAX_INSTANCES_LIMIT: usize = 50;

impl Policy {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if Severity::parse(&self.min_severity).is_none() {
            return Err(format!(
                "response.min_severity '{}': expected informational, low, medium, high or critical",
                self.min_severity
            ));
        }
        if self.min_confidence > 100 {
            return Err("response.min_confidence: 0 to 100".into());
        }
        if self.max_instances == 0 || self.max_instances > MAX_INSTANCES_LIMIT {
            return Err(format!(
                "response.max_instances: 1 to {MAX_INSTANCES_LIMIT}"
            ));
        }
        Ok(())
    }

    fn min_severity(&self) -> Severity {
        Severity::parse(&self.min_severity).unwrap_or(Severity::High)
    }
}

/// An instance a finding would have contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `i-...`.
    pub instance: String,
    /// The finding that chose it (its most severe one).
    pub finding_uid: String,
    /// Its detector.
    pub analytic: String,
    /// Its title.
    pub title: String,
    /// Its severity.
    pub severity: Severity,
}

/// What the policy chose from a run's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// To contain, at most `max_instances`.
    pub contain: Vec<Candidate>,
    /// Chosen but past the per-run limit: left for a person.
    pub over_limit: Vec<Candidate>,
    /// Instances a finding named that the policy excludes, with why.
    pub excluded: Vec<(Candidate, String)>,
}

/// Chooses the instances to contain from `findings` (most severe first), skipping those
/// `already` says are contained. `asset` finds an endpoint's asset in the inventory.
pub fn choose<'a>(
    policy: &Policy,
    findings: &[Finding],
    asset: impl Fn(&Endpoint) -> Option<&'a Asset>,
    already: impl Fn(&str) -> bool,
) -> Choice {
    let mut choice = Choice::default();
    if policy.mode == Mode::Off {
        return choice;
    }
    let mut ordered: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= policy.min_severity() && f.confidence >= policy.min_confidence)
        .filter(|f| policy.detectors.is_empty() || policy.detectors.contains(&f.analytic))
        .collect();
    ordered.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.confidence.cmp(&a.confidence))
            .then(a.first_seen_ms.cmp(&b.first_seen_ms))
            .then(a.uid.cmp(&b.uid))
    });
    let mut seen = std::collections::BTreeSet::new();
    for finding in ordered {
        let Some(source) = finding.source.as_ref() else {
            continue;
        };
        let Some(instance) = source.instance_uid.clone() else {
            continue;
        };
        if !seen.insert(instance.clone()) {
            continue;
        }
        let candidate = Candidate {
            instance: instance.clone(),
            finding_uid: finding.uid.clone(),
            analytic: finding.analytic.clone(),
            title: finding.title.clone(),
            severity: finding.severity,
        };
        let host = asset(source);
        if !policy.hosts.is_empty() && !policy.hosts.selects(source, host) {
            choice
                .excluded
                .push((candidate, "not among [response.hosts]".into()));
        } else if policy.never.selects(source, host) {
            choice
                .excluded
                .push((candidate, "named in [response.never]".into()));
        } else if already(&instance) {
            choice
                .excluded
                .push((candidate, "already contained".into()));
        } else if choice.contain.len() < policy.max_instances {
            choice.contain.push(candidate);
        } else {
            choice.over_limit.push(candidate);
        }
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(uid: &str, instance: &str, severity: Severity, confidence: u8) -> Finding {
        Finding {
            uid: uid.into(),
            analytic: "internal-port-scan".into(),
            title: format!("scan from {instance}"),
            severity,
            confidence,
            description: String::new(),
            attacks: Vec::new(),
            first_seen_ms: 0,
            last_seen_ms: 0,
            source: Some(Endpoint {
                ip: Some("10.0.0.1".into()),
                instance_uid: Some(instance.into()),
                ..Endpoint::default()
            }),
            destination: None,
            resources: Vec::new(),
            evidence: Vec::new(),
            counts: Default::default(),
            baseline: None,
            remediation: String::new(),
            status: Default::default(),
            compliance: None,
            account: None,
            region: None,
        }
    }

    fn policy(mode: Mode) -> Policy {
        Policy {
            mode,
            ..Policy::default()
        }
    }

    #[test]
    fn off_by_default_chooses_nothing() {
        let findings = [finding("a", "i-1", Severity::Critical, 100)];
        assert_eq!(
            choose(&Policy::default(), &findings, |_| None, |_| false),
            Choice::default()
        );
    }

    #[test]
    fn most_severe_first_within_the_limit_and_the_rest_left_for_a_person() {
        let findings = [
            finding("low", "i-0", Severity::Low, 100),
            finding("a", "i-1", Severity::High, 80),
            finding("b", "i-2", Severity::Critical, 90),
            finding("c", "i-2", Severity::High, 95),
            finding("unsure", "i-3", Severity::Critical, 50),
        ];
        let choice = choose(&policy(Mode::Apply), &findings, |_| None, |_| false);
        assert_eq!(
            choice
                .contain
                .iter()
                .map(|c| (c.instance.as_str(), c.finding_uid.as_str()))
                .collect::<Vec<_>>(),
            [("i-2", "b")]
        );
        assert_eq!(
            choice
                .over_limit
                .iter()
                .map(|c| c.instance.as_str())
                .collect::<Vec<_>>(),
            ["i-1"]
        );
    }

    #[test]
    fn detectors_hosts_never_and_already_contained_narrow_the_choice() {
        let findings = [
            finding("a", "i-1", Severity::High, 90),
            finding("b", "i-2", Severity::High, 90),
            finding("c", "i-3", Severity::High, 90),
        ];
        let mut only = policy(Mode::Plan);
        only.detectors = vec!["ssh-bruteforce".into()];
        assert!(
            choose(&only, &findings, |_| None, |_| false)
                .contain
                .is_empty()
        );
        let mut narrowed = policy(Mode::Plan);
        narrowed.max_instances = 5;
        narrowed.never.assets = vec!["i-1".into()];
        let choice = choose(&narrowed, &findings, |_| None, |i| i == "i-2");
        assert_eq!(choice.contain.len(), 1);
        assert_eq!(choice.contain[0].instance, "i-3");
        let reasons: Vec<&str> = choice.excluded.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(reasons, ["named in [response.never]", "already contained"]);
        let mut tagged = policy(Mode::Plan);
        tagged.hosts.tags = vec!["env=prod".into()];
        assert!(
            choose(&tagged, &findings, |_| None, |_| false)
                .contain
                .is_empty(),
            "a host the inventory does not tag is not selected"
        );
    }

    #[test]
    fn values_out_of_range_are_refused() {
        let mut bad = Policy {
            max_instances: 0,
            ..Policy::default()
        };
        assert!(bad.validate().is_err());
        bad.max_instances = 1;
        bad.min_severity = "urgent".into();
        assert!(bad.validate().is_err());
    }
}

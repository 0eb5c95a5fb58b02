//! Scoring detections against the simulator's ground truth, for EVALUATION.md.
//!
//! A scenario counts as found when one detection names one of its ATT&CK techniques (or the
//! parent technique of a sub-technique it lists), one of its entities, and falls in its time
//! window (with [`GRACE_MS`] after its end, for detectors that need to see a whole window). False
//! positives are detections on the benign-only estate, per 100 host-days.

use std::fmt::Write as _;

use crate::scenarios::Truth;

/// How long after a scenario's last activity a detection still counts.
pub const GRACE_MS: i64 = 3_600_000;

/// One detection, reduced to what scoring needs. Findings of the detectors convert to this.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The detector that produced it.
    pub detector: String,
    /// ATT&CK technique ids it names.
    pub techniques: Vec<String>,
    /// Entities it names (instance ids, ENIs, addresses, roles).
    pub entities: Vec<String>,
    /// When the detector first saw the evidence (epoch ms).
    pub first_seen_ms: i64,
    /// Patient zero of the incident the finding was joined into (an instance id), if any.
    pub patient_zero: Option<String>,
}

/// The result for one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The truth it is scored against.
    pub truth: Truth,
    /// The earliest matching detection.
    pub found_by: Option<Detection>,
}

impl ScenarioResult {
    /// Whether the incident the scenario's detection was joined into names the scenario's
    /// patient zero (None: the scenario has none, or was not found).
    pub fn patient_zero_right(&self) -> Option<bool> {
        let truth = self.truth.patient_zero.as_ref()?;
        let found = self.found_by.as_ref()?;
        Some(found.patient_zero.as_ref() == Some(truth))
    }

    /// From the scenario's first activity to the first matching detection.
    pub fn time_to_detect_ms(&self) -> Option<i64> {
        self.found_by
            .as_ref()
            .map(|d| d.first_seen_ms - self.truth.start_ms)
    }
}

/// The whole evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Per scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// Detections on the benign-only estate.
    pub benign_detections: usize,
    /// Incidents on the benign-only estate.
    pub benign_incidents: usize,
    /// Host-days of the benign-only estate.
    pub benign_host_days: f64,
    /// Detectors that ran.
    pub detectors: Vec<String>,
}

fn technique_matches(listed: &str, detected: &str) -> bool {
    listed == detected
        || listed.split('.').next() == Some(detected)
        || detected.split('.').next() == Some(listed)
}

/// Whether `detection` finds the scenario of `truth`.
pub fn matches(truth: &Truth, detection: &Detection) -> bool {
    let technique = truth
        .techniques
        .iter()
        .any(|t| detection.techniques.iter().any(|d| technique_matches(t, d)));
    let entity = truth
        .entities
        .iter()
        .any(|e| detection.entities.contains(e));
    let time = (truth.start_ms..=truth.end_ms + GRACE_MS).contains(&detection.first_seen_ms);
    technique && entity && time
}

/// Scores `detections` (on the attacked estate) and `benign` (on the benign-only one).
pub fn score(
    truth: &[Truth],
    detections: &[Detection],
    benign: &[Detection],
    benign_host_days: f64,
    benign_incidents: usize,
    detectors: Vec<String>,
) -> Evaluation {
    let scenarios = truth
        .iter()
        .map(|t| ScenarioResult {
            truth: t.clone(),
            found_by: detections
                .iter()
                .filter(|d| matches(t, d))
                .min_by_key(|d| d.first_seen_ms)
                .cloned(),
        })
        .collect();
    Evaluation {
        scenarios,
        benign_detections: benign.len(),
        benign_incidents,
        benign_host_days,
        detectors,
    }
}

impl Evaluation {
    /// False positives per 100 host-days on the benign estate.
    pub fn false_positives_per_100_host_days(&self) -> f64 {
        if self.benign_host_days <= 0.0 {
            return 0.0;
        }
        self.benign_detections as f64 * 100.0 / self.benign_host_days
    }

    /// The report as Markdown; `setup` describes how it was produced.
    pub fn markdown(&self, setup: &str) -> String {
        let mut out = String::new();
        let found = self
            .scenarios
            .iter()
            .filter(|s| s.found_by.is_some())
            .count();
        let _ = writeln!(out, "# eastwest evaluation\n");
        let _ = writeln!(out, "{setup}\n");
        if self.detectors.is_empty() {
            let _ = writeln!(
                out,
                "**No detectors exist yet** (they arrive with the detection issue), so detection ran with nothing to run and every scenario below is missed. This report is the baseline the first detector is measured against.\n"
            );
        } else {
            let _ = writeln!(out, "Detectors: {}.\n", self.detectors.join(", "));
        }
        let _ = writeln!(
            out,
            "Found {found} of {} scenarios. False positives on the benign-only estate: {} detections in {:.1} host-days = **{:.2} per 100 host-days**.\n",
            self.scenarios.len(),
            self.benign_detections,
            self.benign_host_days,
            self.false_positives_per_100_host_days()
        );
        let with_zero: Vec<bool> = self
            .scenarios
            .iter()
            .filter_map(ScenarioResult::patient_zero_right)
            .collect();
        let _ = writeln!(
            out,
            "Incidents: for {} of {} found scenarios with a patient zero, the incident their finding was joined into names it; the benign-only estate yields {} incident(s).\n",
            with_zero.iter().filter(|r| **r).count(),
            with_zero.len(),
            self.benign_incidents
        );
        let _ = writeln!(
            out,
            "| scenario | techniques | result | detector | time to first finding | incident's patient zero |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for s in &self.scenarios {
            let (result, detector, time) = match &s.found_by {
                Some(d) => (
                    "found",
                    d.detector.clone(),
                    format!(
                        "{:.1} min",
                        s.time_to_detect_ms().unwrap_or(0) as f64 / 60_000.0
                    ),
                ),
                None => ("missed", "-".to_string(), "-".to_string()),
            };
            let zero = match (s.patient_zero_right(), s.found_by.as_ref()) {
                (Some(true), Some(d)) => {
                    format!("right ({})", d.patient_zero.as_deref().unwrap_or(""))
                }
                (Some(false), Some(d)) => format!(
                    "wrong ({}, not {})",
                    d.patient_zero.as_deref().unwrap_or("none"),
                    s.truth.patient_zero.as_deref().unwrap_or("")
                ),
                _ => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {result} | {detector} | {time} | {zero} |",
                s.truth.scenario,
                s.truth.techniques.join(", ")
            );
        }
        let _ = writeln!(out, "\n## What each scenario did\n");
        for s in &self.scenarios {
            let _ = writeln!(
                out,
                "- **{}**: {} (entities: {})",
                s.truth.scenario,
                s.truth.description,
                s.truth.entities.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\nA scenario is found when one detection names one of its techniques (a sub-technique's parent counts), one of its entities, and is first seen between the scenario's start and one hour after its end."
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth() -> Truth {
        Truth {
            scenario: "ssh-spray-pivot".into(),
            description: String::new(),
            techniques: vec!["T1110.003".into(), "T1021.004".into()],
            entities: vec!["i-1".into(), "10.0.0.5".into()],
            patient_zero: Some("i-1".into()),
            start_ms: 1_000_000,
            end_ms: 2_000_000,
        }
    }

    fn detection(technique: &str, entity: &str, at: i64) -> Detection {
        Detection {
            detector: "d".into(),
            techniques: vec![technique.into()],
            entities: vec![entity.into()],
            first_seen_ms: at,
            patient_zero: None,
        }
    }

    #[test]
    fn technique_entity_and_window_must_all_match() {
        let t = truth();
        assert!(matches(&t, &detection("T1110.003", "i-1", 1_500_000)));
        assert!(
            matches(&t, &detection("T1110", "10.0.0.5", 1_500_000)),
            "parent technique"
        );
        assert!(
            !matches(&t, &detection("T1046", "i-1", 1_500_000)),
            "wrong technique"
        );
        assert!(
            !matches(&t, &detection("T1110.003", "i-2", 1_500_000)),
            "wrong entity"
        );
        assert!(
            !matches(&t, &detection("T1110.003", "i-1", 999_999)),
            "before the attack"
        );
        assert!(matches(
            &t,
            &detection("T1110.003", "i-1", 2_000_000 + GRACE_MS)
        ));
        assert!(!matches(
            &t,
            &detection("T1110.003", "i-1", 2_000_001 + GRACE_MS)
        ));
    }

    #[test]
    fn scores_and_reports() {
        let mut earliest = detection("T1110", "i-1", 1_200_000);
        earliest.patient_zero = Some("i-1".into());
        let e = score(
            &[truth()],
            &[detection("T1110", "i-1", 1_300_000), earliest],
            &[detection("T1046", "i-9", 5)],
            50.0,
            1,
            vec!["ssh-spray".into()],
        );
        assert_eq!(e.scenarios[0].time_to_detect_ms(), Some(200_000));
        assert_eq!(e.scenarios[0].patient_zero_right(), Some(true));
        assert!((e.false_positives_per_100_host_days() - 2.0).abs() < 1e-9);
        let md = e.markdown("setup");
        assert!(
            md.contains(
                "| ssh-spray-pivot | T1110.003, T1021.004 | found | d | 3.3 min | right (i-1) |"
            ) && md.contains("yields 1 incident(s)"),
            "{md}"
        );
        let none = score(&[truth()], &[], &[], 24.0, 0, vec![]);
        let md = none.markdown("setup");
        assert!(
            md.contains("No detectors exist yet") && md.contains("| missed |"),
            "{md}"
        );
        assert!(
            md.contains("0 detections in 24.0 host-days = **0.00 per 100 host-days**"),
            "{md}"
        );
    }
}

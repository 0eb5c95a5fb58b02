//! Findings: one analysis's observation, with the evidence behind it.
//!
//! Posture checks and detectors both produce a [`Finding`]; the writers in `sinks` turn it into
//! OCSF (Detection Finding 2004, or Compliance Finding 2003 when [`Finding::compliance`] is
//! set), SARIF or a table. Everything a responder needs to act is on the finding itself: the
//! endpoints named as assets, the records that triggered it (file and line), the counts and the
//! baseline it departs from, and what to do.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Severity;
use crate::attack::Attack;

/// Whether a finding is reported for the first time or again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// First time this uid is reported (OCSF activity `Create`).
    #[default]
    New,
    /// Reported before, by an earlier run with the same state (OCSF activity `Update`).
    Update,
}

/// One side of a finding: who did it, or to whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Address.
    pub ip: Option<String>,
    /// Port, where one port is meant.
    pub port: Option<u16>,
    /// Asset name (Name tag, load balancer or database name).
    pub name: Option<String>,
    /// What kind of asset (`instance`, `rds`, `internet`, `unassigned`, ...).
    pub kind: Option<String>,
    /// EC2 instance id.
    pub instance_uid: Option<String>,
    /// ENI id.
    pub interface_uid: Option<String>,
    /// VPC id.
    pub vpc_uid: Option<String>,
    /// Subnet id.
    pub subnet_uid: Option<String>,
    /// Peer group (`asg:web`, `tier:app`, `sg:...`).
    pub group: Option<String>,
    /// IAM role of the instance.
    pub role: Option<String>,
    /// AWS account.
    pub account: Option<String>,
}

impl Endpoint {
    /// The best short label: name, else instance, else address.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.instance_uid.clone())
            .or_else(|| self.ip.clone())
            .unwrap_or_else(|| "?".to_string())
    }

    /// Every AWS id and address it carries, for matching and scoring.
    pub fn ids(&self) -> Vec<String> {
        [
            &self.ip,
            &self.instance_uid,
            &self.interface_uid,
            &self.name,
            &self.role,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

/// An AWS resource a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Resource {
    /// AWS id (`i-...`, `eni-...`, `sg-...`, role name, ARN).
    pub uid: String,
    /// Its type, as CloudFormation names it (`AWS::EC2::Instance`).
    pub kind: String,
    /// Name, where one is known.
    pub name: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
}

/// One record (or aggregate of records) behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The input the record was read from.
    pub source_file: String,
    /// Its line (event, row) in that input.
    pub source_line: u64,
    /// What it shows, in words (`10.0.1.5 → 10.0.2.9:22 REJECT, 3 attempts`).
    pub summary: String,
}

/// What a compliance finding checks, for OCSF Compliance Finding (2003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    /// The control (check id).
    pub control: String,
    /// The standards it belongs to.
    pub standards: Vec<String>,
    /// Whether the resource fails, or the check could not judge it.
    pub status: ControlStatus,
}

/// The outcome of a control for one resource (passes are not reported).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// The resource fails the control.
    #[default]
    Fail,
    /// The data the control needs was not collected for this account or region: neither pass
    /// nor fail, and said so rather than passing in silence.
    NotCollected,
}

/// One observation of one analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: the same evidence gives the same uid (see [`stable_uid`]).
    pub uid: String,
    /// The detector or check that produced it (`internal-port-scan`).
    pub analytic: String,
    /// One line.
    pub title: String,
    /// What was seen, specifically, in a few sentences.
    pub description: String,
    /// ATT&CK references.
    pub attacks: Vec<Attack>,
    /// How bad.
    pub severity: Severity,
    /// How sure, 0-100.
    pub confidence: u8,
    /// First evidence, epoch ms.
    pub first_seen_ms: i64,
    /// Last evidence, epoch ms.
    pub last_seen_ms: i64,
    /// Who did it.
    pub source: Option<Endpoint>,
    /// To whom (absent when there are many: see `resources` and the evidence).
    pub destination: Option<Endpoint>,
    /// The AWS resources concerned.
    pub resources: Vec<Resource>,
    /// A bounded sample of the records behind it.
    pub evidence: Vec<Evidence>,
    /// The counts behind it (`targets`, `ports`, `bytes`, ...), by name.
    pub counts: BTreeMap<String, f64>,
    /// The baseline it departs from, in words, when it depends on one.
    pub baseline: Option<String>,
    /// What to do, in one or two sentences.
    pub remediation: String,
    /// New or update.
    pub status: Status,
    /// Set on posture results: the control that failed.
    pub compliance: Option<Compliance>,
    /// Account, where known.
    pub account: Option<String>,
    /// Region, where known.
    pub region: Option<String>,
}

impl Finding {
    /// The ATT&CK ids it names, most specific first within each reference, parents included.
    pub fn technique_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for attack in &self.attacks {
            ids.extend(attack.sub_technique_uid.map(String::from));
            ids.extend(attack.technique_uid.map(String::from));
            ids.push(attack.tactic_uid.to_string());
        }
        ids.dedup();
        ids
    }

    /// Every entity it names: endpoint ids and addresses, and resource ids.
    pub fn entities(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .source
            .iter()
            .chain(&self.destination)
            .flat_map(Endpoint::ids)
            .collect();
        out.extend(self.resources.iter().map(|r| r.uid.clone()));
        out.sort();
        out.dedup();
        out
    }
}

/// FNV-1a's standard 64-bit offset basis: the seed for a hash that must agree with FNV-1a.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a of `bytes` from `seed`: the same bytes give the same hash in every run, on
/// every machine (std's hasher is randomised per process), for ids and storage buckets.
pub fn fnv1a<'a>(seed: u64, bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(seed, |h, byte| {
        (h ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A stable id from the parts that identify a finding (detector, entities, period): the same
/// parts give the same id in every run, on every machine. Two independent 64-bit FNV-1a hashes,
/// as 32 hex digits; not a secret, only an identity.
pub fn stable_uid(parts: &[&str]) -> String {
    // Each part ends with a unit separator, so that ("ab", "c") and ("a", "bc") differ.
    let bytes = || {
        parts
            .iter()
            .flat_map(|part| part.as_bytes().iter().chain(std::iter::once(&0x1f)))
    };
    format!(
        "{:016x}{:016x}",
        fnv1a(FNV_OFFSET, bytes()),
        fnv1a(0x8422_2325_cbf2_9ce4, bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_uid_depends_on_every_part_and_its_boundaries() {
        let a = stable_uid(&["scan", "10.0.0.1", "2026-11-23"]);
        assert_eq!(a, stable_uid(&["scan", "10.0.0.1", "2026-11-23"]));
        assert_eq!(a.len(), 32);
        assert_ne!(a, stable_uid(&["scan", "10.0.0.2", "2026-11-23"]));
        assert_ne!(stable_uid(&["ab", "c"]), stable_uid(&["a", "bc"]));
    }
}

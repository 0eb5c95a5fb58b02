//! Which outputs an inventory read, for each account and region: what a check may judge, and
//! what it must call "not collected" instead of passing in silence.
//!
//! Files and the live loader record the same thing: the top-level key of each AWS output read
//! (`Reservations`, `trailList`, ...) under the account and region it was read for. An output
//! read and found empty is collected (no trails is a finding); an output never read is not.

use std::collections::{BTreeMap, BTreeSet};

use crate::Origin;

/// Whether an output describes one region or the whole account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// One region's resources (EC2, ELB, RDS, ...).
    Region,
    /// The account's (IAM; CloudTrail, whose multi-region and organisation trails show in
    /// every region).
    Account,
}

/// An output eastwest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Its top-level JSON key.
    pub key: &'static str,
    /// The AWS CLI command that prints it.
    pub command: &'static str,
    /// What it describes.
    pub reach: Reach,
}

const fn regional(key: &'static str, command: &'static str) -> Output {
    Output {
        key,
        command,
        reach: Reach::Region,
    }
}

const fn account(key: &'static str, command: &'static str) -> Output {
    Output {
        key,
        command,
        reach: Reach::Account,
    }
}

/// Every output eastwest reads, in the order `inventory coverage` prints them.
pub const OUTPUTS: &[Output] = &[
    regional("Reservations", "ec2 describe-instances"),
    regional("NetworkInterfaces", "ec2 describe-network-interfaces"),
    regional("SecurityGroups", "ec2 describe-security-groups"),
    regional("SecurityGroupRules", "ec2 describe-security-group-rules"),
    regional("PrefixLists", "ec2 describe-managed-prefix-lists"),
    regional("Subnets", "ec2 describe-subnets"),
    regional("Vpcs", "ec2 describe-vpcs"),
    regional("NetworkAcls", "ec2 describe-network-acls"),
    regional("RouteTables", "ec2 describe-route-tables"),
    regional("FlowLogs", "ec2 describe-flow-logs"),
    regional(
        "VpcPeeringConnections",
        "ec2 describe-vpc-peering-connections",
    ),
    regional("VpcEndpoints", "ec2 describe-vpc-endpoints"),
    regional("NatGateways", "ec2 describe-nat-gateways"),
    regional("Addresses", "ec2 describe-addresses"),
    regional("Images", "ec2 describe-images"),
    regional("LoadBalancers", "elbv2 describe-load-balancers"),
    regional("Listeners", "elbv2 describe-listeners"),
    regional("TargetGroups", "elbv2 describe-target-groups"),
    regional("LoadBalancerDescriptions", "elb describe-load-balancers"),
    regional(
        "AutoScalingGroups",
        "autoscaling describe-auto-scaling-groups",
    ),
    regional("DBInstances", "rds describe-db-instances"),
    regional("CacheClusters", "elasticache describe-cache-clusters"),
    regional("CertificateSummaryList", "acm list-certificates"),
    regional("DetectorIds", "guardduty list-detectors"),
    regional("Features", "guardduty get-detector"),
    regional("Administrator", "guardduty get-administrator-account"),
    account("trailList", "cloudtrail describe-trails"),
    account("InstanceProfiles", "iam list-instance-profiles"),
    account("RoleDetailList", "iam get-account-authorization-details"),
    account("Policies", "iam get-account-authorization-details"),
];

/// The output with this key.
pub fn output(key: &str) -> Option<&'static Output> {
    OUTPUTS.iter().find(|o| o.key == key)
}

/// The outputs read, by account and region (either None where the source did not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    read: BTreeMap<Origin, BTreeSet<&'static str>>,
}

/// Outputs a check needs that were not read for one account (and region, for regional ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The account (None: the source did not say).
    pub account: Option<String>,
    /// The region; None for account-wide outputs.
    pub region: Option<String>,
    /// The outputs not read.
    pub outputs: Vec<&'static Output>,
}

impl Coverage {
    /// Records that the output with `key` was read for `origin`; an unknown key is ignored.
    pub fn record(&mut self, origin: &Origin, key: &str) {
        if let Some(output) = output(key) {
            self.read
                .entry(origin.clone())
                .or_default()
                .insert(output.key);
        }
    }

    /// Adds what another coverage recorded.
    pub fn absorb(&mut self, other: Coverage) {
        for (origin, keys) in other.read {
            self.read.entry(origin).or_default().extend(keys);
        }
    }

    /// Whether nothing was recorded (an inventory built by hand).
    pub fn is_empty(&self) -> bool {
        self.read.is_empty()
    }

    /// Every account and region something was read for, with the keys read there.
    pub fn scopes(&self) -> impl Iterator<Item = (&Origin, &BTreeSet<&'static str>)> {
        self.read.iter()
    }

    /// Whether `key` was read for the account and region (for an account-wide output: in any
    /// region of the account). An output whose source did not say its account (or region)
    /// covers every account (or region): a flat directory of CLI output is one estate.
    pub fn has(&self, account: Option<&str>, region: Option<&str>, key: &str) -> bool {
        let reach = output(key).map(|o| o.reach).unwrap_or(Reach::Region);
        self.read.iter().any(|(origin, keys)| {
            (origin.account.is_none() || origin.account.as_deref() == account)
                && (reach == Reach::Account
                    || origin.region.is_none()
                    || origin.region.as_deref() == region)
                && keys.contains(key)
        })
    }

    /// The places where outputs in `needs` (keys) were not read: for regional outputs, every
    /// account and region where some regional output was read; for account-wide ones, every
    /// account. Nothing when nothing was recorded, so an inventory built by hand is judged on
    /// what it holds.
    pub fn missing(&self, needs: &[&str]) -> Vec<Missing> {
        let mut out = Vec::new();
        let wanted: Vec<&'static Output> = needs.iter().filter_map(|k| output(k)).collect();
        let regional: Vec<&'static Output> = wanted
            .iter()
            .copied()
            .filter(|o| o.reach == Reach::Region)
            .collect();
        let account_wide: Vec<&'static Output> = wanted
            .iter()
            .copied()
            .filter(|o| o.reach == Reach::Account)
            .collect();
        if !regional.is_empty() {
            for (origin, keys) in &self.read {
                let is_regional_scope = keys
                    .iter()
                    .any(|k| output(k).is_some_and(|o| o.reach == Reach::Region));
                if !is_regional_scope {
                    continue;
                }
                let outputs: Vec<&'static Output> = regional
                    .iter()
                    .copied()
                    .filter(|o| {
                        !self.has(origin.account.as_deref(), origin.region.as_deref(), o.key)
                    })
                    .collect();
                if !outputs.is_empty() {
                    out.push(Missing {
                        account: origin.account.clone(),
                        region: origin.region.clone(),
                        outputs,
                    });
                }
            }
        }
        if !account_wide.is_empty() {
            let accounts: BTreeSet<Option<&String>> =
                self.read.keys().map(|o| o.account.as_ref()).collect();
            for account in accounts {
                let outputs: Vec<&'static Output> = account_wide
                    .iter()
                    .copied()
                    .filter(|o| !self.has(account.map(|a| a.as_str()), None, o.key))
                    .collect();
                if !outputs.is_empty() {
                    out.push(Missing {
                        account: account.cloned(),
                        region: None,
                        outputs,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(account: &str, region: Option<&str>) -> Origin {
        Origin {
            account: Some(account.to_string()),
            region: region.map(str::to_string),
        }
    }

    #[test]
    fn missing_outputs_are_named_per_place() {
        let mut coverage = Coverage::default();
        coverage.record(&at("111111111111", Some("us-east-1")), "Reservations");
        coverage.record(&at("111111111111", Some("us-east-1")), "trailList");
        coverage.record(&at("111111111111", Some("eu-west-1")), "Reservations");
        coverage.record(&at("111111111111", Some("eu-west-1")), "SecurityGroups");
        coverage.record(&at("111111111111", None), "RoleDetailList");
        coverage.record(&at("222222222222", Some("us-east-1")), "SecurityGroups");
        coverage.record(&at("222222222222", Some("us-east-1")), "NotAKey");

        // A regional output: missing where other regional outputs were read.
        let missing = coverage.missing(&["SecurityGroups"]);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].region.as_deref(), Some("us-east-1"));
        assert_eq!(missing[0].account.as_deref(), Some("111111111111"));

        // An account-wide output counts in any region of its account.
        let missing = coverage.missing(&["trailList", "RoleDetailList"]);
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0].account.as_deref(), Some("222222222222"));
        assert_eq!(missing[0].region, None);
        let keys: Vec<&str> = missing[0].outputs.iter().map(|o| o.key).collect();
        assert_eq!(keys, ["trailList", "RoleDetailList"]);
        assert!(coverage.has(Some("111111111111"), Some("eu-west-1"), "trailList"));
        assert!(!coverage.has(Some("111111111111"), Some("eu-west-1"), "Images"));

        assert!(Coverage::default().missing(&["Reservations"]).is_empty());

        // A source that did not say where covers everywhere.
        let mut flat = Coverage::default();
        flat.record(&Origin::default(), "FlowLogs");
        assert!(flat.has(Some("111111111111"), Some("us-east-1"), "FlowLogs"));
        assert!(flat.missing(&["FlowLogs"]).is_empty());
    }
}

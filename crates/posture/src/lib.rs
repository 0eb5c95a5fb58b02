//! Posture: what in the estate's configuration makes lateral movement easy.
//!
//! Each check is a file of its own under [`checks`] and one line in [`checks::CHECKS`]; it reads
//! the inventory through a [`Context`] (security-group rules normalised from either
//! `describe-security-groups` or `describe-security-group-rules`, assets, configuration) and
//! returns [`Failure`]s: the resource, why it matters and how to fix it. [`to_finding`] turns a
//! result into the shared [`Finding`], which the writers of `eastwest-sinks` print as a table,
//! OCSF Compliance Findings (class 2003) or SARIF.
#![deny(missing_docs)]

pub mod checks;
pub mod observed;
pub mod paths;
pub mod reach;
pub mod rules;

use std::collections::BTreeMap;

use eastwest_inventory::{Asset, Inventory, Resolver};
use eastwest_model::ControlStatus;
use eastwest_model::finding::Compliance;
use eastwest_model::{Finding, Resource, Severity, Status};
use ipnet::IpNet;

pub use rules::{Peer, SgRule};

/// What a user tells the audit about their estate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Office and management ranges from which SSH, RDP and WinRM are expected.
    pub admin_sources: Vec<IpNet>,
    /// Instances launched longer ago than this are reported (patching hygiene).
    pub max_instance_age_days: i64,
    /// "Now", epoch ms (None: the clock), so that audits of old snapshots are reproducible.
    pub now_ms: Option<i64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            admin_sources: Vec::new(),
            max_instance_age_days: 180,
            now_ms: None,
        }
    }
}

/// What checks read.
pub struct Context<'a> {
    /// The inventory.
    pub inventory: &'a Inventory,
    /// Assets and resolution.
    pub resolver: &'a Resolver,
    /// Every security group rule, normalised.
    pub rules: Vec<SgRule>,
    /// The user's configuration.
    pub config: &'a Config,
}

impl<'a> Context<'a> {
    /// Prepares the context.
    pub fn new(inventory: &'a Inventory, resolver: &'a Resolver, config: &'a Config) -> Self {
        Self {
            inventory,
            resolver,
            rules: rules::normalise(inventory),
            config,
        }
    }

    /// Assets that carry security group `group`.
    pub fn members(&self, group: &str) -> Vec<&'a Asset> {
        self.resolver
            .assets()
            .iter()
            .filter(|a| a.security_groups.iter().any(|g| g == group))
            .collect()
    }

    /// "Now" for age checks: the configured moment, else the clock.
    pub fn now_ms(&self) -> i64 {
        self.config.now_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        })
    }

    /// Name of a security group, for messages.
    pub fn group_name(&self, group: &str) -> String {
        self.inventory
            .security_groups
            .iter()
            .find(|g| g.item.group_id == group)
            .and_then(|g| g.item.group_name.clone())
            .map(|name| format!("{group} ({name})"))
            .unwrap_or_else(|| group.to_string())
    }
}

/// One resource that fails a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// AWS id of the resource (`sg-...`, `i-...`, `vpc-...`, role name, listener ARN).
    pub resource: String,
    /// Its type, as OCSF names resources (`AWS::EC2::SecurityGroup`, ...).
    pub resource_type: &'static str,
    /// Account, where known.
    pub account: Option<String>,
    /// Region, where known.
    pub region: Option<String>,
    /// Why this resource fails, specifically.
    pub why: String,
    /// How to fix it, specifically (an AWS CLI command where one fits).
    pub fix: String,
    /// A severity other than the check's default (worse on internet-facing resources, say).
    pub severity: Option<Severity>,
}

/// A posture check.
pub trait Check: Sync {
    /// Stable id, `default-sg-in-use`.
    fn id(&self) -> &'static str;
    /// One line.
    fn title(&self) -> &'static str;
    /// Default severity.
    fn severity(&self) -> Severity;
    /// Why it matters for lateral movement, in general.
    fn rationale(&self) -> &'static str;
    /// The AWS outputs it judges from (top-level keys, as in
    /// [`eastwest_inventory::coverage::OUTPUTS`]): where one was not read, the check reports
    /// "not collected" for that account or region instead of passing.
    fn needs(&self) -> &'static [&'static str];
    /// The resources that fail.
    fn run(&self, context: &Context<'_>) -> Vec<Failure>;
}

/// A failure with its check.
#[derive(Debug, Clone)]
pub struct Result {
    /// The check's id.
    pub check: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Severity of this failure.
    pub severity: Severity,
    /// The failure.
    pub failure: Failure,
    /// Fail, or not collected (then `failure` names the account and region and the outputs
    /// that are missing).
    pub status: ControlStatus,
}

/// Runs every check (or those in `only`) over an inventory, most severe first.
pub fn audit(inventory: &Inventory, config: &Config, only: &[String]) -> Vec<Result> {
    let resolver = Resolver::new(inventory);
    let context = Context::new(inventory, &resolver, config);
    let mut results: Vec<Result> = checks::CHECKS
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| o == c.id()))
        .flat_map(|check| {
            let failed = check.run(&context).into_iter().map(|failure| Result {
                check: check.id(),
                title: check.title(),
                severity: failure.severity.unwrap_or(check.severity()),
                failure,
                status: ControlStatus::Fail,
            });
            let missing = not_collected(inventory, *check);
            failed.chain(missing)
        })
        .collect();
    results.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.check.cmp(b.check))
            .then(a.failure.resource.cmp(&b.failure.resource))
    });
    results
}

/// The "not collected" results of a check: one per account (and region, for regional
/// outputs) where an output it needs was not read.
fn not_collected(inventory: &Inventory, check: &dyn Check) -> Vec<Result> {
    inventory
        .coverage
        .missing(check.needs())
        .into_iter()
        .map(|missing| {
            let commands: Vec<&str> = missing.outputs.iter().map(|o| o.command).collect();
            let place = match (&missing.account, &missing.region) {
                (Some(a), Some(r)) => format!("{a}/{r}"),
                (Some(a), None) => a.clone(),
                (None, Some(r)) => r.clone(),
                (None, None) => "inventory".to_string(),
            };
            Result {
                check: check.id(),
                title: check.title(),
                severity: Severity::Informational,
                failure: Failure {
                    resource: format!("not-collected:{place}"),
                    resource_type: "AWS::Account",
                    account: missing.account.clone(),
                    region: missing.region.clone(),
                    why: format!(
                        "not collected: no `{}` output for {place}, so this check cannot judge it",
                        commands.join("`, `")
                    ),
                    fix: format!(
                        "add the output of `aws {}` for {place} to the inventory, or grant the live read its permission",
                        commands.join("`, `aws ")
                    ),
                    severity: None,
                },
                status: ControlStatus::NotCollected,
            }
        })
        .collect()
}

/// The standard every posture control belongs to, as OCSF `compliance.standards` names it.
pub const STANDARD: &str = "eastwest lateral-movement posture";

/// A value as one shell word, for the AWS CLI commands in `fix`: values come from the
/// inventory (ids, ARNs, regions, protocols), which is input, so anything beyond the characters
/// AWS ids use is single-quoted, and a quote inside is closed, escaped and reopened. A pasted
/// fix never runs what a name or tag smuggled in.
pub fn quote(value: &str) -> std::borrow::Cow<'_, str> {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(format!("'{}'", value.replace('\'', "'\\''")))
    }
}

/// Why a check matters, by id; empty for a result whose check is not in [`checks::CHECKS`]
/// (the comparisons with observed flows in [`observed`]).
pub fn rationale(check: &str) -> &'static str {
    checks::CHECKS
        .iter()
        .find(|c| c.id() == check)
        .map(|c| c.rationale())
        .unwrap_or("")
}

/// A result as a [`Finding`] (a compliance finding: `compliance` is set), found at `time_ms`.
///
/// Its uid is `eastwest:<check>:<resource>`, the same in every run, so that a store tells a
/// repeat from a new failure. The description's first line is the specific reason (the
/// failure's `why`), the next one the check's general rationale: a table shows the first line
/// only, OCSF and SARIF the whole. A configuration is either right or not, so confidence is
/// 100.
pub fn to_finding(result: &Result, time_ms: i64) -> Finding {
    let failure = &result.failure;
    let rationale = rationale(result.check);
    let description = if rationale.is_empty() {
        failure.why.clone()
    } else {
        format!("{}\n{rationale}", failure.why)
    };
    Finding {
        uid: format!("eastwest:{}:{}", result.check, failure.resource),
        analytic: result.check.to_string(),
        title: result.title.to_string(),
        description,
        attacks: Vec::new(),
        severity: result.severity,
        confidence: 100,
        first_seen_ms: time_ms,
        last_seen_ms: time_ms,
        source: None,
        destination: None,
        resources: vec![Resource {
            uid: failure.resource.clone(),
            kind: failure.resource_type.to_string(),
            name: None,
            account: failure.account.clone(),
            region: failure.region.clone(),
        }],
        evidence: Vec::new(),
        counts: BTreeMap::new(),
        baseline: None,
        remediation: failure.fix.clone(),
        status: Status::New,
        compliance: Some(Compliance {
            control: result.check.to_string(),
            standards: vec![STANDARD.to_string()],
            status: result.status,
        }),
        account: failure.account.clone(),
        region: failure.region.clone(),
    }
}

#[cfg(test)]
mod quote_tests {
    use super::quote;

    #[test]
    fn values_in_commands_are_one_shell_word() {
        assert_eq!(quote("sg-0123abcd"), "sg-0123abcd");
        assert_eq!(
            quote("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/1/2"),
            "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/1/2"
        );
        assert_eq!(quote("sg-1; rm -rf ~"), "'sg-1; rm -rf ~'");
        assert_eq!(quote("$(curl evil)"), "'$(curl evil)'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(
            quote("IpProtocol=tcp,IpRanges=[{CidrIp=10.0.0.0/8}]"),
            "'IpProtocol=tcp,IpRanges=[{CidrIp=10.0.0.0/8}]'"
        );
    }
}

//! `flow-log-coverage`: VPCs without flow logs, flow logs that keep only ACCEPT or REJECT, and
//! formats without the fields lateral-movement detection needs.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct FlowLogCoverage;

/// Fields detectors need beyond the default format.
const NEEDED: [&str; 3] = ["tcp-flags", "flow-direction", "pkt-srcaddr"];

impl Check for FlowLogCoverage {
    fn id(&self) -> &'static str {
        "flow-log-coverage"
    }
    fn title(&self) -> &'static str {
        "Flow logs missing, partial, or without the fields detection needs"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "Lateral movement between hosts is only visible in flow logs: a VPC without them is blind, a log of only ACCEPT (or REJECT) hides half the story, and without tcp-flags, flow-direction and pkt-srcaddr scans and initiators cannot be told apart."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["Vpcs", "FlowLogs"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let mut out = Vec::new();
        for vpc in &inv.vpcs {
            let id = &vpc.item.vpc_id;
            // Where flow logs were not read, no VPC is unlogged: the audit says "not collected".
            if !inv.coverage.is_empty()
                && !inv.coverage.has(
                    vpc.origin.account.as_deref(),
                    vpc.origin.region.as_deref(),
                    "FlowLogs",
                )
            {
                continue;
            }
            let subnets: Vec<&str> = inv
                .subnets
                .iter()
                .filter(|s| s.item.vpc_id.as_deref() == Some(id))
                .map(|s| s.item.subnet_id.as_str())
                .collect();
            let logs: Vec<&eastwest_inventory::shapes::FlowLog> = inv
                .flow_logs
                .iter()
                .map(|f| &f.item)
                .filter(|f| {
                    f.resource_id
                        .as_deref()
                        .is_some_and(|r| r == id || subnets.contains(&r))
                })
                .collect();
            let whole_vpc = logs.iter().any(|f| f.resource_id.as_deref() == Some(id));
            let all_subnets = !subnets.is_empty()
                && subnets
                    .iter()
                    .all(|s| logs.iter().any(|f| f.resource_id.as_deref() == Some(*s)));
            let fail = |why: String, fix: String, severity| Failure {
                resource: id.clone(),
                resource_type: "AWS::EC2::VPC",
                account: vpc.origin.account.clone(),
                region: vpc.origin.region.clone(),
                why,
                fix,
                severity: Some(severity),
            };
            if !whole_vpc && !all_subnets {
                out.push(fail(
                    if logs.is_empty() { "no flow log covers this VPC".to_string() } else { format!("flow logs cover {} of its {} subnets only", logs.len(), subnets.len()) },
                    format!("aws ec2 create-flow-logs --resource-type VPC --resource-ids {} --traffic-type ALL --log-destination-type s3 --log-destination arn:aws:s3:::BUCKET --log-format '${{version}} ${{vpc-id}} ${{subnet-id}} ${{instance-id}} ${{interface-id}} ${{account-id}} ${{type}} ${{srcaddr}} ${{dstaddr}} ${{srcport}} ${{dstport}} ${{pkt-srcaddr}} ${{pkt-dstaddr}} ${{protocol}} ${{bytes}} ${{packets}} ${{start}} ${{end}} ${{action}} ${{tcp-flags}} ${{log-status}} ${{flow-direction}} ${{traffic-path}}'", crate::quote(id)),
                    Severity::High,
                ));
                continue;
            }
            for log in &logs {
                if let Some(kind) = log.traffic_type.as_deref().filter(|t| *t != "ALL") {
                    out.push(fail(
                        format!("flow log {} keeps only {kind} traffic", log.flow_log_id),
                        format!(
                            "recreate {} with --traffic-type ALL",
                            crate::quote(&log.flow_log_id)
                        ),
                        Severity::Medium,
                    ));
                }
                let format = log.log_format.as_deref().unwrap_or("");
                let missing: Vec<&str> = NEEDED
                    .iter()
                    .copied()
                    .filter(|f| !format.contains(&format!("${{{f}}}")))
                    .collect();
                if !missing.is_empty() {
                    out.push(fail(
                        format!("flow log {} has no {}", log.flow_log_id, missing.join(", ")),
                        format!(
                            "recreate {} with a custom format that adds {}",
                            crate::quote(&log.flow_log_id),
                            missing
                                .iter()
                                .map(|f| format!("${{{f}}}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        Severity::Low,
                    ));
                }
            }
        }
        out
    }
}

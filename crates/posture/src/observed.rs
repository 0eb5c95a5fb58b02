//! Observed versus permitted: which security-group rules the flow logs show were used, which
//! were never used in the period (with the command that removes them), and which traffic was
//! accepted that today's rules would refuse (drift: the rules changed, or something else let
//! it in).

use std::collections::BTreeMap;
use std::net::IpAddr;

use eastwest_model::Severity;

use crate::{Context, Failure, Peer, Result, SgRule};

/// One accepted inbound flow, summarised: who reached which ENI on which port, how often.
#[derive(Debug, Clone)]
pub struct UsedFlow {
    /// The ENI that accepted it.
    pub dst_eni: String,
    /// Source address.
    pub src: IpAddr,
    /// TCP/UDP destination port.
    pub port: u16,
    /// 6 or 17.
    pub protocol: u8,
    /// Records seen.
    pub records: u64,
}

fn rule_covers(rule: &SgRule, protocol: u8, port: u16) -> bool {
    let proto = match rule.protocol.as_str() {
        "-1" => true,
        "tcp" | "6" => protocol == 6,
        "udp" | "17" => protocol == 17,
        _ => false,
    };
    proto && (rule.protocol == "-1" || (rule.from..=rule.to).contains(&port))
}

/// Compares the rules with what was used; returns unused-rule and drift results.
pub fn compare(context: &Context<'_>, used: &[UsedFlow]) -> Vec<Result> {
    let resolver = context.resolver;
    let groups_of = |ip: &IpAddr| -> Vec<String> {
        resolver
            .find(&ip.to_string())
            .first()
            .map(|a| a.security_groups.clone())
            .unwrap_or_default()
    };
    let mut hits: BTreeMap<usize, u64> = BTreeMap::new();
    let mut drift: BTreeMap<(String, String, u16), u64> = BTreeMap::new();
    for flow in used {
        let Some(dst) = resolver.by_eni(&flow.dst_eni) else {
            continue;
        };
        if dst.security_groups.is_empty() {
            continue;
        }
        let src_groups = groups_of(&flow.src);
        let mut matched = false;
        for (i, rule) in context.rules.iter().enumerate() {
            if rule.egress
                || !dst.security_groups.contains(&rule.group)
                || !rule_covers(rule, flow.protocol, flow.port)
            {
                continue;
            }
            if rule.peer.admits(flow.src, &src_groups) {
                *hits.entry(i).or_default() += flow.records;
                matched = true;
            }
        }
        if !matched {
            *drift
                .entry((dst.eni.clone(), flow.src.to_string(), flow.port))
                .or_default() += flow.records;
        }
    }
    let mut out = Vec::new();
    for (i, rule) in context.rules.iter().enumerate() {
        if rule.egress || hits.contains_key(&i) || context.members(&rule.group).is_empty() {
            continue;
        }
        let (account, region) = crate::checks::group_origin(context, &rule.group);
        let permission = match &rule.peer {
            Peer::Cidr(net) => format!("{}IpRanges=[{{CidrIp={net}}}]", proto_spec(rule)),
            Peer::Group(g) => format!("{}UserIdGroupPairs=[{{GroupId={g}}}]", proto_spec(rule)),
            Peer::PrefixList { id: p, .. } => {
                format!("{}PrefixListIds=[{{PrefixListId={p}}}]", proto_spec(rule))
            }
        };
        out.push(Result {
            check: "rule-never-used",
            title: "Security group rule permits traffic that never happened",
            severity: Severity::Low,
            failure: Failure {
                resource: rule.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!(
                    "{} admits {} from {}, and no accepted flow in the period used it",
                    context.group_name(&rule.group),
                    rule.ports(),
                    rule.peer_text()
                ),
                fix: format!(
                    "aws ec2 revoke-security-group-ingress --group-id {} --ip-permissions {}",
                    crate::quote(&rule.group),
                    crate::quote(&permission)
                ),
                severity: None,
            },
            status: eastwest_model::ControlStatus::Fail,
        });
    }
    for ((eni, src, port), records) in drift {
        let asset = resolver.by_eni(&eni);
        out.push(Result {
            check: "flow-outside-rules",
            title: "Accepted traffic that today's rules would refuse",
            severity: Severity::Medium,
            failure: Failure {
                resource: eni.clone(),
                resource_type: "AWS::EC2::NetworkInterface",
                account: asset.and_then(|a| a.account.clone()),
                region: asset.and_then(|a| a.region.clone()),
                why: format!("{} accepted port {port} from {src} ({records} records) but no rule of {} admits it now", asset.map(|a| a.name.as_str()).unwrap_or(&eni), asset.map(|a| a.security_groups.join(", ")).unwrap_or_default()),
                fix: "find when and why the rule that allowed it changed (CloudTrail AuthorizeSecurityGroupIngress/RevokeSecurityGroupIngress), or what else admitted it".into(),
                severity: None,
            },
            status: eastwest_model::ControlStatus::Fail,
        });
    }
    out
}

fn proto_spec(rule: &SgRule) -> String {
    if rule.protocol == "-1" {
        "IpProtocol=-1,".to_string()
    } else {
        format!(
            "IpProtocol={},FromPort={},ToPort={},",
            rule.protocol, rule.from, rule.to
        )
    }
}

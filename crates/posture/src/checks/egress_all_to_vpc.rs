//! `egress-all-to-vpc`: a group lets every port out to its whole VPC (or a wider private range).

use eastwest_model::Severity;
use ipnet::IpNet;

use crate::checks::group_origin;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct EgressAllToVpc;

impl Check for EgressAllToVpc {
    fn id(&self) -> &'static str {
        "egress-all-to-vpc"
    }
    fn title(&self) -> &'static str {
        "Every port allowed out to the whole VPC"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "Members may open any port on any host of the VPC: egress is the first wall a foothold meets, and this one has no gaps."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out: Vec<Failure> = Vec::new();
        for r in context
            .rules
            .iter()
            .filter(|r| r.egress && r.all_tcp_ports())
        {
            let Peer::Cidr(net) = &r.peer else { continue };
            if net.prefix_len() == 0 || out.iter().any(|f| f.resource == r.group) {
                continue;
            }
            let vpc = context
                .inventory
                .security_groups
                .iter()
                .find(|g| g.item.group_id == r.group)
                .and_then(|g| g.item.vpc_id.clone());
            let vpc_range = context
                .inventory
                .vpcs
                .iter()
                .find(|v| Some(&v.item.vpc_id) == vpc.as_ref())
                .and_then(|v| v.item.cidr_block.as_deref())
                .and_then(|c| c.parse::<IpNet>().ok());
            if !vpc_range.is_some_and(|v| net.contains(&v)) || context.members(&r.group).is_empty()
            {
                continue;
            }
            let (account, region) = group_origin(context, &r.group);
            out.push(Failure {
                resource: r.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!("{} allows {} out to {net}, which covers its VPC", context.group_name(&r.group), r.ports()),
                fix: format!("let out only the services the members call, by their groups: aws ec2 revoke-security-group-egress --group-id {} --ip-permissions {}", crate::quote(&r.group), crate::quote(&format!("IpProtocol={},IpRanges=[{{CidrIp={net}}}]", r.protocol))),
                severity: None,
            });
        }
        out
    }
}

//! `lb-sg-too-open`: a load balancer's security group admits more than its listener ports, or
//! lets out more than the ports of its targets.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct LbSgTooOpen;

impl Check for LbSgTooOpen {
    fn id(&self) -> &'static str {
        "lb-sg-too-open"
    }
    fn title(&self) -> &'static str {
        "Load-balancer group wider than its listeners and targets"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "A load balancer needs its listener ports in and its targets' ports out; anything more turns it into a relay into the VPC."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["LoadBalancers", "SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let mut out = Vec::new();
        for lb in &inv.load_balancers {
            let arn = &lb.item.load_balancer_arn;
            let listen: Vec<u16> = inv
                .listeners
                .iter()
                .filter(|l| l.item.load_balancer_arn.as_ref() == Some(arn))
                .filter_map(|l| l.item.port)
                .map(|p| p.clamp(0, 65535) as u16)
                .collect();
            let targets: Vec<u16> = inv
                .target_groups
                .iter()
                .filter(|t| t.item.load_balancer_arns.contains(arn))
                .filter_map(|t| t.item.port)
                .map(|p| p.clamp(0, 65535) as u16)
                .collect();
            let mut problems = Vec::new();
            for r in context
                .rules
                .iter()
                .filter(|r| lb.item.security_groups.contains(&r.group))
            {
                if r.egress {
                    if !targets.is_empty()
                        && (r.all_traffic() || !(r.from..=r.to).all(|p| targets.contains(&p)))
                    {
                        problems.push(format!(
                            "{} lets {} out to {} (targets listen on {:?})",
                            context.group_name(&r.group),
                            r.ports(),
                            r.peer_text(),
                            targets
                        ));
                    }
                } else if !listen.is_empty()
                    && (r.all_traffic() || !(r.from..=r.to).all(|p| listen.contains(&p)))
                {
                    problems.push(format!(
                        "{} admits {} from {} (listeners: {:?})",
                        context.group_name(&r.group),
                        r.ports(),
                        r.peer_text(),
                        listen
                    ));
                }
            }
            if problems.is_empty() {
                continue;
            }
            out.push(Failure {
                resource: arn.clone(),
                resource_type: "AWS::ElasticLoadBalancingV2::LoadBalancer",
                account: lb.origin.account.clone(),
                region: lb.origin.region.clone(),
                why: format!("{}: {}", lb.item.load_balancer_name.as_deref().unwrap_or(arn), problems.join("; ")),
                fix: "admit only the listener ports, and let out only the targets' port to the targets' group".into(),
                severity: None,
            });
        }
        out
    }
}

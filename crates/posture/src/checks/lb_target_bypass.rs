//! `lb-target-bypass`: instances behind a load balancer admit its service port from someone
//! other than the load balancer.

use eastwest_model::Severity;

use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct LbTargetBypass;

impl Check for LbTargetBypass {
    fn id(&self) -> &'static str {
        "lb-target-bypass"
    }
    fn title(&self) -> &'static str {
        "Load-balancer targets reachable around the load balancer"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "When targets admit their service port from more than the load balancer, a foothold can reach the application directly, past the load balancer's TLS, WAF and logs."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["LoadBalancers", "TargetGroups", "SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let mut out: Vec<Failure> = Vec::new();
        for tg in inv.target_groups.iter().filter(|t| {
            t.item
                .target_type
                .as_deref()
                .is_none_or(|k| k == "instance")
        }) {
            let Some(port) = tg.item.port.map(|p| p.clamp(0, 65535) as u16) else {
                continue;
            };
            let lb_groups: Vec<&String> = inv
                .load_balancers
                .iter()
                .filter(|l| {
                    tg.item
                        .load_balancer_arns
                        .contains(&l.item.load_balancer_arn)
                })
                .flat_map(|l| l.item.security_groups.iter())
                .collect();
            if lb_groups.is_empty() {
                continue;
            }
            let instances: Vec<&str> = inv
                .auto_scaling_groups
                .iter()
                .filter(|g| g.item.target_group_arns.contains(&tg.item.target_group_arn))
                .flat_map(|g| g.item.instances.iter().map(|i| i.instance_id.as_str()))
                .collect();
            let mut groups: Vec<String> = instances
                .iter()
                .flat_map(|i| context.resolver.by_instance(i))
                .flat_map(|a| a.security_groups.clone())
                .collect();
            groups.sort();
            groups.dedup();
            for r in context
                .rules
                .iter()
                .filter(|r| !r.egress && groups.contains(&r.group) && r.admits_tcp(port))
            {
                let from_lb = matches!(&r.peer, Peer::Group(g) if lb_groups.contains(&g));
                if from_lb
                    || out
                        .iter()
                        .any(|f| f.resource == r.group && f.why.contains(&r.peer_text()))
                {
                    continue;
                }
                let (account, region) = crate::checks::group_origin(context, &r.group);
                out.push(Failure {
                    resource: r.group.clone(),
                    resource_type: "AWS::EC2::SecurityGroup",
                    account,
                    region,
                    why: format!("targets of {} admit {} (service port {port}) from {}, not only from the load balancer", tg.item.target_group_name.as_deref().unwrap_or(&tg.item.target_group_arn), r.ports(), r.peer_text()),
                    fix: format!("admit port {port} only from the load balancer's group ({})", lb_groups.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", ")),
                    severity: None,
                });
            }
        }
        out
    }
}

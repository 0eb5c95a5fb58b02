//! `imdsv1-allowed`: an instance accepts IMDSv1 (HttpTokens optional); worse when it is
//! reachable from the internet, where an SSRF turns into its role's credentials.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct Imdsv1Allowed;

impl Check for Imdsv1Allowed {
    fn id(&self) -> &'static str {
        "imdsv1-allowed"
    }
    fn title(&self) -> &'static str {
        "IMDSv1 allowed"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "IMDSv1 answers a single unauthenticated GET: any SSRF in the instance's software hands out its role's credentials, usable from anywhere."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["Reservations"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        // Instances behind an internet-facing load balancer, through their autoscaling group's
        // target groups.
        let public_lbs: Vec<&str> = inv
            .load_balancers
            .iter()
            .filter(|l| l.item.scheme.as_deref() == Some("internet-facing"))
            .map(|l| l.item.load_balancer_arn.as_str())
            .collect();
        let exposed_groups: Vec<&str> = inv
            .target_groups
            .iter()
            .filter(|t| {
                t.item
                    .load_balancer_arns
                    .iter()
                    .any(|a| public_lbs.contains(&a.as_str()))
            })
            .map(|t| t.item.target_group_arn.as_str())
            .collect();
        let behind_lb = |instance: &str| {
            inv.auto_scaling_groups.iter().any(|g| {
                g.item.instances.iter().any(|i| i.instance_id == instance)
                    && g.item
                        .target_group_arns
                        .iter()
                        .any(|t| exposed_groups.contains(&t.as_str()))
            }) || inv.classic_load_balancers.iter().any(|l| {
                l.item.scheme.as_deref() == Some("internet-facing")
                    && l.item.instances.iter().any(|i| i.instance_id == instance)
            })
        };
        inv.instances
            .iter()
            .filter(|i| {
                let m = i.item.metadata_options.as_ref();
                m.and_then(|m| m.http_tokens.as_deref()) == Some("optional") && m.and_then(|m| m.http_endpoint.as_deref()) != Some("disabled")
            })
            .filter(|i| i.item.state.as_ref().and_then(|s| s.name.as_deref()) != Some("terminated"))
            .map(|i| {
                let id = &i.item.instance_id;
                let public = i.item.public_ip_address.is_some() || behind_lb(id);
                let name = context.resolver.by_instance(id).first().map(|a| a.name.clone()).unwrap_or_else(|| id.clone());
                Failure {
                    resource: id.clone(),
                    resource_type: "AWS::EC2::Instance",
                    account: i.origin.account.clone(),
                    region: i.origin.region.clone(),
                    why: format!("{name} accepts IMDSv1{}", if public { " and is reachable from the internet (public address or internet-facing load balancer)" } else { "" }),
                    fix: format!("aws ec2 modify-instance-metadata-options --instance-id {} --http-tokens required --http-put-response-hop-limit 1 (and require IMDSv2 in the launch template)", crate::quote(id)),
                    severity: Some(if public { Severity::High } else { Severity::Medium }),
                }
            })
            .collect()
    }
}

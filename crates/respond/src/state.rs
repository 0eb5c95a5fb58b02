//! What an instance looks like before a response touches it: recorded first, stored in the
//! journal, and what `release` restores.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, InstanceAttributeName};
use eastwest_aws::{Config, error_text};
use serde::{Deserialize, Serialize};

use crate::RespondError;

/// A network interface and its security groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EniGroups {
    /// `eni-...`.
    pub eni: String,
    /// Its groups, in order.
    pub groups: Vec<String>,
    /// Its subnet.
    pub subnet: String,
    /// Its private addresses.
    pub addresses: Vec<String>,
}

/// A NACL and the rule numbers in use in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaclState {
    /// `acl-...`.
    pub id: String,
    /// The subnet it was found for.
    pub subnet: String,
    /// Rule numbers in use, inbound.
    pub ingress_numbers: Vec<i32>,
    /// Rule numbers in use, outbound.
    pub egress_numbers: Vec<i32>,
}

/// A target-group registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Target group ARN.
    pub group: String,
    /// The port it was registered with.
    pub port: Option<i32>,
}

/// An instance's state before containment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// `i-...`.
    pub instance: String,
    /// VPC.
    pub vpc: String,
    /// Its network interfaces with their groups.
    pub enis: Vec<EniGroups>,
    /// The NACL of each subnet it has an interface in.
    pub nacls: Vec<NaclState>,
    /// Instance profile ARN.
    pub instance_profile: Option<String>,
    /// The profile's role.
    pub role: Option<String>,
    /// The role's inline policies.
    pub role_policies: Vec<String>,
    /// API termination protection.
    pub termination_protection: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// EBS volumes.
    pub volumes: Vec<String>,
    /// Autoscaling group and the instance's lifecycle state in it.
    pub auto_scaling: Option<(String, String)>,
    /// Target groups it is registered with.
    pub target_groups: Vec<Registration>,
}

fn failed<E: std::error::Error>(api: &'static str, e: E) -> RespondError {
    RespondError::Aws {
        api,
        reason: error_text(&e),
    }
}

/// Describes an instance: every read, no change.
pub async fn record(config: &Config, instance: &str) -> Result<Recorded, RespondError> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let out = ec2
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .map_err(|e| failed("ec2:DescribeInstances", e))?;
    let found = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(instance))
        .ok_or_else(|| RespondError::NotFound(instance.to_string()))?;
    let vpc = found.vpc_id().unwrap_or_default().to_string();
    let mut enis: Vec<EniGroups> = found
        .network_interfaces()
        .iter()
        .map(|n| EniGroups {
            eni: n.network_interface_id().unwrap_or_default().to_string(),
            groups: n
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect(),
            subnet: n.subnet_id().unwrap_or_default().to_string(),
            addresses: n
                .private_ip_addresses()
                .iter()
                .filter_map(|a| a.private_ip_address().map(str::to_string))
                .collect(),
        })
        .collect();
    // An interface's groups as the interface says (DescribeInstances may report the launch
    // groups; moto reports the union of both).
    if !enis.is_empty() {
        let out = ec2
            .describe_network_interfaces()
            .set_network_interface_ids(Some(enis.iter().map(|e| e.eni.clone()).collect()))
            .send()
            .await
            .map_err(|e| failed("ec2:DescribeNetworkInterfaces", e))?;
        for eni in &mut enis {
            if let Some(n) = out
                .network_interfaces()
                .iter()
                .find(|n| n.network_interface_id() == Some(eni.eni.as_str()))
            {
                eni.groups = n
                    .groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect();
            }
        }
    }
    let tags: BTreeMap<String, String> = found
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let instance_profile = found
        .iam_instance_profile()
        .and_then(|p| p.arn())
        .map(str::to_string);
    let volumes = found
        .block_device_mappings()
        .iter()
        .filter_map(|b| b.ebs().and_then(|e| e.volume_id()).map(str::to_string))
        .collect();
    let termination_protection = ec2
        .describe_instance_attribute()
        .instance_id(instance)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .map_err(|e| failed("ec2:DescribeInstanceAttribute", e))?
        .disable_api_termination()
        .and_then(|v| v.value())
        .unwrap_or(false);
    let mut subnets: Vec<&str> = enis.iter().map(|e| e.subnet.as_str()).collect();
    subnets.sort();
    subnets.dedup();
    let mut nacls = Vec::new();
    for subnet in subnets {
        let out = ec2
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(subnet)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| failed("ec2:DescribeNetworkAcls", e))?;
        if let Some(acl) = out.network_acls().first() {
            let numbers = |egress: bool| {
                acl.entries()
                    .iter()
                    .filter(|e| e.egress() == Some(egress))
                    .filter_map(|e| e.rule_number())
                    .collect()
            };
            nacls.push(NaclState {
                id: acl.network_acl_id().unwrap_or_default().to_string(),
                subnet: subnet.to_string(),
                ingress_numbers: numbers(false),
                egress_numbers: numbers(true),
            });
        }
    }
    let (role, role_policies) = match &instance_profile {
        Some(arn) => role_of(config, arn).await?,
        None => (None, Vec::new()),
    };
    let autoscaling = aws_sdk_autoscaling::Client::new(config);
    let auto_scaling = autoscaling
        .describe_auto_scaling_instances()
        .instance_ids(instance)
        .send()
        .await
        .map_err(|e| failed("autoscaling:DescribeAutoScalingInstances", e))?
        .auto_scaling_instances()
        .first()
        .map(|a| {
            (
                a.auto_scaling_group_name().unwrap_or_default().to_string(),
                a.lifecycle_state().unwrap_or_default().to_string(),
            )
        });
    let target_groups = registrations(config, &vpc, instance).await?;
    Ok(Recorded {
        instance: instance.to_string(),
        vpc,
        enis,
        nacls,
        instance_profile,
        role,
        role_policies,
        termination_protection,
        tags,
        volumes,
        auto_scaling,
        target_groups,
    })
}

/// The role of an instance profile (by its ARN) and the role's inline policies.
async fn role_of(
    config: &Config,
    arn: &str,
) -> Result<(Option<String>, Vec<String>), RespondError> {
    let iam = aws_sdk_iam::Client::new(config);
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let profile = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| failed("iam:GetInstanceProfile", e))?;
    let Some(role) = profile
        .instance_profile()
        .and_then(|p| p.roles().first())
        .map(|r| r.role_name().to_string())
    else {
        return Ok((None, Vec::new()));
    };
    Ok((Some(role.clone()), role_policies(config, &role).await?))
}

/// A role's inline policy names.
pub async fn role_policies(config: &Config, role: &str) -> Result<Vec<String>, RespondError> {
    let iam = aws_sdk_iam::Client::new(config);
    let out = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| failed("iam:ListRolePolicies", e))?;
    let mut names = out.policy_names().to_vec();
    names.sort();
    Ok(names)
}

/// The target groups of the VPC the instance is registered with.
async fn registrations(
    config: &Config,
    vpc: &str,
    instance: &str,
) -> Result<Vec<Registration>, RespondError> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let mut out = Vec::new();
    let mut pages = elb.describe_target_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed("elasticloadbalancing:DescribeTargetGroups", e))?;
        for group in page.target_groups() {
            if group.vpc_id() != Some(vpc) {
                continue;
            }
            let Some(arn) = group.target_group_arn() else {
                continue;
            };
            let health = elb
                .describe_target_health()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(|e| failed("elasticloadbalancing:DescribeTargetHealth", e))?;
            for target in health
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target())
            {
                if target.id() == Some(instance) {
                    out.push(Registration {
                        group: arn.to_string(),
                        port: target.port(),
                    });
                }
            }
        }
    }
    Ok(out)
}

//! Makes the calls. Each is idempotent: a group that exists is found, not created twice; a
//! rule or entry already there, or already gone, is success; so a resumed run can repeat the
//! call that was under way when it stopped.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, RuleAction, Tag, UserIdGroupPair,
};
use eastwest_aws::{Config, error_text};

use crate::call::{Call, GroupRef, Purpose};

/// The clients calls go through, all from one configuration.
pub struct Clients {
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
}

/// Error codes that mean the call's effect is already there.
const ALREADY: &[&str] = &[
    "InvalidPermission.Duplicate",
    "InvalidNetworkAclEntry.NotFound",
    "NoSuchEntity",
    "InvalidGroup.Duplicate",
];

impl Clients {
    /// Clients on `config`.
    pub fn new(config: &Config) -> Self {
        Self {
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
        }
    }

    /// The id of a managed group, if it exists.
    pub async fn find_group(&self, vpc: &str, name: &str) -> Result<Option<String>, String> {
        let out = self
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .filters(Filter::builder().name("group-name").values(name).build())
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        Ok(out
            .security_groups()
            .first()
            .and_then(|g| g.group_id())
            .map(str::to_string))
    }

    async fn group_id(&self, group: &GroupRef) -> Result<String, String> {
        match group {
            GroupRef::Id(id) => Ok(id.clone()),
            GroupRef::Named { vpc, name } => self
                .find_group(vpc, name)
                .await?
                .ok_or_else(|| format!("security group {name} does not exist in {vpc}")),
        }
    }

    /// Makes one call; returns what it did, in a few words.
    pub async fn run(&self, call: &Call) -> Result<String, String> {
        let done = |r: Result<String, String>| match r {
            Err(e) if ALREADY.iter().any(|code| e.contains(code)) => {
                Ok(format!("already so ({})", e.lines().next().unwrap_or("")))
            }
            other => other,
        };
        done(self.make(call).await)
    }

    async fn make(&self, call: &Call) -> Result<String, String> {
        let ec2 = &self.ec2;
        match call {
            Call::EnsureGroup { vpc, name, purpose } => {
                if let Some(id) = self.find_group(vpc, name).await? {
                    return Ok(format!("{id} exists"));
                }
                let id = ec2
                    .create_security_group()
                    .group_name(name)
                    .description(match purpose {
                        Purpose::AllowAll => {
                            "eastwest: all traffic, to untrack connections before isolation"
                        }
                        Purpose::Isolation { .. } => "eastwest: isolation of contained instances",
                    })
                    .vpc_id(vpc)
                    .tag_specifications(
                        aws_sdk_ec2::types::TagSpecification::builder()
                            .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                            .tags(Tag::builder().key("eastwest:managed").value("true").build())
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?
                    .group_id()
                    .unwrap_or_default()
                    .to_string();
                let everything = IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build();
                match purpose {
                    Purpose::AllowAll => {
                        ec2.authorize_security_group_ingress()
                            .group_id(&id)
                            .ip_permissions(everything)
                            .send()
                            .await
                            .map_err(|e| error_text(&e))?;
                    }
                    Purpose::Isolation {
                        forensic_cidr,
                        forensic_group,
                    } => {
                        // A new group lets everything out; isolation lets nothing out.
                        ec2.revoke_security_group_egress()
                            .group_id(&id)
                            .ip_permissions(everything)
                            .send()
                            .await
                            .map_err(|e| error_text(&e))?;
                        let mut ssh = IpPermission::builder()
                            .ip_protocol("tcp")
                            .from_port(22)
                            .to_port(22);
                        if let Some(cidr) = forensic_cidr {
                            ssh = ssh.ip_ranges(IpRange::builder().cidr_ip(cidr).build());
                        }
                        if let Some(group) = forensic_group {
                            ssh = ssh.user_id_group_pairs(
                                UserIdGroupPair::builder().group_id(group).build(),
                            );
                        }
                        if forensic_cidr.is_some() || forensic_group.is_some() {
                            ec2.authorize_security_group_ingress()
                                .group_id(&id)
                                .ip_permissions(ssh.build())
                                .send()
                                .await
                                .map_err(|e| error_text(&e))?;
                        }
                    }
                }
                Ok(format!("{id} created"))
            }
            Call::SetEniGroups { eni, groups } => {
                let mut ids = Vec::new();
                for group in groups {
                    ids.push(self.group_id(group).await?);
                }
                ec2.modify_network_interface_attribute()
                    .network_interface_id(eni)
                    .set_groups(Some(ids.clone()))
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{eni} in {}", ids.join(", ")))
            }
            Call::CreateNaclEntry {
                acl,
                number,
                egress,
                cidr,
            } => {
                let result = ec2
                    .create_network_acl_entry()
                    .network_acl_id(acl)
                    .rule_number(*number)
                    .egress(*egress)
                    .protocol("-1")
                    .rule_action(RuleAction::Deny)
                    .cidr_block(cidr)
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(format!("{acl} rule {number} denies {cidr}")),
                    // Ours from an interrupted run, or someone else's: only ours is success.
                    Err(e) if error_text(&e).contains("NetworkAclEntryAlreadyExists") => {
                        if self.nacl_entry_is(acl, *number, *egress, cidr).await? {
                            Ok(format!("{acl} rule {number} already denies {cidr}"))
                        } else {
                            Err(format!(
                                "{acl} rule {number} was taken by another entry since the plan was made; run again to plan anew"
                            ))
                        }
                    }
                    Err(e) => Err(error_text(&e)),
                }
            }
            Call::DeleteNaclEntry {
                acl,
                number,
                egress,
            } => {
                ec2.delete_network_acl_entry()
                    .network_acl_id(acl)
                    .rule_number(*number)
                    .egress(*egress)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{acl} rule {number} removed"))
            }
            Call::SetTerminationProtection { instance, on } => {
                ec2.modify_instance_attribute()
                    .instance_id(instance)
                    .disable_api_termination(AttributeBooleanValue::builder().value(*on).build())
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!(
                    "termination protection {}",
                    if *on { "on" } else { "off" }
                ))
            }
            Call::CreateTags { resource, tags } => {
                let mut request = ec2.create_tags().resources(resource);
                for (k, v) in tags {
                    request = request.tags(Tag::builder().key(k).value(v).build());
                }
                request.send().await.map_err(|e| error_text(&e))?;
                Ok(format!("{} tags set", tags.len()))
            }
            Call::DeleteTags { resource, keys } => {
                let mut request = ec2.delete_tags().resources(resource);
                for k in keys {
                    request = request.tags(Tag::builder().key(k).build());
                }
                request.send().await.map_err(|e| error_text(&e))?;
                Ok(format!("{} tags removed", keys.len()))
            }
            Call::CreateSnapshot {
                volume,
                description,
            } => {
                let out = ec2
                    .create_snapshot()
                    .volume_id(volume)
                    .description(description)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(out.snapshot_id().unwrap_or_default().to_string())
            }
            Call::PutRolePolicy {
                role,
                name,
                document,
            } => {
                self.iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .policy_document(document)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{name} on {role}"))
            }
            Call::DeleteRolePolicy { role, name } => {
                self.iam
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{name} removed from {role}"))
            }
            Call::SetAccessKeyStatus { user, key, active } => {
                let status = if *active {
                    aws_sdk_iam::types::StatusType::Active
                } else {
                    aws_sdk_iam::types::StatusType::Inactive
                };
                self.iam
                    .update_access_key()
                    .user_name(user)
                    .access_key_id(key)
                    .status(status.clone())
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{key} of {user} {}", status.as_str()))
            }
            Call::PutUserPolicy {
                user,
                name,
                document,
            } => {
                self.iam
                    .put_user_policy()
                    .user_name(user)
                    .policy_name(name)
                    .policy_document(document)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{name} on {user}"))
            }
            Call::DeleteUserPolicy { user, name } => {
                self.iam
                    .delete_user_policy()
                    .user_name(user)
                    .policy_name(name)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{name} removed from {user}"))
            }
            Call::DeregisterTarget { group, id, port } => {
                self.elb
                    .deregister_targets()
                    .target_group_arn(group)
                    .targets(
                        aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                            .id(id)
                            .set_port(*port)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{id} out of {group}"))
            }
            Call::RegisterTarget { group, id, port } => {
                self.elb
                    .register_targets()
                    .target_group_arn(group)
                    .targets(
                        aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                            .id(id)
                            .set_port(*port)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{id} back in {group}"))
            }
            Call::EnterStandby { group, instance } => {
                if self.lifecycle(instance).await?.as_deref() == Some("Standby") {
                    return Ok("already in standby".into());
                }
                self.autoscaling
                    .enter_standby()
                    .auto_scaling_group_name(group)
                    .instance_ids(instance)
                    .should_decrement_desired_capacity(true)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{instance} in standby in {group}"))
            }
            Call::ExitStandby { group, instance } => {
                if self.lifecycle(instance).await?.as_deref() != Some("Standby") {
                    return Ok("not in standby".into());
                }
                self.autoscaling
                    .exit_standby()
                    .auto_scaling_group_name(group)
                    .instance_ids(instance)
                    .send()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(format!("{instance} back in service in {group}"))
            }
        }
    }

    async fn lifecycle(&self, instance: &str) -> Result<Option<String>, String> {
        let out = self
            .autoscaling
            .describe_auto_scaling_instances()
            .instance_ids(instance)
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        Ok(out
            .auto_scaling_instances()
            .first()
            .and_then(|a| a.lifecycle_state())
            .map(str::to_string))
    }

    async fn nacl_entry_is(
        &self,
        acl: &str,
        number: i32,
        egress: bool,
        cidr: &str,
    ) -> Result<bool, String> {
        let out = self
            .ec2
            .describe_network_acls()
            .network_acl_ids(acl)
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        Ok(out
            .network_acls()
            .iter()
            .flat_map(|a| a.entries())
            .any(|e| {
                e.rule_number() == Some(number)
                    && e.egress() == Some(egress)
                    && e.cidr_block() == Some(cidr)
                    && e.rule_action() == Some(&RuleAction::Deny)
            }))
    }
}

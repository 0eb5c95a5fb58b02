//! The calls a response makes: each one AWS API call, serialisable (the journal stores the plan
//! before anything runs), idempotent when repeated (a resumed run repeats the call that was
//! under way), and printable as the API call it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A security group by id, or by name in a VPC (the isolation and allow-all groups eastwest
/// finds or creates, whose ids are not known when the plan is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRef {
    /// `sg-...`.
    Id(String),
    /// A group eastwest manages, by name.
    Named {
        /// Its VPC.
        vpc: String,
        /// Its name.
        name: String,
    },
}

impl std::fmt::Display for GroupRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupRef::Id(id) => f.write_str(id),
            GroupRef::Named { vpc, name } => write!(f, "{name} ({vpc})"),
        }
    }
}

/// What a managed security group is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Everything in and out from anywhere: a host moved into it has its tracked connections
    /// become untracked, so the next move cuts them.
    AllowAll,
    /// Nothing out; in only SSH from the forensic range or group, if one is configured.
    Isolation {
        /// `203.0.113.0/24`.
        forensic_cidr: Option<String>,
        /// `sg-...`.
        forensic_group: Option<String>,
    },
}

/// One AWS call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// Finds the named group in the VPC, or creates it with the rules of its purpose.
    EnsureGroup {
        /// VPC.
        vpc: String,
        /// Group name.
        name: String,
        /// Its rules.
        purpose: Purpose,
    },
    /// Sets a network interface's security groups.
    SetEniGroups {
        /// `eni-...`.
        eni: String,
        /// The groups, in order.
        groups: Vec<GroupRef>,
    },
    /// Adds a deny-all entry for one address to a NACL.
    CreateNaclEntry {
        /// `acl-...`.
        acl: String,
        /// Rule number.
        number: i32,
        /// Outbound when true.
        egress: bool,
        /// `10.0.1.5/32`.
        cidr: String,
    },
    /// Removes a NACL entry.
    DeleteNaclEntry {
        /// `acl-...`.
        acl: String,
        /// Rule number.
        number: i32,
        /// Outbound when true.
        egress: bool,
    },
    /// Turns API termination protection on or off.
    SetTerminationProtection {
        /// `i-...`.
        instance: String,
        /// On when true.
        on: bool,
    },
    /// Sets tags.
    CreateTags {
        /// Resource id.
        resource: String,
        /// Key to value.
        tags: BTreeMap<String, String>,
    },
    /// Removes tags.
    DeleteTags {
        /// Resource id.
        resource: String,
        /// Keys.
        keys: Vec<String>,
    },
    /// Snapshots an EBS volume (evidence: never undone).
    CreateSnapshot {
        /// `vol-...`.
        volume: String,
        /// Description.
        description: String,
    },
    /// Puts an inline policy on a role.
    PutRolePolicy {
        /// Role name.
        role: String,
        /// Policy name.
        name: String,
        /// The policy document.
        document: String,
    },
    /// Removes an inline policy from a role.
    DeleteRolePolicy {
        /// Role name.
        role: String,
        /// Policy name.
        name: String,
    },
    /// Sets an IAM user's access key active or inactive.
    SetAccessKeyStatus {
        /// User name.
        user: String,
        /// `AKIA...`.
        key: String,
        /// Active when true.
        active: bool,
    },
    /// Puts an inline policy on a user.
    PutUserPolicy {
        /// User name.
        user: String,
        /// Policy name.
        name: String,
        /// The policy document.
        document: String,
    },
    /// Removes an inline policy from a user.
    DeleteUserPolicy {
        /// User name.
        user: String,
        /// Policy name.
        name: String,
    },
    /// Takes a target out of a target group.
    DeregisterTarget {
        /// Target group ARN.
        group: String,
        /// Instance id.
        id: String,
        /// Port, where registered with one.
        port: Option<i32>,
    },
    /// Puts a target back into a target group.
    RegisterTarget {
        /// Target group ARN.
        group: String,
        /// Instance id.
        id: String,
        /// Port.
        port: Option<i32>,
    },
    /// Moves an instance to standby in its autoscaling group, without a replacement.
    EnterStandby {
        /// Autoscaling group.
        group: String,
        /// Instance id.
        instance: String,
    },
    /// Returns an instance from standby.
    ExitStandby {
        /// Autoscaling group.
        group: String,
        /// Instance id.
        instance: String,
    },
}

impl Call {
    /// The API call as `service:Operation key=value ...`, as the plan prints it.
    pub fn describe(&self) -> String {
        match self {
            Call::EnsureGroup { vpc, name, purpose } => {
                let rules = match purpose {
                    Purpose::AllowAll => "all traffic in and out".to_string(),
                    Purpose::Isolation {
                        forensic_cidr,
                        forensic_group,
                    } => match (forensic_cidr, forensic_group) {
                        (None, None) => "no inbound, no outbound".to_string(),
                        (c, g) => format!(
                            "inbound tcp/22 from {} only, no outbound",
                            c.iter()
                                .chain(g.iter())
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    },
                };
                format!(
                    "ec2:DescribeSecurityGroups/CreateSecurityGroup GroupName={name} VpcId={vpc} ({rules})"
                )
            }
            Call::SetEniGroups { eni, groups } => format!(
                "ec2:ModifyNetworkInterfaceAttribute NetworkInterfaceId={eni} Groups=[{}]",
                groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Call::CreateNaclEntry {
                acl,
                number,
                egress,
                cidr,
            } => format!(
                "ec2:CreateNetworkAclEntry NetworkAclId={acl} RuleNumber={number} Egress={egress} Protocol=-1 RuleAction=deny CidrBlock={cidr}"
            ),
            Call::DeleteNaclEntry {
                acl,
                number,
                egress,
            } => format!(
                "ec2:DeleteNetworkAclEntry NetworkAclId={acl} RuleNumber={number} Egress={egress}"
            ),
            Call::SetTerminationProtection { instance, on } => format!(
                "ec2:ModifyInstanceAttribute InstanceId={instance} DisableApiTermination={on}"
            ),
            Call::CreateTags { resource, tags } => format!(
                "ec2:CreateTags Resources={resource} Tags=[{}]",
                tags.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Call::DeleteTags { resource, keys } => {
                format!(
                    "ec2:DeleteTags Resources={resource} Tags=[{}]",
                    keys.join(", ")
                )
            }
            Call::CreateSnapshot {
                volume,
                description,
            } => format!("ec2:CreateSnapshot VolumeId={volume} Description='{description}'"),
            Call::PutRolePolicy { role, name, .. } => format!(
                "iam:PutRolePolicy RoleName={role} PolicyName={name} (deny every action to sessions issued before now)"
            ),
            Call::DeleteRolePolicy { role, name } => {
                format!("iam:DeleteRolePolicy RoleName={role} PolicyName={name}")
            }
            Call::SetAccessKeyStatus { user, key, active } => format!(
                "iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status={}",
                if *active { "Active" } else { "Inactive" }
            ),
            Call::PutUserPolicy { user, name, .. } => format!(
                "iam:PutUserPolicy UserName={user} PolicyName={name} (deny every action: the console session and any key)"
            ),
            Call::DeleteUserPolicy { user, name } => {
                format!("iam:DeleteUserPolicy UserName={user} PolicyName={name}")
            }
            Call::DeregisterTarget { group, id, port } => format!(
                "elasticloadbalancing:DeregisterTargets TargetGroupArn={group} Targets=[Id={id}{}]",
                port.map(|p| format!(",Port={p}")).unwrap_or_default()
            ),
            Call::RegisterTarget { group, id, port } => format!(
                "elasticloadbalancing:RegisterTargets TargetGroupArn={group} Targets=[Id={id}{}]",
                port.map(|p| format!(",Port={p}")).unwrap_or_default()
            ),
            Call::EnterStandby { group, instance } => format!(
                "autoscaling:EnterStandby AutoScalingGroupName={group} InstanceIds={instance} ShouldDecrementDesiredCapacity=true"
            ),
            Call::ExitStandby { group, instance } => format!(
                "autoscaling:ExitStandby AutoScalingGroupName={group} InstanceIds={instance}"
            ),
        }
    }
}

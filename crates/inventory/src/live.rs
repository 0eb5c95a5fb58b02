//! The live loader (`--inventory aws`): the same data as the AWS CLI files, through the SDK.
//!
//! For each account (the default credentials, plus one per `--assume-role ARN`) and each
//! region it calls the describe APIs with pagination, and IAM once per account. Throttling is
//! retried with backoff by the SDK's adaptive retry mode (client-side rate limiting plus
//! exponential backoff with jitter, up to [`MAX_ATTEMPTS`] tries). A call that still fails
//! (access denied, a service the account does not use) is reported as a problem naming the
//! API, account and region, and the rest of the read goes on. `AWS_ENDPOINT_URL` is honoured,
//! so the loader runs against an emulator. The SDK's types are converted into [`crate::shapes`],
//! so a live read and a file read are the same [`Inventory`] and snapshots replay exactly.

use std::collections::BTreeSet;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2 as ec2;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use eastwest_model::{Position, Problem, ProblemLevel};
use serde_json::Value;

use crate::load::LoadReport;
use crate::shapes::*;
use crate::{Inventory, Located, Origin};

/// Attempts per call before a throttled or failing call is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// Regions to read; empty: the region of the default configuration.
    pub regions: Vec<String>,
    /// Roles to assume, one per further account; the default credentials' account is read too
    /// unless `only_assumed` is set.
    pub assume_roles: Vec<String>,
    /// Read only the assumed roles' accounts.
    pub only_assumed: bool,
    /// A named profile of the shared AWS config files.
    pub profile: Option<String>,
}

/// Reads the estate through the AWS API.
pub async fn load(options: &LiveOptions) -> (Inventory, LoadReport) {
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    // A retry setting of the user's (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) wins over ours.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
        && std::env::var_os("AWS_RETRY_MODE").is_none()
    {
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(MAX_ATTEMPTS));
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    let regions: Vec<String> = if options.regions.is_empty() {
        vec![
            base.region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".to_string()),
        ]
    } else {
        options.regions.clone()
    };
    let mut accounts: Vec<(String, SdkConfig)> = Vec::new();
    if !options.only_assumed {
        accounts.push(("default credentials".to_string(), base.clone()));
    }
    for arn in &options.assume_roles {
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name("eastwest-inventory")
            .configure(&base)
            .region(Region::new(regions[0].clone()))
            .build()
            .await;
        let config = base
            .to_builder()
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                provider,
            ))
            .build();
        accounts.push((arn.clone(), config));
    }
    for (label, config) in accounts {
        let first = with_region(&config, &regions[0]);
        let account = match aws_sdk_sts::Client::new(&first)
            .get_caller_identity()
            .send()
            .await
        {
            Ok(identity) => identity.account().map(str::to_string),
            Err(e) => {
                report.problems.push(problem(
                    &format!("sts:GetCallerIdentity ({label})"),
                    ProblemLevel::Unreadable,
                    format!("cannot identify the account: {}", error_text(&e)),
                ));
                continue;
            }
        };
        let mut reader = Reader {
            inventory: &mut inventory,
            report: &mut report,
            account: account.clone(),
        };
        for region in &regions {
            let config = with_region(&config, region);
            reader.region(&config, region).await;
        }
        reader.iam(&first).await;
    }
    inventory.finish();
    (inventory, report)
}

fn with_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

fn problem(source: &str, level: ProblemLevel, reason: String) -> Problem {
    Problem {
        file: format!("aws:{source}"),
        position: Position::File,
        level,
        reason,
    }
}

fn error_text<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

struct Reader<'a> {
    inventory: &'a mut Inventory,
    report: &'a mut LoadReport,
    account: Option<String>,
}

/// Runs a paginated call, collecting items; a failure is reported and what was read is kept.
macro_rules! paginate {
    ($self:ident, $api:literal, $region:expr, $builder:expr, $items:ident, $convert:expr) => {{
        let mut out = Vec::new();
        let mut pages = $builder.into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => out.extend(page.$items().iter().map($convert)),
                Err(e) => {
                    $self.failed($api, $region, &e);
                    break;
                }
            }
        }
        out
    }};
}

impl Reader<'_> {
    fn origin(&self, region: Option<&str>) -> Origin {
        Origin {
            account: self.account.clone(),
            region: region.map(str::to_string),
        }
    }

    fn failed<E: std::error::Error>(&mut self, api: &str, region: Option<&str>, error: &E) {
        let place = match region {
            Some(r) => format!("{} {r}", self.account.as_deref().unwrap_or("?")),
            None => self.account.clone().unwrap_or_default(),
        };
        self.report.problems.push(problem(
            &format!("{api} ({place})"),
            ProblemLevel::Unreadable,
            format!(
                "call failed, its resources are missing: {}",
                error_text(error)
            ),
        ));
    }

    fn keep<T>(&self, region: Option<&str>, items: Vec<T>) -> Vec<Located<T>> {
        items
            .into_iter()
            .map(|item| Located::new(self.origin(region), item))
            .collect()
    }

    async fn region(&mut self, config: &SdkConfig, region: &str) {
        let client = ec2::Client::new(config);
        let r = Some(region);
        let reservations = paginate!(
            self,
            "ec2:DescribeInstances",
            r,
            client.describe_instances(),
            reservations,
            reservation
        );
        for reservation in reservations {
            for instance in reservation.instances {
                let origin = Origin {
                    account: reservation.owner_id.clone().or(self.account.clone()),
                    region: Some(region.to_string()),
                };
                self.inventory
                    .instances
                    .push(Located::new(origin, instance));
            }
        }
        let items = paginate!(
            self,
            "ec2:DescribeNetworkInterfaces",
            r,
            client.describe_network_interfaces(),
            network_interfaces,
            network_interface
        );
        let items = self.keep(r, items);
        self.inventory.network_interfaces.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeSecurityGroups",
            r,
            client.describe_security_groups(),
            security_groups,
            security_group
        );
        let items = self.keep(r, items);
        self.inventory.security_groups.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeSubnets",
            r,
            client.describe_subnets(),
            subnets,
            subnet
        );
        let items = self.keep(r, items);
        self.inventory.subnets.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeVpcs",
            r,
            client.describe_vpcs(),
            vpcs,
            vpc
        );
        let items = self.keep(r, items);
        self.inventory.vpcs.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeNetworkAcls",
            r,
            client.describe_network_acls(),
            network_acls,
            network_acl
        );
        let items = self.keep(r, items);
        self.inventory.network_acls.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeRouteTables",
            r,
            client.describe_route_tables(),
            route_tables,
            route_table
        );
        let items = self.keep(r, items);
        self.inventory.route_tables.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeFlowLogs",
            r,
            client.describe_flow_logs(),
            flow_logs,
            flow_log
        );
        let items = self.keep(r, items);
        self.inventory.flow_logs.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeVpcPeeringConnections",
            r,
            client.describe_vpc_peering_connections(),
            vpc_peering_connections,
            peering
        );
        let items = self.keep(r, items);
        self.inventory.peering_connections.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeVpcEndpoints",
            r,
            client.describe_vpc_endpoints(),
            vpc_endpoints,
            vpc_endpoint
        );
        let items = self.keep(r, items);
        self.inventory.vpc_endpoints.extend(items);
        let items = paginate!(
            self,
            "ec2:DescribeNatGateways",
            r,
            client.describe_nat_gateways(),
            nat_gateways,
            nat_gateway
        );
        let items = self.keep(r, items);
        self.inventory.nat_gateways.extend(items);
        // DescribeAddresses is not paginated.
        match client.describe_addresses().send().await {
            Ok(out) => {
                let items = out.addresses().iter().map(address).collect();
                let items = self.keep(r, items);
                self.inventory.addresses.extend(items);
            }
            Err(e) => self.failed("ec2:DescribeAddresses", r, &e),
        }

        let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
        let lbs = paginate!(
            self,
            "elasticloadbalancing:DescribeLoadBalancers",
            r,
            elb.describe_load_balancers(),
            load_balancers,
            load_balancer
        );
        let tgs = paginate!(
            self,
            "elasticloadbalancing:DescribeTargetGroups",
            r,
            elb.describe_target_groups(),
            target_groups,
            target_group
        );
        for lb in &lbs {
            let listeners = paginate!(
                self,
                "elasticloadbalancing:DescribeListeners",
                r,
                elb.describe_listeners()
                    .load_balancer_arn(&lb.load_balancer_arn),
                listeners,
                listener
            );
            let items = self.keep(r, listeners);
            self.inventory.listeners.extend(items);
        }
        let items = self.keep(r, lbs);
        self.inventory.load_balancers.extend(items);
        let items = self.keep(r, tgs);
        self.inventory.target_groups.extend(items);

        let asg = aws_sdk_autoscaling::Client::new(config);
        let groups = paginate!(
            self,
            "autoscaling:DescribeAutoScalingGroups",
            r,
            asg.describe_auto_scaling_groups(),
            auto_scaling_groups,
            auto_scaling_group
        );
        let items = self.keep(r, groups);
        self.inventory.auto_scaling_groups.extend(items);
    }

    async fn iam(&mut self, config: &SdkConfig) {
        let iam = aws_sdk_iam::Client::new(config);
        let profiles = paginate!(
            self,
            "iam:ListInstanceProfiles",
            None,
            iam.list_instance_profiles(),
            instance_profiles,
            instance_profile
        );
        let items = self.keep(None, profiles);
        self.inventory.instance_profiles.extend(items);

        use aws_sdk_iam::types::EntityType;
        let mut roles = Vec::new();
        let mut policies = Vec::new();
        let mut pages = iam
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    roles.extend(page.role_detail_list().iter().map(role_detail));
                    policies.extend(page.policies().iter().map(managed_policy));
                }
                Err(e) => {
                    self.failed("iam:GetAccountAuthorizationDetails", None, &e);
                    break;
                }
            }
        }
        // AWS managed policies are fetched only where a role uses one: the full list is large.
        let local: BTreeSet<String> = policies
            .iter()
            .map(|p: &ManagedPolicy| p.arn.clone())
            .collect();
        let attached: BTreeSet<String> = roles
            .iter()
            .flat_map(|r: &RoleDetail| {
                r.attached_managed_policies
                    .iter()
                    .map(|p| p.policy_arn.clone())
            })
            .filter(|arn| !local.contains(arn))
            .collect();
        for arn in attached {
            match iam.get_policy().policy_arn(&arn).send().await {
                Ok(out) => {
                    let Some(policy) = out.policy() else { continue };
                    let version = policy.default_version_id().unwrap_or("v1").to_string();
                    let document = match iam
                        .get_policy_version()
                        .policy_arn(&arn)
                        .version_id(&version)
                        .send()
                        .await
                    {
                        Ok(v) => v.policy_version().and_then(|v| v.document()).map(document),
                        Err(e) => {
                            self.failed("iam:GetPolicyVersion", None, &e);
                            None
                        }
                    };
                    policies.push(ManagedPolicy {
                        policy_name: policy.policy_name().map(str::to_string),
                        arn: arn.clone(),
                        default_version_id: Some(version.clone()),
                        policy_version_list: vec![PolicyVersion {
                            version_id: Some(version),
                            is_default_version: Some(true),
                            document,
                        }],
                    });
                }
                Err(e) => self.failed("iam:GetPolicy", None, &e),
            }
        }
        let items = self.keep(None, roles);
        self.inventory.role_details.extend(items);
        let items = self.keep(None, policies);
        self.inventory.managed_policies.extend(items);
    }
}

// ---- conversions from SDK types to the CLI shapes ----

fn s(text: Option<&str>) -> Option<String> {
    text.map(str::to_string)
}

fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

fn i(n: Option<i32>) -> Option<i64> {
    n.map(i64::from)
}

/// IAM returns policy documents URL-encoded; the CLI prints them decoded, as JSON.
fn document(encoded: &str) -> Value {
    let decoded = percent_decode(encoded);
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn tags(list: &[ec2::types::Tag]) -> Vec<Tag> {
    list.iter()
        .map(|t| Tag {
            key: t.key().unwrap_or_default().to_string(),
            value: t.value().unwrap_or_default().to_string(),
        })
        .collect()
}

fn group(g: &ec2::types::GroupIdentifier) -> GroupIdentifier {
    GroupIdentifier {
        group_id: g.group_id().unwrap_or_default().to_string(),
        group_name: s(g.group_name()),
    }
}

fn reservation(r: &ec2::types::Reservation) -> Reservation {
    Reservation {
        reservation_id: s(r.reservation_id()),
        owner_id: s(r.owner_id()),
        instances: r.instances().iter().map(instance).collect(),
    }
}

fn instance(x: &ec2::types::Instance) -> Instance {
    Instance {
        instance_id: x.instance_id().unwrap_or_default().to_string(),
        image_id: s(x.image_id()),
        instance_type: x.instance_type().map(|t| t.as_str().to_string()),
        launch_time: time(x.launch_time()),
        placement: x.placement().map(|p| Placement {
            availability_zone: s(p.availability_zone()),
        }),
        private_ip_address: s(x.private_ip_address()),
        public_ip_address: s(x.public_ip_address()),
        subnet_id: s(x.subnet_id()),
        vpc_id: s(x.vpc_id()),
        security_groups: x.security_groups().iter().map(group).collect(),
        iam_instance_profile: x.iam_instance_profile().map(|p| IamInstanceProfile {
            arn: s(p.arn()),
            id: s(p.id()),
        }),
        tags: tags(x.tags()),
        state: x.state().map(|st| InstanceState {
            code: i(st.code()),
            name: st.name().map(|n| n.as_str().to_string()),
        }),
        state_transition_reason: s(x.state_transition_reason()),
        metadata_options: x.metadata_options().map(|m| MetadataOptions {
            http_tokens: m.http_tokens().map(|t| t.as_str().to_string()),
            http_endpoint: m.http_endpoint().map(|t| t.as_str().to_string()),
            http_put_response_hop_limit: i(m.http_put_response_hop_limit()),
            state: m.state().map(|t| t.as_str().to_string()),
        }),
        network_interfaces: x
            .network_interfaces()
            .iter()
            .map(|n| InstanceNetworkInterface {
                network_interface_id: n.network_interface_id().unwrap_or_default().to_string(),
                association: n.association().map(|a| IpAssociation {
                    public_ip: s(a.public_ip()),
                    ip_owner_id: s(a.ip_owner_id()),
                    public_dns_name: s(a.public_dns_name()),
                    allocation_id: None,
                }),
                attachment: n.attachment().map(|a| Attachment {
                    attachment_id: s(a.attachment_id()),
                    attach_time: time(a.attach_time()),
                    device_index: i(a.device_index()),
                    status: a.status().map(|t| t.as_str().to_string()),
                    instance_id: None,
                    instance_owner_id: None,
                }),
                groups: n.groups().iter().map(group).collect(),
                private_ip_address: s(n.private_ip_address()),
                private_ip_addresses: n
                    .private_ip_addresses()
                    .iter()
                    .map(|p| PrivateIp {
                        private_ip_address: s(p.private_ip_address()),
                        primary: p.primary(),
                        association: p.association().map(|a| IpAssociation {
                            public_ip: s(a.public_ip()),
                            ip_owner_id: s(a.ip_owner_id()),
                            public_dns_name: s(a.public_dns_name()),
                            allocation_id: None,
                        }),
                    })
                    .collect(),
                ipv6_addresses: n
                    .ipv6_addresses()
                    .iter()
                    .map(|a| Ipv6Address {
                        ipv6_address: s(a.ipv6_address()),
                    })
                    .collect(),
                subnet_id: s(n.subnet_id()),
                vpc_id: s(n.vpc_id()),
                owner_id: s(n.owner_id()),
                interface_type: s(n.interface_type()),
            })
            .collect(),
        platform: x.platform().map(|p| p.as_str().to_string()),
    }
}

fn network_interface(n: &ec2::types::NetworkInterface) -> NetworkInterface {
    let association = |a: &ec2::types::NetworkInterfaceAssociation| IpAssociation {
        public_ip: s(a.public_ip()),
        ip_owner_id: s(a.ip_owner_id()),
        allocation_id: s(a.allocation_id()),
        public_dns_name: s(a.public_dns_name()),
    };
    NetworkInterface {
        network_interface_id: n.network_interface_id().unwrap_or_default().to_string(),
        interface_type: n.interface_type().map(|t| t.as_str().to_string()),
        description: s(n.description()),
        requester_id: s(n.requester_id()),
        requester_managed: n.requester_managed(),
        attachment: n.attachment().map(|a| Attachment {
            attachment_id: s(a.attachment_id()),
            attach_time: time(a.attach_time()),
            device_index: i(a.device_index()),
            instance_id: s(a.instance_id()),
            instance_owner_id: s(a.instance_owner_id()),
            status: a.status().map(|t| t.as_str().to_string()),
        }),
        association: n.association().map(association),
        availability_zone: s(n.availability_zone()),
        groups: n.groups().iter().map(group).collect(),
        owner_id: s(n.owner_id()),
        private_ip_address: s(n.private_ip_address()),
        private_ip_addresses: n
            .private_ip_addresses()
            .iter()
            .map(|p| PrivateIp {
                private_ip_address: s(p.private_ip_address()),
                primary: p.primary(),
                association: p.association().map(association),
            })
            .collect(),
        ipv6_addresses: n
            .ipv6_addresses()
            .iter()
            .map(|a| Ipv6Address {
                ipv6_address: s(a.ipv6_address()),
            })
            .collect(),
        status: n.status().map(|t| t.as_str().to_string()),
        subnet_id: s(n.subnet_id()),
        vpc_id: s(n.vpc_id()),
        tag_set: tags(n.tag_set()),
    }
}

fn permission(p: &ec2::types::IpPermission) -> IpPermission {
    IpPermission {
        ip_protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: i(p.from_port()),
        to_port: i(p.to_port()),
        ip_ranges: p
            .ip_ranges()
            .iter()
            .map(|r| IpRange {
                cidr_ip: r.cidr_ip().unwrap_or_default().to_string(),
                description: s(r.description()),
            })
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .map(|r| Ipv6Range {
                cidr_ipv6: r.cidr_ipv6().unwrap_or_default().to_string(),
                description: s(r.description()),
            })
            .collect(),
        prefix_list_ids: p
            .prefix_list_ids()
            .iter()
            .map(|r| PrefixListId {
                prefix_list_id: r.prefix_list_id().unwrap_or_default().to_string(),
                description: s(r.description()),
            })
            .collect(),
        user_id_group_pairs: p
            .user_id_group_pairs()
            .iter()
            .map(|g| UserIdGroupPair {
                group_id: s(g.group_id()),
                user_id: s(g.user_id()),
                vpc_id: s(g.vpc_id()),
                vpc_peering_connection_id: s(g.vpc_peering_connection_id()),
                description: s(g.description()),
            })
            .collect(),
    }
}

fn security_group(g: &ec2::types::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        group_id: g.group_id().unwrap_or_default().to_string(),
        group_name: s(g.group_name()),
        description: s(g.description()),
        vpc_id: s(g.vpc_id()),
        owner_id: s(g.owner_id()),
        ip_permissions: g.ip_permissions().iter().map(permission).collect(),
        ip_permissions_egress: g.ip_permissions_egress().iter().map(permission).collect(),
        tags: tags(g.tags()),
    }
}

fn subnet(x: &ec2::types::Subnet) -> Subnet {
    Subnet {
        subnet_id: x.subnet_id().unwrap_or_default().to_string(),
        vpc_id: s(x.vpc_id()),
        cidr_block: s(x.cidr_block()),
        ipv6_cidr_block_association_set: x
            .ipv6_cidr_block_association_set()
            .iter()
            .map(|a| Ipv6CidrAssociation {
                ipv6_cidr_block: s(a.ipv6_cidr_block()),
            })
            .collect(),
        availability_zone: s(x.availability_zone()),
        map_public_ip_on_launch: x.map_public_ip_on_launch(),
        owner_id: s(x.owner_id()),
        default_for_az: x.default_for_az(),
        tags: tags(x.tags()),
    }
}

fn vpc(x: &ec2::types::Vpc) -> Vpc {
    Vpc {
        vpc_id: x.vpc_id().unwrap_or_default().to_string(),
        cidr_block: s(x.cidr_block()),
        cidr_block_association_set: x
            .cidr_block_association_set()
            .iter()
            .map(|a| CidrAssociation {
                cidr_block: s(a.cidr_block()),
            })
            .collect(),
        ipv6_cidr_block_association_set: x
            .ipv6_cidr_block_association_set()
            .iter()
            .map(|a| Ipv6CidrAssociation {
                ipv6_cidr_block: s(a.ipv6_cidr_block()),
            })
            .collect(),
        is_default: x.is_default(),
        owner_id: s(x.owner_id()),
        tags: tags(x.tags()),
    }
}

fn network_acl(x: &ec2::types::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: x.network_acl_id().unwrap_or_default().to_string(),
        vpc_id: s(x.vpc_id()),
        is_default: x.is_default(),
        entries: x
            .entries()
            .iter()
            .map(|e| NetworkAclEntry {
                rule_number: i(e.rule_number()).unwrap_or(32767),
                protocol: e.protocol().unwrap_or("-1").to_string(),
                rule_action: e
                    .rule_action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
                egress: e.egress().unwrap_or(false),
                cidr_block: s(e.cidr_block()),
                ipv6_cidr_block: s(e.ipv6_cidr_block()),
                port_range: e.port_range().map(|p| PortRange {
                    from: i(p.from()),
                    to: i(p.to()),
                }),
                icmp_type_code: e.icmp_type_code().map(|c| IcmpTypeCode {
                    code: i(c.code()),
                    kind: i(c.r#type()),
                }),
            })
            .collect(),
        associations: x
            .associations()
            .iter()
            .map(|a| NetworkAclAssociation {
                network_acl_association_id: s(a.network_acl_association_id()),
                network_acl_id: s(a.network_acl_id()),
                subnet_id: s(a.subnet_id()),
            })
            .collect(),
        owner_id: s(x.owner_id()),
        tags: tags(x.tags()),
    }
}

fn route_table(x: &ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        route_table_id: x.route_table_id().unwrap_or_default().to_string(),
        vpc_id: s(x.vpc_id()),
        routes: x
            .routes()
            .iter()
            .map(|r| Route {
                destination_cidr_block: s(r.destination_cidr_block()),
                destination_ipv6_cidr_block: s(r.destination_ipv6_cidr_block()),
                destination_prefix_list_id: s(r.destination_prefix_list_id()),
                gateway_id: s(r.gateway_id()),
                nat_gateway_id: s(r.nat_gateway_id()),
                transit_gateway_id: s(r.transit_gateway_id()),
                vpc_peering_connection_id: s(r.vpc_peering_connection_id()),
                network_interface_id: s(r.network_interface_id()),
                instance_id: s(r.instance_id()),
                egress_only_internet_gateway_id: s(r.egress_only_internet_gateway_id()),
                state: r.state().map(|t| t.as_str().to_string()),
                origin: r.origin().map(|t| t.as_str().to_string()),
            })
            .collect(),
        associations: x
            .associations()
            .iter()
            .map(|a| RouteTableAssociation {
                main: a.main(),
                route_table_association_id: s(a.route_table_association_id()),
                route_table_id: s(a.route_table_id()),
                subnet_id: s(a.subnet_id()),
                gateway_id: s(a.gateway_id()),
            })
            .collect(),
        owner_id: s(x.owner_id()),
        tags: tags(x.tags()),
    }
}

fn flow_log(x: &ec2::types::FlowLog) -> FlowLog {
    FlowLog {
        flow_log_id: x.flow_log_id().unwrap_or_default().to_string(),
        resource_id: s(x.resource_id()),
        traffic_type: x.traffic_type().map(|t| t.as_str().to_string()),
        log_destination_type: x.log_destination_type().map(|t| t.as_str().to_string()),
        log_destination: s(x.log_destination()),
        log_group_name: s(x.log_group_name()),
        log_format: s(x.log_format()),
        max_aggregation_interval: i(x.max_aggregation_interval()),
        flow_log_status: s(x.flow_log_status()),
        deliver_logs_status: s(x.deliver_logs_status()),
        creation_time: time(x.creation_time()),
        tags: tags(x.tags()),
    }
}

fn peering_side(v: &ec2::types::VpcPeeringConnectionVpcInfo) -> PeeringVpcInfo {
    PeeringVpcInfo {
        vpc_id: s(v.vpc_id()),
        owner_id: s(v.owner_id()),
        region: s(v.region()),
        cidr_block: s(v.cidr_block()),
        cidr_block_set: v
            .cidr_block_set()
            .iter()
            .map(|c| CidrAssociation {
                cidr_block: s(c.cidr_block()),
            })
            .collect(),
    }
}

fn peering(x: &ec2::types::VpcPeeringConnection) -> VpcPeeringConnection {
    VpcPeeringConnection {
        vpc_peering_connection_id: x
            .vpc_peering_connection_id()
            .unwrap_or_default()
            .to_string(),
        accepter_vpc_info: x.accepter_vpc_info().map(peering_side),
        requester_vpc_info: x.requester_vpc_info().map(peering_side),
        status: x.status().map(|st| PeeringStatus {
            code: st.code().map(|c| c.as_str().to_string()),
        }),
        tags: tags(x.tags()),
    }
}

fn vpc_endpoint(x: &ec2::types::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        vpc_endpoint_id: x.vpc_endpoint_id().unwrap_or_default().to_string(),
        vpc_endpoint_type: x.vpc_endpoint_type().map(|t| t.as_str().to_string()),
        vpc_id: s(x.vpc_id()),
        service_name: s(x.service_name()),
        state: x.state().map(|t| t.as_str().to_string()),
        subnet_ids: x.subnet_ids().to_vec(),
        network_interface_ids: x.network_interface_ids().to_vec(),
        groups: x
            .groups()
            .iter()
            .map(|g| GroupIdentifier {
                group_id: g.group_id().unwrap_or_default().to_string(),
                group_name: s(g.group_name()),
            })
            .collect(),
        route_table_ids: x.route_table_ids().to_vec(),
        owner_id: s(x.owner_id()),
        policy_document: s(x.policy_document()),
        tags: tags(x.tags()),
    }
}

fn nat_gateway(x: &ec2::types::NatGateway) -> NatGateway {
    NatGateway {
        nat_gateway_id: x.nat_gateway_id().unwrap_or_default().to_string(),
        vpc_id: s(x.vpc_id()),
        subnet_id: s(x.subnet_id()),
        state: x.state().map(|t| t.as_str().to_string()),
        connectivity_type: x.connectivity_type().map(|t| t.as_str().to_string()),
        nat_gateway_addresses: x
            .nat_gateway_addresses()
            .iter()
            .map(|a| NatGatewayAddress {
                allocation_id: s(a.allocation_id()),
                network_interface_id: s(a.network_interface_id()),
                private_ip: s(a.private_ip()),
                public_ip: s(a.public_ip()),
            })
            .collect(),
        create_time: time(x.create_time()),
        tags: tags(x.tags()),
    }
}

fn address(x: &ec2::types::Address) -> Address {
    Address {
        public_ip: x.public_ip().unwrap_or_default().to_string(),
        allocation_id: s(x.allocation_id()),
        instance_id: s(x.instance_id()),
        network_interface_id: s(x.network_interface_id()),
        private_ip_address: s(x.private_ip_address()),
        tags: tags(x.tags()),
    }
}

fn load_balancer(x: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        load_balancer_arn: x.load_balancer_arn().unwrap_or_default().to_string(),
        load_balancer_name: s(x.load_balancer_name()),
        dns_name: s(x.dns_name()),
        scheme: x.scheme().map(|t| t.as_str().to_string()),
        vpc_id: s(x.vpc_id()),
        kind: x.r#type().map(|t| t.as_str().to_string()),
        availability_zones: x
            .availability_zones()
            .iter()
            .map(|z| LoadBalancerZone {
                zone_name: s(z.zone_name()),
                subnet_id: s(z.subnet_id()),
            })
            .collect(),
        security_groups: x.security_groups().to_vec(),
        created_time: time(x.created_time()),
    }
}

fn target_group(x: &aws_sdk_elasticloadbalancingv2::types::TargetGroup) -> TargetGroup {
    TargetGroup {
        target_group_arn: x.target_group_arn().unwrap_or_default().to_string(),
        target_group_name: s(x.target_group_name()),
        protocol: x.protocol().map(|t| t.as_str().to_string()),
        port: i(x.port()),
        vpc_id: s(x.vpc_id()),
        target_type: x.target_type().map(|t| t.as_str().to_string()),
        load_balancer_arns: x.load_balancer_arns().to_vec(),
    }
}

fn listener(x: &aws_sdk_elasticloadbalancingv2::types::Listener) -> Listener {
    Listener {
        listener_arn: x.listener_arn().unwrap_or_default().to_string(),
        load_balancer_arn: s(x.load_balancer_arn()),
        port: i(x.port()),
        protocol: x.protocol().map(|t| t.as_str().to_string()),
        ssl_policy: s(x.ssl_policy()),
        certificates: x
            .certificates()
            .iter()
            .map(|c| ListenerCertificate {
                certificate_arn: s(c.certificate_arn()),
            })
            .collect(),
        default_actions: x
            .default_actions()
            .iter()
            .map(|a| ListenerAction {
                kind: a.r#type().map(|t| t.as_str().to_string()),
                redirect_config: a.redirect_config().map(|r| RedirectConfig {
                    protocol: s(r.protocol()),
                    port: s(r.port()),
                }),
            })
            .collect(),
    }
}

fn auto_scaling_group(x: &aws_sdk_autoscaling::types::AutoScalingGroup) -> AutoScalingGroup {
    AutoScalingGroup {
        auto_scaling_group_name: x.auto_scaling_group_name().unwrap_or_default().to_string(),
        instances: x
            .instances()
            .iter()
            .map(|i| InstanceRef {
                instance_id: i.instance_id().unwrap_or_default().to_string(),
            })
            .collect(),
        vpc_zone_identifier: s(x.vpc_zone_identifier()),
        target_group_arns: x.target_group_arns().to_vec(),
        tags: x
            .tags()
            .iter()
            .map(|t| Tag {
                key: t.key().unwrap_or_default().to_string(),
                value: t.value().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}

fn role(r: &aws_sdk_iam::types::Role) -> Role {
    Role {
        role_name: r.role_name().to_string(),
        role_id: Some(r.role_id().to_string()),
        arn: Some(r.arn().to_string()),
        assume_role_policy_document: r.assume_role_policy_document().map(document),
    }
}

fn instance_profile(p: &aws_sdk_iam::types::InstanceProfile) -> InstanceProfile {
    InstanceProfile {
        instance_profile_name: p.instance_profile_name().to_string(),
        instance_profile_id: Some(p.instance_profile_id().to_string()),
        arn: Some(p.arn().to_string()),
        roles: p.roles().iter().map(role).collect(),
    }
}

fn role_detail(r: &aws_sdk_iam::types::RoleDetail) -> RoleDetail {
    RoleDetail {
        role_name: r.role_name().unwrap_or_default().to_string(),
        role_id: s(r.role_id()),
        arn: s(r.arn()),
        assume_role_policy_document: r.assume_role_policy_document().map(document),
        role_policy_list: r
            .role_policy_list()
            .iter()
            .map(|p| InlinePolicy {
                policy_name: p.policy_name().unwrap_or_default().to_string(),
                policy_document: p.policy_document().map(document),
            })
            .collect(),
        attached_managed_policies: r
            .attached_managed_policies()
            .iter()
            .map(|p| AttachedPolicy {
                policy_name: s(p.policy_name()),
                policy_arn: p.policy_arn().unwrap_or_default().to_string(),
            })
            .collect(),
        instance_profile_list: r
            .instance_profile_list()
            .iter()
            .map(instance_profile)
            .collect(),
    }
}

fn managed_policy(p: &aws_sdk_iam::types::ManagedPolicyDetail) -> ManagedPolicy {
    ManagedPolicy {
        policy_name: s(p.policy_name()),
        arn: p.arn().unwrap_or_default().to_string(),
        default_version_id: s(p.default_version_id()),
        policy_version_list: p
            .policy_version_list()
            .iter()
            .map(|v| PolicyVersion {
                version_id: s(v.version_id()),
                is_default_version: Some(v.is_default_version()),
                document: v.document().map(document),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_are_decoded() {
        let doc = document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(document("{\"a\": 1}")["a"], 1);
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

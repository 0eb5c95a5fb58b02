//! The live loader (`--inventory aws`): the same data as the AWS CLI files, through the SDK.
//!
//! Accounts, credentials, regions, endpoint and retries come from the one [`AwsContext`]: the
//! primary account, one per `--assume-role`, and with `--org` every account of the
//! organisation, read [`AwsContext::concurrency`] at a time. An account that cannot be reached
//! is a problem naming it; the others are read. In each account and region every describe API
//! the file loader knows is called with pagination, and IAM once per account. Throttling is
//! retried by the SDK's retry mode the context sets. A call that still fails (access denied, a
//! service the account does not use) is reported as a problem naming the API, account and
//! region, its output is not recorded as read (so checks that need it say "not collected"),
//! and the rest of the read goes on. The SDK's types are converted into [`crate::shapes`], so
//! a live read and a file read are the same [`Inventory`] and snapshots replay exactly.

use std::collections::BTreeSet;

use aws_sdk_ec2 as ec2;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use eastwest_aws::{AwsContext, Config as SdkConfig, error_text};
use eastwest_model::{Position, Problem, ProblemLevel};
use futures::StreamExt;
use serde_json::Value;

use crate::load::LoadReport;
use crate::shapes::*;
use crate::{Inventory, Located, Origin};

/// Image ids per DescribeImages call (its filter takes at most 200 values).
const IMAGES_PER_CALL: usize = 100;

/// Reads the estate through the AWS API.
pub async fn load(aws: &AwsContext) -> (Inventory, LoadReport) {
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    let (accounts, unreachable) = aws.accounts().await;
    for problem in unreachable {
        report.problems.push(self::problem(
            &format!("{} ({})", problem.api, problem.label),
            ProblemLevel::Unreadable,
            format!("account not read: {}", problem.reason),
        ));
    }
    let regions = aws.regions();
    let reads = futures::stream::iter(accounts.into_iter().map(|account| {
        let regions = regions.clone();
        async move {
            let mut reader = Reader {
                inventory: Inventory::default(),
                problems: Vec::new(),
                account: account.id.clone(),
            };
            for region in &regions {
                let config = AwsContext::in_region(&account.config, region);
                reader.region(&config, region).await;
            }
            reader.iam(&account.config).await;
            (reader.inventory, reader.problems)
        }
    }))
    .buffered(aws.concurrency())
    .collect::<Vec<_>>()
    .await;
    for (read, problems) in reads {
        inventory.absorb(read);
        report.problems.extend(problems);
    }
    inventory.finish();
    (inventory, report)
}

fn problem(source: &str, level: ProblemLevel, reason: String) -> Problem {
    Problem {
        file: format!("aws:{source}"),
        position: Position::File,
        level,
        reason,
    }
}

struct Reader {
    inventory: Inventory,
    problems: Vec<Problem>,
    account: String,
}

/// Runs a paginated call, collecting items. Returns None when a page failed (reported; the
/// output is then incomplete and is not recorded as read).
macro_rules! paginate {
    ($self:ident, $api:literal, $region:expr, $builder:expr, $items:ident, $convert:expr) => {{
        let mut out = Vec::new();
        let mut ok = true;
        let mut pages = $builder.into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => out.extend(page.$items().iter().map($convert)),
                Err(e) => {
                    $self.failed($api, $region, &e);
                    ok = false;
                    break;
                }
            }
        }
        ok.then_some(out)
    }};
}

impl Reader {
    fn origin(&self, region: Option<&str>) -> Origin {
        Origin {
            account: Some(self.account.clone()),
            region: region.map(str::to_string),
        }
    }

    fn failed<E: std::error::Error>(&mut self, api: &str, region: Option<&str>, error: &E) {
        let place = match region {
            Some(r) => format!("{} {r}", self.account),
            None => self.account.clone(),
        };
        self.problems.push(problem(
            &format!("{api} ({place})"),
            ProblemLevel::Unreadable,
            format!(
                "call failed, its resources are missing: {}",
                error_text(error)
            ),
        ));
    }

    /// Keeps what a call returned, and records its output as read when it was read whole.
    fn keep<T>(
        &mut self,
        key: &str,
        region: Option<&str>,
        items: Option<Vec<T>>,
        list: fn(&mut Inventory) -> &mut Vec<Located<T>>,
    ) {
        let Some(items) = items else { return };
        let origin = self.origin(region);
        self.inventory.coverage.record(&origin, key);
        let target = list(&mut self.inventory);
        target.extend(
            items
                .into_iter()
                .map(|item| Located::new(origin.clone(), item)),
        );
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
        if let Some(reservations) = reservations {
            self.inventory
                .coverage
                .record(&self.origin(r), "Reservations");
            for reservation in reservations {
                for instance in reservation.instances {
                    let origin = Origin {
                        account: reservation.owner_id.clone().or(Some(self.account.clone())),
                        region: Some(region.to_string()),
                    };
                    self.inventory
                        .instances
                        .push(Located::new(origin, instance));
                }
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
        self.keep("NetworkInterfaces", r, items, |i| &mut i.network_interfaces);
        let items = paginate!(
            self,
            "ec2:DescribeSecurityGroups",
            r,
            client.describe_security_groups(),
            security_groups,
            security_group
        );
        self.keep("SecurityGroups", r, items, |i| &mut i.security_groups);
        let items = paginate!(
            self,
            "ec2:DescribeSecurityGroupRules",
            r,
            client.describe_security_group_rules(),
            security_group_rules,
            security_group_rule
        );
        self.keep("SecurityGroupRules", r, items, |i| {
            &mut i.security_group_rules
        });
        let lists = paginate!(
            self,
            "ec2:DescribeManagedPrefixLists",
            r,
            client.describe_managed_prefix_lists(),
            prefix_lists,
            prefix_list
        );
        let lists = match lists {
            Some(mut lists) => {
                for list in &mut lists {
                    let entries = paginate!(
                        self,
                        "ec2:GetManagedPrefixListEntries",
                        r,
                        client
                            .get_managed_prefix_list_entries()
                            .prefix_list_id(&list.prefix_list_id),
                        entries,
                        |e| PrefixListEntry {
                            cidr: e.cidr().unwrap_or_default().to_string(),
                            description: s(e.description()),
                        }
                    );
                    list.entries = entries.unwrap_or_default();
                }
                Some(lists)
            }
            None => None,
        };
        self.keep("PrefixLists", r, lists, |i| &mut i.prefix_lists);
        let items = paginate!(
            self,
            "ec2:DescribeSubnets",
            r,
            client.describe_subnets(),
            subnets,
            subnet
        );
        self.keep("Subnets", r, items, |i| &mut i.subnets);
        let items = paginate!(
            self,
            "ec2:DescribeVpcs",
            r,
            client.describe_vpcs(),
            vpcs,
            vpc
        );
        self.keep("Vpcs", r, items, |i| &mut i.vpcs);
        let items = paginate!(
            self,
            "ec2:DescribeNetworkAcls",
            r,
            client.describe_network_acls(),
            network_acls,
            network_acl
        );
        self.keep("NetworkAcls", r, items, |i| &mut i.network_acls);
        let items = paginate!(
            self,
            "ec2:DescribeRouteTables",
            r,
            client.describe_route_tables(),
            route_tables,
            route_table
        );
        self.keep("RouteTables", r, items, |i| &mut i.route_tables);
        let items = paginate!(
            self,
            "ec2:DescribeFlowLogs",
            r,
            client.describe_flow_logs(),
            flow_logs,
            flow_log
        );
        self.keep("FlowLogs", r, items, |i| &mut i.flow_logs);
        let items = paginate!(
            self,
            "ec2:DescribeVpcPeeringConnections",
            r,
            client.describe_vpc_peering_connections(),
            vpc_peering_connections,
            peering
        );
        self.keep("VpcPeeringConnections", r, items, |i| {
            &mut i.peering_connections
        });
        let items = paginate!(
            self,
            "ec2:DescribeVpcEndpoints",
            r,
            client.describe_vpc_endpoints(),
            vpc_endpoints,
            vpc_endpoint
        );
        self.keep("VpcEndpoints", r, items, |i| &mut i.vpc_endpoints);
        let items = paginate!(
            self,
            "ec2:DescribeNatGateways",
            r,
            client.describe_nat_gateways(),
            nat_gateways,
            nat_gateway
        );
        self.keep("NatGateways", r, items, |i| &mut i.nat_gateways);
        // DescribeAddresses is not paginated.
        let items = match client.describe_addresses().send().await {
            Ok(out) => Some(out.addresses().iter().map(address).collect()),
            Err(e) => {
                self.failed("ec2:DescribeAddresses", r, &e);
                None
            }
        };
        self.keep("Addresses", r, items, |i| &mut i.addresses);
        self.images(&client, region).await;

        let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
        let lbs = paginate!(
            self,
            "elasticloadbalancing:DescribeLoadBalancers",
            r,
            elb.describe_load_balancers(),
            load_balancers,
            load_balancer
        );
        let mut listeners = Some(Vec::new());
        for lb in lbs.iter().flatten() {
            let items = paginate!(
                self,
                "elasticloadbalancing:DescribeListeners",
                r,
                elb.describe_listeners()
                    .load_balancer_arn(&lb.load_balancer_arn),
                listeners,
                listener
            );
            match (items, &mut listeners) {
                (Some(items), Some(all)) => all.extend(items),
                _ => listeners = None,
            }
        }
        if lbs.is_none() {
            listeners = None;
        }
        self.keep("LoadBalancers", r, lbs, |i| &mut i.load_balancers);
        self.keep("Listeners", r, listeners, |i| &mut i.listeners);
        let mut groups = paginate!(
            self,
            "elasticloadbalancing:DescribeTargetGroups",
            r,
            elb.describe_target_groups(),
            target_groups,
            target_group
        );
        for group in groups.iter_mut().flatten() {
            match elb
                .describe_target_health()
                .target_group_arn(&group.target_group_arn)
                .send()
                .await
            {
                Ok(out) => {
                    group.targets = out
                        .target_health_descriptions()
                        .iter()
                        .map(target_health)
                        .collect()
                }
                Err(e) => self.failed("elasticloadbalancing:DescribeTargetHealth", r, &e),
            }
        }
        self.keep("TargetGroups", r, groups, |i| &mut i.target_groups);
        let classic = aws_sdk_elasticloadbalancing::Client::new(config);
        let items = paginate!(
            self,
            "elasticloadbalancing:DescribeLoadBalancers (classic)",
            r,
            classic.describe_load_balancers(),
            load_balancer_descriptions,
            classic_load_balancer
        );
        self.keep("LoadBalancerDescriptions", r, items, |i| {
            &mut i.classic_load_balancers
        });

        let asg = aws_sdk_autoscaling::Client::new(config);
        let items = paginate!(
            self,
            "autoscaling:DescribeAutoScalingGroups",
            r,
            asg.describe_auto_scaling_groups(),
            auto_scaling_groups,
            auto_scaling_group
        );
        self.keep("AutoScalingGroups", r, items, |i| {
            &mut i.auto_scaling_groups
        });

        let rds = aws_sdk_rds::Client::new(config);
        let items = paginate!(
            self,
            "rds:DescribeDBInstances",
            r,
            rds.describe_db_instances(),
            db_instances,
            db_instance
        );
        self.keep("DBInstances", r, items, |i| &mut i.db_instances);
        let cache = aws_sdk_elasticache::Client::new(config);
        let items = paginate!(
            self,
            "elasticache:DescribeCacheClusters",
            r,
            cache.describe_cache_clusters(),
            cache_clusters,
            cache_cluster
        );
        self.keep("CacheClusters", r, items, |i| &mut i.cache_clusters);
        let acm = aws_sdk_acm::Client::new(config);
        let items = paginate!(
            self,
            "acm:ListCertificates",
            r,
            acm.list_certificates(),
            certificate_summary_list,
            certificate
        );
        self.keep("CertificateSummaryList", r, items, |i| &mut i.certificates);
        let trails = aws_sdk_cloudtrail::Client::new(config);
        let items = match trails.describe_trails().send().await {
            Ok(out) => Some(out.trail_list().iter().map(trail).collect()),
            Err(e) => {
                self.failed("cloudtrail:DescribeTrails", r, &e);
                None
            }
        };
        self.keep("trailList", r, items, |i| &mut i.trails);
        self.guardduty(config, region).await;
    }

    /// The images instances of this region run (all images would be every public AMI).
    async fn images(&mut self, client: &ec2::Client, region: &str) {
        let ids: BTreeSet<String> = self
            .inventory
            .instances
            .iter()
            .filter(|i| i.origin.region.as_deref() == Some(region))
            .filter_map(|i| i.item.image_id.clone())
            .collect();
        let ids: Vec<String> = ids.into_iter().collect();
        let r = Some(region);
        let mut all = Some(Vec::new());
        for chunk in ids.chunks(IMAGES_PER_CALL) {
            let filter = ec2::types::Filter::builder()
                .name("image-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            // A filter, not ImageIds: an image since deregistered is then simply absent
            // instead of failing the whole call.
            match client.describe_images().filters(filter).send().await {
                Ok(out) => {
                    if let Some(all) = &mut all {
                        all.extend(out.images().iter().map(image));
                    }
                }
                Err(e) => {
                    self.failed("ec2:DescribeImages", r, &e);
                    all = None;
                    break;
                }
            }
        }
        self.keep("Images", r, all, |i| &mut i.images);
    }

    async fn guardduty(&mut self, config: &SdkConfig, region: &str) {
        let client = aws_sdk_guardduty::Client::new(config);
        let r = Some(region);
        let origin = self.origin(r);
        let Some(ids) = paginate!(
            self,
            "guardduty:ListDetectors",
            r,
            client.list_detectors(),
            detector_ids,
            String::clone
        ) else {
            return;
        };
        self.inventory.coverage.record(&origin, "DetectorIds");
        self.inventory
            .guardduty_detectors
            .push(Located::new(origin.clone(), ids.clone()));
        // One detector per account and region is all GuardDuty allows. Without one there are
        // no features and no administrator to read: both are known (none), not missing.
        let Some(id) = ids.first() else {
            self.inventory.coverage.record(&origin, "Features");
            self.inventory.coverage.record(&origin, "Administrator");
            return;
        };
        match client.get_detector().detector_id(id).send().await {
            Ok(out) => {
                let features = out
                    .features()
                    .iter()
                    .map(|f| DetectorFeature {
                        name: f.name().map(|n| n.as_str().to_string()).unwrap_or_default(),
                        status: f.status().map(|s| s.as_str().to_string()),
                    })
                    .collect();
                self.inventory.coverage.record(&origin, "Features");
                self.inventory
                    .guardduty_features
                    .push(Located::new(origin.clone(), features));
            }
            Err(e) => self.failed("guardduty:GetDetector", r, &e),
        }
        match client
            .get_administrator_account()
            .detector_id(id)
            .send()
            .await
        {
            Ok(out) => {
                let admin = out
                    .administrator()
                    .and_then(|a| a.account_id())
                    .map(str::to_string);
                self.inventory.coverage.record(&origin, "Administrator");
                self.inventory
                    .guardduty_administrators
                    .push(Located::new(origin, admin));
            }
            Err(e) => self.failed("guardduty:GetAdministratorAccount", r, &e),
        }
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
        self.keep("InstanceProfiles", None, profiles, |i| {
            &mut i.instance_profiles
        });

        use aws_sdk_iam::types::EntityType;
        let mut roles = Vec::new();
        let mut policies = Vec::new();
        let mut complete = true;
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
                    complete = false;
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
        let complete = complete.then_some(());
        self.keep("RoleDetailList", None, complete.map(|_| roles), |i| {
            &mut i.role_details
        });
        self.keep("Policies", None, complete.map(|_| policies), |i| {
            &mut i.managed_policies
        });
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
        targets: Vec::new(),
    }
}

fn target_health(
    x: &aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription,
) -> TargetHealthDescription {
    TargetHealthDescription {
        target: x.target().map(|t| TargetDescription {
            id: t.id().unwrap_or_default().to_string(),
            port: i(t.port()),
            availability_zone: s(t.availability_zone()),
        }),
        target_health: x.target_health().map(|h| TargetHealth {
            state: h.state().map(|st| st.as_str().to_string()),
        }),
    }
}

fn security_group_rule(x: &ec2::types::SecurityGroupRule) -> SecurityGroupRule {
    SecurityGroupRule {
        security_group_rule_id: x.security_group_rule_id().unwrap_or_default().to_string(),
        group_id: x.group_id().unwrap_or_default().to_string(),
        group_owner_id: s(x.group_owner_id()),
        is_egress: x.is_egress().unwrap_or(false),
        ip_protocol: x.ip_protocol().unwrap_or("-1").to_string(),
        from_port: i(x.from_port()),
        to_port: i(x.to_port()),
        cidr_ipv4: s(x.cidr_ipv4()),
        cidr_ipv6: s(x.cidr_ipv6()),
        prefix_list_id: s(x.prefix_list_id()),
        referenced_group_info: x.referenced_group_info().map(|g| ReferencedGroup {
            group_id: s(g.group_id()),
            user_id: s(g.user_id()),
            vpc_id: s(g.vpc_id()),
            vpc_peering_connection_id: s(g.vpc_peering_connection_id()),
        }),
        description: s(x.description()),
    }
}

fn prefix_list(x: &ec2::types::ManagedPrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: x.prefix_list_id().unwrap_or_default().to_string(),
        prefix_list_name: s(x.prefix_list_name()),
        address_family: s(x.address_family()),
        owner_id: s(x.owner_id()),
        state: x.state().map(|t| t.as_str().to_string()),
        entries: Vec::new(),
    }
}

fn image(x: &ec2::types::Image) -> Image {
    Image {
        image_id: x.image_id().unwrap_or_default().to_string(),
        name: s(x.name()),
        creation_date: s(x.creation_date()),
        owner_id: s(x.owner_id()),
    }
}

fn classic_load_balancer(
    x: &aws_sdk_elasticloadbalancing::types::LoadBalancerDescription,
) -> ClassicLoadBalancer {
    ClassicLoadBalancer {
        load_balancer_name: x.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: s(x.dns_name()),
        vpc_id: s(x.vpc_id()),
        scheme: s(x.scheme()),
        subnets: x.subnets().to_vec(),
        security_groups: x.security_groups().to_vec(),
        instances: x
            .instances()
            .iter()
            .map(|i| InstanceRef {
                instance_id: i.instance_id().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}

fn db_instance(x: &aws_sdk_rds::types::DbInstance) -> DbInstance {
    DbInstance {
        db_instance_identifier: x.db_instance_identifier().unwrap_or_default().to_string(),
        engine: s(x.engine()),
        endpoint: x.endpoint().map(|e| DbEndpoint {
            address: s(e.address()),
            port: i(e.port()),
        }),
        vpc_security_groups: x
            .vpc_security_groups()
            .iter()
            .map(|g| VpcSecurityGroupMembership {
                vpc_security_group_id: g.vpc_security_group_id().unwrap_or_default().to_string(),
            })
            .collect(),
        db_subnet_group: x.db_subnet_group().map(|g| DbSubnetGroup {
            vpc_id: s(g.vpc_id()),
        }),
        publicly_accessible: x.publicly_accessible(),
    }
}

fn cache_cluster(x: &aws_sdk_elasticache::types::CacheCluster) -> CacheCluster {
    CacheCluster {
        cache_cluster_id: x.cache_cluster_id().unwrap_or_default().to_string(),
        engine: s(x.engine()),
        security_groups: x
            .security_groups()
            .iter()
            .map(|g| CacheSecurityGroup {
                security_group_id: g.security_group_id().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}

fn certificate(x: &aws_sdk_acm::types::CertificateSummary) -> CertificateSummary {
    CertificateSummary {
        certificate_arn: x.certificate_arn().unwrap_or_default().to_string(),
        domain_name: s(x.domain_name()),
        kind: x.r#type().map(|t| t.as_str().to_string()),
        not_after: x
            .not_after()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        renewal_eligibility: x.renewal_eligibility().map(|t| t.as_str().to_string()),
        status: x.status().map(|t| t.as_str().to_string()),
    }
}

fn trail(x: &aws_sdk_cloudtrail::types::Trail) -> Trail {
    Trail {
        name: x.name().unwrap_or_default().to_string(),
        trail_arn: s(x.trail_arn()),
        is_multi_region_trail: x.is_multi_region_trail(),
        is_organization_trail: x.is_organization_trail(),
        home_region: s(x.home_region()),
        s3_bucket_name: s(x.s3_bucket_name()),
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

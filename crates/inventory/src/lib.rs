//! The inventory of eastwest: what exists in the AWS estate, and which asset an address is.
//!
//! An [`Inventory`] holds AWS API output in its own JSON shapes ([`shapes`]), read from a
//! directory of AWS CLI output ([`load`]) or, with the `live` feature, from the AWS API
//! (`live`); [`snapshot`] writes it back in the same shapes so a live read can be
//! replayed. [`assets`] turns it into one [`Asset`] per network interface (instances and every
//! kind of AWS-managed ENI), each with its name, role, tier and peer group, and [`resolve`]
//! answers which asset an address was at a moment, per VPC, so that findings name hosts
//! rather than IPs.
#![deny(missing_docs)]

pub mod assets;
pub mod coverage;
#[cfg(feature = "live")]
pub mod live;
pub mod load;
pub mod resolve;
pub mod shapes;
pub mod snapshot;

use std::collections::HashMap;

pub use assets::{Asset, AssetKind};
pub use load::{LoadReport, load_dir};
pub use resolve::{Place, Resolver};

use shapes::*;

/// The account and region a resource belongs to, where known.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// 12-digit account id.
    pub account: Option<String>,
    /// Region (`us-east-1`).
    pub region: Option<String>,
}

/// A resource with where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// Account and region.
    pub origin: Origin,
    /// The resource as AWS describes it.
    pub item: T,
}

impl<T> Located<T> {
    /// Wraps `item`.
    pub fn new(origin: Origin, item: T) -> Self {
        Self { origin, item }
    }
}

/// Everything known about an estate, as AWS describes it.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// `describe-instances`.
    pub instances: Vec<Located<Instance>>,
    /// `describe-network-interfaces`.
    pub network_interfaces: Vec<Located<NetworkInterface>>,
    /// `describe-security-groups`.
    pub security_groups: Vec<Located<SecurityGroup>>,
    /// `describe-security-group-rules`.
    pub security_group_rules: Vec<Located<SecurityGroupRule>>,
    /// `describe-subnets`.
    pub subnets: Vec<Located<Subnet>>,
    /// `describe-vpcs`.
    pub vpcs: Vec<Located<Vpc>>,
    /// `describe-network-acls`.
    pub network_acls: Vec<Located<NetworkAcl>>,
    /// `describe-route-tables`.
    pub route_tables: Vec<Located<RouteTable>>,
    /// `describe-flow-logs`.
    pub flow_logs: Vec<Located<FlowLog>>,
    /// `describe-vpc-peering-connections`.
    pub peering_connections: Vec<Located<VpcPeeringConnection>>,
    /// `describe-vpc-endpoints`.
    pub vpc_endpoints: Vec<Located<VpcEndpoint>>,
    /// `describe-nat-gateways`.
    pub nat_gateways: Vec<Located<NatGateway>>,
    /// `describe-addresses`.
    pub addresses: Vec<Located<Address>>,
    /// `elbv2 describe-load-balancers`.
    pub load_balancers: Vec<Located<LoadBalancer>>,
    /// `elb describe-load-balancers`.
    pub classic_load_balancers: Vec<Located<ClassicLoadBalancer>>,
    /// `elbv2 describe-target-groups`.
    pub target_groups: Vec<Located<TargetGroup>>,
    /// `elbv2 describe-listeners`.
    pub listeners: Vec<Located<Listener>>,
    /// `autoscaling describe-auto-scaling-groups`.
    pub auto_scaling_groups: Vec<Located<AutoScalingGroup>>,
    /// `rds describe-db-instances`.
    pub db_instances: Vec<Located<DbInstance>>,
    /// `elasticache describe-cache-clusters`.
    pub cache_clusters: Vec<Located<CacheCluster>>,
    /// `iam list-instance-profiles`.
    pub instance_profiles: Vec<Located<InstanceProfile>>,
    /// `iam list-roles`.
    pub roles: Vec<Located<Role>>,
    /// `iam get-account-authorization-details`: roles with policies.
    pub role_details: Vec<Located<RoleDetail>>,
    /// `iam get-account-authorization-details`: managed policies.
    pub managed_policies: Vec<Located<ManagedPolicy>>,
    /// `cloudtrail describe-trails`.
    pub trails: Vec<Located<Trail>>,
    /// `guardduty list-detectors`, one entry per output read (per account and region), with
    /// the detector ids it listed (none: GuardDuty is off there).
    pub guardduty_detectors: Vec<Located<Vec<String>>>,
    /// `guardduty get-detector` `Features`, one entry per output read.
    pub guardduty_features: Vec<Located<Vec<DetectorFeature>>>,
    /// `guardduty get-administrator-account`: the administrator account per account and
    /// region where the output was read (None: the output said there is none).
    pub guardduty_administrators: Vec<Located<Option<String>>>,
    /// `acm list-certificates`.
    pub certificates: Vec<Located<CertificateSummary>>,
    /// `ec2 describe-images`.
    pub images: Vec<Located<Image>>,
    /// `ec2 describe-managed-prefix-lists`, with each list's entries.
    pub prefix_lists: Vec<Located<ManagedPrefixList>>,
    /// Which outputs were read for each account and region.
    pub coverage: coverage::Coverage,
}

/// The id that makes two copies of a resource the same resource.
trait Keyed {
    fn key(&self) -> &str;
    /// Names chosen by users repeat across accounts; ids AWS generates do not.
    const PER_ACCOUNT: bool = false;
}

macro_rules! keyed {
    ($($t:ty => $field:ident),* $(,)?) => {
        $(impl Keyed for $t { fn key(&self) -> &str { &self.$field } })*
    };
}

macro_rules! named {
    ($($t:ty => $field:ident),* $(,)?) => {
        $(impl Keyed for $t {
            fn key(&self) -> &str { &self.$field }
            const PER_ACCOUNT: bool = true;
        })*
    };
}

keyed!(
    Instance => instance_id,
    NetworkInterface => network_interface_id,
    SecurityGroup => group_id,
    SecurityGroupRule => security_group_rule_id,
    Subnet => subnet_id,
    Vpc => vpc_id,
    NetworkAcl => network_acl_id,
    RouteTable => route_table_id,
    FlowLog => flow_log_id,
    VpcPeeringConnection => vpc_peering_connection_id,
    VpcEndpoint => vpc_endpoint_id,
    NatGateway => nat_gateway_id,
    Address => public_ip,
    LoadBalancer => load_balancer_arn,
    TargetGroup => target_group_arn,
    Listener => listener_arn,
    ManagedPolicy => arn,
);

named!(
    ClassicLoadBalancer => load_balancer_name,
    AutoScalingGroup => auto_scaling_group_name,
    DbInstance => db_instance_identifier,
    CacheCluster => cache_cluster_id,
    InstanceProfile => instance_profile_name,
    Role => role_name,
    RoleDetail => role_name,
    Trail => name,
);

keyed!(
    CertificateSummary => certificate_arn,
    Image => image_id,
    ManagedPrefixList => prefix_list_id,
);

/// Keeps the last copy of each resource (files load in name order, so a later snapshot wins),
/// in first-seen order.
fn dedupe<T: Keyed>(items: &mut Vec<Located<T>>) {
    let key = |item: &Located<T>| {
        let account = if T::PER_ACCOUNT {
            item.origin.account.clone()
        } else {
            None
        };
        (account, item.item.key().to_string())
    };
    let mut last: HashMap<(Option<String>, String), usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut i = 0;
    items.retain(|item| {
        let keep = last.get(&key(item)) == Some(&i);
        i += 1;
        keep
    });
}

impl Inventory {
    /// Removes duplicates and fills in the account and region of resources whose JSON does
    /// not say, from the resources they belong to. Called by the loaders; call it again after
    /// adding resources by hand.
    pub fn finish(&mut self) {
        self.fill_origins();
        dedupe(&mut self.instances);
        dedupe(&mut self.network_interfaces);
        dedupe(&mut self.security_groups);
        dedupe(&mut self.security_group_rules);
        dedupe(&mut self.subnets);
        dedupe(&mut self.vpcs);
        dedupe(&mut self.network_acls);
        dedupe(&mut self.route_tables);
        dedupe(&mut self.flow_logs);
        dedupe(&mut self.peering_connections);
        dedupe(&mut self.vpc_endpoints);
        dedupe(&mut self.nat_gateways);
        dedupe(&mut self.addresses);
        dedupe(&mut self.load_balancers);
        dedupe(&mut self.classic_load_balancers);
        dedupe(&mut self.target_groups);
        dedupe(&mut self.listeners);
        dedupe(&mut self.auto_scaling_groups);
        dedupe(&mut self.db_instances);
        dedupe(&mut self.cache_clusters);
        dedupe(&mut self.instance_profiles);
        dedupe(&mut self.roles);
        dedupe(&mut self.role_details);
        dedupe(&mut self.managed_policies);
        dedupe(&mut self.trails);
        dedupe(&mut self.certificates);
        dedupe(&mut self.images);
        dedupe(&mut self.prefix_lists);
    }

    /// Adds everything another inventory holds (an account read on its own); call
    /// [`Self::finish`] after the last.
    pub fn absorb(&mut self, other: Inventory) {
        self.instances.extend(other.instances);
        self.network_interfaces.extend(other.network_interfaces);
        self.security_groups.extend(other.security_groups);
        self.security_group_rules.extend(other.security_group_rules);
        self.subnets.extend(other.subnets);
        self.vpcs.extend(other.vpcs);
        self.network_acls.extend(other.network_acls);
        self.route_tables.extend(other.route_tables);
        self.flow_logs.extend(other.flow_logs);
        self.peering_connections.extend(other.peering_connections);
        self.vpc_endpoints.extend(other.vpc_endpoints);
        self.nat_gateways.extend(other.nat_gateways);
        self.addresses.extend(other.addresses);
        self.load_balancers.extend(other.load_balancers);
        self.classic_load_balancers
            .extend(other.classic_load_balancers);
        self.target_groups.extend(other.target_groups);
        self.listeners.extend(other.listeners);
        self.auto_scaling_groups.extend(other.auto_scaling_groups);
        self.db_instances.extend(other.db_instances);
        self.cache_clusters.extend(other.cache_clusters);
        self.instance_profiles.extend(other.instance_profiles);
        self.roles.extend(other.roles);
        self.role_details.extend(other.role_details);
        self.managed_policies.extend(other.managed_policies);
        self.trails.extend(other.trails);
        self.guardduty_detectors.extend(other.guardduty_detectors);
        self.guardduty_features.extend(other.guardduty_features);
        self.guardduty_administrators
            .extend(other.guardduty_administrators);
        self.certificates.extend(other.certificates);
        self.images.extend(other.images);
        self.prefix_lists.extend(other.prefix_lists);
        self.coverage.absorb(other.coverage);
    }

    /// The CIDR blocks of a managed prefix list, where its entries were read.
    pub fn prefix_list_cidrs(&self, id: &str) -> Option<Vec<&str>> {
        self.prefix_lists
            .iter()
            .find(|p| p.item.prefix_list_id == id && !p.item.entries.is_empty())
            .map(|p| p.item.entries.iter().map(|e| e.cidr.as_str()).collect())
    }

    fn fill_origins(&mut self) {
        use load::region_of_zone;
        fn fill(origin: &mut Origin, account: Option<&String>, zone: Option<&String>) {
            if origin.account.is_none() {
                origin.account = account.cloned();
            }
            if origin.region.is_none() {
                origin.region = zone.and_then(|z| region_of_zone(z));
            }
        }
        for i in &mut self.instances {
            let zone = i
                .item
                .placement
                .as_ref()
                .and_then(|p| p.availability_zone.as_ref());
            fill(&mut i.origin, None, zone);
        }
        for e in &mut self.network_interfaces {
            fill(
                &mut e.origin,
                e.item.owner_id.as_ref(),
                e.item.availability_zone.as_ref(),
            );
        }
        for s in &mut self.subnets {
            fill(
                &mut s.origin,
                s.item.owner_id.as_ref(),
                s.item.availability_zone.as_ref(),
            );
        }
        // A VPC's region is its subnets' region.
        let mut vpc_origin: HashMap<String, Origin> = HashMap::new();
        for s in &self.subnets {
            if let Some(vpc) = &s.item.vpc_id {
                vpc_origin
                    .entry(vpc.clone())
                    .or_insert_with(|| s.origin.clone());
            }
        }
        for i in &self.instances {
            if let Some(vpc) = &i.item.vpc_id {
                vpc_origin
                    .entry(vpc.clone())
                    .or_insert_with(|| i.origin.clone());
            }
        }
        let by_vpc = |origin: &mut Origin, owner: Option<&String>, vpc: Option<&String>| {
            if origin.account.is_none() {
                origin.account = owner.cloned();
            }
            if let Some(known) = vpc.and_then(|v| vpc_origin.get(v)) {
                if origin.region.is_none() {
                    origin.region = known.region.clone();
                }
                if origin.account.is_none() {
                    origin.account = known.account.clone();
                }
            }
        };
        for v in &mut self.vpcs {
            by_vpc(
                &mut v.origin,
                v.item.owner_id.as_ref(),
                Some(&v.item.vpc_id),
            );
        }
        for g in &mut self.security_groups {
            by_vpc(
                &mut g.origin,
                g.item.owner_id.as_ref(),
                g.item.vpc_id.as_ref(),
            );
        }
        for a in &mut self.network_acls {
            by_vpc(
                &mut a.origin,
                a.item.owner_id.as_ref(),
                a.item.vpc_id.as_ref(),
            );
        }
        for r in &mut self.route_tables {
            by_vpc(
                &mut r.origin,
                r.item.owner_id.as_ref(),
                r.item.vpc_id.as_ref(),
            );
        }
        for e in &mut self.vpc_endpoints {
            by_vpc(
                &mut e.origin,
                e.item.owner_id.as_ref(),
                e.item.vpc_id.as_ref(),
            );
        }
        for n in &mut self.nat_gateways {
            by_vpc(&mut n.origin, None, n.item.vpc_id.as_ref());
        }
        for l in &mut self.load_balancers {
            by_vpc(&mut l.origin, None, l.item.vpc_id.as_ref());
        }
        for f in &mut self.flow_logs {
            by_vpc(&mut f.origin, None, f.item.resource_id.as_ref());
        }
    }

    /// Whether nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
            && self.network_interfaces.is_empty()
            && self.security_groups.is_empty()
            && self.subnets.is_empty()
            && self.vpcs.is_empty()
            && self.flow_logs.is_empty()
            && self.load_balancers.is_empty()
            && self.role_details.is_empty()
            && self.roles.is_empty()
    }

    /// Counts per resource kind, for summaries (`("instances", 12)`, ...), non-zero only.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        [
            ("VPCs", self.vpcs.len()),
            ("subnets", self.subnets.len()),
            ("instances", self.instances.len()),
            ("network interfaces", self.network_interfaces.len()),
            ("security groups", self.security_groups.len()),
            ("network ACLs", self.network_acls.len()),
            ("route tables", self.route_tables.len()),
            ("flow logs", self.flow_logs.len()),
            ("peering connections", self.peering_connections.len()),
            ("VPC endpoints", self.vpc_endpoints.len()),
            ("NAT gateways", self.nat_gateways.len()),
            (
                "load balancers",
                self.load_balancers.len() + self.classic_load_balancers.len(),
            ),
            ("target groups", self.target_groups.len()),
            ("listeners", self.listeners.len()),
            ("auto scaling groups", self.auto_scaling_groups.len()),
            ("databases", self.db_instances.len()),
            ("cache clusters", self.cache_clusters.len()),
            ("instance profiles", self.instance_profiles.len()),
            ("roles", self.roles.len().max(self.role_details.len())),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

//! The JSON shapes of AWS API output, as the AWS CLI prints them (`aws ec2 describe-*`,
//! `aws elbv2 describe-*`, `aws iam ...`): field names in PascalCase, every field optional.
//!
//! The loader reads these, the live loader converts SDK types into them, snapshots and the
//! simulator write them. Fields eastwest does not use are left out (serde ignores them on
//! read), so a snapshot holds what eastwest reads, not everything AWS returned. Absent
//! values are `None` or empty and are left out when written.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A resource tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// The value of tag `key`, if present.
pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

/// A security group as attached to an instance or ENI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupIdentifier {
    /// `sg-...`.
    pub group_id: String,
    /// The group's name.
    pub group_name: Option<String>,
}

/// `describe-instances`: one reservation (instances launched together).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Reservation {
    /// `r-...`.
    pub reservation_id: Option<String>,
    /// The owning account.
    pub owner_id: Option<String>,
    /// Its instances.
    pub instances: Vec<Instance>,
}

/// An EC2 instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    /// `i-...`.
    pub instance_id: String,
    /// The AMI it was launched from.
    pub image_id: Option<String>,
    /// `t3.micro` and so on.
    pub instance_type: Option<String>,
    /// Launch time, RFC 3339.
    pub launch_time: Option<String>,
    /// Where it runs.
    pub placement: Option<Placement>,
    /// Primary private address.
    pub private_ip_address: Option<String>,
    /// Public address, if any.
    pub public_ip_address: Option<String>,
    /// Primary subnet.
    pub subnet_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Security groups of the primary ENI.
    pub security_groups: Vec<GroupIdentifier>,
    /// Instance profile.
    pub iam_instance_profile: Option<IamInstanceProfile>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Lifecycle state.
    pub state: Option<InstanceState>,
    /// Why the state last changed; for a terminated instance it holds the time.
    pub state_transition_reason: Option<String>,
    /// IMDS settings.
    pub metadata_options: Option<MetadataOptions>,
    /// Attached ENIs.
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    /// `windows` for Windows instances.
    pub platform: Option<String>,
}

/// Availability zone of an instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Placement {
    /// `us-east-1a`.
    pub availability_zone: Option<String>,
}

/// The instance profile of an instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamInstanceProfile {
    /// `arn:aws:iam::ACCOUNT:instance-profile/NAME`.
    pub arn: Option<String>,
    /// `AIPA...`.
    pub id: Option<String>,
}

/// Instance lifecycle state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceState {
    /// 16 running, 48 terminated, ...
    pub code: Option<i64>,
    /// `running`, `stopped`, `terminated`, ...
    pub name: Option<String>,
}

/// Instance metadata service settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MetadataOptions {
    /// `required` (IMDSv2 only) or `optional` (IMDSv1 allowed).
    pub http_tokens: Option<String>,
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
    /// Hop limit of IMDSv2 responses.
    pub http_put_response_hop_limit: Option<i64>,
    /// `applied` or `pending`.
    pub state: Option<String>,
}

/// An ENI as `describe-instances` nests it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceNetworkInterface {
    /// `eni-...`.
    pub network_interface_id: String,
    /// Public address of the primary private address.
    pub association: Option<IpAssociation>,
    /// Attachment (device index, time).
    pub attachment: Option<Attachment>,
    /// Security groups.
    pub groups: Vec<GroupIdentifier>,
    /// Primary private address.
    pub private_ip_address: Option<String>,
    /// All private addresses.
    pub private_ip_addresses: Vec<PrivateIp>,
    /// IPv6 addresses.
    pub ipv6_addresses: Vec<Ipv6Address>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Owner.
    pub owner_id: Option<String>,
    /// `interface`, `efa`, ...
    pub interface_type: Option<String>,
}

/// A public address associated with a private one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpAssociation {
    /// The public address.
    pub public_ip: Option<String>,
    /// `amazon` for an auto-assigned address, else the account of an Elastic IP.
    pub ip_owner_id: Option<String>,
    /// Elastic IP allocation.
    pub allocation_id: Option<String>,
    /// Public DNS name.
    pub public_dns_name: Option<String>,
}

/// An ENI attachment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Attachment {
    /// `eni-attach-...`.
    pub attachment_id: Option<String>,
    /// When it was attached, RFC 3339.
    pub attach_time: Option<String>,
    /// 0 for the primary ENI.
    pub device_index: Option<i64>,
    /// The instance, when attached to one.
    pub instance_id: Option<String>,
    /// Owner of that instance.
    pub instance_owner_id: Option<String>,
    /// `attached`, `detached`, ...
    pub status: Option<String>,
}

/// A private IPv4 address of an ENI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIp {
    /// The address.
    pub private_ip_address: Option<String>,
    /// Whether it is the primary one.
    pub primary: Option<bool>,
    /// Its public address, if any.
    pub association: Option<IpAssociation>,
}

/// An IPv6 address of an ENI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Address {
    /// The address.
    pub ipv6_address: Option<String>,
}

/// `describe-network-interfaces`: an ENI of any kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterface {
    /// `eni-...`.
    pub network_interface_id: String,
    /// `interface`, `nat_gateway`, `network_load_balancer`, `vpc_endpoint`, `lambda`, ...
    pub interface_type: Option<String>,
    /// Free text; AWS services write who owns the ENI here (`ELB app/name/id`, ...).
    pub description: Option<String>,
    /// The service (account or alias) that created a requester-managed ENI.
    pub requester_id: Option<String>,
    /// Whether an AWS service manages it.
    pub requester_managed: Option<bool>,
    /// Attachment.
    pub attachment: Option<Attachment>,
    /// Public address of the primary private address.
    pub association: Option<IpAssociation>,
    /// Availability zone.
    pub availability_zone: Option<String>,
    /// Security groups.
    pub groups: Vec<GroupIdentifier>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Primary private address.
    pub private_ip_address: Option<String>,
    /// All private addresses.
    pub private_ip_addresses: Vec<PrivateIp>,
    /// IPv6 addresses.
    pub ipv6_addresses: Vec<Ipv6Address>,
    /// `in-use` or `available`.
    pub status: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Tags (the API calls them `TagSet` here).
    pub tag_set: Vec<Tag>,
}

/// `describe-security-groups`: a security group with its rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    /// `sg-...`.
    pub group_id: String,
    /// Name (`default`, `launch-wizard-1`, ...).
    pub group_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Inbound rules.
    pub ip_permissions: Vec<IpPermission>,
    /// Outbound rules.
    pub ip_permissions_egress: Vec<IpPermission>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A security group rule in the grouped form of `describe-security-groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number.
    pub ip_protocol: String,
    /// First port (or ICMP type); absent or -1 for all.
    pub from_port: Option<i64>,
    /// Last port (or ICMP code).
    pub to_port: Option<i64>,
    /// IPv4 sources or destinations.
    pub ip_ranges: Vec<IpRange>,
    /// IPv6 sources or destinations.
    pub ipv6_ranges: Vec<Ipv6Range>,
    /// Managed prefix lists.
    pub prefix_list_ids: Vec<PrefixListId>,
    /// Referenced security groups.
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

/// An IPv4 range in a rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpRange {
    /// The CIDR.
    pub cidr_ip: String,
    /// Why the rule exists.
    pub description: Option<String>,
}

/// An IPv6 range in a rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Range {
    /// The CIDR.
    pub cidr_ipv6: String,
    /// Why the rule exists.
    pub description: Option<String>,
}

/// A prefix list in a rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListId {
    /// `pl-...`.
    pub prefix_list_id: String,
    /// Why the rule exists.
    pub description: Option<String>,
}

/// A security group referenced by a rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserIdGroupPair {
    /// `sg-...`.
    pub group_id: Option<String>,
    /// Its account.
    pub user_id: Option<String>,
    /// Its VPC (for peered references).
    pub vpc_id: Option<String>,
    /// The peering connection a cross-VPC reference goes through.
    pub vpc_peering_connection_id: Option<String>,
    /// Why the rule exists.
    pub description: Option<String>,
}

/// `describe-security-group-rules`: one rule per item.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroupRule {
    /// `sgr-...`.
    pub security_group_rule_id: String,
    /// The group it belongs to.
    pub group_id: String,
    /// Owner of the group.
    pub group_owner_id: Option<String>,
    /// Outbound when true.
    pub is_egress: bool,
    /// Protocol as in [`IpPermission::ip_protocol`].
    pub ip_protocol: String,
    /// First port.
    pub from_port: Option<i64>,
    /// Last port.
    pub to_port: Option<i64>,
    /// IPv4 peer.
    pub cidr_ipv4: Option<String>,
    /// IPv6 peer.
    pub cidr_ipv6: Option<String>,
    /// Prefix-list peer.
    pub prefix_list_id: Option<String>,
    /// Security-group peer.
    pub referenced_group_info: Option<ReferencedGroup>,
    /// Why the rule exists.
    pub description: Option<String>,
}

/// The group a rule references.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReferencedGroup {
    /// `sg-...`.
    pub group_id: Option<String>,
    /// Its account.
    pub user_id: Option<String>,
    /// Its VPC.
    pub vpc_id: Option<String>,
    /// Peering connection.
    pub vpc_peering_connection_id: Option<String>,
}

/// `describe-subnets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    /// `subnet-...`.
    pub subnet_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// IPv4 range.
    pub cidr_block: Option<String>,
    /// IPv6 ranges.
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    /// Availability zone.
    pub availability_zone: Option<String>,
    /// Whether instances get public addresses by default.
    pub map_public_ip_on_launch: Option<bool>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Whether it is a default subnet.
    pub default_for_az: Option<bool>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An IPv6 range of a subnet or VPC.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6CidrAssociation {
    /// The range.
    pub ipv6_cidr_block: Option<String>,
}

/// `describe-vpcs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    /// `vpc-...`.
    pub vpc_id: String,
    /// Primary IPv4 range.
    pub cidr_block: Option<String>,
    /// All IPv4 ranges.
    pub cidr_block_association_set: Vec<CidrAssociation>,
    /// IPv6 ranges.
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    /// Whether it is the region's default VPC.
    pub is_default: Option<bool>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An IPv4 range of a VPC.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CidrAssociation {
    /// The range.
    pub cidr_block: Option<String>,
}

/// `describe-network-acls`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAcl {
    /// `acl-...`.
    pub network_acl_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Whether it is the VPC's default NACL.
    pub is_default: Option<bool>,
    /// Rules of both directions.
    pub entries: Vec<NetworkAclEntry>,
    /// Subnets it applies to.
    pub associations: Vec<NetworkAclAssociation>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// One NACL rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAclEntry {
    /// Evaluation order, lowest first; 32767 is the final deny.
    pub rule_number: i64,
    /// Protocol number as text, `-1` for all.
    pub protocol: String,
    /// `allow` or `deny`.
    pub rule_action: String,
    /// Outbound when true.
    pub egress: bool,
    /// IPv4 range.
    pub cidr_block: Option<String>,
    /// IPv6 range.
    pub ipv6_cidr_block: Option<String>,
    /// Ports for TCP and UDP.
    pub port_range: Option<PortRange>,
    /// ICMP type and code.
    pub icmp_type_code: Option<IcmpTypeCode>,
}

/// A NACL port range.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortRange {
    /// First port.
    pub from: Option<i64>,
    /// Last port.
    pub to: Option<i64>,
}

/// A NACL ICMP match.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IcmpTypeCode {
    /// ICMP code, -1 for all.
    pub code: Option<i64>,
    /// ICMP type, -1 for all.
    #[serde(rename = "Type")]
    pub kind: Option<i64>,
}

/// A subnet's NACL association.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAclAssociation {
    /// `aclassoc-...`.
    pub network_acl_association_id: Option<String>,
    /// The NACL.
    pub network_acl_id: Option<String>,
    /// The subnet.
    pub subnet_id: Option<String>,
}

/// `describe-route-tables`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    /// `rtb-...`.
    pub route_table_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Routes.
    pub routes: Vec<Route>,
    /// Subnets (or the main flag) it applies to.
    pub associations: Vec<RouteTableAssociation>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// One route.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    /// IPv4 destination.
    pub destination_cidr_block: Option<String>,
    /// IPv6 destination.
    pub destination_ipv6_cidr_block: Option<String>,
    /// Prefix-list destination.
    pub destination_prefix_list_id: Option<String>,
    /// `local`, `igw-...`, `vgw-...`, `vpce-...`.
    pub gateway_id: Option<String>,
    /// NAT gateway.
    pub nat_gateway_id: Option<String>,
    /// Transit gateway.
    pub transit_gateway_id: Option<String>,
    /// Peering connection.
    pub vpc_peering_connection_id: Option<String>,
    /// An ENI target.
    pub network_interface_id: Option<String>,
    /// An instance target.
    pub instance_id: Option<String>,
    /// Egress-only internet gateway.
    pub egress_only_internet_gateway_id: Option<String>,
    /// `active` or `blackhole`.
    pub state: Option<String>,
    /// `CreateRouteTable`, `CreateRoute`, `EnableVgwRoutePropagation`.
    pub origin: Option<String>,
}

/// A route table association.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTableAssociation {
    /// Whether this is the VPC's main route table.
    pub main: Option<bool>,
    /// `rtbassoc-...`.
    pub route_table_association_id: Option<String>,
    /// The table.
    pub route_table_id: Option<String>,
    /// The subnet.
    pub subnet_id: Option<String>,
    /// The gateway (edge association).
    pub gateway_id: Option<String>,
}

/// `describe-flow-logs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FlowLog {
    /// `fl-...`.
    pub flow_log_id: String,
    /// The VPC, subnet or ENI it watches.
    pub resource_id: Option<String>,
    /// `ACCEPT`, `REJECT` or `ALL`.
    pub traffic_type: Option<String>,
    /// `s3`, `cloud-watch-logs` or `kinesis-data-firehose`.
    pub log_destination_type: Option<String>,
    /// Destination ARN.
    pub log_destination: Option<String>,
    /// CloudWatch Logs group.
    pub log_group_name: Option<String>,
    /// The `${field}` format.
    pub log_format: Option<String>,
    /// 60 or 600 seconds.
    pub max_aggregation_interval: Option<i64>,
    /// `ACTIVE`.
    pub flow_log_status: Option<String>,
    /// `SUCCESS` or `FAILED`.
    pub deliver_logs_status: Option<String>,
    /// Creation time.
    pub creation_time: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `describe-vpc-peering-connections`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcPeeringConnection {
    /// `pcx-...`.
    pub vpc_peering_connection_id: String,
    /// The accepting side.
    pub accepter_vpc_info: Option<PeeringVpcInfo>,
    /// The requesting side.
    pub requester_vpc_info: Option<PeeringVpcInfo>,
    /// `active`, `pending-acceptance`, ...
    pub status: Option<PeeringStatus>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// One side of a peering connection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringVpcInfo {
    /// Its VPC.
    pub vpc_id: Option<String>,
    /// Its account.
    pub owner_id: Option<String>,
    /// Its region.
    pub region: Option<String>,
    /// Its primary range.
    pub cidr_block: Option<String>,
    /// All its ranges.
    pub cidr_block_set: Vec<CidrAssociation>,
}

/// Peering status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringStatus {
    /// `active`, ...
    pub code: Option<String>,
}

/// `describe-vpc-endpoints`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcEndpoint {
    /// `vpce-...`.
    pub vpc_endpoint_id: String,
    /// `Interface`, `Gateway` or `GatewayLoadBalancer`.
    pub vpc_endpoint_type: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// `com.amazonaws.us-east-1.s3` and so on.
    pub service_name: Option<String>,
    /// `available`, ...
    pub state: Option<String>,
    /// Subnets of an interface endpoint.
    pub subnet_ids: Vec<String>,
    /// ENIs of an interface endpoint.
    pub network_interface_ids: Vec<String>,
    /// Security groups of an interface endpoint.
    pub groups: Vec<GroupIdentifier>,
    /// Route tables of a gateway endpoint.
    pub route_table_ids: Vec<String>,
    /// Owner account.
    pub owner_id: Option<String>,
    /// Endpoint policy (a JSON document, as text).
    pub policy_document: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `describe-nat-gateways`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGateway {
    /// `nat-...`.
    pub nat_gateway_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// `available`, ...
    pub state: Option<String>,
    /// `public` or `private`.
    pub connectivity_type: Option<String>,
    /// Its addresses and ENIs.
    pub nat_gateway_addresses: Vec<NatGatewayAddress>,
    /// Creation time.
    pub create_time: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An address of a NAT gateway.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGatewayAddress {
    /// Elastic IP allocation.
    pub allocation_id: Option<String>,
    /// Its ENI.
    pub network_interface_id: Option<String>,
    /// Private address.
    pub private_ip: Option<String>,
    /// Public address.
    pub public_ip: Option<String>,
}

/// `describe-addresses`: an Elastic IP.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Address {
    /// The public address.
    pub public_ip: String,
    /// `eipalloc-...`.
    pub allocation_id: Option<String>,
    /// Instance it is associated with.
    pub instance_id: Option<String>,
    /// ENI it is associated with.
    pub network_interface_id: Option<String>,
    /// Private address it maps to.
    pub private_ip_address: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `elbv2 describe-load-balancers`: an application, network or gateway load balancer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancer {
    /// ARN.
    pub load_balancer_arn: String,
    /// Name.
    pub load_balancer_name: Option<String>,
    /// DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// Zones and subnets.
    pub availability_zones: Vec<LoadBalancerZone>,
    /// Security groups.
    pub security_groups: Vec<String>,
    /// Creation time.
    pub created_time: Option<String>,
}

/// A zone of a load balancer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancerZone {
    /// Zone name.
    pub zone_name: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
}

/// `elbv2 describe-target-groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetGroup {
    /// ARN.
    pub target_group_arn: String,
    /// Name.
    pub target_group_name: Option<String>,
    /// `HTTP`, `HTTPS`, `TCP`, ...
    pub protocol: Option<String>,
    /// Traffic port.
    pub port: Option<i64>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    /// Load balancers that forward to it.
    pub load_balancer_arns: Vec<String>,
    /// Its registered targets and their health (`elbv2 describe-target-health`, whose output
    /// does not name the group, so eastwest keeps them here; an extension of the CLI shape).
    pub targets: Vec<TargetHealthDescription>,
}

/// `elbv2 describe-target-health`: one registered target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetHealthDescription {
    /// The target.
    pub target: Option<TargetDescription>,
    /// Its health.
    pub target_health: Option<TargetHealth>,
}

/// A registered target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetDescription {
    /// Instance id, address or Lambda ARN, by the group's target type.
    pub id: String,
    /// Port, where it differs from the group's.
    pub port: Option<i64>,
    /// Availability zone (`all` for addresses outside the VPC).
    pub availability_zone: Option<String>,
}

/// A target's health.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetHealth {
    /// `healthy`, `unhealthy`, `draining`, `unused`, ...
    pub state: Option<String>,
}

/// `ec2 describe-managed-prefix-lists`: a prefix list, with its entries
/// (`get-managed-prefix-list-entries`, kept here as an extension of the CLI shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPrefixList {
    /// `pl-...`.
    pub prefix_list_id: String,
    /// Name (`com.amazonaws.us-east-1.s3` for AWS-managed lists).
    pub prefix_list_name: Option<String>,
    /// `IPv4` or `IPv6`.
    pub address_family: Option<String>,
    /// Owner account (`AWS` for AWS-managed lists).
    pub owner_id: Option<String>,
    /// `create-complete`, ...
    pub state: Option<String>,
    /// Its entries; empty when they were not read (AWS-managed lists' entries are not shown).
    pub entries: Vec<PrefixListEntry>,
}

/// An entry of a managed prefix list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListEntry {
    /// The CIDR block.
    pub cidr: String,
    /// Description.
    pub description: Option<String>,
}

/// `elbv2 describe-listeners`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Listener {
    /// ARN.
    pub listener_arn: String,
    /// Its load balancer.
    pub load_balancer_arn: Option<String>,
    /// Port.
    pub port: Option<i64>,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, ...
    pub protocol: Option<String>,
    /// TLS security policy.
    pub ssl_policy: Option<String>,
    /// Certificates.
    pub certificates: Vec<ListenerCertificate>,
    /// What it does with requests (`forward`, `redirect`, ...).
    pub default_actions: Vec<ListenerAction>,
}

/// A listener's default action.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerAction {
    /// `forward`, `redirect`, `fixed-response`, ...
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// Where a redirect goes.
    pub redirect_config: Option<RedirectConfig>,
}

/// A redirect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RedirectConfig {
    /// `HTTPS`, `HTTP` or `#{protocol}`.
    pub protocol: Option<String>,
    /// Port.
    pub port: Option<String>,
}

/// A listener certificate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListenerCertificate {
    /// ACM or IAM certificate ARN.
    pub certificate_arn: Option<String>,
}

/// `elb describe-load-balancers`: a Classic Load Balancer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClassicLoadBalancer {
    /// Name.
    pub load_balancer_name: String,
    /// DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Option<String>,
    /// VPC.
    #[serde(rename = "VPCId")]
    pub vpc_id: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// Subnets.
    pub subnets: Vec<String>,
    /// Security groups.
    pub security_groups: Vec<String>,
    /// Registered instances.
    pub instances: Vec<InstanceRef>,
}

/// A reference to an instance by id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceRef {
    /// `i-...`.
    pub instance_id: String,
}

/// `autoscaling describe-auto-scaling-groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AutoScalingGroup {
    /// Name.
    pub auto_scaling_group_name: String,
    /// Member instances.
    pub instances: Vec<InstanceRef>,
    /// Comma-separated subnets.
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    /// Target groups its instances register with.
    #[serde(rename = "TargetGroupARNs")]
    pub target_group_arns: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// `rds describe-db-instances`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbInstance {
    /// Name.
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    /// `postgres`, `mysql`, ...
    pub engine: Option<String>,
    /// Endpoint.
    pub endpoint: Option<DbEndpoint>,
    /// Security groups.
    pub vpc_security_groups: Vec<VpcSecurityGroupMembership>,
    /// Subnet group.
    #[serde(rename = "DBSubnetGroup")]
    pub db_subnet_group: Option<DbSubnetGroup>,
    /// Whether it has a public address.
    pub publicly_accessible: Option<bool>,
}

/// A database endpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbEndpoint {
    /// DNS name.
    pub address: Option<String>,
    /// Port.
    pub port: Option<i64>,
}

/// A security group of a database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcSecurityGroupMembership {
    /// `sg-...`.
    pub vpc_security_group_id: String,
}

/// A database's subnet group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbSubnetGroup {
    /// VPC.
    pub vpc_id: Option<String>,
}

/// `elasticache describe-cache-clusters`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CacheCluster {
    /// Name.
    pub cache_cluster_id: String,
    /// `redis`, `memcached`, `valkey`.
    pub engine: Option<String>,
    /// Security groups.
    pub security_groups: Vec<CacheSecurityGroup>,
}

/// A security group of a cache cluster.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CacheSecurityGroup {
    /// `sg-...`.
    pub security_group_id: String,
}

/// `iam list-instance-profiles`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceProfile {
    /// Name.
    pub instance_profile_name: String,
    /// `AIPA...`.
    pub instance_profile_id: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// Its role (at most one).
    pub roles: Vec<Role>,
}

/// `iam list-roles`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Role {
    /// Name.
    pub role_name: String,
    /// `AROA...`.
    pub role_id: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// Who may assume it.
    pub assume_role_policy_document: Option<Value>,
}

/// `iam get-account-authorization-details`: a role with its policies.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleDetail {
    /// Name.
    pub role_name: String,
    /// `AROA...`.
    pub role_id: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// Who may assume it.
    pub assume_role_policy_document: Option<Value>,
    /// Inline policies.
    pub role_policy_list: Vec<InlinePolicy>,
    /// Managed policies attached.
    pub attached_managed_policies: Vec<AttachedPolicy>,
    /// Instance profiles that carry it.
    pub instance_profile_list: Vec<InstanceProfile>,
}

/// An inline policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InlinePolicy {
    /// Name.
    pub policy_name: String,
    /// The document (the CLI prints it decoded, as JSON).
    pub policy_document: Option<Value>,
}

/// A managed policy attachment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttachedPolicy {
    /// Name.
    pub policy_name: Option<String>,
    /// ARN.
    pub policy_arn: String,
}

/// `iam get-account-authorization-details`: a managed policy with its versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPolicy {
    /// Name.
    pub policy_name: Option<String>,
    /// ARN.
    pub arn: String,
    /// The version in force.
    pub default_version_id: Option<String>,
    /// Versions with their documents.
    pub policy_version_list: Vec<PolicyVersion>,
}

/// A version of a managed policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyVersion {
    /// `v1`, ...
    pub version_id: Option<String>,
    /// Whether it is in force.
    pub is_default_version: Option<bool>,
    /// The document.
    pub document: Option<Value>,
}

/// `cloudtrail describe-trails`: a trail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Trail {
    /// Name.
    pub name: String,
    /// ARN.
    #[serde(rename = "TrailARN")]
    pub trail_arn: Option<String>,
    /// Whether it logs every region.
    pub is_multi_region_trail: Option<bool>,
    /// Whether it logs every account of the organisation.
    pub is_organization_trail: Option<bool>,
    /// Home region.
    pub home_region: Option<String>,
    /// Bucket.
    pub s3_bucket_name: Option<String>,
}

/// `acm list-certificates` (with `--includes` or a CLI recent enough to print the summary
/// fields): a certificate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CertificateSummary {
    /// ARN.
    pub certificate_arn: String,
    /// Domain.
    pub domain_name: Option<String>,
    /// `AMAZON_ISSUED`, `IMPORTED` or `PRIVATE`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// Expiry, RFC 3339.
    pub not_after: Option<String>,
    /// `ELIGIBLE` or `INELIGIBLE` for managed renewal.
    pub renewal_eligibility: Option<String>,
    /// `ISSUED`, `EXPIRED`, ...
    pub status: Option<String>,
}

/// `ec2 describe-images`: an AMI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Image {
    /// `ami-...`.
    pub image_id: String,
    /// Name.
    pub name: Option<String>,
    /// When it was built, RFC 3339.
    pub creation_date: Option<String>,
    /// Owner account.
    pub owner_id: Option<String>,
}

/// `guardduty get-detector`: the settings of a detector.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DetectorFeature {
    /// `RUNTIME_MONITORING`, `EKS_RUNTIME_MONITORING`, `S3_DATA_EVENTS`, ...
    pub name: String,
    /// `ENABLED` or `DISABLED`.
    pub status: Option<String>,
}

/// Removes `null`s and empty arrays and objects from JSON about to be written, so output
/// looks like the AWS CLI's (which leaves absent fields out).
pub fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // Policy documents are kept as written: an empty `Condition` still means something.
            for (k, v) in map.iter_mut() {
                if !k.ends_with("Document") {
                    prune(v);
                }
            }
            map.retain(|_, v| match v {
                Value::Null => false,
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            });
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

//! Writes an [`Inventory`] as AWS CLI JSON, one file per output and per account and region
//! (`<account>/<region>/ec2-describe-instances.json`), so that [`crate::load_dir`] reads it
//! back to the same inventory: a live read can be kept, shared and replayed.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::shapes::{Reservation, prune};
use crate::{Inventory, Located, Origin};

/// Output file name of each top-level key.
const FILES: &[(&str, &str)] = &[
    ("Reservations", "ec2-describe-instances.json"),
    ("NetworkInterfaces", "ec2-describe-network-interfaces.json"),
    ("SecurityGroups", "ec2-describe-security-groups.json"),
    (
        "SecurityGroupRules",
        "ec2-describe-security-group-rules.json",
    ),
    ("Subnets", "ec2-describe-subnets.json"),
    ("Vpcs", "ec2-describe-vpcs.json"),
    ("NetworkAcls", "ec2-describe-network-acls.json"),
    ("RouteTables", "ec2-describe-route-tables.json"),
    ("FlowLogs", "ec2-describe-flow-logs.json"),
    (
        "VpcPeeringConnections",
        "ec2-describe-vpc-peering-connections.json",
    ),
    ("VpcEndpoints", "ec2-describe-vpc-endpoints.json"),
    ("NatGateways", "ec2-describe-nat-gateways.json"),
    ("Addresses", "ec2-describe-addresses.json"),
    ("LoadBalancers", "elbv2-describe-load-balancers.json"),
    (
        "LoadBalancerDescriptions",
        "elb-describe-load-balancers.json",
    ),
    ("TargetGroups", "elbv2-describe-target-groups.json"),
    ("Listeners", "elbv2-describe-listeners.json"),
    (
        "AutoScalingGroups",
        "autoscaling-describe-auto-scaling-groups.json",
    ),
    ("DBInstances", "rds-describe-db-instances.json"),
    ("CacheClusters", "elasticache-describe-cache-clusters.json"),
    ("InstanceProfiles", "iam-list-instance-profiles.json"),
    ("Roles", "iam-list-roles.json"),
    (
        "RoleDetailList",
        "iam-get-account-authorization-details.json",
    ),
    ("Policies", "iam-get-account-authorization-details.json"),
    ("trailList", "cloudtrail-describe-trails.json"),
    ("CertificateSummaryList", "acm-list-certificates.json"),
    ("Images", "ec2-describe-images.json"),
    ("DetectorIds", "guardduty-list-detectors.json"),
    ("PrefixLists", "ec2-describe-managed-prefix-lists.json"),
    ("Features", "guardduty-get-detector.json"),
    ("Administrator", "guardduty-get-administrator-account.json"),
];

/// Outputs written beside the region folders (IAM is global).
const GLOBAL: &[&str] = &["InstanceProfiles", "Roles", "RoleDetailList", "Policies"];

/// Files by folder, by file name, by top-level key.
type Layout = BTreeMap<PathBuf, BTreeMap<&'static str, Map<String, Value>>>;

/// The folder of an origin. Accounts and regions come from the inventory's JSON (`OwnerId`, a
/// folder name), so they are input: only a 12-digit account and a region-shaped name
/// (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`) become folder names; anything else is filed
/// under `unknown-account` / `unknown-region`, never used as a path.
fn folder(origin: &Origin, global: bool) -> PathBuf {
    let account = origin
        .account
        .as_deref()
        .filter(|a| is_account(a))
        .unwrap_or("unknown-account");
    let mut path = PathBuf::from(account);
    // IAM is global: its files sit beside the region folders.
    if !global {
        path.push(
            origin
                .region
                .as_deref()
                .filter(|r| is_region(r))
                .unwrap_or("unknown-region"),
        );
    }
    path
}

/// Twelve ASCII digits.
pub fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Lowercase words joined by dashes and ending in a number: `eu-west-3`, `us-gov-east-1`.
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    text.len() <= 32
        && parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

fn put<T: Serialize>(layout: &mut Layout, key: &'static str, items: &[Located<T>], global: bool) {
    let file = FILES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, f)| *f)
        .unwrap_or("other.json");
    for item in items {
        let mut value = serde_json::to_value(&item.item).unwrap_or(Value::Null);
        prune(&mut value);
        let entry = layout
            .entry(folder(&item.origin, global))
            .or_default()
            .entry(file)
            .or_default()
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(value);
        }
    }
}

/// Writes `inventory` under `dir` (created if needed). Returns the files written.
pub fn write(inventory: &Inventory, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut layout = Layout::new();
    // Instances go back into reservations, one per account and region (the reservation ids
    // of the original read are not kept).
    let mut reservations: BTreeMap<Origin, Reservation> = BTreeMap::new();
    for i in &inventory.instances {
        let r = reservations
            .entry(i.origin.clone())
            .or_insert_with(|| Reservation {
                owner_id: i.origin.account.clone(),
                ..Default::default()
            });
        r.instances.push(i.item.clone());
    }
    let reservations: Vec<Located<Reservation>> = reservations
        .into_iter()
        .map(|(origin, r)| Located::new(origin, r))
        .collect();
    put(&mut layout, "Reservations", &reservations, false);
    put(
        &mut layout,
        "NetworkInterfaces",
        &inventory.network_interfaces,
        false,
    );
    put(
        &mut layout,
        "SecurityGroups",
        &inventory.security_groups,
        false,
    );
    put(
        &mut layout,
        "SecurityGroupRules",
        &inventory.security_group_rules,
        false,
    );
    put(&mut layout, "Subnets", &inventory.subnets, false);
    put(&mut layout, "Vpcs", &inventory.vpcs, false);
    put(&mut layout, "NetworkAcls", &inventory.network_acls, false);
    put(&mut layout, "RouteTables", &inventory.route_tables, false);
    put(&mut layout, "FlowLogs", &inventory.flow_logs, false);
    put(
        &mut layout,
        "VpcPeeringConnections",
        &inventory.peering_connections,
        false,
    );
    put(&mut layout, "VpcEndpoints", &inventory.vpc_endpoints, false);
    put(&mut layout, "NatGateways", &inventory.nat_gateways, false);
    put(&mut layout, "Addresses", &inventory.addresses, false);
    put(
        &mut layout,
        "LoadBalancers",
        &inventory.load_balancers,
        false,
    );
    put(
        &mut layout,
        "LoadBalancerDescriptions",
        &inventory.classic_load_balancers,
        false,
    );
    put(&mut layout, "TargetGroups", &inventory.target_groups, false);
    put(&mut layout, "Listeners", &inventory.listeners, false);
    put(
        &mut layout,
        "AutoScalingGroups",
        &inventory.auto_scaling_groups,
        false,
    );
    put(&mut layout, "DBInstances", &inventory.db_instances, false);
    put(
        &mut layout,
        "CacheClusters",
        &inventory.cache_clusters,
        false,
    );
    put(
        &mut layout,
        "InstanceProfiles",
        &inventory.instance_profiles,
        true,
    );
    put(&mut layout, "Roles", &inventory.roles, true);
    put(&mut layout, "RoleDetailList", &inventory.role_details, true);
    put(&mut layout, "Policies", &inventory.managed_policies, true);
    put(&mut layout, "trailList", &inventory.trails, false);
    put(
        &mut layout,
        "CertificateSummaryList",
        &inventory.certificates,
        false,
    );
    put(&mut layout, "Images", &inventory.images, false);
    put(&mut layout, "PrefixLists", &inventory.prefix_lists, false);
    for features in &inventory.guardduty_features {
        let list: Vec<Value> = features
            .item
            .iter()
            .filter_map(|f| serde_json::to_value(f).ok())
            .collect();
        layout
            .entry(folder(&features.origin, false))
            .or_default()
            .entry("guardduty-get-detector.json")
            .or_default()
            .insert("Features".to_string(), Value::Array(list));
    }
    for admin in &inventory.guardduty_administrators {
        let value = match &admin.item {
            Some(account) => {
                serde_json::json!({"AccountId": account, "RelationshipStatus": "Enabled"})
            }
            None => serde_json::json!({}),
        };
        layout
            .entry(folder(&admin.origin, false))
            .or_default()
            .entry("guardduty-get-administrator-account.json")
            .or_default()
            .insert("Administrator".to_string(), value);
    }
    for detectors in &inventory.guardduty_detectors {
        let file = layout
            .entry(folder(&detectors.origin, false))
            .or_default()
            .entry("guardduty-list-detectors.json")
            .or_default();
        let list = file
            .entry("DetectorIds".to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(ids) = list {
            ids.extend(detectors.item.iter().cloned().map(Value::String));
        }
    }
    // Outputs read and found empty are written empty, so the replay has the same coverage: no
    // trails read is a finding, no trails file is "not collected".
    for (origin, keys) in inventory.coverage.scopes() {
        for key in keys {
            let Some((_, file)) = FILES.iter().find(|(k, _)| k == key) else {
                continue;
            };
            let empty = if *key == "Administrator" {
                Value::Object(Map::new())
            } else {
                Value::Array(Vec::new())
            };
            layout
                .entry(folder(origin, GLOBAL.contains(key)))
                .or_default()
                .entry(file)
                .or_default()
                .entry(key.to_string())
                .or_insert(empty);
        }
    }

    let mut written = Vec::new();
    for (folder, files) in layout {
        let folder = dir.join(folder);
        std::fs::create_dir_all(&folder)?;
        for (name, content) in files {
            let path = folder.join(name);
            let mut text = serde_json::to_string_pretty(&Value::Object(content))?;
            text.push('\n');
            std::fs::write(&path, text)?;
            written.push(path);
        }
    }
    Ok(written)
}

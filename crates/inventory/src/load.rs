//! Loads a directory of AWS CLI JSON output into an [`Inventory`].
//!
//! Each file is recognised by its top-level key (`Reservations`, `SecurityGroups`, ...), never
//! by its name, so `aws ec2 describe-instances > anything.json` works, and so do CloudMapper's
//! `<region>_ec2-describe-instances.json`. Folders are walked recursively; a folder or file
//! name that is an account id (12 digits) or a region (`eu-west-1`, or a `eu-west-1_` file-name
//! prefix) says where the resources in it live, which matters for the resources whose JSON does
//! not say (VPCs, security groups). A file that is not JSON, or holds none of the known keys,
//! is reported and skipped; an item that does not fit its shape is reported with its index and
//! the file's other items are kept.

use std::path::{Path, PathBuf};

use eastwest_model::{Position, Problem, ProblemLevel};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::shapes::*;
use crate::{Inventory, Located, Origin};

/// What loading a directory amounted to.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Files whose content was read into the inventory, with the keys found in each.
    pub loaded: Vec<(PathBuf, Vec<&'static str>)>,
    /// Files skipped, items dropped and files that could not be read.
    pub problems: Vec<Problem>,
}

impl LoadReport {
    /// Whether a file could not be read or parsed at all (exit status 2 territory).
    pub fn has_unreadable(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.level == ProblemLevel::Unreadable)
    }
}

/// Keys that pagination and the CLI add beside the data.
const META_KEYS: &[&str] = &[
    "NextToken",
    "Marker",
    "NextMarker",
    "IsTruncated",
    "ResponseMetadata",
];

/// Outputs that are recognised but hold nothing eastwest uses; reported as skipped, by name,
/// so a user sees they were looked at.
const UNUSED_KEYS: &[&str] = &[
    "Regions",
    "AvailabilityZones",
    "Snapshots",
    "Clusters",
    "ClusterSubnetGroups",
    "Volumes",
    "KeyPairs",
];

type Reader = fn(&mut Inventory, Vec<Value>, &Origin, &Path, &mut Vec<Problem>) -> usize;

/// The outputs eastwest reads: top-level key and how to read its list.
const READERS: &[(&str, Reader)] = &[
    ("Reservations", |inv, items, origin, path, problems| {
        let mut n = 0;
        for (i, item) in items.into_iter().enumerate() {
            match serde_json::from_value::<Reservation>(item) {
                Ok(reservation) => {
                    let origin = Origin {
                        account: reservation.owner_id.clone().or(origin.account.clone()),
                        region: origin.region.clone(),
                    };
                    for instance in reservation.instances {
                        n += 1;
                        inv.instances.push(Located::new(origin.clone(), instance));
                    }
                }
                Err(e) => problems.push(item_problem(path, "Reservations", i, &e)),
            }
        }
        n
    }),
    ("NetworkInterfaces", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "NetworkInterfaces",
            pr,
            &mut inv.network_interfaces,
        )
    }),
    ("SecurityGroups", |inv, items, o, p, pr| {
        take(items, o, p, "SecurityGroups", pr, &mut inv.security_groups)
    }),
    ("SecurityGroupRules", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "SecurityGroupRules",
            pr,
            &mut inv.security_group_rules,
        )
    }),
    ("Subnets", |inv, items, o, p, pr| {
        take(items, o, p, "Subnets", pr, &mut inv.subnets)
    }),
    ("Vpcs", |inv, items, o, p, pr| {
        take(items, o, p, "Vpcs", pr, &mut inv.vpcs)
    }),
    ("NetworkAcls", |inv, items, o, p, pr| {
        take(items, o, p, "NetworkAcls", pr, &mut inv.network_acls)
    }),
    ("RouteTables", |inv, items, o, p, pr| {
        take(items, o, p, "RouteTables", pr, &mut inv.route_tables)
    }),
    ("FlowLogs", |inv, items, o, p, pr| {
        take(items, o, p, "FlowLogs", pr, &mut inv.flow_logs)
    }),
    ("VpcPeeringConnections", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "VpcPeeringConnections",
            pr,
            &mut inv.peering_connections,
        )
    }),
    ("VpcEndpoints", |inv, items, o, p, pr| {
        take(items, o, p, "VpcEndpoints", pr, &mut inv.vpc_endpoints)
    }),
    ("NatGateways", |inv, items, o, p, pr| {
        take(items, o, p, "NatGateways", pr, &mut inv.nat_gateways)
    }),
    ("Addresses", |inv, items, o, p, pr| {
        take(items, o, p, "Addresses", pr, &mut inv.addresses)
    }),
    ("LoadBalancers", |inv, items, o, p, pr| {
        take(items, o, p, "LoadBalancers", pr, &mut inv.load_balancers)
    }),
    ("LoadBalancerDescriptions", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "LoadBalancerDescriptions",
            pr,
            &mut inv.classic_load_balancers,
        )
    }),
    ("TargetGroups", |inv, items, o, p, pr| {
        take(items, o, p, "TargetGroups", pr, &mut inv.target_groups)
    }),
    ("Listeners", |inv, items, o, p, pr| {
        take(items, o, p, "Listeners", pr, &mut inv.listeners)
    }),
    ("AutoScalingGroups", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "AutoScalingGroups",
            pr,
            &mut inv.auto_scaling_groups,
        )
    }),
    ("DBInstances", |inv, items, o, p, pr| {
        take(items, o, p, "DBInstances", pr, &mut inv.db_instances)
    }),
    ("CacheClusters", |inv, items, o, p, pr| {
        take(items, o, p, "CacheClusters", pr, &mut inv.cache_clusters)
    }),
    ("InstanceProfiles", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "InstanceProfiles",
            pr,
            &mut inv.instance_profiles,
        )
    }),
    ("Roles", |inv, items, o, p, pr| {
        take(items, o, p, "Roles", pr, &mut inv.roles)
    }),
    ("RoleDetailList", |inv, items, o, p, pr| {
        take(items, o, p, "RoleDetailList", pr, &mut inv.role_details)
    }),
    ("trailList", |inv, items, o, p, pr| {
        take(items, o, p, "trailList", pr, &mut inv.trails)
    }),
    ("DetectorIds", |inv, items, origin, _path, _problems| {
        let ids: Vec<String> = items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let n = ids.len();
        inv.guardduty_detectors
            .push(Located::new(origin.clone(), ids));
        n
    }),
    ("CertificateSummaryList", |inv, items, o, p, pr| {
        take(
            items,
            o,
            p,
            "CertificateSummaryList",
            pr,
            &mut inv.certificates,
        )
    }),
    ("Images", |inv, items, o, p, pr| {
        take(items, o, p, "Images", pr, &mut inv.images)
    }),
    ("Features", |inv, items, origin, path, problems| {
        let mut features = Vec::new();
        take(items, origin, path, "Features", problems, &mut features);
        let n = features.len();
        inv.guardduty_features.push(Located::new(
            origin.clone(),
            features.into_iter().map(|f| f.item).collect(),
        ));
        n
    }),
    ("Policies", |inv, items, o, p, pr| {
        take(items, o, p, "Policies", pr, &mut inv.managed_policies)
    }),
    ("PrefixLists", |inv, items, o, p, pr| {
        take(items, o, p, "PrefixLists", pr, &mut inv.prefix_lists)
    }),
    // `ec2 get-managed-prefix-list-entries` does not name its list: the file name must
    // (`pl-0123abcd.json`, `us-east-1_pl-0123abcd-entries.json`).
    ("Entries", |inv, items, origin, path, problems| {
        let Some(id) = prefix_list_in_name(path) else {
            problems.push(file_problem(
                path,
                ProblemLevel::Skipped,
                "prefix-list entries, but the file name names no prefix list (pl-...); skipped"
                    .into(),
            ));
            return 0;
        };
        let mut entries: Vec<Located<PrefixListEntry>> = Vec::new();
        take(items, origin, path, "Entries", problems, &mut entries);
        let n = entries.len();
        let entries = entries.into_iter().map(|e| e.item);
        match inv
            .prefix_lists
            .iter_mut()
            .find(|p| p.item.prefix_list_id == id)
        {
            Some(list) => list.item.entries.extend(entries),
            None => inv.prefix_lists.push(Located::new(
                origin.clone(),
                ManagedPrefixList {
                    prefix_list_id: id,
                    entries: entries.collect(),
                    ..Default::default()
                },
            )),
        }
        n
    }),
];

/// A prefix-list id (`pl-` and hex digits) in a file name.
fn prefix_list_in_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let start = name.find("pl-")?;
    let id: String = name[start..]
        .chars()
        .enumerate()
        .take_while(|(i, c)| *i < 3 || c.is_ascii_hexdigit())
        .map(|(_, c)| c)
        .collect();
    (id.len() > 3).then_some(id)
}

fn take<T: DeserializeOwned>(
    items: Vec<Value>,
    origin: &Origin,
    path: &Path,
    key: &str,
    problems: &mut Vec<Problem>,
    out: &mut Vec<Located<T>>,
) -> usize {
    let mut n = 0;
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<T>(item) {
            Ok(value) => {
                out.push(Located::new(origin.clone(), value));
                n += 1;
            }
            Err(e) => problems.push(item_problem(path, key, i, &e)),
        }
    }
    n
}

fn item_problem(path: &Path, key: &str, index: usize, error: &serde_json::Error) -> Problem {
    Problem {
        file: path.display().to_string(),
        position: Position::Item(index as u64 + 1),
        level: ProblemLevel::Record,
        reason: format!("{key} entry does not have the AWS shape ({error}); skipped"),
    }
}

fn file_problem(path: &Path, level: ProblemLevel, reason: String) -> Problem {
    Problem {
        file: path.display().to_string(),
        position: Position::File,
        level,
        reason,
    }
}

/// Loads every file under `dir` (or `dir` itself when it is a file).
pub fn load_dir(dir: &Path) -> Result<(Inventory, LoadReport), std::io::Error> {
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    let metadata = std::fs::metadata(dir)?;
    let mut files = Vec::new();
    if metadata.is_file() {
        files.push(dir.to_path_buf());
    } else {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => report.problems.push(file_problem(
                    e.path().unwrap_or(dir),
                    ProblemLevel::Unreadable,
                    format!("cannot list: {e}"),
                )),
            }
        }
    }
    for path in files {
        let origin = origin_of(path.strip_prefix(dir).unwrap_or(&path));
        // Read through a limit: a file larger than any describe output is refused whole rather
        // than held in memory (it could be a log file, or something made to exhaust memory).
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            report.problems.push(file_problem(
                &path,
                ProblemLevel::Unreadable,
                format!(
                    "{size} bytes: larger than {MAX_FILE_BYTES}, more than any AWS describe output; not read"
                ),
            ));
            continue;
        }
        let text = match std::fs::File::open(&path).and_then(|f| {
            use std::io::Read;
            let mut bytes = Vec::new();
            // The file may have grown since it was measured: still never past the limit.
            f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(std::io::Error::other(format!(
                    "grew past {MAX_FILE_BYTES} bytes while read"
                )));
            }
            Ok(bytes)
        }) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.problems.push(file_problem(
                    &path,
                    ProblemLevel::Unreadable,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        add_json(&mut inventory, &mut report, &path, &text, &origin);
    }
    inventory.finish();
    Ok((inventory, report))
}

/// Largest inventory file read: the biggest describe outputs of large estates are tens of
/// megabytes; a quarter of a gigabyte leaves room for them and bounds what one file can cost.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads one file's JSON into `inventory`.
pub fn add_json(
    inventory: &mut Inventory,
    report: &mut LoadReport,
    path: &Path,
    bytes: &[u8],
    origin: &Origin,
) {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let level = if bytes.trim_ascii_start().starts_with(b"{") {
                ProblemLevel::Unreadable
            } else {
                ProblemLevel::Skipped
            };
            let reason = match level {
                ProblemLevel::Unreadable => format!("malformed JSON ({e}); file skipped"),
                _ => "not AWS CLI JSON output; skipped".to_string(),
            };
            report.problems.push(file_problem(path, level, reason));
            return;
        }
    };
    let Value::Object(map) = value else {
        report.problems.push(file_problem(
            path,
            ProblemLevel::Skipped,
            "JSON but not an object with an AWS output key; skipped".into(),
        ));
        return;
    };
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for (key, value) in map {
        if META_KEYS.contains(&key.as_str()) {
            continue;
        }
        // `guardduty get-administrator-account` prints one object, not a list.
        if key == "Administrator" {
            let account = value
                .get("AccountId")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            inventory
                .guardduty_administrators
                .push(Located::new(origin.clone(), account));
            inventory.coverage.record(origin, "Administrator");
            found.push("Administrator");
            continue;
        }
        let Some((name, reader)) = READERS.iter().find(|(name, _)| *name == key) else {
            unknown.push(key);
            continue;
        };
        let Value::Array(items) = value else {
            report.problems.push(file_problem(
                path,
                ProblemLevel::Unreadable,
                format!("`{key}` is not a list; file skipped"),
            ));
            continue;
        };
        reader(inventory, items, origin, path, &mut report.problems);
        inventory.coverage.record(origin, name);
        found.push(*name);
    }
    if found.is_empty() {
        let unused = unknown.iter().all(|k| UNUSED_KEYS.contains(&k.as_str()));
        let reason = if unused && !unknown.is_empty() {
            format!(
                "`{}` output holds nothing eastwest uses; skipped",
                unknown.join("`, `")
            )
        } else {
            format!(
                "no AWS output key eastwest reads (found: {}); skipped",
                if unknown.is_empty() {
                    "none".to_string()
                } else {
                    unknown.join(", ")
                }
            )
        };
        report
            .problems
            .push(file_problem(path, ProblemLevel::Skipped, reason));
    } else {
        report.loaded.push((path.to_path_buf(), found));
    }
}

/// Account and region named by the folders and file name of a path inside the inventory.
pub fn origin_of(relative: &Path) -> Origin {
    let mut origin = Origin::default();
    for component in relative.components() {
        let text = component.as_os_str().to_string_lossy();
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            origin.account = Some(text.to_string());
        } else if is_region(&text) {
            origin.region = Some(text.to_string());
        } else if let Some((prefix, _)) = text.split_once('_')
            && is_region(prefix)
        {
            origin.region = Some(prefix.to_string());
        }
    }
    origin
}

/// `us-east-1`, `us-gov-west-1`, `ap-southeast-2`: two letters, words, a number.
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// The region of an availability zone (`us-east-1a` → `us-east-1`; local zones such as
/// `us-west-2-lax-1a` → `us-west-2`).
pub fn region_of_zone(zone: &str) -> Option<String> {
    let trimmed = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
    let parts: Vec<&str> = trimmed.split('-').collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("-"))
        .find(|candidate| is_region(candidate) && candidate.len() < zone.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_zones() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("us-east-1a"));
        assert!(!is_region("ec2-describe-instances"));
        assert_eq!(region_of_zone("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(
            region_of_zone("us-west-2-lax-1a").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(region_of_zone("nonsense"), None);
        let o = origin_of(Path::new("111122223333/eu-west-1/x.json"));
        assert_eq!(o.account.as_deref(), Some("111122223333"));
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        let o = origin_of(Path::new("us-east-1_ec2-describe-vpcs.json"));
        assert_eq!(o.region.as_deref(), Some("us-east-1"));
    }
}

//! From a detector's result rows to findings: identity, endpoints named as assets, templates
//! filled, counts, and the evidence (the connection rows behind each, with a record's file and
//! line).

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, TimestampMillisecondType};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use eastwest_inventory::{Asset, Place, Resolver};
use eastwest_model::finding::stable_uid;
use eastwest_model::{Endpoint, Evidence, Finding, Resource, Severity, Status};

use crate::rule::{Header, fill, number};

/// Most evidence records kept per finding: enough to show the pattern, bounded so a finding
/// stays small whatever the scan's size (the counts say how much there was).
pub const MAX_EVIDENCE: usize = 5;

/// One result row, as text per column (nulls absent).
pub type Row = BTreeMap<String, String>;

/// The rows of a detector's result, as text, with first/last seen as epoch ms.
pub fn rows(batches: &[RecordBatch]) -> Vec<(Row, i64, i64)> {
    let mut out = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for i in 0..batch.num_rows() {
            let mut row = Row::new();
            let mut times = (0, 0);
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                if column.is_null(i) {
                    continue;
                }
                if let DataType::Timestamp(_, _) = field.data_type()
                    && let Some(ms) = timestamp_ms(column.as_ref(), i)
                {
                    match field.name().as_str() {
                        "first_seen" => times.0 = ms,
                        "last_seen" => times.1 = ms,
                        _ => {}
                    }
                }
                if let DataType::List(_) | DataType::LargeList(_) = field.data_type() {
                    // Lists (an event detector's evidence) keep their items apart.
                    row.insert(
                        field.name().clone(),
                        list_items(column.as_ref(), i).join(ITEM_SEPARATOR),
                    );
                } else if let Ok(text) = array_value_to_string(column, i) {
                    row.insert(field.name().clone(), text);
                }
            }
            out.push((row, times.0, times.1));
        }
    }
    out
}

/// Separates the items of a list column in a [`Row`]'s text (the ASCII record separator: log
/// text that reaches a summary does not carry it).
pub const ITEM_SEPARATOR: &str = "\u{1e}";

/// The items of row `i` of a list column, as text.
fn list_items(column: &dyn Array, i: usize) -> Vec<String> {
    let items = match column.data_type() {
        DataType::List(_) => column.as_list::<i32>().value(i),
        DataType::LargeList(_) => column.as_list::<i64>().value(i),
        _ => return Vec::new(),
    };
    (0..items.len())
        .filter(|&j| !items.is_null(j))
        .filter_map(|j| array_value_to_string(&items, j).ok())
        .collect()
}

/// The evidence an event detector's row carries: its `evidence` items,
/// `file<TAB>line<TAB>summary` each, at most [`MAX_EVIDENCE`].
pub fn row_evidence(row: &Row) -> Vec<Evidence> {
    let Some(items) = row.get("evidence") else {
        return Vec::new();
    };
    items
        .split(ITEM_SEPARATOR)
        .filter(|item| !item.is_empty())
        .take(MAX_EVIDENCE)
        .map(|item| {
            let mut parts = item.splitn(3, '\t');
            let file = parts.next().unwrap_or_default().to_string();
            let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
            Evidence {
                source_file: file,
                source_line: line,
                summary: parts.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn timestamp_ms(column: &dyn Array, i: usize) -> Option<i64> {
    let cast = datafusion::arrow::compute::cast(
        &column.slice(i, 1),
        &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, None),
    )
    .ok()?;
    let values = cast.as_primitive_opt::<TimestampMillisecondType>()?;
    values.is_valid(0).then(|| values.value(0))
}

/// An endpoint from an address, named through the inventory when there is one.
pub fn endpoint(
    resolver: Option<&Resolver>,
    vpc: Option<&str>,
    address: &str,
    at_ms: i64,
) -> (Endpoint, Option<Asset>) {
    let mut endpoint = Endpoint {
        ip: Some(address.to_string()),
        ..Endpoint::default()
    };
    let Some(resolver) = resolver else {
        return (endpoint, None);
    };
    let Ok(ip) = address.parse() else {
        return (endpoint, None);
    };
    let place = resolver.resolve(vpc, ip, Some(at_ms));
    endpoint.kind = Some(place.kind_name().to_string());
    match place {
        Place::Asset(asset) => {
            endpoint.name = Some(asset.name.clone());
            endpoint.instance_uid = asset.instance.clone();
            endpoint.interface_uid = Some(asset.eni.clone());
            endpoint.vpc_uid = asset.vpc.clone();
            endpoint.subnet_uid = asset.subnet.clone();
            endpoint.group = Some(asset.peer_group.clone());
            endpoint.role = asset.role.clone();
            endpoint.account = asset.account.clone();
            (endpoint, Some(asset.clone()))
        }
        Place::Unassigned(vpc) => {
            endpoint.vpc_uid = Some(vpc.to_string());
            (endpoint, None)
        }
        _ => (endpoint, None),
    }
}

/// The AWS resources an endpoint's asset stands for.
fn resources(asset: &Asset) -> Vec<Resource> {
    let resource = |uid: &str, kind: &str, name: Option<&str>| Resource {
        uid: uid.to_string(),
        kind: kind.to_string(),
        name: name.map(String::from),
        account: asset.account.clone(),
        region: asset.region.clone(),
    };
    let mut out = Vec::new();
    if let Some(instance) = &asset.instance {
        out.push(resource(instance, "AWS::EC2::Instance", Some(&asset.name)));
    }
    out.push(resource(
        &asset.eni,
        "AWS::EC2::NetworkInterface",
        Some(&asset.name),
    ));
    if let Some(role) = &asset.role {
        out.push(resource(role, "AWS::IAM::Role", None));
    }
    for group in &asset.security_groups {
        out.push(resource(group, "AWS::EC2::SecurityGroup", None));
    }
    out
}

/// Builds the finding of one result row. `thresholds` are the values the run used.
pub fn finding(
    header: &Header,
    row: &Row,
    first_seen_ms: i64,
    last_seen_ms: i64,
    thresholds: &BTreeMap<String, f64>,
    resolver: Option<&Resolver>,
) -> (Finding, Option<Asset>) {
    let vpc = row.get("vpc_id").map(String::as_str);
    let src_addr = row.get("src_addr").cloned().unwrap_or_default();
    let period = row.get("period").cloned().unwrap_or_default();
    let (mut source, source_asset) = endpoint(resolver, vpc, &src_addr, first_seen_ms);
    if source.group.is_none() {
        source.group = row.get("src_group").cloned();
    }
    let destination = row.get("dst_addr").map(|address| {
        let (mut destination, asset) = endpoint(resolver, vpc, address, first_seen_ms);
        destination.port = row.get("dst_port").and_then(|p| p.parse().ok());
        if destination.group.is_none() {
            destination.group = row.get("dst_group").cloned();
        }
        (destination, asset)
    });
    let mut values: Row = row.clone();
    for (name, threshold) in &header.thresholds {
        let value = thresholds.get(name).copied().unwrap_or(threshold.default);
        values.insert(name.clone(), number(value));
    }
    if src_addr.is_empty() {
        // A host known only by its name in a host log (no inventory, no address): name it so.
        let host = row
            .get("host_name")
            .or_else(|| row.get("host"))
            .cloned()
            .unwrap_or_else(|| "an unknown host".into());
        values.insert("src_name".into(), host);
        values.insert("src_addr".into(), "address unknown".into());
    } else {
        values.insert("src_name".into(), source.label());
    }
    if let Some((destination, _)) = &destination {
        values.insert("dst_name".into(), destination.label());
    } else {
        values.insert("dst_name".into(), "several hosts".into());
    }
    for key in ["src_group", "dst_group"] {
        values.entry(key.into()).or_insert_with(|| "-".into());
    }
    let severity = row
        .get("severity")
        .and_then(|s| Severity::parse(s))
        .or_else(|| Severity::parse(&header.severity))
        .unwrap_or(Severity::Medium);
    let confidence = row
        .get("confidence")
        .and_then(|c| c.parse::<u8>().ok())
        .unwrap_or(header.confidence)
        .min(100);
    let mut ids: Vec<String> = header.attack.clone();
    if let Some(technique) = row.get("technique") {
        ids.retain(|id| !id.starts_with('T') || id.starts_with("TA"));
        ids.push(technique.clone());
    }
    let mut attacks = Vec::new();
    for id in &ids {
        if let Some(attack) = eastwest_model::attack::attack(id)
            && !attacks.contains(&attack)
        {
            attacks.push(attack);
        }
    }
    let counts = row
        .iter()
        .filter(|(name, _)| name.starts_with("n_"))
        .filter_map(|(name, value)| Some((name[2..].to_string(), value.parse::<f64>().ok()?)))
        .collect();
    let mut all_resources: Vec<Resource> = source_asset.iter().flat_map(resources).collect();
    if let Some((_, Some(asset))) = &destination {
        all_resources.extend(resources(asset));
    }
    all_resources.sort();
    all_resources.dedup();
    let account = source.account.clone();
    let region = source_asset.as_ref().and_then(|a| a.region.clone());
    let finding = Finding {
        uid: stable_uid(&[&header.id, &src_addr, vpc.unwrap_or(""), &period]),
        analytic: header.id.clone(),
        title: fill(&header.title, &values),
        description: fill(&header.description, &values),
        attacks,
        severity,
        confidence,
        first_seen_ms,
        last_seen_ms,
        source: Some(source),
        destination: destination.map(|(d, _)| d),
        resources: all_resources,
        evidence: Vec::new(),
        counts,
        baseline: header.baseline.as_ref().map(|b| fill(b, &values)),
        remediation: fill(&header.remediation, &values),
        status: Status::New,
        compliance: None,
        account,
        region,
    };
    (finding, source_asset)
}

/// The query that picks each finding's evidence among `connections`, given the findings'
/// keys in the table `finding_keys` and the detector's evidence condition.
pub fn evidence_sql(condition: &str) -> String {
    format!(
        "SELECT uid, sample_file, sample_line, client_addr, server_addr, server_port, protocol,
                attempts, rejected, rst, bytes_out, bytes_in, window_ms
         FROM (
           SELECT k.uid, c.*, row_number() OVER (
             PARTITION BY k.uid ORDER BY c.first_seen, c.server_addr, c.server_port) AS rank
           FROM finding_keys k JOIN connections c ON c.client_addr = k.src_addr
           WHERE (k.dst_addr IS NULL OR c.server_addr = k.dst_addr)
             AND (k.dst_port IS NULL OR c.server_port = k.dst_port)
             AND c.window_ms >= k.from_ms AND c.window_ms <= k.to_ms
             AND ({condition})
         ) WHERE rank <= {MAX_EVIDENCE}
         ORDER BY uid, rank"
    )
}

/// Evidence records per finding uid from the evidence query's result.
pub fn evidence(batches: &[RecordBatch]) -> BTreeMap<String, Vec<Evidence>> {
    let mut out: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    for (row, _, _) in rows(batches) {
        let get = |k: &str| row.get(k).cloned().unwrap_or_default();
        let protocol = match get("protocol").as_str() {
            "6" => "tcp".to_string(),
            "17" => "udp".to_string(),
            "1" => "icmp".to_string(),
            other => format!("protocol {other}"),
        };
        let hour = row
            .get("window_ms")
            .and_then(|w| w.parse::<i64>().ok())
            .map(|ms| eastwest_model::time::Civil::from_ms(ms).iso_seconds())
            .unwrap_or_default();
        let summary = format!(
            "{} → {}:{} {protocol}, {} attempt(s), {} rejected, {} reset, {} B out / {} B in, window from {hour}",
            get("client_addr"),
            get("server_addr"),
            get("server_port"),
            get("attempts"),
            get("rejected"),
            get("rst"),
            get("bytes_out"),
            get("bytes_in"),
        );
        out.entry(get("uid")).or_default().push(Evidence {
            source_file: get("sample_file"),
            source_line: row
                .get("sample_line")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0),
            summary,
        });
    }
    out
}

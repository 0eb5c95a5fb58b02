//! The catalog of VPC Flow Log fields (versions 2 to 8 and later) and the `flows` table schema.
//!
//! The order is AWS's: each version's fields after the previous version's. Column names are the
//! field names with `-` replaced by `_`, which is also what S3 Parquet delivery uses, so the same
//! SQL works whatever the container. Types follow the Parquet types AWS documents; `start` and
//! `end` become UTC timestamps (milliseconds) because AWS writes seconds in most places and
//! milliseconds in some, and SQL over typed times is what users expect.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The storage type of one flow-log field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A 32-bit integer (ports, protocol, version, TCP flags, traffic path).
    Int32,
    /// A 64-bit integer (packets, bytes, lost packets).
    Int64,
    /// Epoch time in seconds or milliseconds, stored as a UTC timestamp in milliseconds.
    Time,
    /// An IP address (v4 or v6), stored as text plus a 16-byte binary companion column.
    Address,
    /// Free text (ids, names, enumerations).
    Text,
}

/// One field that a flow-log format can contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowField {
    /// The AWS name, as written in `${...}` and in S3 header lines (`pkt-srcaddr`).
    pub name: &'static str,
    /// The flow-log version that introduced it.
    pub version: u8,
    /// How it is stored.
    pub kind: FieldType,
}

const fn field(name: &'static str, version: u8, kind: FieldType) -> FlowField {
    FlowField {
        name,
        version,
        kind,
    }
}

use FieldType::{Address, Int32, Int64, Text, Time};

/// Every field AWS has documented, in AWS order. Version 9 stands for "after 8": fields AWS has
/// added since (reject reason's companions, tags, next hop) without a published version number.
pub static FIELDS: &[FlowField] = &[
    field("version", 2, Int32),
    field("account-id", 2, Text),
    field("interface-id", 2, Text),
    field("srcaddr", 2, Address),
    field("dstaddr", 2, Address),
    field("srcport", 2, Int32),
    field("dstport", 2, Int32),
    field("protocol", 2, Int32),
    field("packets", 2, Int64),
    field("bytes", 2, Int64),
    field("start", 2, Time),
    field("end", 2, Time),
    field("action", 2, Text),
    field("log-status", 2, Text),
    field("vpc-id", 3, Text),
    field("subnet-id", 3, Text),
    field("instance-id", 3, Text),
    field("tcp-flags", 3, Int32),
    field("type", 3, Text),
    field("pkt-srcaddr", 3, Address),
    field("pkt-dstaddr", 3, Address),
    field("region", 4, Text),
    field("az-id", 4, Text),
    field("sublocation-type", 4, Text),
    field("sublocation-id", 4, Text),
    field("pkt-src-aws-service", 5, Text),
    field("pkt-dst-aws-service", 5, Text),
    field("flow-direction", 5, Text),
    field("traffic-path", 5, Int32),
    field("resource-type", 6, Text),
    field("tgw-id", 6, Text),
    field("tgw-attachment-id", 6, Text),
    field("tgw-src-vpc-account-id", 6, Text),
    field("tgw-dst-vpc-account-id", 6, Text),
    field("tgw-src-vpc-id", 6, Text),
    field("tgw-dst-vpc-id", 6, Text),
    field("tgw-src-subnet-id", 6, Text),
    field("tgw-dst-subnet-id", 6, Text),
    field("tgw-src-eni", 6, Text),
    field("tgw-dst-eni", 6, Text),
    field("tgw-src-az-id", 6, Text),
    field("tgw-dst-az-id", 6, Text),
    field("tgw-pair-attachment-id", 6, Text),
    field("packets-lost-no-route", 6, Int64),
    field("packets-lost-blackhole", 6, Int64),
    field("packets-lost-mtu-exceeded", 6, Int64),
    field("packets-lost-ttl-expired", 6, Int64),
    field("ecs-cluster-arn", 7, Text),
    field("ecs-cluster-name", 7, Text),
    field("ecs-container-instance-arn", 7, Text),
    field("ecs-container-instance-id", 7, Text),
    field("ecs-container-id", 7, Text),
    field("ecs-second-container-id", 7, Text),
    field("ecs-service-name", 7, Text),
    field("ecs-task-definition-arn", 7, Text),
    field("ecs-task-arn", 7, Text),
    field("ecs-task-id", 7, Text),
    field("reject-reason", 8, Text),
    field("resource-id", 9, Text),
    field("encryption-status", 9, Int32),
    field("instance-tag", 9, Text),
    field("instance-tag-2", 9, Text),
    field("interface-tag", 9, Text),
    field("interface-tag-2", 9, Text),
    field("asg-tag", 9, Text),
    field("asg-tag-2", 9, Text),
    field("interface-type", 9, Text),
    field("next-hop-interface-id", 9, Text),
    field("next-hop-subnet-id", 9, Text),
    field("next-hop-az-id", 9, Text),
    field("next-hop-vpc-id", 9, Text),
    field("next-hop-interface-type", 9, Text),
];

/// Index of a field in [`FIELDS`].
pub type FieldId = usize;

/// Looks a field up by its AWS name (`pkt-srcaddr`), its Parquet/column name (`pkt_srcaddr`) or
/// its `${pkt-srcaddr}` placeholder. Case-sensitive, as AWS is.
pub fn field_id(name: &str) -> Option<FieldId> {
    let name = name
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    FIELDS.iter().position(|f| {
        f.name.len() == name.len()
            && f.name
                .bytes()
                .zip(name.bytes())
                .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
    })
}

/// The column name of a field in the `flows` table (`pkt_srcaddr`).
pub fn column_name(field: &FlowField) -> String {
    field.name.replace('-', "_")
}

/// The `flows` columns that do not come from a field one-to-one.
///
/// Addresses get a binary twin: 16 bytes, IPv4 mapped into IPv6 (`::ffff:a.b.c.d`), so that
/// equality and CIDR tests are integer compares instead of text parsing, and v4 and v6 share one
/// column. `source_file` and `source_line` say where each row came from, for evidence.
pub mod extra {
    /// Binary twin of `srcaddr`.
    pub const SRC_IP: &str = "src_ip";
    /// Binary twin of `dstaddr`.
    pub const DST_IP: &str = "dst_ip";
    /// Binary twin of `pkt_srcaddr`.
    pub const PKT_SRC_IP: &str = "pkt_src_ip";
    /// Binary twin of `pkt_dstaddr`.
    pub const PKT_DST_IP: &str = "pkt_dst_ip";
    /// The input the row was read from (path or `s3://` URL).
    pub const SOURCE_FILE: &str = "source_file";
    /// The row's 1-based line (text), event (JSON container) or row (Parquet) in that input.
    pub const SOURCE_LINE: &str = "source_line";
}

/// What each column of the `flows` table is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnSource {
    /// The field itself, typed.
    Field(FieldId),
    /// The 16-byte binary form of an address field.
    Binary(FieldId),
    /// The input's name.
    SourceFile,
    /// The record's position in its input.
    SourceLine,
}

/// The columns of the `flows` table in order, with what each is built from.
pub static COLUMNS: LazyLock<Vec<(String, ColumnSource)>> = LazyLock::new(|| {
    let mut columns: Vec<(String, ColumnSource)> = FIELDS
        .iter()
        .enumerate()
        .map(|(id, f)| (column_name(f), ColumnSource::Field(id)))
        .collect();
    for (name, of) in [
        (extra::SRC_IP, "srcaddr"),
        (extra::DST_IP, "dstaddr"),
        (extra::PKT_SRC_IP, "pkt-srcaddr"),
        (extra::PKT_DST_IP, "pkt-dstaddr"),
    ] {
        if let Some(id) = field_id(of) {
            columns.push((name.to_string(), ColumnSource::Binary(id)));
        }
    }
    columns.push((extra::SOURCE_FILE.to_string(), ColumnSource::SourceFile));
    columns.push((extra::SOURCE_LINE.to_string(), ColumnSource::SourceLine));
    columns
});

/// The Arrow type of a column.
pub fn column_type(source: ColumnSource) -> DataType {
    match source {
        ColumnSource::Field(id) => match FIELDS[id].kind {
            Int32 => DataType::Int32,
            Int64 => DataType::Int64,
            Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            Address | Text => DataType::Utf8,
        },
        ColumnSource::Binary(_) => DataType::FixedSizeBinary(16),
        ColumnSource::SourceFile => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
        ColumnSource::SourceLine => DataType::UInt64,
    }
}

/// The schema of the `flows` table: every field of every version, then the extra columns.
/// Fields a format does not carry are null.
pub static FLOWS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|(name, source)| {
                let nullable =
                    !matches!(source, ColumnSource::SourceFile | ColumnSource::SourceLine);
                Field::new(name, column_type(*source), nullable)
            })
            .collect::<Vec<_>>(),
    ))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_every_spelling() {
        let id = field_id("pkt-srcaddr").expect("known");
        assert_eq!(field_id("pkt_srcaddr"), Some(id));
        assert_eq!(field_id("${pkt-srcaddr}"), Some(id));
        assert_eq!(FIELDS[id].name, "pkt-srcaddr");
        assert_eq!(field_id("pkt-srcaddrx"), None);
        assert_eq!(field_id("PKT-SRCADDR"), None);
    }

    #[test]
    fn catalog_covers_the_documented_field_table() {
        // The field table copied from ../shared/testdata (see testdata/PROVENANCE.md).
        let table = include_str!("../../../../../testdata/flow/vpc_flow_fields_all_versions.tsv");
        let mut seen = 0;
        for line in table.lines().skip(1) {
            let name = line.split('\t').next().expect("a first column");
            let id = field_id(name).unwrap_or_else(|| panic!("field {name} missing"));
            let version = line.split('\t').nth(1).expect("a version column");
            if let Ok(v) = version.parse::<u8>() {
                assert_eq!(FIELDS[id].version, v, "version of {name}");
            }
            seen += 1;
        }
        assert_eq!(seen, FIELDS.len(), "catalog and table list the same fields");
    }

    #[test]
    fn schema_has_unique_column_names() {
        let schema = &*FLOWS_SCHEMA;
        let mut names: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), schema.fields().len());
    }
}

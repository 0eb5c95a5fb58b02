//! Enrichment columns of the `flows` table: each side of a record named as an asset.
//!
//! With an inventory, `flows` gains `src_*` and `dst_*` columns (name, kind, instance, ENI,
//! peer group, tier, subnet, VPC, role, is_internal) computed from `srcaddr`/`dstaddr` (the
//! addresses as the logging ENI saw them), the VPC the record was logged in (`vpc-id`, else the
//! logging ENI's VPC from the inventory) and the record's start time, through
//! [`Resolver::resolve`]. `pkt-src-aws-service`/`pkt-dst-aws-service`, when the format has
//! them, mark AWS service addresses (`kind = 'aws-service'`, `name = 'S3'`). The columns are
//! only computed when a query asks for them.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, DictionaryArray, FixedSizeBinaryArray, Int32Array,
    RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Int32Type, Schema, SchemaRef, TimestampMillisecondType,
};
use datafusion::error::{DataFusionError, Result};
use eastwest_ingest::FLOWS_SCHEMA;
use eastwest_inventory::{Place, Resolver};

/// One enrichment attribute, for either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    Name,
    Kind,
    Instance,
    Eni,
    Group,
    Tier,
    Subnet,
    Vpc,
    Role,
    IsInternal,
}

const ATTRIBUTES: [(&str, Attribute); 10] = [
    ("name", Attribute::Name),
    ("kind", Attribute::Kind),
    ("instance", Attribute::Instance),
    ("eni", Attribute::Eni),
    ("group", Attribute::Group),
    ("tier", Attribute::Tier),
    ("subnet", Attribute::Subnet),
    ("vpc", Attribute::Vpc),
    ("role", Attribute::Role),
    ("is_internal", Attribute::IsInternal),
];

/// An enrichment column: which side and which attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrichColumn {
    source: bool,
    attribute: Attribute,
}

/// The enrichment columns in table order: `src_name`, `src_kind`, ..., `dst_is_internal`.
static ENRICH_COLUMNS: LazyLock<Vec<(String, EnrichColumn)>> = LazyLock::new(|| {
    [(true, "src"), (false, "dst")]
        .into_iter()
        .flat_map(|(source, prefix)| {
            ATTRIBUTES.iter().map(move |(name, attribute)| {
                (
                    format!("{prefix}_{name}"),
                    EnrichColumn {
                        source,
                        attribute: *attribute,
                    },
                )
            })
        })
        .collect()
});

/// The `flows` schema with the enrichment columns after the flow-log ones.
pub static ENRICHED_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields: Vec<Field> = FLOWS_SCHEMA
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (name, column) in ENRICH_COLUMNS.iter() {
        let kind = if column.attribute == Attribute::IsInternal {
            DataType::Boolean
        } else {
            DataType::Utf8
        };
        fields.push(Field::new(name, kind, true));
    }
    Arc::new(Schema::new(fields))
});

/// The flow-log columns enrichment reads.
const INPUT_COLUMNS: [&str; 7] = [
    "src_ip",
    "dst_ip",
    "vpc_id",
    "interface_id",
    "start",
    "pkt_src_aws_service",
    "pkt_dst_aws_service",
];

/// How a scan builds its output: which columns come from the reader's batch (by position) and
/// which are computed.
#[derive(Debug, Clone)]
pub struct Enrichment {
    resolver: Arc<Resolver>,
    /// For each output column: a reader column, or an enrichment column.
    outputs: Vec<Output>,
    /// Positions of [`INPUT_COLUMNS`] in the reader's batch.
    inputs: [usize; 7],
}

#[derive(Debug, Clone, Copy)]
enum Output {
    Read(usize),
    Computed(EnrichColumn),
}

impl Enrichment {
    /// Plans a scan of the enriched table: returns the projection to read from the flow logs
    /// and, when the query asks for enrichment columns, the plan that adds them.
    pub fn plan(resolver: &Arc<Resolver>, projection: &[usize]) -> (Vec<usize>, Option<Self>) {
        let base = FLOWS_SCHEMA.fields().len();
        if projection.iter().all(|&i| i < base) {
            return (projection.to_vec(), None);
        }
        let mut read: Vec<usize> = projection.iter().copied().filter(|&i| i < base).collect();
        let mut inputs = [0; 7];
        for (slot, name) in inputs.iter_mut().zip(INPUT_COLUMNS) {
            let index = FLOWS_SCHEMA.index_of(name).unwrap_or(0);
            *slot = match read.iter().position(|&i| i == index) {
                Some(at) => at,
                None => {
                    read.push(index);
                    read.len() - 1
                }
            };
        }
        let mut next_read = 0;
        let outputs = projection
            .iter()
            .map(|&i| {
                if i < base {
                    next_read += 1;
                    Output::Read(next_read - 1)
                } else {
                    Output::Computed(ENRICH_COLUMNS[i - base].1)
                }
            })
            .collect();
        let plan = Self {
            resolver: Arc::clone(resolver),
            outputs,
            inputs,
        };
        (read, Some(plan))
    }

    /// Builds the output batch (`schema`) from a reader batch.
    pub fn apply(&self, batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let column = |i: usize| batch.column(self.inputs[i]);
        let src_ip = column(0)
            .as_fixed_size_binary_opt()
            .ok_or_else(|| internal("src_ip"))?;
        let dst_ip = column(1)
            .as_fixed_size_binary_opt()
            .ok_or_else(|| internal("dst_ip"))?;
        let vpc = column(2)
            .as_string_opt::<i32>()
            .ok_or_else(|| internal("vpc_id"))?;
        let eni = column(3)
            .as_string_opt::<i32>()
            .ok_or_else(|| internal("interface_id"))?;
        let start = column(4)
            .as_primitive_opt::<TimestampMillisecondType>()
            .ok_or_else(|| internal("start"))?;
        let src_service = column(5)
            .as_string_opt::<i32>()
            .ok_or_else(|| internal("pkt_src_aws_service"))?;
        let dst_service = column(6)
            .as_string_opt::<i32>()
            .ok_or_else(|| internal("pkt_dst_aws_service"))?;

        let computed: Vec<EnrichColumn> = self
            .outputs
            .iter()
            .filter_map(|o| match o {
                Output::Computed(c) => Some(*c),
                Output::Read(_) => None,
            })
            .collect();
        let mut builders: Vec<Builder> = computed
            .iter()
            .map(|c| match c.attribute {
                Attribute::IsInternal => Builder::Bool(BooleanBuilder::with_capacity(rows)),
                _ => Builder::Text(StringBuilder::with_capacity(rows, rows * 8)),
            })
            .collect();
        let needs_src = computed.iter().any(|c| c.source);
        let needs_dst = computed.iter().any(|c| !c.source);
        for row in 0..rows {
            let record_vpc = if vpc.is_null(row) {
                (!eni.is_null(row))
                    .then(|| self.resolver.by_eni(eni.value(row)))
                    .flatten()
                    .and_then(|a| a.vpc.as_deref())
            } else {
                Some(vpc.value(row))
            };
            let at = (!start.is_null(row)).then(|| start.value(row));
            let side = |ips: &FixedSizeBinaryArray,
                        services: &datafusion::arrow::array::StringArray| {
                if !services.is_null(row) {
                    return Side::Service(services.value(row).to_string());
                }
                match address(ips, row) {
                    Some(ip) => Side::Place(self.resolver.resolve(record_vpc, ip, at)),
                    None => Side::Unknown,
                }
            };
            let src = if needs_src {
                side(src_ip, src_service)
            } else {
                Side::Unknown
            };
            let dst = if needs_dst {
                side(dst_ip, dst_service)
            } else {
                Side::Unknown
            };
            for (builder, column) in builders.iter_mut().zip(&computed) {
                let side = if column.source { &src } else { &dst };
                builder.append(side, column.attribute);
            }
        }
        let mut computed_arrays = builders
            .into_iter()
            .map(Builder::finish)
            .collect::<Result<Vec<_>>>()?
            .into_iter();
        let arrays: Vec<ArrayRef> = self
            .outputs
            .iter()
            .map(|o| match o {
                Output::Read(i) => Arc::clone(batch.column(*i)),
                Output::Computed(_) => computed_arrays
                    .next()
                    .unwrap_or_else(|| Arc::new(datafusion::arrow::array::NullArray::new(rows))),
            })
            .collect();
        Ok(RecordBatch::try_new(Arc::clone(schema), arrays)?)
    }
}

fn internal(column: &str) -> DataFusionError {
    DataFusionError::Internal(format!(
        "enrichment input column {column} has an unexpected type"
    ))
}

/// The address in a 16-byte column, IPv4 unmapped.
fn address(column: &FixedSizeBinaryArray, row: usize) -> Option<IpAddr> {
    if column.is_null(row) {
        return None;
    }
    let bytes: [u8; 16] = column.value(row).try_into().ok()?;
    let v6 = Ipv6Addr::from(bytes);
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    })
}

enum Side<'a> {
    Place(Place<'a>),
    Service(String),
    Unknown,
}

enum Builder {
    Text(StringBuilder),
    /// Text as a dictionary (see [`TextDictionary`]).
    Dictionary(TextDictionary),
    Bool(BooleanBuilder),
}

impl Builder {
    fn append(&mut self, side: &Side<'_>, attribute: Attribute) {
        match self {
            Builder::Bool(b) => b.append_option(match side {
                Side::Place(p) => Some(p.is_internal()),
                Side::Service(_) => Some(false),
                Side::Unknown => None,
            }),
            Builder::Text(_) | Builder::Dictionary(_) => {
                self.append_text(side_text(side, attribute));
            }
        }
    }

    /// Appends a text value (a Boolean column takes none: it gets a null).
    fn append_text(&mut self, text: Option<&str>) {
        match self {
            Builder::Text(b) => b.append_option(text),
            Builder::Dictionary(b) => b.append(text),
            Builder::Bool(b) => b.append_null(),
        }
    }

    fn finish(self) -> Result<ArrayRef> {
        Ok(match self {
            Builder::Text(mut b) => Arc::new(b.finish()),
            Builder::Dictionary(b) => b.finish()?,
            Builder::Bool(mut b) => Arc::new(b.finish()),
        })
    }
}

/// The text of an attribute of one side.
fn side_text<'s>(side: &'s Side<'_>, attribute: Attribute) -> Option<&'s str> {
    match side {
        Side::Unknown => None,
        Side::Service(name) => match attribute {
            Attribute::Name => Some(name),
            Attribute::Kind => Some("aws-service"),
            _ => None,
        },
        Side::Place(place) => match (place, attribute) {
            (_, Attribute::Kind) => Some(place.kind_name()),
            (Place::Unassigned(vpc), Attribute::Vpc) => Some(vpc),
            (Place::Asset(a), attribute) => match attribute {
                Attribute::Name => Some(&a.name),
                Attribute::Instance => a.instance.as_deref(),
                Attribute::Eni => Some(&a.eni),
                Attribute::Group => Some(&a.peer_group),
                Attribute::Tier => a.tier.as_deref(),
                Attribute::Subnet => a.subnet.as_deref(),
                Attribute::Vpc => a.vpc.as_deref(),
                Attribute::Role => a.role.as_deref(),
                Attribute::Kind | Attribute::IsInternal => None,
            },
            _ => None,
        },
    }
}

/// A text column built as a dictionary (Int32 keys): aggregated rows name a few assets over
/// many rows, and 4.9 M connection rows held their 18 asset columns as 2 GiB of plain text.
struct TextDictionary {
    keys: Vec<Option<i32>>,
    ids: std::collections::HashMap<Box<str>, i32, foldhash::fast::RandomState>,
    values: StringBuilder,
    /// The value appended last and its key: rows in order often repeat the one before.
    last: Option<(String, i32)>,
}

impl TextDictionary {
    fn with_capacity(rows: usize) -> Self {
        Self {
            keys: Vec::with_capacity(rows),
            ids: std::collections::HashMap::default(),
            values: StringBuilder::new(),
            last: None,
        }
    }

    fn append(&mut self, text: Option<&str>) {
        let Some(text) = text else {
            self.keys.push(None);
            return;
        };
        if let Some((last, key)) = &self.last
            && last == text
        {
            self.keys.push(Some(*key));
            return;
        }
        let key = match self.ids.get(text) {
            Some(key) => *key,
            None => {
                // At most one value per row: a batch's rows fit in the keys.
                let key = self.ids.len() as i32;
                self.values.append_value(text);
                self.ids.insert(text.into(), key);
                key
            }
        };
        match &mut self.last {
            Some((last, last_key)) => {
                last.clear();
                last.push_str(text);
                *last_key = key;
            }
            None => self.last = Some((text.to_string(), key)),
        }
        self.keys.push(Some(key));
    }

    fn finish(mut self) -> Result<ArrayRef> {
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(self.keys),
            Arc::new(self.values.finish()),
        )?))
    }
}

/// Text values as a dictionary column (see [`TextDictionary`]).
pub(crate) fn text_dictionary<'a>(
    texts: impl ExactSizeIterator<Item = Option<&'a str>>,
) -> Result<ArrayRef> {
    let mut dictionary = TextDictionary::with_capacity(texts.len());
    for text in texts {
        dictionary.append(text);
    }
    dictionary.finish()
}

/// The type of the text columns [`side_columns`] builds.
pub(crate) fn side_text_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The asset columns of one side of already aggregated rows (`connections`), named
/// `{prefix}_name`, `{prefix}_kind`, ... `{prefix}_is_internal` as in `flows`. `vpcs[i]` is the
/// VPC row `i` was logged in (or none), `times[i]` its time. Without a resolver only `kind`
/// (`private` or `internet`) and `is_internal` (a private address) are known.
pub fn side_columns(
    resolver: Option<&Resolver>,
    prefix: &str,
    addresses: &FixedSizeBinaryArray,
    vpcs: &[Option<&str>],
    times: &[Option<i64>],
) -> Result<Vec<(Field, ArrayRef)>> {
    let rows = addresses.len();
    let mut builders: Vec<Builder> = ATTRIBUTES
        .iter()
        .map(|(_, attribute)| match attribute {
            Attribute::IsInternal => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            _ => Builder::Dictionary(TextDictionary::with_capacity(rows)),
        })
        .collect();
    for row in 0..rows {
        let side = match (address(addresses, row), resolver) {
            (Some(ip), Some(resolver)) => Side::Place(resolver.resolve(
                vpcs.get(row).copied().flatten(),
                ip,
                times.get(row).copied().flatten(),
            )),
            (Some(ip), None) if is_private(ip) => Side::Place(Place::Unassigned("")),
            (Some(_), None) => Side::Place(Place::Internet),
            (None, _) => Side::Unknown,
        };
        for (builder, (_, attribute)) in builders.iter_mut().zip(ATTRIBUTES.iter()) {
            if resolver.is_none() && *attribute == Attribute::Kind {
                // Without an inventory a private address is not known to be "unassigned",
                // only private.
                builder.append_text(match side {
                    Side::Place(Place::Unassigned(_)) => Some("private"),
                    Side::Place(Place::Internet) => Some("internet"),
                    _ => None,
                });
                continue;
            }
            if *attribute == Attribute::Group && matches!(side, Side::Place(Place::Internet)) {
                // Every internet address is one peer group for baselines: "the internet".
                builder.append_text(Some("internet"));
                continue;
            }
            if resolver.is_none() && *attribute == Attribute::Vpc {
                builder.append_text(None);
                continue;
            }
            builder.append(&side, *attribute);
        }
    }
    side_fields(prefix)
        .into_iter()
        .zip(builders)
        .map(|(field, builder)| Ok((field, builder.finish()?)))
        .collect()
}

/// The fields of the columns [`side_columns`] builds for `prefix`.
pub fn side_fields(prefix: &str) -> Vec<Field> {
    ATTRIBUTES
        .iter()
        .map(|(name, attribute)| {
            let kind = if *attribute == Attribute::IsInternal {
                DataType::Boolean
            } else {
                side_text_type()
            };
            Field::new(format!("{prefix}_{name}"), kind, true)
        })
        .collect()
}

/// RFC 1918, RFC 6598 (carrier-grade NAT) and IPv6 unique-local addresses: inside some private
/// network, which is all that can be said without an inventory.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

//! The event tables (`cloudtrail`, `dns`, `ssh`, `process`, `audit`): DataFusion tables over
//! the inputs the catalog filed under the kinds that feed them, read by each kind's source.
//!
//! Wherever a row names an address, an instance or a host, the table adds the inventory's asset
//! columns for it, `{prefix}_name`, `{prefix}_kind`, ... `{prefix}_is_internal`, as `flows` and
//! `connections` do (`src_*` for the address a call, query or login came from; `host_*` for the
//! host a log was written on; `session_*` for the instance whose role session made a
//! CloudTrail call; host columns also get `{prefix}_addr`, the address they resolved to). They
//! are computed only when a query asks for them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, FixedSizeBinaryBuilder, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef, TimestampMillisecondType};
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use eastwest_ingest::{
    EventSelection, Input, Opener, Report, Source, TableDef, TimeWindow, read_events,
};
use eastwest_inventory::Resolver;

use crate::enrich::{side_columns, side_fields};
use crate::flows::{EnrichFn, LogExec, ReadFn, assign};

/// How a column names something the inventory knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// An IP address.
    Address,
    /// A host: an instance id, an EC2 host name (`ip-10-0-1-5`), an address, or an asset name.
    Host,
}

/// A column of an event table that is named through the inventory, and the prefix of its
/// asset columns.
#[derive(Debug, Clone, Copy)]
struct Named {
    column: &'static str,
    prefix: &'static str,
    names: Names,
    /// The column holding the VPC the address was seen in, when the table has one.
    vpc: Option<&'static str>,
}

const fn named(column: &'static str, prefix: &'static str, names: Names) -> Named {
    Named {
        column,
        prefix,
        names,
        vpc: None,
    }
}

const CLOUDTRAIL_NAMED: [Named; 2] = [
    named("source_ip", "src", Names::Address),
    named("session_instance_id", "session", Names::Host),
];
const DNS_NAMED: [Named; 1] = [Named {
    column: "source_ip",
    prefix: "src",
    names: Names::Address,
    vpc: Some("vpc_id"),
}];
const SSH_NAMED: [Named; 2] = [
    named("host", "host", Names::Host),
    named("source_ip", "src", Names::Address),
];
const PROCESS_NAMED: [Named; 1] = [named("host", "host", Names::Host)];
const AUDIT_NAMED: [Named; 2] = [
    named("host", "host", Names::Host),
    named("address", "src", Names::Address),
];

/// Which columns of each table are named, by table name.
fn named_columns(table: &str) -> &'static [Named] {
    match table {
        "cloudtrail" => &CLOUDTRAIL_NAMED,
        "dns" => &DNS_NAMED,
        "ssh" => &SSH_NAMED,
        "process" => &PROCESS_NAMED,
        "audit" => &AUDIT_NAMED,
        _ => &[],
    }
}

/// An event table over the inputs of the kinds that feed it.
pub struct EventTable {
    table: &'static TableDef,
    source_kinds: Vec<Arc<dyn Source>>,
    inputs: Arc<Vec<Input>>,
    opener: Opener,
    window: TimeWindow,
    report: Arc<Report>,
    resolver: Option<Arc<Resolver>>,
    schema: SchemaRef,
    named: Vec<Named>,
}

impl fmt::Debug for EventTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventTable")
            .field("table", &self.table.name)
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

impl EventTable {
    /// The table `table` over `inputs`, each read by the source of its kind among `sources`;
    /// reads are accounted in `report`.
    pub fn new(
        table: &'static TableDef,
        sources: Vec<Arc<dyn Source>>,
        inputs: Vec<Input>,
        opener: Opener,
        window: TimeWindow,
        report: Arc<Report>,
        resolver: Option<Arc<Resolver>>,
    ) -> Self {
        let base = table.schema();
        let named: Vec<Named> = named_columns(table.name)
            .iter()
            .copied()
            .filter(|n| table.index(n.column).is_some())
            .collect();
        let mut fields: Vec<Field> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
        for n in &named {
            // The columns' names and types are those `side_columns` gives them.
            fields.extend(side_fields(n.prefix));
            if n.names == Names::Host {
                fields.push(host_address_field(n.prefix));
            }
        }
        Self {
            table,
            source_kinds: sources,
            inputs: Arc::new(inputs),
            opener,
            window,
            report,
            resolver,
            schema: Arc::new(Schema::new(fields)),
            named,
        }
    }
}

#[async_trait]
impl TableProvider for EventTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let projection = projection.cloned().unwrap_or(all);
        let out_schema = Arc::new(self.schema.project(&projection)?);
        let base = self.table.schema().fields().len();
        let computed = projection.iter().any(|&i| i >= base);
        // Read the projected table columns, plus what the asset columns are computed from.
        let mut read: Vec<usize> = projection.iter().copied().filter(|&i| i < base).collect();
        if computed {
            for n in &self.named {
                for column in std::iter::once(n.column).chain(n.vpc).chain(["time"]) {
                    if let Some(i) = self.table.index(column)
                        && !read.contains(&i)
                    {
                        read.push(i);
                    }
                }
            }
        }
        let selection = EventSelection {
            projection: read.clone(),
            since_ms: self.window.since_ms,
            until_ms: self.window.until_ms,
        };
        let table = self.table;
        let sources = self.source_kinds.clone();
        let opener = self.opener.clone();
        let reader: ReadFn = Arc::new(move |input, report, emit| {
            let source = sources
                .iter()
                .find(|s| Some(s.kind()) == input.kind)
                .or(sources.first());
            if let Some(source) = source {
                read_events(
                    input,
                    &opener,
                    source.as_ref(),
                    table,
                    &selection,
                    report,
                    emit,
                );
            }
        });
        let read_schema = Arc::new(self.table.schema().project(&read)?);
        let named = self.named.clone();
        let resolver = self.resolver.clone();
        let full = Arc::clone(&self.schema);
        let output = Arc::clone(&out_schema);
        let enrich: EnrichFn = Arc::new(move |batch: &RecordBatch| {
            assemble(
                batch,
                &read_schema,
                &projection,
                base,
                &full,
                &output,
                &named,
                resolver.as_deref(),
            )
        });
        let partitions = state
            .config()
            .target_partitions()
            .min(self.inputs.len())
            .max(1);
        Ok(Arc::new(LogExec::new(
            "EventExec",
            out_schema,
            assign(&self.inputs, partitions),
            reader,
            Arc::clone(&self.report),
            Some(enrich),
        )))
    }
}

/// The output batch: projected table columns from the read batch, asset columns computed.
#[allow(clippy::too_many_arguments)] // Reason: one call site; a struct would only rename them.
fn assemble(
    batch: &RecordBatch,
    read_schema: &SchemaRef,
    projection: &[usize],
    base: usize,
    full: &SchemaRef,
    output: &SchemaRef,
    named: &[Named],
    resolver: Option<&Resolver>,
) -> Result<RecordBatch> {
    let by_name = |name: &str| -> Option<ArrayRef> {
        read_schema
            .index_of(name)
            .ok()
            .map(|i| Arc::clone(batch.column(i)))
    };
    let mut computed: Vec<(Field, ArrayRef)> = Vec::new();
    if projection.iter().any(|&i| i >= base) {
        let rows = batch.num_rows();
        let times: Vec<Option<i64>> = match by_name("time") {
            Some(t) => {
                let t = t.as_primitive::<TimestampMillisecondType>();
                (0..rows)
                    .map(|r| (!t.is_null(r)).then(|| t.value(r)))
                    .collect()
            }
            None => vec![None; rows],
        };
        for n in named {
            let texts = by_name(n.column);
            let vpcs_array = n.vpc.and_then(by_name);
            let vpcs: Vec<Option<&str>> = (0..rows)
                .map(|r| {
                    vpcs_array
                        .as_ref()
                        .map(|a| a.as_string::<i32>())
                        .filter(|a| !a.is_null(r))
                        .map(|a| a.value(r))
                })
                .collect();
            let ips: Vec<Option<IpAddr>> = (0..rows)
                .map(|r| {
                    let text = texts
                        .as_ref()
                        .map(|a| a.as_string::<i32>())
                        .filter(|a| !a.is_null(r))
                        .map(|a| a.value(r))?;
                    match n.names {
                        Names::Address => text.parse().ok(),
                        Names::Host => host_address(text, resolver),
                    }
                })
                .collect();
            computed.extend(side_columns(
                resolver,
                n.prefix,
                &addresses(&ips),
                &vpcs,
                &times,
            )?);
            if n.names == Names::Host {
                let text: datafusion::arrow::array::StringArray =
                    ips.iter().map(|ip| ip.map(|ip| ip.to_string())).collect();
                computed.push((host_address_field(n.prefix), Arc::new(text)));
            }
        }
    }
    let mut columns = Vec::with_capacity(projection.len());
    for &i in projection {
        let name = full.field(i).name();
        let column = if i < base {
            by_name(name)
        } else {
            computed
                .iter()
                .find(|(field, _)| field.name() == name)
                .map(|(_, a)| Arc::clone(a))
        };
        match column {
            Some(column) => columns.push(column),
            None => {
                return Err(datafusion::error::DataFusionError::Internal(format!(
                    "column {name} was not built"
                )));
            }
        }
    }
    let options = datafusion::arrow::record_batch::RecordBatchOptions::new()
        .with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(output),
        columns,
        &options,
    )?)
}

/// `{prefix}_addr`: the address a host column resolved to (the host's private address), so
/// findings about a host can name it like findings about traffic.
fn host_address_field(prefix: &str) -> Field {
    Field::new(
        format!("{prefix}_addr"),
        datafusion::arrow::datatypes::DataType::Utf8,
        true,
    )
}

/// The address of a host named in a log: an instance id or asset name through the inventory,
/// an EC2 host name (`ip-10-40-16-11`, with or without a domain), or an address as written.
fn host_address(host: &str, resolver: Option<&Resolver>) -> Option<IpAddr> {
    if let Ok(ip) = host.parse() {
        return Some(ip);
    }
    if let Some(ip) = ec2_host_name_address(host) {
        return Some(IpAddr::V4(ip));
    }
    resolver?
        .find(host)
        .first()
        .and_then(|asset| asset.private_ips.first().copied())
}

/// The address EC2 builds its default host names from: `ip-10-40-16-11[.ec2.internal]`.
pub fn ec2_host_name_address(host: &str) -> Option<Ipv4Addr> {
    let label = host.split('.').next()?;
    let dotted = label.strip_prefix("ip-")?.replace('-', ".");
    dotted.parse().ok()
}

/// Addresses as the 16-byte values `side_columns` reads (IPv4 mapped into IPv6).
fn addresses(ips: &[Option<IpAddr>]) -> datafusion::arrow::array::FixedSizeBinaryArray {
    let mut builder = FixedSizeBinaryBuilder::with_capacity(ips.len(), 16);
    for ip in ips {
        let appended = match ip {
            Some(IpAddr::V4(v4)) => builder.append_value(v4.to_ipv6_mapped().octets()),
            Some(IpAddr::V6(v6)) => builder.append_value(v6.octets()),
            None => {
                builder.append_null();
                Ok(())
            }
        };
        // Sixteen bytes always fit a 16-byte column; a failure would be a bug, kept as null.
        if appended.is_err() {
            builder.append_null();
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_host_names_carry_their_address() {
        assert_eq!(
            ec2_host_name_address("ip-10-40-16-11"),
            Some(Ipv4Addr::new(10, 40, 16, 11))
        );
        assert_eq!(
            ec2_host_name_address("ip-10-0-1-5.ec2.internal"),
            Some(Ipv4Addr::new(10, 0, 1, 5))
        );
        assert_eq!(ec2_host_name_address("web-1"), None);
        assert_eq!(ec2_host_name_address("ip-10-0-1"), None);
    }
}

//! The `flows` table: a DataFusion table over flow-log inputs, read by the ingest crate.
//!
//! Scans push the projection down (only the asked-for columns are built) and spread the inputs
//! over the session's partitions, largest first, so both cores parse. Each partition reads on a
//! blocking thread and hands batches to DataFusion through a small channel, so memory stays
//! bounded by a few batches per partition whatever the input size.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use eastwest_ingest::input::path_time_span;
use eastwest_ingest::sources::flow::text::Emit;
use eastwest_ingest::sources::flow::{
    COLUMNS, ColumnSource, FIELDS, FieldType, Literal, RowSelection,
};
use eastwest_ingest::{
    FLOWS_SCHEMA, FlowContext, Input, Opener, ReadOptions, Report, TimeWindow, read_input,
};
use eastwest_inventory::Resolver;

use crate::enrich::{ENRICHED_SCHEMA, Enrichment};

/// Batches buffered per partition between the reader thread and DataFusion.
const CHANNEL_BATCHES: usize = 4;

/// The `flows` table over a fixed list of inputs.
#[derive(Clone)]
pub struct FlowTable {
    inputs: Arc<Vec<Input>>,
    opener: Opener,
    flow: FlowContext,
    window: TimeWindow,
    report: Arc<Report>,
    gaps: bool,
    resolver: Option<Arc<Resolver>>,
}

impl fmt::Debug for FlowTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowTable")
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

impl FlowTable {
    /// A table over `inputs`; reads are accounted in `report`.
    pub fn new(
        inputs: Vec<Input>,
        opener: Opener,
        flow: FlowContext,
        window: TimeWindow,
        report: Arc<Report>,
    ) -> Self {
        Self {
            inputs: Arc::new(inputs),
            opener,
            flow,
            window,
            report,
            gaps: false,
            resolver: None,
        }
    }

    /// Adds the enrichment columns (`src_name`, `dst_role`, ...; see [`crate::enrich`]),
    /// resolved through `resolver`.
    pub fn with_resolver(mut self, resolver: Arc<Resolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }
}

impl FlowTable {
    /// The same inputs as the `flow_gaps` table: the NODATA and SKIPDATA records (intervals in
    /// which an ENI logged nothing, or AWS dropped its records) as rows, with the `flows` columns.
    pub fn gaps(&self) -> Self {
        Self {
            gaps: true,
            ..self.clone()
        }
    }

    /// The same table for a second read of its inputs, accounted in a report of its own: what
    /// was read, skipped or malformed has been counted once by the first read, and a second
    /// read must not count it again.
    pub fn reread(&self) -> Self {
        Self {
            report: Arc::new(Report::new()),
            ..self.clone()
        }
    }
}

#[async_trait]
impl TableProvider for FlowTable {
    fn schema(&self) -> SchemaRef {
        match self.resolver {
            Some(_) => ENRICHED_SCHEMA.clone(),
            None => FLOWS_SCHEMA.clone(),
        }
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Inexact: the reader drops most rows that fail, DataFusion still checks every row, so
        // a condition the reader cannot judge exactly (a Parquet file, say) is never wrong.
        Ok(filters
            .iter()
            .map(|filter| {
                if equality(filter).is_some() {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table_schema = self.schema();
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..table_schema.fields().len()).collect(),
        };
        let schema = Arc::new(table_schema.project(&projection)?);
        let (read, enrichment) = match &self.resolver {
            Some(resolver) => Enrichment::plan(resolver, &projection),
            None => (projection, None),
        };
        let read_schema = Arc::new(FLOWS_SCHEMA.project(&read)?);
        let partitions = state
            .config()
            .target_partitions()
            .min(self.inputs.len())
            .max(1);
        let options = ReadOptions {
            selection: RowSelection {
                projection: read,
                since_ms: self.window.since_ms,
                until_ms: self.window.until_ms,
                equals: filters.iter().filter_map(equality).collect(),
                gaps: self.gaps,
            },
            schema: read_schema,
            flow: self.flow.clone(),
        };
        let opener = self.opener.clone();
        let reader: ReadFn = Arc::new(move |input, report, emit| {
            read_input(input, &opener, &options, report, emit);
        });
        let enrichment: Option<EnrichFn> = enrichment.map(|plan| {
            let schema = Arc::clone(&schema);
            Arc::new(move |batch: &RecordBatch| plan.apply(batch, &schema)) as EnrichFn
        });
        Ok(Arc::new(LogExec::new(
            "FlowExec",
            schema,
            assign(&self.inputs, partitions),
            reader,
            Arc::clone(&self.report),
            enrichment,
        )))
    }
}

/// `field = constant` (either way round) on a flow-log field, as the reader can test it on the
/// text before building a row. Text fields compare with strings, integer fields with integers;
/// anything else (times, casts, functions) is left to DataFusion.
fn equality(filter: &Expr) -> Option<(usize, Literal)> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = filter
    else {
        return None;
    };
    let (column, value) = match (left.as_ref(), right.as_ref()) {
        (Expr::Column(column), Expr::Literal(value, _))
        | (Expr::Literal(value, _), Expr::Column(column)) => (column, value),
        _ => return None,
    };
    let (_, ColumnSource::Field(id)) = COLUMNS.iter().find(|(name, _)| *name == column.name)?
    else {
        return None;
    };
    let literal = match (FIELDS[*id].kind, value) {
        (
            FieldType::Text | FieldType::Address,
            ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)),
        ) => Literal::Text(text.clone()),
        (FieldType::Int32, ScalarValue::Int32(Some(n))) => Literal::Int(i64::from(*n)),
        (FieldType::Int64, ScalarValue::Int64(Some(n))) => Literal::Int(*n),
        _ => return None,
    };
    Some((*id, literal))
}

/// Spreads inputs over partitions, largest first onto the least loaded (LPT scheduling).
pub fn assign(inputs: &[Input], partitions: usize) -> Vec<Vec<Input>> {
    let mut order: Vec<&Input> = inputs.iter().collect();
    order.sort_by_key(|input| std::cmp::Reverse(input.work_bytes()));
    let mut assigned: Vec<(u64, Vec<Input>)> = (0..partitions).map(|_| (0, Vec::new())).collect();
    for input in order {
        let size = input.work_bytes();
        if let Some(lightest) = assigned.iter_mut().min_by_key(|(load, _)| *load) {
            lightest.0 += size.max(1);
            lightest.1.push(input.clone());
        }
    }
    // Each partition reads in time order where paths carry times (S3 object names, dated
    // folders), else in name order, so rows come out in a stable order and every partition
    // moves through time at about the same pace: `connections` finishes each window once all
    // have passed it. Name order alone is not time order: S3 names sort by flow-log id before
    // the time, so a second flow log's day would come a whole day late.
    assigned
        .into_iter()
        .map(|(_, mut inputs)| {
            inputs.sort_by_cached_key(|i| {
                let part = (
                    i.chunk.as_ref().map(|c| c.start),
                    i.row_groups.as_ref().map(|g| g.first),
                );
                let time = path_time_span(&i.name).map(|(from, _)| from);
                (time.is_none(), time, Arc::clone(&i.name), part)
            });
            inputs
        })
        .collect()
}

/// Reads one input, sending batches to the emitter until it returns false.
pub type ReadFn = Arc<dyn Fn(&Input, &Report, &mut Emit<'_>) + Send + Sync>;

/// Adds computed columns to a batch as read (enrichment through the inventory).
pub type EnrichFn = Arc<dyn Fn(&RecordBatch) -> Result<RecordBatch> + Send + Sync>;

/// The physical scan of a log table (`flows`, `flow_gaps`, and each event table): its inputs
/// spread over partitions, each partition read on a blocking thread by `reader`.
pub struct LogExec {
    name: &'static str,
    schema: SchemaRef,
    partitions: Vec<Vec<Input>>,
    reader: ReadFn,
    report: Arc<Report>,
    properties: Arc<PlanProperties>,
    enrichment: Option<EnrichFn>,
}

impl fmt::Debug for LogExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field(
                "inputs",
                &self.partitions.iter().map(Vec::len).sum::<usize>(),
            )
            .finish()
    }
}

impl LogExec {
    /// A scan named `name` (in plan printouts) of `partitions`, producing `schema`.
    pub fn new(
        name: &'static str,
        schema: SchemaRef,
        partitions: Vec<Vec<Input>>,
        reader: ReadFn,
        report: Arc<Report>,
        enrichment: Option<EnrichFn>,
    ) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(partitions.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            name,
            schema,
            partitions,
            reader,
            report,
            properties: Arc::new(properties),
            enrichment,
        }
    }
}

impl DisplayAs for LogExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let inputs: usize = self.partitions.iter().map(Vec::len).sum();
        write!(
            f,
            "{}: inputs={inputs}, partitions={}",
            self.name,
            self.partitions.len()
        )
    }
}

impl ExecutionPlan for LogExec {
    fn name(&self) -> &str {
        self.name
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let inputs = self.partitions.get(partition).cloned().unwrap_or_default();
        let (sender, receiver) = tokio::sync::mpsc::channel(CHANNEL_BATCHES);
        let reader = Arc::clone(&self.reader);
        let report = Arc::clone(&self.report);
        let enrichment = self.enrichment.clone();
        tokio::task::spawn_blocking(move || {
            for input in &inputs {
                let mut wanted = true;
                let read = guarded(&input.name, &report, &sender, || {
                    let mut emit = |batch| {
                        // Enrichment runs here, on the reader's thread, so it is spread over
                        // the partitions like parsing is.
                        let batch = match &enrichment {
                            Some(enrich) => enrich(&batch),
                            None => Ok(batch),
                        };
                        wanted = sender.blocking_send(batch).is_ok();
                        wanted
                    };
                    reader(input, &report, &mut emit);
                });
                if !read || !wanted {
                    break;
                }
            }
        });
        let stream = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|batch| (batch, receiver))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }
}

/// Runs one input's reader. A panic in it (a bug: readers never panic on input by design) must
/// not end the partition's stream quietly, which would leave the query a partial result and
/// exit 0: the input is counted unreadable, the query gets an error, and false is returned so
/// the partition stops.
fn guarded(
    name: &str,
    report: &Report,
    sender: &tokio::sync::mpsc::Sender<Result<RecordBatch>>,
    read: impl FnOnce(),
) -> bool {
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) else {
        return true;
    };
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string());
    let mut tally = eastwest_ingest::report::InputTally::default();
    tally.unreadable(name, format!("the reader failed: {message}"));
    report.add(name, tally);
    let _ = sender.blocking_send(Err(DataFusionError::Execution(format!(
        "{name}: the reader failed ({message}); the result would be incomplete"
    ))));
    false
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn a_reader_that_panics_reaches_the_query_as_an_error_and_counts_unreadable() {
        let report = Report::new();
        let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
        assert!(guarded("good.log", &report, &sender, || {}));
        let went_on = guarded("bad.log", &report, &sender, || {
            panic!("index out of bounds")
        });
        assert!(!went_on);
        let sent = receiver.try_recv().expect("an error was sent");
        let error = sent.expect_err("an error, not a batch").to_string();
        assert!(
            error.contains("bad.log") && error.contains("index out of bounds"),
            "{error}"
        );
        assert_eq!(report.summary().files_unreadable, 1);
        assert!(report.problems().iter().any(|p| p.file == "bad.log"));
    }
}

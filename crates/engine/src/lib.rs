//! The analytics engine of eastwest: a DataFusion session with the log tables registered.
//!
//! It holds the `flows` table ([`flows::FlowTable`]) over the flow logs among any mix of inputs
//! (files, directories, `s3://` prefixes), the `flow_gaps` table of NODATA/SKIPDATA records over
//! the same inputs, the event tables of the other log kinds ([`events`]: `cloudtrail`, `dns`,
//! `ssh`, `process`, `audit`), the `connections` table built from `flows` in one pass ([`connections`]), and
//! the address functions of [`udf`]. Detectors run their plans on the same session; the
//! distributed engine will register the same tables.
#![deny(missing_docs)]

pub mod after;
pub mod assets;
pub mod connections;
pub mod enrich;
pub mod events;
pub mod flows;
pub mod udf;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::execution::config::SessionConfig;
use datafusion::prelude::SessionContext;
use eastwest_ingest::input::list_local;
use eastwest_ingest::plan::{CHUNK_BYTES, plan_chunks};
use eastwest_ingest::{Catalog, FlowContext, Input, Opener, Registry, Report, TimeWindow};
use eastwest_inventory::Resolver;
use eastwest_model::LogKind;

/// What went wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A query failed to plan or run.
    #[error(transparent)]
    Query(#[from] datafusion::error::DataFusionError),
}

/// How to read flow logs.
#[derive(Debug, Clone, Default)]
pub struct FlowOptions {
    /// Formats for inputs without header lines.
    pub flow: FlowContext,
    /// Records (and dated paths) to keep.
    pub window: TimeWindow,
    /// The estate's assets: adds the enrichment columns to `flows` and registers the `assets`
    /// table.
    pub resolver: Option<Arc<Resolver>>,
    /// Inputs (name and size) an earlier run already read: not read again, so that re-runs
    /// over overlapping inputs count nothing twice (`detect --state` keeps this ledger).
    pub already_read: Option<Arc<std::collections::HashSet<(String, u64)>>>,
    /// The AWS layer `s3://` inputs are read through (credentials, endpoint, retries); None:
    /// the default configuration chain.
    pub aws: Option<eastwest_ingest::s3::AwsContext>,
}

/// A DataFusion session with eastwest's tables and functions.
pub struct Engine {
    context: SessionContext,
    /// The inputs the last `register_logs` recognised, by kind, and how many it skipped as
    /// already read.
    listed: std::sync::Mutex<(Catalog, u64)>,
}

/// The memory limit when none is given: half the machine's memory (from `/proc/meminfo`), at
/// least 256 MiB; 4 GiB where the machine's memory is unknown.
pub fn default_memory_limit() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    match total_kib {
        Some(kib) => usize::try_from(kib.saturating_mul(1024) / 2)
            .unwrap_or(usize::MAX)
            .max(256 << 20),
        None => 4 << 30,
    }
}

impl Engine {
    /// A session that runs on `threads` partitions (0: one per core), with the default memory
    /// limit ([`default_memory_limit`]).
    pub fn new(threads: usize) -> Self {
        Self::with_memory_limit(threads, None)
    }

    /// A session that runs on `threads` partitions and holds at most `limit` bytes (None: the
    /// default) in the operators that account for memory: sorts, aggregations and joins spill
    /// to the temporary directory past their share, and an operator that cannot spill fails
    /// with "Resources exhausted" instead of the process running out of memory.
    pub fn with_memory_limit(threads: usize, limit: Option<usize>) -> Self {
        let mut config = SessionConfig::new().with_information_schema(true);
        if threads > 0 {
            config = config.with_target_partitions(threads);
        }
        let limit = limit.unwrap_or_else(default_memory_limit);
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(
                datafusion::execution::memory_pool::FairSpillPool::new(limit),
            ))
            .build_arc();
        let context = match runtime {
            Ok(runtime) => SessionContext::new_with_config_rt(config, runtime),
            // Building the runtime only fails on a bad temporary directory: run unbounded
            // rather than not at all.
            Err(e) => {
                tracing::warn!("no memory limit: {e}");
                SessionContext::new_with_config(config)
            }
        };
        for function in udf::address_functions() {
            context.register_udf(function);
        }
        context.register_udf(connections::orientation_function());
        Self {
            context,
            listed: std::sync::Mutex::new((Catalog::default(), 0)),
        }
    }

    /// The DataFusion session, for DataFrame plans.
    pub fn context(&self) -> &SessionContext {
        &self.context
    }

    /// Lists `inputs` (paths or `s3://` URLs) once, recognises every file from its first bytes
    /// ([`Catalog`]), and registers a table per log kind over its files: `flows` and `flow_gaps`
    /// over the flow logs, and each event table (`cloudtrail`, `dns`, `ssh`, `process`, `audit`)
    /// over the files of the kinds that feed it. Inputs that cannot be listed or recognised are
    /// reported in the returned report, which also accounts for every read the tables' scans
    /// make.
    pub async fn register_logs(
        &self,
        inputs: &[String],
        options: FlowOptions,
    ) -> Result<Arc<Report>, EngineError> {
        let report = Arc::new(Report::new());
        let (mut files, opener) = resolve(inputs, &options, &report).await;
        let before = files.len() as u64;
        if let Some(read) = &options.already_read {
            files.retain(|f| !read.contains(&(f.name.to_string(), f.size)));
        }
        let skipped = before - files.len() as u64;
        let registry = Registry::new(&options.flow);
        let catalog = {
            let (opener, registry, report) =
                (opener.clone(), registry.clone(), Arc::clone(&report));
            // Recognition blocks on reads (and, for S3, on the runtime): off the async threads.
            tokio::task::spawn_blocking(move || Catalog::build(files, &opener, &registry, &report))
                .await
                .map_err(|e| {
                    EngineError::Query(datafusion::error::DataFusionError::Execution(format!(
                        "recognising the inputs failed: {e}"
                    )))
                })?
        };
        if let Ok(mut listed) = self.listed.lock() {
            *listed = (catalog.clone(), skipped);
        }
        let flow_files: Vec<Input> = catalog
            .files_of(&[LogKind::FlowText, LogKind::FlowParquet])
            .into_iter()
            .flat_map(|input| plan_chunks(input, &options.flow, CHUNK_BYTES))
            .collect();
        let bytes: u64 = flow_files.iter().map(Input::work_bytes).sum::<u64>()
            + catalog
                .all()
                .filter(|i| !matches!(i.kind, Some(LogKind::FlowText | LogKind::FlowParquet)))
                .map(Input::work_bytes)
                .sum::<u64>();
        report.set_bytes_total(bytes);
        tracing::info!(
            kinds = ?catalog.counts(),
            bytes,
            pruned = report.summary().files_pruned,
            "Inputs listed and recognised."
        );
        let mut table = flows::FlowTable::new(
            flow_files,
            opener.clone(),
            options.flow,
            options.window,
            Arc::clone(&report),
        );
        if let Some(resolver) = &options.resolver {
            table = table.with_resolver(Arc::clone(resolver));
            self.register_assets(resolver)?;
        }
        self.context.deregister_table("flow_gaps")?;
        self.context.deregister_table("flows")?;
        self.context
            .register_table("flow_gaps", Arc::new(table.gaps()))?;
        self.context.register_table("flows", Arc::new(table))?;
        for (def, kinds) in registry.tables() {
            let sources = kinds
                .iter()
                .filter_map(|kind| registry.source(*kind).cloned())
                .collect();
            let table = events::EventTable::new(
                def,
                sources,
                catalog.files_of(&kinds),
                opener.clone(),
                options.window,
                Arc::clone(&report),
                options.resolver.clone(),
            );
            self.context.deregister_table(def.name)?;
            self.context.register_table(def.name, Arc::new(table))?;
        }
        Ok(report)
    }

    /// The inputs of `kinds` the last [`Engine::register_logs`] recognised (name and size), and
    /// how many inputs of any kind it left out as already read. A caller that keeps a ledger of
    /// what it consumed asks for the kinds it reads, so files of other kinds are not marked
    /// read before anything read them.
    pub fn listed(&self, kinds: &[LogKind]) -> (Vec<(String, u64)>, u64) {
        self.listed
            .lock()
            .map(|l| {
                let files =
                    l.0.files_of(kinds)
                        .into_iter()
                        .map(|f| (f.name.to_string(), f.size))
                        .collect();
                (files, l.1)
            })
            .unwrap_or_default()
    }

    /// Registers the `assets` table: one row per network interface of the inventory.
    pub fn register_assets(&self, resolver: &Resolver) -> Result<(), EngineError> {
        let batch = assets::batch(resolver.assets())?;
        let table = datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        self.context.deregister_table("assets")?;
        self.context.register_table("assets", Arc::new(table))?;
        Ok(())
    }

    /// Reads `flows` once and builds the `connections` rows (see [`connections`]): deduplicated,
    /// oriented, aggregated per `window_ms`, both sides named through `resolver` when given.
    pub async fn build_connections(
        &self,
        window_ms: i64,
        resolver: Option<&Resolver>,
    ) -> Result<Vec<RecordBatch>, EngineError> {
        // No traffic still makes a table with the columns, so detectors run and find nothing.
        let batches = connections::fold::build(&self.context, window_ms).await?;
        let threads = self.context.state().config().target_partitions();
        let enriched = connections::enrich(&batches, resolver, threads)?;
        tracing::debug!("Connections enriched.");
        Ok(enriched)
    }

    /// The `connections` rows before enrichment as [`connections::aggregation_sql`] computes
    /// them: slower than [`Engine::build_connections`]'s fold, and its specification.
    pub async fn connections_by_sql(
        &self,
        window_ms: i64,
    ) -> Result<Vec<RecordBatch>, EngineError> {
        self.collect_table(&connections::aggregation_sql(window_ms))
            .await
    }

    /// The `connections` rows before enrichment, as [`Engine::build_connections`] folds them,
    /// and how the fold went.
    pub async fn connections_folded(
        &self,
        window_ms: i64,
    ) -> Result<(Vec<RecordBatch>, connections::fold::FoldStats), EngineError> {
        Ok(connections::fold::build_counted(&self.context, window_ms).await?)
    }

    /// Runs a query for a table's rows: its non-empty batches, or one empty batch with the
    /// result's columns when there are no rows (so the table can still be registered).
    pub async fn collect_table(&self, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
        Ok(collect_rows(&self.context, sql).await?)
    }

    /// Registers `batches` (from [`Engine::build_connections`], or loaded back) as the table
    /// `connections`, replacing an earlier one.
    pub fn register_connections(&self, batches: Vec<RecordBatch>) -> Result<(), EngineError> {
        self.register_batches("connections", batches)
    }

    /// Registers in-memory batches as a table `name`, replacing an earlier one. Batches of no
    /// rows still give the table its columns when they carry a schema.
    pub fn register_batches(
        &self,
        name: &str,
        batches: Vec<RecordBatch>,
    ) -> Result<(), EngineError> {
        let Some(schema) = batches.first().map(RecordBatch::schema) else {
            return Err(EngineError::Query(
                datafusion::error::DataFusionError::Plan(format!(
                    "table {name}: no batches, so no columns to register"
                )),
            ));
        };
        let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])?;
        self.context.deregister_table(name)?;
        self.context.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Plans a SQL query.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, EngineError> {
        Ok(self.context.sql(sql).await?)
    }
}

/// [`Engine::collect_table`] in `context`: the non-empty batches of `sql`'s result, or one
/// empty batch with its columns.
pub(crate) async fn collect_rows(
    context: &SessionContext,
    sql: &str,
) -> datafusion::error::Result<Vec<RecordBatch>> {
    let frame = context.sql(sql).await?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let mut batches = frame.collect().await?;
    batches.retain(|b| b.num_rows() > 0);
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// `f` over `items` on up to `threads` threads, each taking the next item not yet taken; the
/// results in the items' order. A thread that panicked fails the whole with "`what` failed".
pub(crate) fn map_on_threads<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    what: &str,
    f: impl Fn(&T) -> R + Sync,
) -> datafusion::error::Result<Vec<R>> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return Ok(items.iter().map(f).collect());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(at) else {
                return done;
            };
            done.push((at, f(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().map_err(|_| {
                    datafusion::error::DataFusionError::Execution(format!("{what} failed"))
                })
            })
            .collect::<datafusion::error::Result<Vec<_>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    done.sort_unstable_by_key(|(at, _)| *at);
    Ok(done.into_iter().map(|(_, result)| result).collect())
}

/// Expands inputs into files; one that cannot be listed is reported and the others go on.
async fn resolve(
    inputs: &[String],
    options: &FlowOptions,
    report: &Report,
) -> (Vec<Input>, Opener) {
    let mut files = Vec::new();
    let mut opener = Opener::local();
    let mut s3 = None;
    for input in inputs {
        let listed = if input.starts_with("s3://") {
            let store = match &s3 {
                Some(store) => store,
                None => {
                    let aws = match &options.aws {
                        Some(aws) => aws.clone(),
                        None => eastwest_ingest::s3::AwsContext::load(Default::default()).await,
                    };
                    s3.insert(eastwest_ingest::s3::S3Store::new(&aws))
                }
            };
            opener = Opener::with_s3(store.clone());
            store.list(input, &options.window).await
        } else {
            list_local(Path::new(input), &options.window)
        };
        match listed {
            Ok((found, pruned)) => {
                report.add_pruned(pruned);
                files.extend(found);
            }
            Err(e) => {
                let mut tally = eastwest_ingest::report::InputTally::default();
                tally.unreadable(input, format!("cannot list: {e}"));
                report.add(input, tally);
            }
        }
    }
    (files, opener)
}

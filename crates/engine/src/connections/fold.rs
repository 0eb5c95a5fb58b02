//! The streaming aggregation that builds `connections`: the flow records folded into one entry
//! per window, protocol, client, server and server port as they are read, each entry holding
//! a sum per logging ENI.
//!
//! It computes what [`aggregation_sql`](super::aggregation_sql) says, which stays the
//! specification (a test compares the two on every scenario of the simulator and on the
//! samples). The SQL runs two hash aggregations over every record, one of them with a
//! `count(DISTINCT ...)` and two ordered `first_value`s, and held about 800 MiB at 5 M
//! records; the fold reads each record once and keeps one entry per connection with its ENIs
//! inline, and computes what depends on the combined values (attempts, answered, failed, the
//! ENI list) as it makes the rows. "The table's order" below is the specification's (window,
//! client, server, server port, protocol): each fold's rows are in it, and the folds' rows
//! follow one another.
//!
//! Logs are read roughly in time order (S3 object names and a file's lines are), so a window
//! is finished as the reading passes it: once every scan partition has read records an hour
//! past its end, its entries become rows and are freed. The entries held are then a few
//! windows' worth, not the whole input's (at 100 M records over a day, 2.6 GiB of entries
//! were held to the end; now about 0.9 M of the 4.9 M connections at most). A record that
//! comes after its window was finished is not lost and not approximated (a per-ENI count of
//! distinct client ports cannot be merged from finished rows): the windows that had one are
//! read and folded again, whole, in a second pass, which logs out of order cost and ordered
//! ones do not.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, FixedSizeBinaryBuilder, Int32Array,
    Int64Array, RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{
    DataType, Int32Type, Int64Type, TimestampMillisecondType, UInt64Type,
};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::{client_is_source, utf8_column};

/// The columns the fold reads from a flows table.
fn scan_sql(table: &str) -> String {
    format!(
        "SELECT start, \"end\", protocol, interface_id, vpc_id, action, tcp_flags, packets, \
         bytes, source_file, source_line, src_ip, dst_ip, srcport, dstport FROM {table}"
    )
}

/// The name `flows` is read again under by the second pass.
const REREAD_TABLE: &str = "eastwest_flows_reread";

/// How long past a window's end its records may still be read: S3 delivers a flow log's
/// records within minutes of their interval, and an hour (or the window, if longer) leaves
/// room for delays and for the scan partitions reading at different paces. A record later
/// than that is still counted exactly (see the module's doc).
const LATENESS_MS: i64 = 3_600_000;

/// Past this many distinct client ports an entry keeps them in a hash set instead of a sorted
/// vector (insertion into a sorted vector moves up to this many ports).
const PORTS_INLINE: usize = 128;

/// The hash that assigns connections to shards: fixed, and apart from the tables' own (random)
/// hashes, so that each shard's table still spreads its keys over all its buckets.
static SHARDING: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);

/// Rows of each batch the folds emit.
const ROWS_PER_BATCH: usize = 8192;

/// Memory is reserved from the session's pool in steps of this many bytes.
const RESERVE_STEP: usize = 8 << 20;

/// What a build of `connections` did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FoldStats {
    /// Connections (rows) built.
    pub connections: usize,
    /// Windows finished while the logs were read, before the end.
    pub finished_early: usize,
    /// Windows that had records after they were finished, and were folded again.
    pub refolded: usize,
    /// The records that came after their window was finished.
    pub late_records: u64,
    /// The most connections the folds held at once, summed over folds.
    pub most_held: usize,
}

/// Builds the `connections` rows (before enrichment) from `flows` in `context`. See
/// [`build_counted`].
pub async fn build(context: &SessionContext, window_ms: i64) -> Result<Vec<RecordBatch>> {
    Ok(build_counted(context, window_ms).await?.0)
}

/// Builds the `connections` rows as [`build`] does, and says how (see [`FoldStats`]).
///
/// The scan's partitions parse in parallel and key each record once; each of as many folds as
/// there are partitions gets the records whose connection key hashes to it. Folds of the
/// partitions' own records would each hold nearly every connection (an hour's connections are
/// in all of its files) and then have to be merged: sharded by key, the connections are held
/// once and the folds' rows are disjoint. Memory is reserved from the session's pool as
/// entries and rows grow, so `--memory-limit` bounds this step like the others.
pub async fn build_counted(
    context: &SessionContext,
    window_ms: i64,
) -> Result<(Vec<RecordBatch>, FoldStats)> {
    let window_ms = window_ms.max(1_000);
    let first = fold_pass(context, "flows", window_ms, None).await?;
    let mut stats = FoldStats::default();
    let mut late = BTreeSet::new();
    for fold in &first {
        stats.most_held += fold.most_held;
        if let Some(closing) = &fold.closing {
            stats.finished_early += closing.finished;
            stats.late_records += closing.late_records;
            late.extend(closing.late.iter().copied());
        }
    }
    stats.refolded = late.len();
    let mut partitions = ordered(first, &late)?;
    if !late.is_empty() {
        tracing::warn!(
            windows = late.len(),
            records = stats.late_records,
            "Flow records came after their window was finished (the logs are out of time \
             order); those windows are read and folded again."
        );
        let flows = context.table_provider("flows").await?;
        let again: Arc<dyn datafusion::catalog::TableProvider> =
            match flows.downcast_ref::<crate::flows::FlowTable>() {
                Some(table) => Arc::new(table.reread()),
                None => flows,
            };
        context.deregister_table(REREAD_TABLE)?;
        context.register_table(REREAD_TABLE, again)?;
        let second = fold_pass(context, REREAD_TABLE, window_ms, Some(Arc::new(late))).await;
        context.deregister_table(REREAD_TABLE)?;
        let second = second?;
        stats.most_held = stats
            .most_held
            .max(second.iter().map(|f| f.most_held).sum());
        partitions.extend(ordered(second, &BTreeSet::new())?);
    }
    stats.connections = partitions.iter().flatten().map(RecordBatch::num_rows).sum();
    tracing::info!(
        connections = stats.connections,
        finished_early = stats.finished_early,
        refolded = stats.refolded,
        most_held = stats.most_held,
        "Flows folded into connections."
    );
    // Each fold's rows are in the table's order; the folds' rows follow one another (a
    // merge into one order would copy every row once more, and nothing reads the table in its
    // stored order: queries order what they need).
    let mut rows: Vec<RecordBatch> = partitions.into_iter().flatten().collect();
    if rows.iter().any(|b| b.num_rows() > 0) {
        rows.retain(|b| b.num_rows() > 0);
    } else {
        rows.truncate(1);
    }
    Ok((rows, stats))
}

/// One read of `table` folded: the first pass (`only` None) finishes windows as the reading
/// passes them; a second pass folds only the windows in `only`, and finishes them at the end.
async fn fold_pass(
    context: &SessionContext,
    table: &str,
    window_ms: i64,
    only: Option<Arc<BTreeSet<i64>>>,
) -> Result<Vec<Fold>> {
    let frame = context.sql(&scan_sql(table)).await?;
    let streams = frame.execute_stream_partitioned().await?;
    let shards = streams.len().max(1);
    let pool = Arc::clone(&context.runtime_env().memory_pool);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..shards)
        .map(|_| tokio::sync::mpsc::channel::<Piece>(4))
        .unzip();
    let readers: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(from, stream)| {
            let reader = Reader {
                folds: senders.clone(),
                window_ms,
                from,
                only: only.clone(),
            };
            tokio::spawn(reader.send_all(stream))
        })
        .collect();
    drop(senders);
    let folds: Vec<_> = receivers
        .into_iter()
        .enumerate()
        .map(|(shard, pieces)| {
            let reservation =
                MemoryConsumer::new(format!("connections fold[{shard}]")).register(&pool);
            let closing = only.is_none().then(|| Closing::new(shards, window_ms));
            let fold = Fold::new(Some(reservation), closing);
            tokio::spawn(fold_all(fold, pieces))
        })
        .collect();
    let failed = |e: tokio::task::JoinError| {
        DataFusionError::Execution(format!("connections: a fold failed: {e}"))
    };
    let mut done = Vec::with_capacity(shards);
    for fold in folds {
        done.push(fold.await.map_err(failed)?);
    }
    // A fold's error first (a reader stops quietly when a fold has gone), then a reader's.
    let done = done.into_iter().collect::<Result<Vec<Fold>>>()?;
    for reader in readers {
        reader.await.map_err(failed)??;
    }
    Ok(done)
}

/// Each fold's rows in the table's order, without the windows in `drop`. The folds order
/// their unfinished windows on a thread each, and are freed on a thread of their own (freeing
/// millions of entries takes seconds, while the rows go on).
fn ordered(folds: Vec<Fold>, drop: &BTreeSet<i64>) -> Result<Vec<Vec<RecordBatch>>> {
    let partitions = crate::map_on_threads(
        &folds,
        folds.len(),
        "connections: ordering the rows",
        |fold| fold.finish(drop),
    )?
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    std::thread::spawn(move || std::mem::drop(folds));
    Ok(partitions)
}

/// What a scan partition sends each fold.
enum Piece {
    /// A scanned batch from partition `from`, the rows of it whose connections the fold holds
    /// (row, key, whether the source is the client), and the earliest start in the batch.
    Rows {
        batch: Arc<RecordBatch>,
        rows: Vec<(u32, Key, bool)>,
        from: usize,
        earliest: Option<i64>,
    },
    /// Partition `from` has read everything.
    Done(usize),
}

/// A scan partition's side: keys its records and sends them to their folds.
struct Reader {
    folds: Vec<tokio::sync::mpsc::Sender<Piece>>,
    window_ms: i64,
    /// The partition's number.
    from: usize,
    /// The only windows wanted (a second pass), or all.
    only: Option<Arc<BTreeSet<i64>>>,
}

impl Reader {
    /// Keys each record of the partition's batches once, on the partition's own task, and sends
    /// every fold the rows of its connections (each fold keying every record and skipping the
    /// ones not its own made the work of keying grow with the number of folds: two threads
    /// folded slower than one), then says the partition is done. Stops at the first error
    /// (returned), or quietly when a fold has stopped (it reports why).
    async fn send_all(self, mut stream: SendableRecordBatchStream) -> Result<()> {
        let folds = &self.folds;
        while let Some(batch) = stream.next().await {
            let batch = Arc::new(batch?);
            let mut rows: Vec<Vec<(u32, Key, bool)>> = vec![Vec::new(); folds.len()];
            let expected = batch.num_rows() / folds.len() + 1;
            for shard in &mut rows {
                shard.reserve(expected);
            }
            let c = Columns::of(&batch)?;
            let mut earliest: Option<i64> = None;
            for i in 0..batch.num_rows() {
                let Some((key, fwd)) = c.key(i, self.window_ms)? else {
                    continue;
                };
                let start = c.start.value(i);
                earliest = Some(earliest.map_or(start, |e| e.min(start)));
                if let Some(only) = &self.only
                    && !only.contains(&key.window)
                {
                    continue;
                }
                let shard = if folds.len() > 1 {
                    SHARDING.hash_one(key) as usize % folds.len()
                } else {
                    0
                };
                // Batches hold at most a few thousand rows: the index fits.
                rows[shard].push((i as u32, key, fwd));
            }
            for (fold, rows) in folds.iter().zip(rows) {
                let piece = Piece::Rows {
                    batch: Arc::clone(&batch),
                    rows,
                    from: self.from,
                    earliest,
                };
                if fold.send(piece).await.is_err() {
                    return Ok(());
                }
            }
        }
        for fold in folds {
            if fold.send(Piece::Done(self.from)).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
}

async fn fold_all(mut fold: Fold, mut pieces: tokio::sync::mpsc::Receiver<Piece>) -> Result<Fold> {
    while let Some(piece) = pieces.recv().await {
        match piece {
            Piece::Rows {
                batch,
                rows,
                from,
                earliest,
            } => {
                fold.add(&batch, &rows)?;
                fold.advance(from, earliest, false)?;
            }
            Piece::Done(from) => fold.advance(from, None, true)?,
        }
    }
    Ok(fold)
}

/// The finishing of windows while the logs are read (the first pass).
struct Closing {
    window_ms: i64,
    /// Per scan partition: the latest of its batches' earliest starts, and whether it is done.
    progress: Vec<(Option<i64>, bool)>,
    /// The latest window finished: a record of it or of an earlier one is late.
    frontier: Option<i64>,
    /// Windows that had a late record, and how many late records there were.
    late: BTreeSet<i64>,
    late_records: u64,
    /// Windows finished.
    finished: usize,
}

impl Closing {
    fn new(partitions: usize, window_ms: i64) -> Self {
        Self {
            window_ms,
            progress: vec![(None, false); partitions],
            frontier: None,
            late: BTreeSet::new(),
            late_records: 0,
            finished: 0,
        }
    }

    /// Whether a record of `window` comes after its window was finished (and notes it if so).
    fn late(&mut self, window: i64) -> bool {
        let late = self.frontier.is_some_and(|f| window <= f);
        if late {
            self.late.insert(window);
            self.late_records += 1;
        }
        late
    }

    /// Notes partition `from`'s progress; returns the start of the latest window that is now
    /// finished (it and every earlier one), if any. A partition not yet started holds every
    /// window open; a done one holds none (the end finishes what is left).
    fn advance(&mut self, from: usize, earliest: Option<i64>, done: bool) -> Option<i64> {
        if let Some(progress) = self.progress.get_mut(from) {
            progress.0 = max_option(progress.0, earliest);
            progress.1 |= done;
        }
        let mut reached: Option<i64> = None;
        for &(latest, done) in &self.progress {
            if done {
                continue;
            }
            let latest = latest?;
            reached = Some(reached.map_or(latest, |r| r.min(latest)));
        }
        let reached = reached?;
        Some(reached.saturating_sub(self.window_ms + self.window_ms.max(LATENESS_MS)))
    }
}

/// What identifies a connection: window, protocol, client, server, server port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    window: i64,
    protocol: Option<i32>,
    client: [u8; 16],
    server: [u8; 16],
    port: Option<i32>,
}

/// Distinct client ports: a sorted vector while small, a set past [`PORTS_INLINE`].
#[derive(Debug, Default)]
enum Ports {
    #[default]
    None,
    Few(Vec<i32>),
    #[allow(
        clippy::box_collection,
        reason = "boxed, the set is 8 bytes in every entry instead of 40; most have none"
    )]
    Many(Box<std::collections::HashSet<i32, foldhash::fast::RandomState>>),
}

impl Ports {
    /// Adds a port; returns the bytes this added to the heap, roughly.
    fn insert(&mut self, port: i32) -> usize {
        match self {
            Ports::None => {
                *self = Ports::Few(vec![port]);
                4 * 4
            }
            Ports::Few(ports) => match ports.binary_search(&port) {
                Ok(_) => 0,
                Err(at) if ports.len() < PORTS_INLINE => {
                    let before = ports.capacity();
                    ports.insert(at, port);
                    4 * (ports.capacity() - before)
                }
                Err(_) => {
                    let mut set: std::collections::HashSet<i32, foldhash::fast::RandomState> =
                        ports.iter().copied().collect();
                    set.insert(port);
                    let bytes = 8 * set.capacity();
                    *self = Ports::Many(Box::new(set));
                    bytes
                }
            },
            Ports::Many(set) => {
                let before = set.capacity();
                set.insert(port);
                8 * (set.capacity() - before)
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Ports::None => 0,
            Ports::Few(ports) => ports.len(),
            Ports::Many(set) => set.len(),
        }
    }
}

/// The larger of two nullable values, nulls ignored (SQL's `max`).
fn max_option<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Indexes into [`PerEni::volumes`].
const PACKETS_OUT: usize = 0;
const BYTES_OUT: usize = 1;
const PACKETS_IN: usize = 2;
const BYTES_IN: usize = 3;
/// Bits of [`PerEni::valid`] after the four volumes'.
const LAST_VALID: u8 = 1 << 4;
const FLAGGED: u8 = 1 << 5;

/// The sums over one logging ENI's records of a connection (the `per_eni` step of the SQL).
/// Kept small (about 130 bytes), because there are one or two per connection: counts are
/// 32-bit (saturating), and nullable values are a value and a bit of `valid`.
#[derive(Debug)]
struct PerEni {
    eni: Option<u32>,
    vpc: Option<u32>,
    ports: Ports,
    syn: u32,
    syn_ack: u32,
    rst: u32,
    rejected: u32,
    accepted: u32,
    /// The earliest record's file (by start, line, file: the evidence a finding cites); its
    /// start is `first`.
    file: u32,
    /// Bits 0 to 3: the volume of that index is not null (SQL's `sum` is null until a value is
    /// added); [`LAST_VALID`]; [`FLAGGED`] (a record had TCP flags).
    valid: u8,
    /// Packets and bytes each way, wrapping like DataFusion's `sum`.
    volumes: [i64; 4],
    first: i64,
    last: i64,
    line: u64,
}

impl PerEni {
    fn new(eni: Option<u32>, start: i64, line: u64, file: u32) -> Self {
        Self {
            eni,
            vpc: None,
            ports: Ports::None,
            syn: 0,
            syn_ack: 0,
            rst: 0,
            rejected: 0,
            accepted: 0,
            file,
            valid: 0,
            volumes: [0; 4],
            first: start,
            last: 0,
            line,
        }
    }

    fn add_volume(&mut self, at: usize, value: Option<i64>) {
        if let Some(v) = value {
            self.volumes[at] = self.volumes[at].wrapping_add(v);
            self.valid |= 1 << at;
        }
    }

    fn volume(&self, at: usize) -> Option<i64> {
        (self.valid & (1 << at) != 0).then_some(self.volumes[at])
    }

    fn last(&self) -> Option<i64> {
        (self.valid & LAST_VALID != 0).then_some(self.last)
    }

    fn add_last(&mut self, end: Option<i64>) {
        if let Some(end) = max_option(self.last(), end) {
            self.last = end;
            self.valid |= LAST_VALID;
        }
    }

    /// The sample as an ordering key: (start, line, file name).
    fn sample<'a>(&self, files: &'a Interner) -> (i64, u64, &'a str) {
        (self.first, self.line, files.name(self.file))
    }
}

/// Text values (ENI ids, VPC ids, file names) interned to numbers, so entries hold no strings.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Arc<str>, u32, foldhash::fast::RandomState>,
    names: Vec<Arc<str>>,
}

impl Interner {
    fn id(&mut self, text: &str) -> Result<u32> {
        if let Some(id) = self.ids.get(text) {
            return Ok(*id);
        }
        // Below 2^31: ids are the keys of the rows' dictionaries (Int32).
        let id = u32::try_from(self.names.len())
            .ok()
            .filter(|&id| id <= i32::MAX as u32)
            .ok_or_else(|| {
                DataFusionError::ResourcesExhausted(
                    "connections: more than 2^31 distinct names".into(),
                )
            })?;
        let name: Arc<str> = Arc::from(text);
        self.names.push(Arc::clone(&name));
        self.ids.insert(name, id);
        Ok(id)
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// The entries of the connections whose key hashes to one shard, and the rows of its windows
/// already finished.
struct Fold {
    entries: Entries,
    enis: Interner,
    vpcs: Interner,
    files: Interner,
    reservation: Option<MemoryReservation>,
    /// The finished windows' rows, in the table's order.
    finished: Vec<RecordBatch>,
    /// Bytes of `finished`, besides the dictionaries' values (shared between batches).
    finished_bytes: usize,
    /// Finishing windows as the reading goes (the first pass), or only at the end.
    closing: Option<Closing>,
    /// The most entries held at once.
    most_held: usize,
}

/// A connection's logging ENIs: two inline (the client's and the server's), a NAT gateway's
/// third on the heap.
type Enis = smallvec::SmallVec<[PerEni; 2]>;

/// Bytes a spill to the heap costs per ENI.
const ENI_BYTES: usize = std::mem::size_of::<PerEni>();

/// One window's connections.
struct Table {
    window: i64,
    map: HashMap<Key, Enis, foldhash::fast::RandomState>,
    /// Heap bytes the entries hold besides their slots (ports, a third ENI), roughly.
    heap: usize,
}

impl Table {
    fn bytes(&self) -> usize {
        self.map.capacity() * (std::mem::size_of::<(Key, Enis)>() + 1) + self.heap
    }

    /// The entries in the table's order: client, server, server port, protocol (nulls last,
    /// as SQL sorts them).
    fn sorted(&self) -> impl Iterator<Item = (&Key, &Enis)> {
        // The order's key is copied next to each entry: comparing through references into the
        // table missed the cache twice a comparison.
        let mut entries: Vec<_> = self
            .map
            .iter()
            .map(|(k, e)| {
                let order = (
                    k.client,
                    k.server,
                    k.port.is_none(),
                    k.port,
                    k.protocol.is_none(),
                    k.protocol,
                );
                (order, k, e)
            })
            .collect();
        entries.sort_unstable_by_key(|e| e.0);
        entries.into_iter().map(|(_, k, e)| (k, e))
    }
}

/// The connections' sums, by key, in a hash table per window. Records come roughly in time
/// order, so the table in use is one window's, and a table that grows copies one window's
/// entries, not every window's. The sums are inline with the keys: one cache miss a record
/// where a table of slot numbers into separate storage took two (at 100 M records each
/// record's lookup misses the cache; the misses are the fold's cost).
#[derive(Default)]
struct Entries {
    /// Window start → its table's position in `tables`.
    windows: HashMap<i64, usize, foldhash::fast::RandomState>,
    tables: Vec<Table>,
    /// The table used last: consecutive records are mostly of one window.
    last: usize,
}

impl Entries {
    fn len(&self) -> usize {
        self.tables.iter().map(|t| t.map.len()).sum()
    }

    /// The entry of `key`, made empty when new, whether it is new, and its table's heap bytes.
    fn slot(&mut self, key: Key) -> (&mut Enis, bool, &mut usize) {
        if self
            .tables
            .get(self.last)
            .is_none_or(|t| t.window != key.window)
        {
            let tables = &mut self.tables;
            self.last = *self.windows.entry(key.window).or_insert_with(|| {
                tables.push(Table {
                    window: key.window,
                    map: HashMap::default(),
                    heap: 0,
                });
                tables.len() - 1
            });
        }
        let table = &mut self.tables[self.last];
        let mut new = false;
        let entry = table.map.entry(key).or_insert_with(|| {
            new = true;
            Enis::new()
        });
        (entry, new, &mut table.heap)
    }

    /// The tables' bytes.
    fn bytes(&self) -> usize {
        self.tables.iter().map(Table::bytes).sum()
    }

    /// Takes out the tables of `last` and earlier windows, in window order.
    fn take_until(&mut self, last: i64) -> Vec<Table> {
        if self.tables.iter().all(|t| t.window > last) {
            return Vec::new();
        }
        let (mut done, open): (Vec<Table>, Vec<Table>) = std::mem::take(&mut self.tables)
            .into_iter()
            .partition(|t| t.window <= last);
        self.tables = open;
        self.windows = self
            .tables
            .iter()
            .enumerate()
            .map(|(at, t)| (t.window, at))
            .collect();
        self.last = usize::MAX;
        done.sort_unstable_by_key(|t| t.window);
        done
    }

    /// The tables not in `drop`, in window order.
    fn ordered(&self, drop: &BTreeSet<i64>) -> Vec<&Table> {
        let mut tables: Vec<&Table> = self
            .tables
            .iter()
            .filter(|t| !drop.contains(&t.window))
            .collect();
        tables.sort_unstable_by_key(|t| t.window);
        tables
    }
}

/// The interned names as dictionary values, for the rows' dictionary columns.
struct Names {
    files: ArrayRef,
    vpcs: ArrayRef,
}

/// The columns of one batch of `flows`, typed.
struct Columns<'a> {
    start: &'a datafusion::arrow::array::PrimitiveArray<TimestampMillisecondType>,
    end: &'a datafusion::arrow::array::PrimitiveArray<TimestampMillisecondType>,
    protocol: &'a datafusion::arrow::array::PrimitiveArray<Int32Type>,
    tcp_flags: &'a datafusion::arrow::array::PrimitiveArray<Int32Type>,
    packets: &'a datafusion::arrow::array::PrimitiveArray<Int64Type>,
    bytes: &'a datafusion::arrow::array::PrimitiveArray<Int64Type>,
    line: &'a datafusion::arrow::array::PrimitiveArray<UInt64Type>,
    srcport: &'a datafusion::arrow::array::PrimitiveArray<Int32Type>,
    dstport: &'a datafusion::arrow::array::PrimitiveArray<Int32Type>,
    src: &'a datafusion::arrow::array::FixedSizeBinaryArray,
    dst: &'a datafusion::arrow::array::FixedSizeBinaryArray,
    action: StringArray,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self> {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| wrong(name));
        Ok(Self {
            start: column("start")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("start"))?,
            end: column("end")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("end"))?,
            protocol: column("protocol")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("protocol"))?,
            tcp_flags: column("tcp_flags")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("tcp_flags"))?,
            packets: column("packets")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("packets"))?,
            bytes: column("bytes")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("bytes"))?,
            line: column("source_line")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("source_line"))?,
            srcport: column("srcport")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("srcport"))?,
            dstport: column("dstport")?
                .as_primitive_opt()
                .ok_or_else(|| wrong("dstport"))?,
            src: column("src_ip")?
                .as_fixed_size_binary_opt()
                .ok_or_else(|| wrong("src_ip"))?,
            dst: column("dst_ip")?
                .as_fixed_size_binary_opt()
                .ok_or_else(|| wrong("dst_ip"))?,
            action: utf8_column(batch, "action")?,
        })
    }

    fn flags(&self, i: usize) -> Option<i32> {
        self.tcp_flags.is_valid(i).then(|| self.tcp_flags.value(i))
    }

    fn ports(&self, i: usize) -> (Option<i32>, Option<i32>) {
        (
            self.srcport.is_valid(i).then(|| self.srcport.value(i)),
            self.dstport.is_valid(i).then(|| self.dstport.value(i)),
        )
    }

    fn verb(&self, i: usize) -> Option<&str> {
        self.action.is_valid(i).then(|| self.action.value(i))
    }

    /// Row `i`'s connection, and whether its source is the client; None for a record without
    /// both addresses and a start (the SQL's WHERE).
    fn key(&self, i: usize, window_ms: i64) -> Result<Option<(Key, bool)>> {
        if !(self.src.is_valid(i) && self.dst.is_valid(i) && self.start.is_valid(i)) {
            return Ok(None);
        }
        let start = self.start.value(i);
        let (sport, dport) = self.ports(i);
        let rejected = self.verb(i) == Some("REJECT");
        let (src, dst) = (self.src.value(i), self.dst.value(i));
        let fwd = client_is_source(self.flags(i), rejected, sport, dport, src, dst);
        let (client, server) = if fwd { (src, dst) } else { (dst, src) };
        let key = Key {
            window: start - start % window_ms,
            protocol: self.protocol.is_valid(i).then(|| self.protocol.value(i)),
            client: client.try_into().map_err(|_| wrong("src_ip"))?,
            server: server.try_into().map_err(|_| wrong("dst_ip"))?,
            port: if fwd { dport } else { sport },
        };
        Ok(Some((key, fwd)))
    }
}

fn wrong(what: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "connections: flows column {what} has an unexpected type"
    ))
}

impl Fold {
    fn new(reservation: Option<MemoryReservation>, closing: Option<Closing>) -> Self {
        Self {
            entries: Entries::default(),
            enis: Interner::default(),
            vpcs: Interner::default(),
            files: Interner::default(),
            reservation,
            finished: Vec::new(),
            finished_bytes: 0,
            closing,
            most_held: 0,
        }
    }

    /// Bytes held, roughly: the entries' slots, tables and heap, and the finished rows.
    fn bytes(&self) -> usize {
        self.entries.bytes() + self.finished_bytes
    }

    /// Brings the reservation up to the bytes held, a step at a time, or down when windows have
    /// been finished; fails with "Resources exhausted" when the pool has no more to give.
    fn account(&mut self) -> Result<()> {
        let bytes = self.bytes();
        let Some(reservation) = &mut self.reservation else {
            return Ok(());
        };
        if bytes > reservation.size() {
            let want = bytes + RESERVE_STEP - reservation.size();
            reservation.try_grow(want).map_err(|e| {
                DataFusionError::ResourcesExhausted(format!(
                    "building connections ({} connections so far): {e}; \
                     raise --memory-limit or read fewer days at once (--since/--until)",
                    self.entries.len() + self.finished.iter().map(|b| b.num_rows()).sum::<usize>()
                ))
            })?;
        } else if reservation.size() > bytes + 2 * RESERVE_STEP {
            reservation.shrink(reservation.size() - bytes - RESERVE_STEP);
        }
        Ok(())
    }

    /// Notes partition `from`'s progress (`earliest`, the earliest start in its last batch;
    /// `done`, it has read everything), and turns the windows that are now finished into rows.
    fn advance(&mut self, from: usize, earliest: Option<i64>, done: bool) -> Result<()> {
        let Some(closing) = &mut self.closing else {
            return Ok(());
        };
        let Some(last) = closing.advance(from, earliest, done) else {
            return Ok(());
        };
        let tables = self.entries.take_until(last);
        let Some(latest) = tables.last().map(|t| t.window) else {
            return Ok(());
        };
        closing.frontier = max_option(closing.frontier, Some(latest));
        closing.finished += tables.len();
        let names = self.names();
        for batch in self.batches(tables.iter(), &names)? {
            // The dictionaries' values are shared by every batch: their keys are counted.
            self.finished_bytes += batch
                .columns()
                .iter()
                .map(|c| match c.data_type() {
                    DataType::Dictionary(_, _) => 4 * c.len(),
                    _ => c.get_array_memory_size(),
                })
                .sum::<usize>();
            self.finished.push(batch);
        }
        drop(tables);
        self.account()
    }

    /// The interned names as they are now.
    fn names(&self) -> Names {
        let values = |interner: &Interner| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(
                interner.names.iter().map(|n| &**n),
            ))
        };
        Names {
            files: values(&self.files),
            vpcs: values(&self.vpcs),
        }
    }

    /// Every row of the fold in the table's order, the windows in `drop` left out: the finished
    /// windows' rows, then the rest's. At least one batch (an empty fold's gives the schema).
    fn finish(&self, drop: &BTreeSet<i64>) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::with_capacity(self.finished.len() + 1);
        for batch in &self.finished {
            if drop.is_empty() {
                batches.push(batch.clone());
                continue;
            }
            let windows = batch
                .column_by_name("window_ms")
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(|| wrong("window_ms"))?;
            let keep: BooleanArray = windows
                .iter()
                .map(|w| Some(w.is_none_or(|w| !drop.contains(&w))))
                .collect();
            let kept = datafusion::arrow::compute::filter_record_batch(batch, &keep)?;
            if kept.num_rows() > 0 {
                batches.push(kept);
            }
        }
        let names = self.names();
        batches.extend(self.batches(self.entries.ordered(drop).into_iter(), &names)?);
        if batches.is_empty() {
            batches.push(self.rows_batch(&[], &names)?);
        }
        Ok(batches)
    }

    /// Adds `rows` of `batch`, keyed by the sender (see `send_all`).
    fn add(&mut self, batch: &RecordBatch, rows: &[(u32, Key, bool)]) -> Result<()> {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| wrong(name));
        let c = Columns::of(batch)?;
        let interface = utf8_column(batch, "interface_id")?;
        let vpc = utf8_column(batch, "vpc_id")?;
        // File names are a dictionary: each distinct value is interned once per batch. Ids of
        // this fold's rows only, in `rows`' order.
        let file_ids: Vec<u32> = {
            let files = column("source_file")?;
            match files.as_dictionary_opt::<Int32Type>() {
                Some(dictionary) => {
                    let values = dictionary
                        .values()
                        .as_string_opt::<i32>()
                        .ok_or_else(|| wrong("source_file"))?;
                    let ids: Vec<u32> = (0..values.len())
                        .map(|i| self.files.id(values.value(i)))
                        .collect::<Result<_>>()?;
                    let keys = dictionary.keys();
                    rows.iter()
                        .map(|&(i, _, _)| {
                            let i = i as usize;
                            let id = keys.is_valid(i).then(|| ids.get(keys.value(i) as usize));
                            match id.flatten() {
                                Some(id) => Ok(*id),
                                None => self.files.id(""),
                            }
                        })
                        .collect::<Result<_>>()?
                }
                None => {
                    let names = utf8_column(batch, "source_file")?;
                    rows.iter()
                        .map(|&(i, _, _)| {
                            let i = i as usize;
                            self.files.id(if names.is_valid(i) {
                                names.value(i)
                            } else {
                                ""
                            })
                        })
                        .collect::<Result<_>>()?
                }
            }
        };
        let value = |a: &dyn Array, i: usize| a.is_valid(i);
        let mut last_eni: Option<(&str, u32)> = None;
        for (&(i, key, fwd), &file) in rows.iter().zip(&file_ids) {
            if let Some(closing) = &mut self.closing
                && closing.late(key.window)
            {
                continue;
            }
            let i = i as usize;
            let start = c.start.value(i);
            let flags = c.flags(i);
            let protocol = key.protocol;
            let (sport, dport) = c.ports(i);
            let verb = c.verb(i);
            let rejected = verb == Some("REJECT");
            // Records of one ENI come together in its logs: the id of the row before is
            // reused without hashing the name again.
            let eni = if value(&interface, i) {
                let name = interface.value(i);
                match last_eni {
                    Some((last, id)) if last == name => Some(id),
                    _ => {
                        let id = self.enis.id(name)?;
                        last_eni = Some((name, id));
                        Some(id)
                    }
                }
            } else {
                None
            };
            let line = if value(c.line, i) { c.line.value(i) } else { 0 };
            let mut added = 0;
            let (list, new, heap) = self.entries.slot(key);
            let at = match list.iter().position(|e| e.eni == eni) {
                Some(at) => at,
                None => {
                    if list.len() == list.inline_size() {
                        added += ENI_BYTES * (list.len() + 1);
                    }
                    list.push(PerEni::new(eni, start, line, file));
                    list.len() - 1
                }
            };
            let entry = &mut list[at];
            if value(&vpc, i) {
                let name = vpc.value(i);
                let keep = match entry.vpc {
                    Some(id) => self.vpcs.name(id) >= name,
                    None => false,
                };
                if !keep {
                    entry.vpc = Some(self.vpcs.id(name)?);
                }
            }
            if flags.is_some() {
                entry.valid |= FLAGGED;
            }
            // Without TCP flags a connection is known by its client port; with them, by its SYN.
            if (flags.is_none() || protocol.is_some_and(|p| p != 6))
                && let Some(port) = if fwd { sport } else { dport }
            {
                added += entry.ports.insert(port);
            }
            if let Some(f) = flags {
                if fwd && f & 2 == 2 {
                    entry.syn = entry.syn.saturating_add(1);
                }
                if !fwd && f & 18 == 18 {
                    entry.syn_ack = entry.syn_ack.saturating_add(1);
                }
                if !fwd && f & 4 == 4 {
                    entry.rst = entry.rst.saturating_add(1);
                }
            }
            if rejected {
                entry.rejected = entry.rejected.saturating_add(1);
            }
            if verb == Some("ACCEPT") {
                entry.accepted = entry.accepted.saturating_add(1);
            }
            let packets = value(c.packets, i).then(|| c.packets.value(i));
            let bytes = value(c.bytes, i).then(|| c.bytes.value(i));
            // The SQL sums `CASE WHEN fwd THEN packets ELSE 0 END`: the other direction adds 0,
            // which makes the sum not null.
            let (out, back) = if fwd {
                ((packets, bytes), (Some(0), Some(0)))
            } else {
                ((Some(0), Some(0)), (packets, bytes))
            };
            entry.add_volume(PACKETS_OUT, out.0);
            entry.add_volume(BYTES_OUT, out.1);
            entry.add_volume(PACKETS_IN, back.0);
            entry.add_volume(BYTES_IN, back.1);
            entry.add_last(value(c.end, i).then(|| c.end.value(i)));
            if (start, line, self.files.name(file)) < entry.sample(&self.files) {
                entry.first = start;
                entry.line = line;
                entry.file = file;
            }
            *heap += added;
            if added > 0 || new {
                self.account()?;
            }
        }
        self.most_held = self.most_held.max(self.entries.len());
        Ok(())
    }

    /// One row per connection: the per-ENI sums combined as the SQL's second step does (the
    /// same packets counted on two ENIs are one set of packets: the largest count is kept;
    /// rejections are summed, because each ENI rejects what it saw).
    ///
    /// In batches of at most [`ROWS_PER_BATCH`], in the table's order: built a batch at a time,
    /// the rows' staging vectors are one batch's, not every connection's again beside the
    /// table.
    fn batches<'a>(
        &'a self,
        tables: impl Iterator<Item = &'a Table>,
        names: &Names,
    ) -> Result<Vec<RecordBatch>> {
        let mut entries = tables.flat_map(Table::sorted);
        let mut batches = Vec::new();
        loop {
            let chunk: Vec<(&Key, &Enis)> = entries.by_ref().take(ROWS_PER_BATCH).collect();
            if !chunk.is_empty() {
                batches.push(self.rows_batch(&chunk, names)?);
            }
            if chunk.len() < ROWS_PER_BATCH {
                return Ok(batches);
            }
        }
    }

    /// The rows of `chunk` (see [`Fold::batches`]); `names` are the interned names by id.
    fn rows_batch(&self, chunk: &[(&Key, &Enis)], names: &Names) -> Result<RecordBatch> {
        let rows = chunk.len();
        let mut window = Vec::with_capacity(rows);
        let mut protocol = Vec::with_capacity(rows);
        let mut client = FixedSizeBinaryBuilder::with_capacity(rows, 16);
        let mut server = FixedSizeBinaryBuilder::with_capacity(rows, 16);
        let mut port = Vec::with_capacity(rows);
        let mut vpc: Vec<Option<i32>> = Vec::with_capacity(rows);
        let mut eni_min: Vec<Option<i32>> = Vec::with_capacity(rows);
        let mut eni_max: Vec<Option<i32>> = Vec::with_capacity(rows);
        let mut flagged = Vec::with_capacity(rows);
        let mut client_ports = Vec::with_capacity(rows);
        let (mut syn, mut syn_ack, mut rst) = (
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
        );
        let (mut rejected, mut accepted) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        let mut volumes: [Vec<Option<i64>>; 4] = std::array::from_fn(|_| Vec::with_capacity(rows));
        let (mut first, mut last) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        let (mut sample_file, mut sample_line) =
            (Vec::<i32>::with_capacity(rows), Vec::with_capacity(rows));
        for &(key, list) in chunk {
            window.push(key.window);
            protocol.push(key.protocol);
            client.append_value(key.client)?;
            server.append_value(key.server)?;
            port.push(key.port);
            vpc.push(bounds(list.iter().filter_map(|e| e.vpc), &self.vpcs).1);
            let (lo, hi) = bounds(list.iter().filter_map(|e| e.eni), &self.enis);
            eni_min.push(lo);
            eni_max.push(hi);
            flagged.push(list.iter().any(|e| e.valid & FLAGGED != 0));
            client_ports.push(list.iter().map(|e| e.ports.len() as i64).max().unwrap_or(0));
            let most = |count: fn(&PerEni) -> u32| {
                list.iter().map(|e| i64::from(count(e))).max().unwrap_or(0)
            };
            syn.push(most(|e| e.syn));
            syn_ack.push(most(|e| e.syn_ack));
            rst.push(most(|e| e.rst));
            rejected.push(list.iter().map(|e| i64::from(e.rejected)).sum::<i64>());
            accepted.push(most(|e| e.accepted));
            for (at, volume) in volumes.iter_mut().enumerate() {
                volume.push(list.iter().fold(None, |m, e| max_option(m, e.volume(at))));
            }
            last.push(list.iter().fold(None, |m, e| max_option(m, e.last())));
            let sample = list
                .iter()
                .min_by(|a, b| a.sample(&self.files).cmp(&b.sample(&self.files)));
            first.push(sample.map_or(0, |s| s.first));
            sample_line.push(sample.map_or(0, |s| s.line));
            sample_file.push(sample.map_or(0, |s| s.file as i32));
        }
        let [packets_out, bytes_out, packets_in, bytes_in] = volumes;
        // What the specification's second step computes from the combined values.
        let mut attempts = Vec::with_capacity(rows);
        let mut answered = Vec::with_capacity(rows);
        let mut failed = Vec::with_capacity(rows);
        for i in 0..rows {
            let (syn, syn_ack, ports) = (syn[i], syn_ack[i], client_ports[i]);
            attempts.push(if protocol[i] == Some(6) && flagged[i] {
                syn
            } else {
                ports
            });
            let (p_in, b_in, p_out) = (packets_in[i], bytes_in[i], packets_out[i]);
            let per_packet = p_in.map(|p| p.wrapping_mul(64));
            answered.push(all([
                compare(p_in, Some(0), |a, b| a > b),
                compare(b_in, per_packet, |a, b| a > b),
                Some(syn_ack > 0 || syn == 0),
            ]));
            let probe = all([
                any([
                    compare(p_in, Some(0), |a, b| a == b),
                    compare(b_in, per_packet, |a, b| a <= b),
                ]),
                compare(
                    p_out,
                    Some(3i64.wrapping_mul(syn.max(ports).max(1))),
                    |a, b| a <= b,
                ),
            ]);
            failed.push(any([
                Some(rejected[i] > 0),
                Some(rst[i] > 0),
                Some(syn > 0 && syn_ack == 0),
                probe,
            ]));
        }
        // Names are long and repeat: dictionaries over the interned names (as in the table).
        let dictionary = |keys: Vec<Option<i32>>, values: &ArrayRef| -> Result<ArrayRef> {
            Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
                Int32Array::from(keys),
                Arc::clone(values),
            )?))
        };
        let files = dictionary(sample_file.into_iter().map(Some).collect(), &names.files)?;
        let enis = eni_lists(&eni_min, &eni_max, &self.enis)?;
        // Counts are 32-bit, saturating (as the specification's casts).
        let count = |values: Vec<i64>| -> ArrayRef {
            Arc::new(Int32Array::from_iter_values(
                values
                    .into_iter()
                    .map(|v| v.min(i64::from(i32::MAX)) as i32),
            ))
        };
        let volume = |values: Vec<Option<i64>>| -> ArrayRef { Arc::new(Int64Array::from(values)) };
        let time = |values: Vec<Option<i64>>| -> ArrayRef {
            Arc::new(TimestampMillisecondArray::from(values).with_timezone("UTC"))
        };
        // The window's start as a timestamp shares the milliseconds' buffer.
        let window_ms = Int64Array::from(window);
        let window_start: ArrayRef = Arc::new(
            TimestampMillisecondArray::new(window_ms.values().clone(), None).with_timezone("UTC"),
        );
        let first = first.into_iter().map(Some).collect();
        // Every column nullable, whatever this batch holds: the batches share one schema.
        Ok(RecordBatch::try_from_iter_with_nullable([
            ("window_start", window_start, true),
            ("window_ms", Arc::new(window_ms) as ArrayRef, true),
            (
                "protocol",
                Arc::new(Int32Array::from(protocol)) as ArrayRef,
                true,
            ),
            ("client_ip", Arc::new(client.finish()), true),
            ("server_ip", Arc::new(server.finish()), true),
            ("server_port", Arc::new(Int32Array::from(port)), true),
            ("vpc_id", dictionary(vpc, &names.vpcs)?, true),
            ("enis", enis, true),
            ("attempts", count(attempts), true),
            ("syn", count(syn), true),
            ("syn_ack", count(syn_ack), true),
            ("rst", count(rst), true),
            ("rejected", count(rejected), true),
            ("accepted", count(accepted), true),
            ("packets_out", volume(packets_out), true),
            ("bytes_out", volume(bytes_out), true),
            ("packets_in", volume(packets_in), true),
            ("bytes_in", volume(bytes_in), true),
            ("first_seen", time(first), true),
            ("last_seen", time(last), true),
            ("answered", Arc::new(BooleanArray::from(answered)), true),
            ("failed", Arc::new(BooleanArray::from(failed)), true),
            ("sample_file", files, true),
            (
                "sample_line",
                Arc::new(UInt64Array::from(sample_line)),
                true,
            ),
        ])?)
    }
}

/// The ids of the least and greatest of interned names (SQL's `min` and `max` of text), nulls
/// ignored, as dictionary keys.
fn bounds(ids: impl Iterator<Item = u32>, interner: &Interner) -> (Option<i32>, Option<i32>) {
    let named = ids.map(|id| (interner.name(id), id));
    let (lo, hi) = named.fold((None, None), |(lo, hi), n| {
        let lo = match lo {
            Some(l) if l <= n => Some(l),
            _ => Some(n),
        };
        let hi = match hi {
            Some(h) if h >= n => Some(h),
            _ => Some(n),
        };
        (lo, hi)
    });
    // Interned ids are below 2^31 (see `Interner::id`).
    let key = |bound: Option<(&str, u32)>| bound.map(|(_, id)| id as i32);
    (key(lo), key(hi))
}

/// SQL's AND of nullable Booleans: false if any is false, else null if any is null.
fn all<const N: usize>(values: [Option<bool>; N]) -> Option<bool> {
    if values.contains(&Some(false)) {
        Some(false)
    } else if values.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// SQL's OR of nullable Booleans: true if any is true, else null if any is null (NOT of the
/// AND of the negations).
fn any<const N: usize>(values: [Option<bool>; N]) -> Option<bool> {
    all(values.map(|v| v.map(|b| !b))).map(|b| !b)
}

/// A comparison of nullable values, null when either is (SQL's).
fn compare(a: Option<i64>, b: Option<i64>, op: fn(i64, i64) -> bool) -> Option<bool> {
    Some(op(a?, b?))
}

/// The `enis` column: the lowest logging ENI id, and the highest after a space when they
/// differ (a NAT gateway's third ENI is left out), or null for records without one; a
/// dictionary, since a few ENIs log many connections.
fn eni_lists(lows: &[Option<i32>], highs: &[Option<i32>], enis: &Interner) -> Result<ArrayRef> {
    let mut keys = Vec::with_capacity(lows.len());
    let mut ids: HashMap<(i32, i32), i32, foldhash::fast::RandomState> = HashMap::default();
    let mut values = datafusion::arrow::array::StringBuilder::new();
    for (low, high) in lows.iter().zip(highs) {
        let (Some(low), Some(high)) = (*low, *high) else {
            keys.push(None);
            continue;
        };
        let next = ids.len() as i32;
        let key = *ids.entry((low, high)).or_insert_with(|| {
            // Interned ids are dictionary keys (below 2^31): see `Interner::id`.
            let (lo, hi) = (enis.name(low as u32), enis.name(high as u32));
            if low == high {
                values.append_value(lo);
            } else {
                values.append_value(format!("{lo} {hi}"));
            }
            next
        });
        keys.push(Some(key));
    }
    Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(keys),
        Arc::new(values.finish()),
    )?))
}

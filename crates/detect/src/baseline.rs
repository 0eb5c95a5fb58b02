//! Baselines: what normal looks like, per host and per peer group, learned from `connections`,
//! and per principal, host and domain, learned from the event tables.
//!
//! Three tables, each learned by a SQL file of `src/baseline/` from `normal_connections` (the
//! connections no finding of the run was about):
//! - `baseline_edges`: which group (and host) reached which peer group on which port;
//! - `baseline_volume`: bytes per day from each host to each destination group and to the
//!   internet, both ways;
//! - `baseline_peers`: the most distinct peers a host reached in an hour, per day.
//!
//! And one from the event tables the run read ([`ACTIVITY_SOURCES`], events from sources no
//! finding named): `baseline_activity`, rows of `scope` (`api`, `assume`, `source-api`,
//! `domain`, `ssh-login`), `entity` (who: a principal, an address, a host, a domain), `item`
//! (what it did), with counts and first and last times.
//!
//! Under `--state DIR` they are Parquet files, `baseline/<table>/bucket-NN.parquet`, rows
//! bucketed by a stable hash of their entity so that a partitioned engine reads one entity's
//! rows from one file, with `baseline/meta.json` saying what period was learned. A new run merges
//! what it learned into them: edges add up, daily volumes keep the larger of two reads of the
//! same day, days older than [`KEEP_DAYS`] are dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::Engine;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

use crate::DetectError;
use crate::rule::number;

/// How many buckets each table is split into.
pub const BUCKETS: u64 = 8;

/// Daily rows older than this (counted back from the newest day) are dropped: a month keeps
/// monthly jobs in the baseline without letting it grow without end.
pub const KEEP_DAYS: i64 = 35;

/// The tables: name, learning query, merge query (over `old_<name>` and `new_<name>`).
pub const TABLES: [(&str, &str, &str); 3] = [
    (
        "baseline_edges",
        include_str!("baseline/edges.sql"),
        "SELECT scope, entity, peer, peer_internal, port, protocol,
                CAST(sum(connections) AS BIGINT) AS connections, CAST(sum(days) AS BIGINT) AS days,
                min(first_seen_ms) AS first_seen_ms, max(last_seen_ms) AS last_seen_ms
         FROM (SELECT * FROM old_baseline_edges UNION ALL SELECT * FROM new_baseline_edges)
         GROUP BY scope, entity, peer, peer_internal, port, protocol",
    ),
    (
        "baseline_volume",
        include_str!("baseline/volume.sql"),
        "SELECT scope, entity, entity_group, destination, day_ms,
                max(bytes_out) AS bytes_out, max(bytes_in) AS bytes_in,
                max(connections) AS connections
         FROM (SELECT * FROM old_baseline_volume UNION ALL SELECT * FROM new_baseline_volume)
         WHERE day_ms >= (SELECT coalesce(max(day_ms), 0) FROM new_baseline_volume) - ${keep_ms}
         GROUP BY scope, entity, entity_group, destination, day_ms",
    ),
    (
        "baseline_peers",
        include_str!("baseline/peers.sql"),
        "SELECT scope, entity, day_ms, max(max_peers_per_hour) AS max_peers_per_hour
         FROM (SELECT * FROM old_baseline_peers UNION ALL SELECT * FROM new_baseline_peers)
         WHERE day_ms >= (SELECT coalesce(max(day_ms), 0) FROM new_baseline_peers) - ${keep_ms}
         GROUP BY scope, entity, day_ms",
    ),
];

/// The activity baseline's name.
pub const ACTIVITY: &str = "baseline_activity";

/// The event tables the activity baseline learns from, each with its query.
pub const ACTIVITY_SOURCES: [(&str, &str); 3] = [
    (
        "cloudtrail",
        include_str!("baseline/activity-cloudtrail.sql"),
    ),
    ("dns", include_str!("baseline/activity-dns.sql")),
    ("ssh", include_str!("baseline/activity-ssh.sql")),
];

/// How two activity baselines merge: counts add up, times widen.
const ACTIVITY_MERGE: &str = "SELECT scope, entity, item,
        CAST(sum(events) AS BIGINT) AS events, CAST(sum(days) AS BIGINT) AS days,
        min(first_seen_ms) AS first_seen_ms, max(last_seen_ms) AS last_seen_ms
    FROM (SELECT * FROM old_baseline_activity UNION ALL SELECT * FROM new_baseline_activity)
    GROUP BY scope, entity, item";

/// The activity baseline's columns.
fn activity_schema() -> datafusion::arrow::datatypes::SchemaRef {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let number = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        text("scope"),
        text("entity"),
        text("item"),
        number("events"),
        number("days"),
        number("first_seen_ms"),
        number("last_seen_ms"),
    ]))
}

/// Every baseline table with its merge query.
fn merges() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLES
        .iter()
        .map(|(name, _, merge)| (*name, *merge))
        .chain(std::iter::once((ACTIVITY, ACTIVITY_MERGE)))
}

/// What period a baseline covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Start of the first learned traffic (epoch ms).
    pub learned_from_ms: Option<i64>,
    /// End of the last learned traffic.
    pub learned_until_ms: Option<i64>,
    /// Milliseconds of traffic learned in all.
    pub learned_ms: i64,
    /// Runs that updated it.
    pub runs: u64,
}

/// A baseline: its tables (in [`TABLES`] order) and what it covers.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Batches per table name.
    pub tables: BTreeMap<String, Vec<RecordBatch>>,
    /// What it covers.
    pub meta: Meta,
}

pub(crate) fn state_error(path: &Path, message: impl std::fmt::Display) -> DetectError {
    DetectError::State {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Learns the tables from `normal_connections`, and the activity baseline from the event
/// tables among `event_tables` (those the run read; others are not read for it), between
/// `from_ms` and `until_ms` (a period with nothing in it gives empty tables with their
/// columns). Events from the addresses in `flagged_sources(addr)` are not learned.
pub async fn learn(
    engine: &Engine,
    from_ms: i64,
    until_ms: i64,
    event_tables: &[&str],
) -> Result<Baseline, DetectError> {
    let fill = |sql: &str| {
        sql.replace("${learn_from}", &from_ms.to_string())
            .replace("${learn_until}", &until_ms.to_string())
    };
    let mut tables = BTreeMap::new();
    for (name, sql, _) in TABLES {
        let batches = engine
            .collect_table(&fill(sql))
            .await
            .map_err(|e| DetectError::query(format!("learning {name}"), e))?;
        tables.insert(name.to_string(), batches);
    }
    let mut activity = vec![RecordBatch::new_empty(activity_schema())];
    for (table, sql) in ACTIVITY_SOURCES {
        if !event_tables.contains(&table) {
            continue;
        }
        let batches = engine
            .collect_table(&fill(sql))
            .await
            .map_err(|e| DetectError::query(format!("learning {ACTIVITY} from {table}"), e))?;
        for batch in batches {
            // The same column types whatever the source (the engine may return views of
            // strings), so that the parts stack, merge and are written alike.
            let schema = activity_schema();
            let columns = batch
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(column, field)| {
                    datafusion::arrow::compute::cast(column, field.data_type())
                        .map_err(|e| state_error(Path::new(ACTIVITY), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let batch = RecordBatch::try_new(schema, columns)
                .map_err(|e| state_error(Path::new(ACTIVITY), e))?;
            activity.push(batch);
        }
    }
    tables.insert(ACTIVITY.to_string(), activity);
    Ok(Baseline {
        tables,
        meta: Meta {
            learned_from_ms: (until_ms > from_ms).then_some(from_ms),
            learned_until_ms: (until_ms > from_ms).then_some(until_ms),
            learned_ms: (until_ms - from_ms).max(0),
            runs: 1,
        },
    })
}

impl Baseline {
    /// Registers the tables on the engine (`baseline_edges`, ...).
    pub fn register(&self, engine: &Engine) -> Result<(), DetectError> {
        for (name, batches) in &self.tables {
            engine
                .register_batches(name, batches.clone())
                .map_err(|e| DetectError::query(format!("registering {name}"), e))?;
        }
        Ok(())
    }

    /// The same tables with no rows: what a detector that may run without a baseline compares
    /// with when none is ready.
    pub fn empty(&self) -> Baseline {
        let tables = self
            .tables
            .iter()
            .map(|(name, batches)| {
                let schema = batches
                    .first()
                    .map(RecordBatch::schema)
                    .unwrap_or_else(|| Arc::new(datafusion::arrow::datatypes::Schema::empty()));
                (name.clone(), vec![RecordBatch::new_empty(schema)])
            })
            .collect();
        Baseline {
            tables,
            meta: Meta::default(),
        }
    }

    /// Rows per table.
    pub fn rows(&self) -> BTreeMap<String, usize> {
        self.tables
            .iter()
            .map(|(name, batches)| (name.clone(), batches.iter().map(|b| b.num_rows()).sum()))
            .collect()
    }

    /// Merges `newer` into this baseline (see the module doc for how each table merges).
    pub async fn merge(self, newer: Baseline, engine: &Engine) -> Result<Baseline, DetectError> {
        let mut tables = BTreeMap::new();
        for (name, merge) in merges() {
            let (Some(old), Some(new)) = (self.tables.get(name), newer.tables.get(name)) else {
                continue;
            };
            let register = |prefix: &str, batches: &Vec<RecordBatch>| {
                engine
                    .register_batches(&format!("{prefix}_{name}"), batches.clone())
                    .map_err(|e| DetectError::query(format!("merging {name}"), e))
            };
            register("old", old)?;
            register("new", new)?;
            let sql = merge.replace(
                "${keep_ms}",
                &number((KEEP_DAYS * eastwest_model::time::MS_PER_DAY) as f64),
            );
            let batches = engine
                .collect_table(&sql)
                .await
                .map_err(|e| DetectError::query(format!("merging {name}"), e))?;
            tables.insert(name.to_string(), batches);
        }
        let meta = Meta {
            learned_from_ms: match (self.meta.learned_from_ms, newer.meta.learned_from_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            learned_until_ms: self.meta.learned_until_ms.max(newer.meta.learned_until_ms),
            learned_ms: self.meta.learned_ms.saturating_add(newer.meta.learned_ms),
            runs: self.meta.runs.saturating_add(1),
        };
        Ok(Baseline { tables, meta })
    }

    /// Writes the baseline under `state/baseline/`, replacing what was there. Each file is
    /// written beside its final name and renamed, so a crash leaves the old file or the new
    /// one, never half of one.
    pub fn save(&self, state: &Path) -> Result<(), DetectError> {
        let root = state.join("baseline");
        for (name, batches) in &self.tables {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).map_err(|e| state_error(&dir, e))?;
            let Some(schema) = batches.first().map(RecordBatch::schema) else {
                continue;
            };
            let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); BUCKETS as usize];
            for batch in batches {
                for (bucket, part) in split_by_bucket(batch)?.into_iter().enumerate() {
                    if part.num_rows() > 0 {
                        parts[bucket].push(part);
                    }
                }
            }
            for (bucket, part) in parts.iter().enumerate() {
                let path = dir.join(format!("bucket-{bucket:02}.parquet"));
                write_parquet(&path, &schema, part)?;
            }
        }
        let meta_path = root.join("meta.json");
        let text =
            serde_json::to_string_pretty(&self.meta).map_err(|e| state_error(&meta_path, e))?;
        std::fs::write(&meta_path, text).map_err(|e| state_error(&meta_path, e))?;
        Ok(())
    }

    /// Reads the baseline from `state/baseline/`; `None` when there is none.
    pub fn load(state: &Path) -> Result<Option<Baseline>, DetectError> {
        let root = state.join("baseline");
        let meta_path = root.join("meta.json");
        if !meta_path.exists() {
            return Ok(None);
        }
        let meta: Meta = std::fs::read_to_string(&meta_path)
            .map_err(|e| state_error(&meta_path, e))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| state_error(&meta_path, e)))?;
        let mut tables = BTreeMap::new();
        for (name, _) in merges() {
            let dir = root.join(name);
            if name == ACTIVITY && !dir.exists() {
                // A state written before the activity baseline existed: nothing learned yet.
                tables.insert(
                    name.to_string(),
                    vec![RecordBatch::new_empty(activity_schema())],
                );
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| state_error(&dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            files.sort();
            let mut batches = Vec::new();
            for path in files {
                batches.extend(read_parquet(&path)?);
            }
            if batches.is_empty() {
                return Err(state_error(
                    &dir,
                    "no baseline files; remove meta.json to relearn",
                ));
            }
            tables.insert(name.to_string(), batches);
        }
        Ok(Some(Baseline { tables, meta }))
    }
}

/// Writes `batches` to a Parquet file beside `path` and renames it there, so a crash leaves the
/// old file or the new one, never half of one.
pub(crate) fn write_parquet(
    path: &Path,
    schema: &datafusion::arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), DetectError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    let file = std::fs::File::create(&temporary).map_err(|e| state_error(&temporary, e))?;
    let mut writer = ArrowWriter::try_new(file, Arc::clone(schema), None)
        .map_err(|e| state_error(&temporary, e))?;
    for batch in batches {
        writer
            .write(batch)
            .map_err(|e| state_error(&temporary, e))?;
    }
    writer.close().map_err(|e| state_error(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| state_error(path, e))
}

/// Reads a Parquet file: its batches, or one empty batch with its columns.
pub(crate) fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, DetectError> {
    let file = std::fs::File::open(path).map_err(|e| state_error(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| state_error(path, e))?;
    let schema = Arc::clone(builder.schema());
    let reader = builder.build().map_err(|e| state_error(path, e))?;
    let mut batches = Vec::new();
    for batch in reader {
        batches.push(batch.map_err(|e| state_error(path, e))?);
    }
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// Splits a batch into [`BUCKETS`] parts by a stable hash of its `entity` column.
fn split_by_bucket(batch: &RecordBatch) -> Result<Vec<RecordBatch>, DetectError> {
    let rows = batch.num_rows();
    // The entity as plain text, whichever string type (dictionaries of asset names) it has.
    let entity = batch
        .column_by_name("entity")
        .and_then(|c| cast(c, &DataType::Utf8).ok());
    let buckets: Vec<u64> = match entity.as_ref().and_then(|c| c.as_string_opt::<i32>()) {
        Some(entities) => (0..rows)
            .map(|i| {
                let entity = if entities.is_valid(i) {
                    entities.value(i)
                } else {
                    ""
                };
                bucket_of(entity)
            })
            .collect(),
        None => vec![0; rows],
    };
    (0..BUCKETS)
        .map(|bucket| {
            let mask: BooleanArray = buckets.iter().map(|b| Some(*b == bucket)).collect();
            filter_record_batch(batch, &mask).map_err(|e| DetectError::State {
                path: "baseline".into(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// The bucket of an entity: FNV-1a, stable across runs and machines.
pub fn bucket_of(entity: &str) -> u64 {
    use eastwest_model::finding::{FNV_OFFSET, fnv1a};
    fnv1a(FNV_OFFSET, entity.as_bytes()) % BUCKETS
}

//! What a run leaves under `--state` besides baselines and findings: the ledger of inputs
//! already read, and the recent `connections` carried into the next run.
//!
//! Findings are identified per UTC day (per hour for brute force), so a day's traffic read in
//! two runs (five-minute files arriving through the day, a late file for an earlier hour) must
//! be judged as a whole: each run adds its new connections to those carried from the last
//! [`CARRY_MS`] and the detectors see both. The ledger keeps an input (name and size) from
//! being read twice, so a re-run over overlapping inputs adds nothing twice; what a repeated
//! detection finds again is reported as an update.

use std::collections::HashSet;
use std::path::Path;

use datafusion::arrow::array::{AsArray, BooleanArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::Engine;
use eastwest_model::time::MS_PER_DAY;

use crate::DetectError;
use crate::baseline::{read_parquet, state_error, write_parquet};

/// How far back connections are carried: the current UTC day and the one before, so that a
/// day's detections see all of it and a late file for yesterday still joins its day.
pub const CARRY_MS: i64 = MS_PER_DAY;

/// Longest ledger read: a line per input file; past this it is not a ledger.
const MAX_LEDGER_BYTES: u64 = 256 * 1024 * 1024;

/// The inputs earlier runs read (name and size).
pub fn read_ledger(state: &Path) -> Result<HashSet<(String, u64)>, DetectError> {
    let path = state.join("ledger.tsv");
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(HashSet::new());
    };
    if meta.len() > MAX_LEDGER_BYTES {
        return Err(state_error(&path, "larger than a ledger can be"));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| state_error(&path, e))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (size, name) = line.split_once('\t')?;
            Some((name.to_string(), size.parse().ok()?))
        })
        .collect())
}

/// Adds inputs to the ledger.
pub fn append_ledger(state: &Path, inputs: &[(String, u64)]) -> Result<(), DetectError> {
    use std::io::Write;
    std::fs::create_dir_all(state).map_err(|e| state_error(state, e))?;
    let path = state.join("ledger.tsv");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| state_error(&path, e))?;
    let mut text = String::new();
    for (name, size) in inputs {
        // Names come from paths and listings; a line break in one would split its entry.
        if name.contains(['\n', '\r']) {
            continue;
        }
        text.push_str(&format!("{size}\t{name}\n"));
    }
    file.write_all(text.as_bytes())
        .map_err(|e| state_error(&path, e))
}

/// The connections carried from the last run, if any.
pub fn load_carry(state: &Path) -> Result<Option<Vec<RecordBatch>>, DetectError> {
    let path = state.join("carry/connections.parquet");
    if !path.exists() {
        return Ok(None);
    }
    read_parquet(&path).map(Some)
}

/// Keeps the connections from `from_ms` on for the next run.
pub fn save_carry(
    state: &Path,
    connections: &[RecordBatch],
    from_ms: i64,
) -> Result<(), DetectError> {
    let dir = state.join("carry");
    std::fs::create_dir_all(&dir).map_err(|e| state_error(&dir, e))?;
    let Some(schema) = connections.first().map(RecordBatch::schema) else {
        return Ok(());
    };
    let mut kept = Vec::new();
    for batch in connections {
        let Some(windows) = batch
            .column_by_name("window_ms")
            .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned())
        else {
            continue;
        };
        let mask: BooleanArray = windows
            .iter()
            .map(|w| Some(w.unwrap_or(0) >= from_ms))
            .collect();
        let part = filter_record_batch(batch, &mask).map_err(|e| state_error(&dir, e))?;
        if part.num_rows() > 0 {
            kept.push(part);
        }
    }
    write_parquet(&dir.join("connections.parquet"), &schema, &kept)
}

/// How each column of `connections` merges when the same connection and window come from two
/// runs (their records are different records: files are read once).
fn merge_expression(column: &str) -> String {
    let quoted = format!("\"{column}\"");
    match column {
        "attempts" | "syn" | "syn_ack" | "rst" | "rejected" | "accepted" | "packets_out"
        | "bytes_out" | "packets_in" | "bytes_in" => format!("sum({quoted})"),
        "first_seen" => format!("min({quoted})"),
        "answered" | "failed" => format!("bool_or({quoted})"),
        "sample_file" | "sample_line" => {
            format!("first_value({quoted} ORDER BY first_seen, sample_line, sample_file)")
        }
        _ => format!("max({quoted})"),
    }
}

/// Adds the carried connections to this run's: rows of the same window and connection are
/// summed (see [`merge_expression`]).
pub async fn merge(
    engine: &Engine,
    new: Vec<RecordBatch>,
    carried: Vec<RecordBatch>,
) -> Result<Vec<RecordBatch>, DetectError> {
    let Some(schema) = new.first().map(RecordBatch::schema) else {
        return Ok(new);
    };
    if carried
        .first()
        .map(|b| b.schema().fields().clone())
        .as_ref()
        != Some(schema.fields())
    {
        // A carry written by another version, or with another inventory: not mixed in.
        tracing::warn!("The carried connections have other columns; starting afresh.");
        return Ok(new);
    }
    let keys = [
        "window_start",
        "window_ms",
        "protocol",
        "client_ip",
        "server_ip",
        "server_port",
    ];
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            let name = f.name();
            if keys.contains(&name.as_str()) {
                format!("\"{name}\"")
            } else {
                format!("{} AS \"{name}\"", merge_expression(name))
            }
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM (SELECT * FROM carried_connections UNION ALL SELECT * FROM new_connections) \
         GROUP BY {} ORDER BY window_ms, client_ip, server_ip, server_port, protocol",
        columns.join(", "),
        keys.map(|k| format!("\"{k}\"")).join(", ")
    );
    let register = |name: &str, batches: Vec<RecordBatch>| {
        engine
            .register_batches(name, batches)
            .map_err(|e| DetectError::query("carried connections", e))
    };
    register("carried_connections", carried)?;
    register("new_connections", new)?;
    let merged = engine
        .collect_table(&sql)
        .await
        .map_err(|e| DetectError::query("carried connections", e))?;
    // The merged columns must keep their types (sums of Int64 stay Int64), or the next
    // carry would not match.
    match merged.first() {
        Some(batch) if batch.schema().fields().len() == schema.fields().len() => {
            let cast: Result<Vec<RecordBatch>, _> = merged
                .iter()
                .map(|b| {
                    let columns = b
                        .columns()
                        .iter()
                        .zip(schema.fields())
                        .map(|(c, f)| datafusion::arrow::compute::cast(c, f.data_type()))
                        .collect::<Result<Vec<_>, _>>()?;
                    RecordBatch::try_new(schema.clone(), columns)
                })
                .collect();
            cast.map_err(|e| state_error(Path::new("carry"), e))
        }
        _ => Err(state_error(Path::new("carry"), "merge lost columns")),
    }
}

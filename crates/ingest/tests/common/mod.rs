//! Helpers shared by the ingest tests: read bytes as an input and look at the result by column.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Int32Type, Int64Type, TimestampMillisecondType, UInt64Type};
use eastwest_ingest::input::list_local;
use eastwest_ingest::plan::plan_chunks;
use eastwest_ingest::{
    FLOWS_SCHEMA, FlowContext, Opener, ReadOptions, Report, RowSelection, TimeWindow, read_input,
};

/// Everything read from some inputs.
pub struct Read {
    pub batch: RecordBatch,
    pub report: Arc<Report>,
}

impl Read {
    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn column(&self, name: &str) -> &Arc<dyn Array> {
        self.batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Text of a column at a row (None for null).
    pub fn text(&self, name: &str, row: usize) -> Option<String> {
        let column = self.column(name);
        if column.is_null(row) {
            return None;
        }
        if let Some(strings) = column.as_string_opt::<i32>() {
            return Some(strings.value(row).to_string());
        }
        let dictionary = column.as_dictionary::<arrow::datatypes::Int32Type>();
        let values = dictionary.values().as_string::<i32>();
        Some(
            values
                .value(dictionary.keys().value(row) as usize)
                .to_string(),
        )
    }

    /// An integer column (Int32, Int64, UInt64 or timestamp in ms) at a row.
    pub fn int(&self, name: &str, row: usize) -> Option<i64> {
        let column = self.column(name);
        if column.is_null(row) {
            return None;
        }
        if let Some(a) = column.as_primitive_opt::<Int32Type>() {
            return Some(i64::from(a.value(row)));
        }
        if let Some(a) = column.as_primitive_opt::<Int64Type>() {
            return Some(a.value(row));
        }
        if let Some(a) = column.as_primitive_opt::<UInt64Type>() {
            return Some(a.value(row) as i64);
        }
        Some(column.as_primitive::<TimestampMillisecondType>().value(row))
    }

    /// A binary address column at a row.
    pub fn ip(&self, name: &str, row: usize) -> Option<std::net::IpAddr> {
        let column = self.column(name);
        if column.is_null(row) {
            return None;
        }
        let bytes: [u8; 16] = column
            .as_fixed_size_binary()
            .value(row)
            .try_into()
            .expect("16 bytes");
        let v6 = std::net::Ipv6Addr::from(bytes);
        Some(
            v6.to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
        )
    }
}

/// Options reading every column, with an optional explicit format and window.
pub fn options(flow: FlowContext, window: TimeWindow) -> ReadOptions {
    let selection = RowSelection {
        since_ms: window.since_ms,
        until_ms: window.until_ms,
        ..RowSelection::all()
    };
    ReadOptions {
        selection,
        schema: FLOWS_SCHEMA.clone(),
        flow,
    }
}

/// Reads every file under `path` (split into chunks of `chunk_bytes`) into one batch.
pub fn read_path_with(
    path: &Path,
    flow: FlowContext,
    window: TimeWindow,
    chunk_bytes: u64,
) -> Read {
    let report = Arc::new(Report::new());
    let (inputs, pruned) = list_local(path, &window).expect("listable");
    report.add_pruned(pruned);
    let options = options(flow.clone(), window);
    let mut batches = Vec::new();
    for input in inputs
        .into_iter()
        .flat_map(|i| plan_chunks(i, &flow, chunk_bytes))
    {
        read_input(&input, &Opener::local(), &options, &report, &mut |batch| {
            batches.push(batch);
            true
        });
    }
    let batch = concat_batches(&FLOWS_SCHEMA, &batches).expect("same schema");
    Read { batch, report }
}

/// Reads every file under `path`.
pub fn read_path(path: &Path, flow: FlowContext) -> Read {
    read_path_with(path, flow, TimeWindow::default(), u64::MAX)
}

/// Writes `content` to a file named `name` in a new temporary directory and reads it.
pub fn read_bytes(name: &str, content: &[u8], flow: FlowContext) -> (Read, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write");
    (read_path(&path, flow), dir)
}

/// Reads text with the given format (None: default format / header lines).
pub fn read_text(content: &str, format: Option<&str>) -> Read {
    let flow = FlowContext {
        format: format.map(|f| eastwest_ingest::FlowFormat::parse(f).expect("valid format")),
        ..FlowContext::default()
    };
    read_bytes("flows.log", content.as_bytes(), flow).0
}

/// The repository's testdata directory.
pub fn testdata(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

/// Gzip-compresses bytes (one member).
pub fn gzip(content: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(content).expect("write");
    encoder.finish().expect("finish")
}

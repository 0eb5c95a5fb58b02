//! `connections` as the fold builds it equals what its specification, the aggregation SQL,
//! computes: on the simulator's estate with every scenario in each flow-log format, on the
//! samples, with one partition and two (so the connections are split between two folds), and
//! under a memory limit too small for it, a clear error; logs in time order have their windows
//! finished as they are read, and logs out of order have the windows that had late records
//! folded again, with the same rows; and enrichment on several threads gives the rows it gives
//! on one, in the same order.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{
    SortColumn, SortOptions, cast, concat_batches, lexsort_to_indices, take_record_batch,
};
use datafusion::arrow::datatypes::DataType;
use eastwest_engine::connections::DEFAULT_WINDOW_MS;
use eastwest_engine::connections::fold::FoldStats;
use eastwest_engine::{Engine, FlowOptions};
use eastwest_sim::{FlowFormat, SimOptions, simulate};

fn one_batch(batches: &[RecordBatch]) -> RecordBatch {
    concat_batches(&batches[0].schema(), batches).expect("same schema")
}

/// The rows in the specification's order (window, client, server, server port, protocol): each
/// fold's rows are in it, and the folds' rows follow one another.
fn in_table_order(batch: &RecordBatch) -> RecordBatch {
    let options = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let keys: Vec<SortColumn> = [
        "window_ms",
        "client_ip",
        "server_ip",
        "server_port",
        "protocol",
    ]
    .iter()
    .map(|name| SortColumn {
        values: Arc::clone(batch.column_by_name(name).expect("key column")),
        options: Some(options),
    })
    .collect();
    let order = lexsort_to_indices(&keys, None).expect("sorted");
    take_record_batch(batch, &order).expect("taken")
}

/// Asserts that the fold and the SQL give the same columns (names and types) and rows (in
/// order), and returns the number of rows and how the fold went.
async fn assert_same(inputs: &[String], threads: usize, window_ms: i64) -> (usize, FoldStats) {
    let engine = Engine::new(threads);
    engine
        .register_logs(inputs, FlowOptions::default())
        .await
        .expect("registered");
    let spec = one_batch(&engine.connections_by_sql(window_ms).await.expect("sql"));
    let (folded, stats) = engine.connections_folded(window_ms).await.expect("fold");
    let folded = in_table_order(&one_batch(&folded));
    let names = |b: &RecordBatch| {
        b.schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&folded), names(&spec), "columns");
    assert_eq!(folded.num_rows(), spec.num_rows(), "rows");
    for (at, (name, _)) in names(&spec).iter().enumerate() {
        // Dictionaries built apart differ in keys where their values agree: compare values.
        let plain = |c: &datafusion::arrow::array::ArrayRef| match c.data_type() {
            DataType::Dictionary(_, _) => cast(c, &DataType::Utf8).expect("cast"),
            _ => Arc::clone(c),
        };
        let (a, b) = (plain(folded.column(at)), plain(spec.column(at)));
        if a.as_ref() != b.as_ref() {
            let first = (0..a.len())
                .find(|&i| a.slice(i, 1) != b.slice(i, 1))
                .expect("a differing row");
            panic!(
                "column {name} differs first at row {first}: fold {:?}, sql {:?}",
                a.slice(first, 1),
                b.slice(first, 1)
            );
        }
    }
    assert_eq!(stats.connections, spec.num_rows(), "connections counted");
    (spec.num_rows(), stats)
}

fn simulated(format: FlowFormat, dir: &Path) -> String {
    let options = SimOptions {
        out: dir.to_path_buf(),
        scenarios: vec!["all".into()],
        hosts: 24,
        days: 0.5,
        quiet_days: 0.1,
        format,
        threads: 1,
        ..SimOptions::default()
    };
    simulate(&options, &|_, _| {}).expect("simulated");
    dir.join("logs").display().to_string()
}

#[tokio::test]
async fn fold_equals_the_sql_on_the_simulated_estate() {
    for format in [FlowFormat::V2, FlowFormat::V5, FlowFormat::Parquet] {
        let dir = tempfile::tempdir().expect("tempdir");
        let logs = simulated(format, dir.path());
        for threads in [1, 2] {
            let (rows, stats) =
                assert_same(std::slice::from_ref(&logs), threads, DEFAULT_WINDOW_MS).await;
            assert!(rows > 1_000, "{format:?}: only {rows} connections");
            // S3 objects are read in time order: hours are finished as the reading passes
            // them, none comes late, and the folds never hold every connection at once.
            assert!(stats.finished_early > 3, "{format:?}: {stats:?}");
            assert_eq!(stats.refolded, 0, "{format:?}: {stats:?}");
            assert!(stats.most_held < rows / 2, "{format:?}: {stats:?}");
        }
        // A short window splits connections; a window of a day merges them.
        assert_same(std::slice::from_ref(&logs), 2, 60_000).await;
        assert_same(&[logs], 2, 86_400_000).await;
    }
}

#[tokio::test]
async fn fold_equals_the_sql_on_the_samples() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    for sample in [
        "demo",
        "flow/synthetic-default-3000.log",
        "flow/documented_example_records.txt",
    ] {
        let path = testdata.join(sample).display().to_string();
        let (rows, _) = assert_same(&[path], 2, DEFAULT_WINDOW_MS).await;
        assert!(rows > 0, "{sample}: no connections");
    }
}

/// The synthetic sample's 3000 records (a day, in no time order) written to `name` in `dir`:
/// sorted by start or as they are, and `days` later.
fn synthetic_day(dir: &Path, name: &str, sorted: bool, days: i64) -> String {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let text =
        std::fs::read_to_string(testdata.join("flow/synthetic-default-3000.log")).expect("sample");
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split(' ').map(str::to_string).collect();
            for at in [10, 11] {
                let time: i64 = fields[at].parse().expect("a time");
                fields[at] = (time + days * 86_400).to_string();
            }
            fields.join(" ")
        })
        .collect();
    if sorted {
        lines.sort_by_key(|line| line.split(' ').nth(10).map(str::to_string));
    }
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("written");
    path.display().to_string()
}

#[tokio::test]
async fn records_after_their_window_was_finished_are_folded_again_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two days in order (files are read in name order when their names carry no time): the
    // first day's hours are finished once the second day is read, and nothing is late.
    let first = synthetic_day(dir.path(), "a.log", true, 0);
    let second = synthetic_day(dir.path(), "b.log", true, 1);
    let (_, stats) = assert_same(&[first.clone(), second.clone()], 1, DEFAULT_WINDOW_MS).await;
    assert!(stats.finished_early > 10, "{stats:?}");
    assert_eq!((stats.refolded, stats.late_records), (0, 0), "{stats:?}");
    // The first day again, after its hours were finished (a file delivered again): its hours
    // are read and folded again, whole, and give the rows the SQL gives.
    let again = synthetic_day(dir.path(), "c.log", false, 0);
    let inputs = [first, second, again];
    let (_, stats) = assert_same(&inputs, 1, DEFAULT_WINDOW_MS).await;
    assert!(
        stats.refolded > 10 && stats.late_records > 2000,
        "{stats:?}"
    );
    assert!(stats.refolded <= 25, "{stats:?}");
    // The second read is not counted in the engine's report: it counts what one read does.
    let once = Engine::new(1);
    let read_once = once
        .register_logs(&inputs, FlowOptions::default())
        .await
        .expect("registered");
    once.collect_table("SELECT count(*) FROM flows")
        .await
        .expect("counted");
    let engine = Engine::new(1);
    let report = engine
        .register_logs(&inputs, FlowOptions::default())
        .await
        .expect("registered");
    let (_, stats) = engine
        .connections_folded(DEFAULT_WINDOW_MS)
        .await
        .expect("fold");
    assert!(stats.refolded > 0, "{stats:?}");
    assert!(read_once.records() > 8_900, "{}", read_once.records());
    assert_eq!(report.records(), read_once.records());
}

#[tokio::test]
async fn too_little_memory_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = simulated(FlowFormat::V5, dir.path());
    let engine = Engine::with_memory_limit(1, Some(1 << 20));
    engine
        .register_logs(&[logs], FlowOptions::default())
        .await
        .expect("registered");
    let error = engine
        .build_connections(DEFAULT_WINDOW_MS, None)
        .await
        .expect_err("1 MiB is not enough")
        .to_string();
    assert!(error.contains("Resources exhausted"), "{error}");
    assert!(error.contains("building connections"), "{error}");
    assert!(error.contains("--memory-limit"), "{error}");
}

#[tokio::test]
async fn enrichment_on_threads_keeps_the_rows_and_their_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = simulated(FlowFormat::V2, dir.path());
    let engine = Engine::new(2);
    engine
        .register_logs(&[logs], FlowOptions::default())
        .await
        .expect("registered");
    let folded = one_batch(
        &engine
            .connections_folded(DEFAULT_WINDOW_MS)
            .await
            .expect("fold")
            .0,
    );
    // Uneven pieces, more of them than threads.
    let mut pieces = Vec::new();
    let mut at = 0;
    for size in (1..).map(|n| n * 97) {
        if at >= folded.num_rows() {
            break;
        }
        let size = size.min(folded.num_rows() - at);
        pieces.push(folded.slice(at, size));
        at += size;
    }
    assert!(pieces.len() > 3, "{} pieces", pieces.len());
    let one = eastwest_engine::connections::enrich(&pieces, None, 1).expect("one thread");
    let three = eastwest_engine::connections::enrich(&pieces, None, 3).expect("three threads");
    assert_eq!(one.len(), pieces.len());
    assert_eq!(one_batch(&three), one_batch(&one));
    assert!(one_batch(&one).column_by_name("client_addr").is_some());
}

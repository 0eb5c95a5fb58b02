//! `connections` as the fold builds it equals what its specification, the aggregation SQL,
//! computes: on the simulator's estate with every scenario in each flow-log format, on the
//! samples, with one partition and two (so the connections are split between two folds), and
//! under a memory limit too small for it, a clear error; and enrichment on several threads
//! gives the rows it gives on one, in the same order.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::DataType;
use eastwest_engine::connections::DEFAULT_WINDOW_MS;
use eastwest_engine::{Engine, FlowOptions};
use eastwest_sim::{FlowFormat, SimOptions, simulate};

fn one_batch(batches: &[RecordBatch]) -> RecordBatch {
    concat_batches(&batches[0].schema(), batches).expect("same schema")
}

/// Asserts that the fold and the SQL give the same columns (names and types) and rows (in
/// order), and returns the number of rows.
async fn assert_same(inputs: &[String], threads: usize, window_ms: i64) -> usize {
    let engine = Engine::new(threads);
    engine
        .register_logs(inputs, FlowOptions::default())
        .await
        .expect("registered");
    let spec = one_batch(&engine.connections_by_sql(window_ms).await.expect("sql"));
    let folded = one_batch(&engine.connections_folded(window_ms).await.expect("fold"));
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
    spec.num_rows()
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
            let rows = assert_same(std::slice::from_ref(&logs), threads, DEFAULT_WINDOW_MS).await;
            assert!(rows > 1_000, "{format:?}: only {rows} connections");
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
        let rows = assert_same(&[path], 2, DEFAULT_WINDOW_MS).await;
        assert!(rows > 0, "{sample}: no connections");
    }
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
            .expect("fold"),
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

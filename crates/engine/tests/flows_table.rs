//! The `flows` table under DataFusion: SQL and DataFrame plans, projection, early stop, joins.

use std::path::Path;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::{col, lit};
use eastwest_engine::{Engine, FlowOptions};

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/demo")
        .display()
        .to_string()
}

fn single_i64(batches: &[RecordBatch]) -> i64 {
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let batch = batches.iter().find(|b| b.num_rows() == 1).expect("a row");
    batch.column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn sql_and_dataframe_plans_agree() {
    let engine = Engine::new(2);
    let report = engine
        .register_flows(&[demo()], FlowOptions::default())
        .await
        .expect("registered");
    let sql = engine
        .sql("SELECT count(*) FROM flows WHERE dstport = 22")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let frame = engine
        .context()
        .table("flows")
        .await
        .expect("table")
        .filter(col("dstport").eq(lit(22)))
        .expect("filter")
        .count()
        .await
        .expect("count");
    assert_eq!(single_i64(&sql), 2);
    assert_eq!(frame, 2);
    // Each scan reads the inputs again, and the report accounts for both.
    assert_eq!(report.summary().records, 34);
}

#[tokio::test]
async fn only_projected_columns_come_back() {
    let engine = Engine::new(1);
    engine
        .register_flows(&[demo()], FlowOptions::default())
        .await
        .expect("registered");
    let batches = engine
        .sql("SELECT srcaddr, bytes FROM flows")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["srcaddr", "bytes"]);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 17);
}

#[tokio::test]
async fn a_limit_stops_reading_early_and_a_self_join_scans_twice() {
    let dir = tempfile::tempdir().expect("dir");
    let mut content = String::new();
    for i in 0..200_000 {
        content.push_str(&format!(
            "2 1 eni-1 10.0.0.{} 10.0.1.1 {} 443 6 1 60 1418530010 1418530070 ACCEPT OK\n",
            i % 250,
            1024 + i % 60000
        ));
    }
    std::fs::write(dir.path().join("big.log"), &content).expect("write");
    let engine = Engine::new(2);
    let report = engine
        .register_flows(&[dir.path().display().to_string()], FlowOptions::default())
        .await
        .expect("registered");
    let limited = engine
        .sql("SELECT srcaddr FROM flows LIMIT 5")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    assert_eq!(limited.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
    assert!(
        report.summary().records < 200_000,
        "stopped before the end: {}",
        report.summary().records
    );

    let joined = engine
        .sql("SELECT count(*) FROM (SELECT DISTINCT srcaddr FROM flows) a JOIN (SELECT DISTINCT srcaddr FROM flows) b ON a.srcaddr = b.srcaddr")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    assert_eq!(single_i64(&joined), 250);
}

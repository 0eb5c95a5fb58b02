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
        .register_logs(&[demo()], FlowOptions::default())
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
    // Each scan reads the inputs again, and the report accounts for both: the rows returned, and
    // the records the pushed-down condition left out.
    let summary = report.summary();
    assert_eq!(summary.records, 4);
    assert_eq!(summary.records + summary.filtered, 34);
}

#[tokio::test]
async fn only_projected_columns_come_back() {
    let engine = Engine::new(1);
    engine
        .register_logs(&[demo()], FlowOptions::default())
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
        .register_logs(&[dir.path().display().to_string()], FlowOptions::default())
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

#[tokio::test]
async fn pushed_down_equalities_answer_like_unpushed_ones() {
    let engine = Engine::new(2);
    let report = engine
        .register_logs(&[demo()], FlowOptions::default())
        .await
        .expect("registered");
    let count = |sql: String| {
        let engine = &engine;
        async move {
            single_i64(
                &engine
                    .sql(&sql)
                    .await
                    .expect("plans")
                    .collect()
                    .await
                    .expect("runs"),
            )
        }
    };
    // Each condition is pushed down; its twin (`concat(x, '')`, `x + 0`) is not, and both must
    // give the same count (checked by hand for the first few against the demo files).
    let pairs = [
        (
            "action = 'REJECT'",
            "concat(action, '') = 'REJECT'",
            Some(2),
        ),
        (
            "'ACCEPT' = action AND dstport = 22",
            "concat(action, '') = 'ACCEPT' AND dstport + 0 = 22",
            Some(2),
        ),
        (
            "srcaddr = '172.31.16.139'",
            "concat(srcaddr, '') = '172.31.16.139'",
            Some(2),
        ),
        (
            "vpc_id = 'vpc-abcdefab012345678'",
            "concat(vpc_id, '') = 'vpc-abcdefab012345678'",
            Some(8),
        ),
        ("packets = 20", "packets + 0 = 20", Some(2)),
        (
            "log_status = 'OK' AND protocol = 6",
            "concat(log_status, '') = 'OK' AND protocol + 0 = 6",
            None,
        ),
        ("type = 'IPv6'", "concat(type, '') = 'IPv6'", Some(0)),
    ];
    for (pushed, unpushed, expected) in pairs {
        let a = count(format!("SELECT count(*) FROM flows WHERE {pushed}")).await;
        let b = count(format!("SELECT count(*) FROM flows WHERE {unpushed}")).await;
        assert_eq!(a, b, "{pushed}");
        if let Some(expected) = expected {
            assert_eq!(a, expected, "{pushed}");
        }
    }
    // The reader really did leave rows out (the twins alone would filter nothing while reading).
    assert!(report.summary().filtered > 0);
    // The bogus line is reported by every scan, whatever the query pushed down.
    assert_eq!(report.summary().malformed, 2 * pairs.len() as u64);
}

#[tokio::test]
async fn flow_gaps_holds_the_nodata_and_skipdata_records_and_flows_does_not() {
    let engine = Engine::new(2);
    let report = engine
        .register_logs(&[demo()], FlowOptions::default())
        .await
        .expect("registered");
    let batches = engine
        .sql("SELECT interface_id, log_status, CAST(to_unixtime(\"end\") - to_unixtime(start) AS BIGINT) AS seconds FROM flow_gaps ORDER BY log_status")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let rows: Vec<(String, String, i64)> = batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(move |r| {
                (
                    b.column(0).as_string::<i32>().value(r).to_string(),
                    b.column(1).as_string::<i32>().value(r).to_string(),
                    b.column(2).as_primitive::<Int64Type>().value(r),
                )
            })
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "eni-1235b8ca123456789".to_string(),
                "NODATA".to_string(),
                58
            ),
            (
                "eni-11111111aaaaaaaaa".to_string(),
                "SKIPDATA".to_string(),
                58
            ),
        ]
    );
    let traffic = engine
        .sql("SELECT count(*) FROM flows WHERE log_status IN ('NODATA', 'SKIPDATA')")
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    assert_eq!(single_i64(&traffic), 0);
    // Reading gaps leaves the traffic out, and says so.
    assert_eq!(report.summary().filtered, 17);
}

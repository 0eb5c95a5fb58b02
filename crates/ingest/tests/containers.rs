//! Containers and inputs: gzip (multi-member), CloudWatch Logs exports, JSON lines, Firehose
//! deliveries, Parquet as S3 delivery writes it, chunked large files, time-window pruning, and
//! bad files that must not stop good ones.

mod common;

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::{gzip, read_bytes, read_path, read_path_with, testdata};
use eastwest_ingest::time::parse_time;
use eastwest_ingest::{FlowContext, TimeWindow};
use eastwest_model::{Position, ProblemLevel};

const RECORDS: &str = "\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
";

#[test]
fn gzip_with_several_members_reads_every_member() {
    let mut content = gzip(RECORDS.as_bytes());
    content.extend(gzip(RECORDS.as_bytes()));
    let (read, _dir) = read_bytes("anything.bin", &content, FlowContext::default());
    assert_eq!(read.rows(), 4);
    assert_eq!(read.report.summary().nodata, 2);
    assert_eq!(
        read.int("source_line", 3),
        Some(5),
        "lines count across members"
    );
}

#[test]
fn corrupt_gzip_is_unreadable_and_other_files_still_read() {
    let dir = tempfile::tempdir().expect("dir");
    let mut broken = gzip(RECORDS.repeat(2000).as_bytes());
    let len = broken.len();
    broken.truncate(len / 2);
    broken.extend_from_slice(&[0u8; 64]);
    std::fs::write(dir.path().join("a-broken.log.gz"), &broken).expect("write");
    std::fs::write(dir.path().join("b-good.log"), RECORDS).expect("write");
    std::fs::write(
        dir.path().join("c-notes.txt"),
        "not a flow log at all\nreally\n",
    )
    .expect("write");
    let read = read_path(dir.path(), FlowContext::default());
    let summary = read.report.summary();
    assert_eq!(summary.files_unreadable, 1);
    assert_eq!(summary.files_skipped, 1);
    let problems = read.report.problems();
    let broken = problems
        .iter()
        .find(|p| p.file.ends_with("a-broken.log.gz"))
        .expect("reported");
    assert_eq!(broken.level, ProblemLevel::Unreadable);
    let notes = problems
        .iter()
        .find(|p| p.file.ends_with("c-notes.txt"))
        .expect("reported");
    assert_eq!(notes.level, ProblemLevel::Skipped);
    // The good file, and what the broken one held before the damage, were read.
    let good_rows = (0..read.rows())
        .filter(|&r| {
            read.text("source_file", r)
                .is_some_and(|f| f.ends_with("b-good.log"))
        })
        .count();
    assert_eq!(good_rows, 2);
    assert!(
        read.rows() > 2,
        "rows before the damage are kept: {problems:?} {:?}",
        read.report.summary()
    );
}

#[test]
fn cloudwatch_logs_filter_log_events_export() {
    let export = serde_json::json!({
        "events": RECORDS.lines().enumerate().map(|(i, line)| serde_json::json!({
            "logStreamName": "eni-1235b8ca123456789-all",
            "timestamp": 1418530070000i64 + i as i64,
            "message": line,
            "ingestionTime": 1418530080000i64,
            "eventId": format!("{i}")
        })).collect::<Vec<_>>(),
        "searchedLogStreams": [{"logStreamName": "eni-1235b8ca123456789-all", "searchedCompletely": true}]
    });
    let (read, _dir) = read_bytes(
        "export.json",
        export.to_string().as_bytes(),
        FlowContext::default(),
    );
    assert_eq!(read.rows(), 2);
    assert_eq!(read.text("dstaddr", 1).as_deref(), Some("172.31.9.12"));
    assert_eq!(read.int("source_line", 1), Some(2), "events are numbered");
    assert_eq!(read.report.summary().nodata, 1);
}

#[test]
fn json_lines_with_message_field_and_a_broken_line() {
    let mut content = String::new();
    for line in RECORDS.lines().take(2) {
        content.push_str(&serde_json::json!({"timestamp": 1, "message": line}).to_string());
        content.push('\n');
    }
    content.push_str("{\"timestamp\": 2, \"message\": \"2 123 eni-x 10.0.0.1\n");
    content.push_str(
        &serde_json::json!({"timestamp": 3, "message": RECORDS.lines().next().expect("line")})
            .to_string(),
    );
    content.push('\n');
    let (read, _dir) = read_bytes("lines.jsonl", content.as_bytes(), FlowContext::default());
    assert_eq!(read.rows(), 3, "{:?}", read.report.problems());
    let problems = read.report.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].position, Position::Line(3));
    assert_eq!(read.int("source_line", 2), Some(4));
}

#[test]
fn firehose_delivery_of_subscription_filter_events() {
    let control = serde_json::json!({
        "messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
        "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]
    });
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789010", "logGroup": "vpc-flow-logs",
        "logStream": "eni-1235b8ca123456789-all", "subscriptionFilters": ["to-firehose"],
        "logEvents": RECORDS.lines().map(|l| serde_json::json!({"id": "1", "timestamp": 1, "message": l})).collect::<Vec<_>>()
    });
    // Firehose concatenates records without separators, and each is gzip-compressed.
    let mut content = gzip(control.to_string().as_bytes());
    content.extend(gzip(data.to_string().as_bytes()));
    content.extend(gzip(data.to_string().as_bytes()));
    let (read, _dir) = read_bytes("delivery-1", &content, FlowContext::default());
    assert_eq!(read.rows(), 4);
    assert_eq!(
        read.report.summary().malformed,
        0,
        "{:?}",
        read.report.problems()
    );
    assert_eq!(read.report.summary().nodata, 2);
}

#[test]
fn firehose_log_group_selects_its_flow_logs_format() {
    let mut flow = FlowContext::default();
    flow.add_describe_flow_logs(&serde_json::json!({"FlowLogs": [{
        "FlowLogId": "fl-1", "LogGroupName": "custom-group",
        "LogFormat": "${srcaddr} ${dstaddr} ${dstport} ${action}"
    }]}));
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE", "logGroup": "custom-group",
        "logEvents": [{"id": "1", "timestamp": 1, "message": "10.0.0.1 10.0.0.2 5432 ACCEPT"}]
    });
    let (read, _dir) = read_bytes("delivery", &gzip(data.to_string().as_bytes()), flow);
    assert_eq!(read.rows(), 1);
    assert_eq!(read.int("dstport", 0), Some(5432));
}

/// Writes records as a Parquet file shaped like AWS's S3 delivery (underscore names, AWS types).
fn aws_parquet(path: &std::path::Path) {
    aws_parquet_with_groups(path, 1024);
}

/// The same, with at most `rows_per_group` rows per row group.
fn aws_parquet_with_groups(path: &std::path::Path, rows_per_group: usize) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("version", DataType::Int32, true),
        Field::new("account_id", DataType::Utf8, true),
        Field::new("interface_id", DataType::Utf8, true),
        Field::new("srcaddr", DataType::Utf8, true),
        Field::new("dstaddr", DataType::Utf8, true),
        Field::new("srcport", DataType::Int32, true),
        Field::new("dstport", DataType::Int32, true),
        Field::new("protocol", DataType::Int32, true),
        Field::new("packets", DataType::Int64, true),
        Field::new("bytes", DataType::Int64, true),
        Field::new("start", DataType::Int64, true),
        Field::new("end", DataType::Int64, true),
        Field::new("action", DataType::Utf8, true),
        Field::new("log_status", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![2, 2, 2, 2])),
        Arc::new(StringArray::from(vec!["123456789010"; 4])),
        Arc::new(StringArray::from(vec!["eni-a", "eni-a", "eni-b", "eni-c"])),
        Arc::new(StringArray::from(vec![
            Some("10.0.0.1"),
            Some("2001:db8::1"),
            None,
            Some("not-an-ip"),
        ])),
        Arc::new(StringArray::from(vec![
            Some("10.0.0.2"),
            Some("2001:db8::2"),
            None,
            Some("10.0.0.9"),
        ])),
        Arc::new(Int32Array::from(vec![
            Some(40000),
            Some(40001),
            None,
            Some(1),
        ])),
        Arc::new(Int32Array::from(vec![Some(5432), Some(22), None, Some(2)])),
        Arc::new(Int32Array::from(vec![Some(6), Some(6), None, Some(6)])),
        Arc::new(Int64Array::from(vec![Some(10), Some(3), None, Some(1)])),
        Arc::new(Int64Array::from(vec![Some(8000), Some(300), None, Some(1)])),
        Arc::new(Int64Array::from(vec![
            1_418_530_010,
            1_418_530_010_500,
            1_418_530_010,
            1_418_530_010,
        ])),
        Arc::new(Int64Array::from(vec![
            1_418_530_070,
            1_418_530_070_500,
            1_418_530_070,
            1_418_530_070,
        ])),
        Arc::new(StringArray::from(vec![
            Some("ACCEPT"),
            Some("REJECT"),
            None,
            Some("ACCEPT"),
        ])),
        Arc::new(StringArray::from(vec!["OK", "OK", "SKIPDATA", "OK"])),
    ];
    write_parquet(path, schema, columns, rows_per_group);
}

/// Writes one batch of `columns` as a Snappy Parquet file with at most `rows_per_group` rows
/// per row group.
fn write_parquet(
    path: &std::path::Path,
    schema: Arc<Schema>,
    columns: Vec<ArrayRef>,
    rows_per_group: usize,
) {
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, schema, Some(properties)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

#[test]
fn parquet_as_s3_delivers_it_with_hive_partitions() {
    let dir = tempfile::tempdir().expect("dir");
    let partition = dir
        .path()
        .join("AWSLogs/aws-account-id=123456789010/aws-service=vpcflowlogs/aws-region=us-east-1/year=2014/month=12/day=14/hour=04");
    std::fs::create_dir_all(&partition).expect("dirs");
    aws_parquet(
        &partition.join("123456789010_vpcflowlogs_us-east-1_fl-1_20141214T0405Z_abc.log.parquet"),
    );
    let read = read_path(dir.path(), FlowContext::default());
    assert_eq!(read.rows(), 2, "{:?}", read.report.problems());
    assert_eq!(read.text("srcaddr", 0).as_deref(), Some("10.0.0.1"));
    assert_eq!(
        read.ip("dst_ip", 1),
        Some("2001:db8::2".parse().expect("ip"))
    );
    assert_eq!(read.int("dstport", 0), Some(5432));
    assert_eq!(read.int("start", 0), Some(1_418_530_010_000));
    assert_eq!(
        read.int("start", 1),
        Some(1_418_530_010_500),
        "milliseconds stay milliseconds"
    );
    assert_eq!(read.int("source_line", 1), Some(2));
    assert_eq!(read.text("vpc_id", 0), None);
    let summary = read.report.summary();
    assert_eq!(summary.skipdata, 1);
    assert_eq!(summary.malformed, 1);
    let problems = read.report.problems();
    assert_eq!(problems[0].position, Position::Row(4));
    assert!(problems[0].reason.contains("not-an-ip"));

    // Read for gaps, the same file gives the SKIPDATA row instead of the traffic.
    let gaps = eastwest_ingest::ReadOptions {
        selection: eastwest_ingest::RowSelection {
            gaps: true,
            ..eastwest_ingest::RowSelection::all()
        },
        schema: eastwest_ingest::FLOWS_SCHEMA.clone(),
        flow: FlowContext::default(),
    };
    let (inputs, _) =
        eastwest_ingest::input::list_local(dir.path(), &TimeWindow::default()).expect("listed");
    let mut rows = Vec::new();
    eastwest_ingest::read_input(
        &inputs[0],
        &eastwest_ingest::Opener::local(),
        &gaps,
        &eastwest_ingest::Report::new(),
        &mut |b| {
            rows.push(b);
            true
        },
    );
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let interface = rows[0].column_by_name("interface_id").expect("column");
    assert_eq!(
        interface
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text")
            .value(0),
        "eni-b"
    );

    // Pruned by its hour partition when the window is another day.
    let window = TimeWindow {
        since_ms: parse_time("2014-12-15"),
        until_ms: None,
    };
    let read = read_path_with(dir.path(), FlowContext::default(), window, u64::MAX);
    assert_eq!(read.rows(), 0);
    assert_eq!(read.report.summary().files_pruned, 1);
}

#[test]
fn chunks_give_the_same_rows_lines_and_formats_as_one_pass() {
    let dir = tempfile::tempdir().expect("dir");
    let mut content = String::new();
    for i in 0..3000 {
        if i > 2000 {
            content.push_str(&format!("eni-x{i} 10.9.0.1 10.9.0.2 {i} REJECT\n"));
            continue;
        }
        content.push_str(&format!(
            "2 123456789010 eni-{i:08} 10.0.{}.{} 10.1.0.1 {} 443 6 1 60 1418530010 1418530070 ACCEPT OK\n",
            i / 250,
            i % 250,
            1024 + i
        ));
        if i == 1500 {
            content.push_str("this line is broken\n");
        }
        if i == 2000 {
            // Files concatenated: a header with another format from here on.
            content.push_str("interface-id srcaddr dstaddr dstport action\n");
        }
    }
    std::fs::write(dir.path().join("big.log"), &content).expect("write");
    let whole = read_path_with(
        dir.path(),
        FlowContext::default(),
        TimeWindow::default(),
        u64::MAX,
    );
    assert!(content.len() > 40 * 4096, "the file spans many chunks");
    assert_eq!(whole.report.summary().malformed, 1, "only the broken line");
    assert_eq!(whole.report.summary().headers, 1);
    let key = |r: &common::Read| {
        let mut rows: Vec<(i64, Option<String>, Option<String>)> = (0..r.rows())
            .map(|i| {
                (
                    r.int("source_line", i).expect("line"),
                    r.text("interface_id", i),
                    r.text("action", i),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    // Chunks smaller than a line, about a line, and many lines; and ranges that end right
    // after a line end.
    for chunk_bytes in [37, 113, 4096, 102] {
        let chunked = read_path_with(
            dir.path(),
            FlowContext::default(),
            TimeWindow::default(),
            chunk_bytes,
        );
        assert_eq!(whole.rows(), chunked.rows(), "chunks of {chunk_bytes}");
        assert_eq!(key(&whole), key(&chunked), "chunks of {chunk_bytes}");
        assert_eq!(
            whole.report.problems(),
            chunked.report.problems(),
            "chunks of {chunk_bytes}"
        );
        assert_eq!(
            chunked.report.summary().headers,
            1,
            "chunks of {chunk_bytes}"
        );
        assert_eq!(chunked.report.problems()[0].position, Position::Line(1502));
        assert_eq!(chunked.report.summary().files_read, 1);
    }
}

#[test]
fn since_until_prune_dated_paths_and_filter_records() {
    let dir = tempfile::tempdir().expect("dir");
    for (day, start) in [
        ("13", 1_418_430_010),
        ("14", 1_418_530_010),
        ("15", 1_418_630_010),
    ] {
        let folder = dir.path().join(format!(
            "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/{day}"
        ));
        std::fs::create_dir_all(&folder).expect("dirs");
        let line = format!(
            "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 {start} {} ACCEPT OK\n",
            start + 60
        );
        let late = format!(
            "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 {} {} ACCEPT OK\n",
            start + 40_000,
            start + 40_060
        );
        std::fs::write(folder.join("flows.log"), format!("{line}{late}")).expect("write");
    }
    let window = TimeWindow {
        since_ms: parse_time("2014-12-14T02:00Z"),
        until_ms: parse_time("2014-12-14T12:00Z"),
    };
    let read = read_path_with(dir.path(), FlowContext::default(), window, u64::MAX);
    let summary = read.report.summary();
    assert_eq!(
        summary.files_pruned, 2,
        "the 13th and the 15th are never opened"
    );
    assert_eq!(read.rows(), 1);
    assert_eq!(read.int("start", 0), Some(1_418_530_010_000));
    assert_eq!(summary.out_of_window, 1);
}

#[test]
fn demo_samples_read_cleanly_but_for_the_known_bogus_line() {
    let read = read_path(&testdata("demo"), FlowContext::default());
    let problems = read.report.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].file.ends_with("v5-with-header.log"));
    assert_eq!(read.rows(), 17);
}

#[test]
fn parquet_row_groups_split_between_workers_read_like_the_whole_file() {
    let dir = tempfile::tempdir().expect("dir");
    aws_parquet_with_groups(&dir.path().join("flows.parquet"), 1);
    let (inputs, _) =
        eastwest_ingest::input::list_local(dir.path(), &TimeWindow::default()).expect("listed");
    let parts = eastwest_ingest::plan::plan_chunks(inputs[0].clone(), &FlowContext::default(), 1);
    assert_eq!(parts.len(), 4, "one part per row group");
    let whole = read_path_with(
        dir.path(),
        FlowContext::default(),
        TimeWindow::default(),
        u64::MAX,
    );
    let split = read_path_with(dir.path(), FlowContext::default(), TimeWindow::default(), 1);
    assert_eq!(whole.rows(), 2);
    assert_eq!(split.rows(), 2);
    for row in 0..2 {
        assert_eq!(whole.int("source_line", row), split.int("source_line", row));
        assert_eq!(whole.text("srcaddr", row), split.text("srcaddr", row));
    }
    assert_eq!(
        split.report.summary().files_read,
        1,
        "one file, however many parts"
    );
    assert_eq!(split.report.summary().skipdata, 1);
    assert_eq!(whole.report.problems(), split.report.problems());
    assert_eq!(split.report.problems()[0].position, Position::Row(4));
}

/// Writes flow records (start seconds, status, action) as Parquet with `rows_per_group` rows
/// per row group; the rest of each record is fixed.
fn parquet_records(path: &std::path::Path, records: &[(i64, &str, &str)], rows_per_group: usize) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("interface_id", DataType::Utf8, true),
        Field::new("srcaddr", DataType::Utf8, true),
        Field::new("dstaddr", DataType::Utf8, true),
        Field::new("dstport", DataType::Int32, true),
        Field::new("start", DataType::Int64, true),
        Field::new("end", DataType::Int64, true),
        Field::new("action", DataType::Utf8, true),
        Field::new("log_status", DataType::Utf8, true),
    ]));
    let n = records.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["eni-a"; n])),
        Arc::new(StringArray::from(vec!["10.0.0.1"; n])),
        Arc::new(StringArray::from(vec!["10.0.0.2"; n])),
        Arc::new(Int32Array::from(vec![22; n])),
        Arc::new(Int64Array::from_iter_values(records.iter().map(|r| r.0))),
        Arc::new(Int64Array::from_iter_values(
            records.iter().map(|r| r.0 + 60),
        )),
        Arc::new(StringArray::from_iter_values(records.iter().map(|r| r.2))),
        Arc::new(StringArray::from_iter_values(records.iter().map(|r| r.1))),
    ];
    write_parquet(path, schema, columns, rows_per_group);
}

#[test]
fn parquet_row_groups_outside_the_window_are_skipped_by_their_statistics_and_rows_keep_their_numbers()
 {
    let (t0, t1, t2) = (1_418_530_000, 1_418_540_000, 1_418_550_000);
    let dir = tempfile::tempdir().expect("dir");
    parquet_records(
        &dir.path().join("flows.parquet"),
        &[
            (t0, "OK", "ACCEPT"),
            (t0, "OK", "REJECT"),
            (t1, "OK", "ACCEPT"),
            (t1, "OK", "REJECT"),
            // A gap in a row group outside the window: the group is read, the gap counted.
            (t0, "SKIPDATA", "ACCEPT"),
            (t0, "OK", "ACCEPT"),
            (t2, "OK", "ACCEPT"),
            (t2, "OK", "REJECT"),
        ],
        2,
    );
    let window = TimeWindow {
        since_ms: Some(t1 * 1000),
        until_ms: Some(t2 * 1000),
    };
    let read = read_path_with(dir.path(), FlowContext::default(), window, u64::MAX);
    assert_eq!(read.rows(), 2);
    assert_eq!(read.int("source_line", 0), Some(3), "numbered in the file");
    assert_eq!(read.int("source_line", 1), Some(4));
    let summary = read.report.summary();
    assert_eq!(summary.out_of_window, 5, "{summary:?}");
    assert_eq!(summary.skipdata, 1);
    assert_eq!(summary.records, 2);

    // A pushed-down equality: rows that fail it are counted, never built.
    let mut options = common::options(FlowContext::default(), window);
    options.selection.equals = vec![(
        eastwest_ingest::sources::flow::field_id("action").expect("field"),
        eastwest_ingest::sources::flow::Literal::Text("REJECT".into()),
    )];
    let report = eastwest_ingest::Report::new();
    let (inputs, _) = eastwest_ingest::input::list_local(dir.path(), &window).expect("listed");
    let mut batches = Vec::new();
    eastwest_ingest::read_input(
        &inputs[0],
        &eastwest_ingest::Opener::local(),
        &options,
        &report,
        &mut |b| {
            batches.push(b);
            true
        },
    );
    let batch =
        arrow::compute::concat_batches(&eastwest_ingest::FLOWS_SCHEMA, &batches).expect("batch");
    assert_eq!(batch.num_rows(), 1);
    let lines = batch
        .column_by_name("source_line")
        .expect("column")
        .as_any()
        .downcast_ref::<arrow::array::UInt64Array>()
        .expect("numbers")
        .value(0);
    assert_eq!(lines, 4);
    assert_eq!(report.summary().filtered, 1);
    assert_eq!(report.summary().out_of_window, 5);
}

#[test]
fn a_gzip_file_large_enough_to_inflate_on_its_own_thread_reads_whole_and_keeps_what_precedes_damage()
 {
    // Varied records (a small generator), so that the compressed file passes the 8 MiB above
    // which inflating moves to a thread of its own.
    let mut content = String::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut lines = 0u64;
    while content.len() < 48 << 20 {
        let (a, b, c) = (next(), next(), next());
        content.push_str(&format!(
            "2 123456789010 eni-{:08x} 10.{}.{}.{} 172.{}.{}.{} {} {} 6 {} {} 1418530010 1418530070 {} OK\n",
            a as u32,
            a >> 40 & 255,
            a >> 48 & 255,
            a >> 56,
            b & 255,
            b >> 8 & 255,
            b >> 16 & 255,
            b >> 24 & 0xffff,
            b >> 40 & 0xffff,
            c & 0xffff,
            c >> 16 & 0xffff_ffff,
            if c >> 63 == 0 { "ACCEPT" } else { "REJECT" }
        ));
        lines += 1;
    }
    let packed = gzip(content.as_bytes());
    assert!(packed.len() > 8 << 20, "{} bytes compressed", packed.len());
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("whole.log.gz"), &packed).expect("write");
    let whole = read_path(dir.path(), FlowContext::default());
    assert_eq!(whole.rows() as u64, lines);
    assert!(whole.report.problems().is_empty());

    let mut broken = packed;
    broken.truncate(broken.len() * 3 / 4);
    broken.extend_from_slice(&[0u8; 64]);
    std::fs::write(dir.path().join("whole.log.gz"), &broken).expect("write");
    let read = read_path(dir.path(), FlowContext::default());
    assert_eq!(read.report.summary().files_unreadable, 1);
    assert!(
        read.rows() as u64 > lines / 2 && (read.rows() as u64) < lines,
        "the records before the damage are kept: {} of {lines}",
        read.rows()
    );
}

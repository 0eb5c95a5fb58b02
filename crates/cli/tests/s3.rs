//! `s3://` inputs through the AWS SDK, against moto_server (the AWS emulator) on 127.0.0.1.
//! The test starts its own emulator on a free port and stops it when done; `bash .ci/run`
//! installs it (`pip install 'moto[server]'`).

mod common;

use std::process::Command;

use common::Moto;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;

fn gzip(content: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(content).expect("write");
    encoder.finish().expect("finish")
}

/// A CloudTrail S3 delivery of `events` events from `start` (epoch seconds), each with a
/// request parameter that does not compress away.
fn trail(events: u64, start: u64) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let records: Vec<String> = (0..events)
        .map(|i| {
            let token: String = (0..4)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    format!("{state:016x}")
                })
                .collect();
            let t = start + i;
            let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
            let day = if start >= 1_419_000_000 { 20 } else { 14 };
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2014-12-{day}T{h:02}:{m:02}:{s:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::123456789010:assumed-role/app/i-0123456789abcdef0"}},"requestParameters":{{"key":"{token}"}},"eventID":"{i}"}}"#
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_prefix_is_listed_pruned_by_date_and_read() {
    let moto = Moto::start();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    client
        .create_bucket()
        .bucket("flow-logs")
        .send()
        .await
        .expect("bucket");
    let prefix = "AWSLogs/123456789010/vpcflowlogs/us-east-1";
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
    let objects = [
        (
            format!("{prefix}/2014/12/14/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0410Z_aaaa.log.gz"),
            gzip(format!("{header}2 123456789010 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n2 123456789010 eni-1 10.0.0.1 10.0.0.3 40001 22 6 1 40 1418530010 1418530070 REJECT OK\nnot a record\n").as_bytes()),
        ),
        (
            format!("{prefix}/2014/12/20/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141220T0410Z_bbbb.log.gz"),
            gzip(format!("{header}2 123456789010 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 9999 1419048610 1419048670 ACCEPT OK\n").as_bytes()),
        ),
        (format!("{prefix}/README.txt"), b"notes about this bucket\n".to_vec()),
        // CloudTrail beside the flow logs: a small delivery on the 14th and one on the 20th
        // whose compressed size is past what recognition fetches, so its kind is told from a
        // ranged GET of a cut-off gzip stream.
        (
            "AWSLogs/123456789010/CloudTrail/us-east-1/2014/12/14/123456789010_CloudTrail_us-east-1_20141214T0415Z_cccc.json.gz".to_string(),
            gzip(trail(1, 1_418_530_000).as_bytes()),
        ),
        (
            "AWSLogs/123456789010/CloudTrail/us-east-1/2014/12/20/123456789010_CloudTrail_us-east-1_20141220T0415Z_dddd.json.gz".to_string(),
            gzip(trail(3000, 1_419_048_600).as_bytes()),
        ),
    ];
    for (key, body) in objects {
        client
            .put_object()
            .bucket("flow-logs")
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .expect("put");
    }

    let run_at = |endpoint: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_eastwest"))
            .args(["--quiet"])
            .args(args)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("runs")
    };
    let run = |args: &[&str]| run_at(&moto.url, args);
    let sql =
        "SELECT count(*) AS n, sum(bytes) AS bytes, min(source_line) AS first_line FROM flows";
    let all = run(&["query", "--format", "csv", sql, "s3://flow-logs/AWSLogs/"]);
    let stderr = String::from_utf8_lossy(&all.stderr);
    assert_eq!(all.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&all.stdout),
        "n,bytes,first_line\n3,14288,2\n"
    );
    assert!(
        stderr.contains("_20141214T0410Z_aaaa.log.gz:4"),
        "the bad line is named: {stderr}"
    );
    assert!(
        stderr.contains("README.txt"),
        "the other kind of file is reported: {stderr}"
    );

    // --since prunes the 14th by its key before anything is fetched: the emulator, behind a
    // logging proxy, is never asked for those objects (not even a ranged GET to recognise them).
    let proxy = common::Proxy::start(&moto.url, Vec::new());
    let pruned = run_at(
        &proxy.url,
        &[
            "query",
            "--format",
            "csv",
            "--since",
            "2014-12-19",
            sql,
            "s3://flow-logs/AWSLogs/",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&pruned.stdout),
        "n,bytes,first_line\n1,9999,2\n"
    );
    let requests: Vec<String> = proxy.seen().into_iter().map(|s| s.api).collect();
    let fetched: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("GET ") && r.contains("/2014/12/"))
        .collect();
    assert!(
        fetched.iter().any(|r| r.contains("_bbbb.log.gz")),
        "the kept object is fetched: {requests:?}"
    );
    assert!(
        fetched.iter().all(|r| !r.contains("/2014/12/14/")),
        "an object of the pruned day was fetched: {fetched:?}"
    );
    // Record filtering alone would give the same rows: what shows the object was never fetched
    // is that its malformed line 4, reported whenever it is read, is not reported now.
    let pruned_stderr = String::from_utf8_lossy(&pruned.stderr);
    assert!(
        !pruned_stderr.contains("_20141214T0410Z_aaaa.log.gz"),
        "the pruned object was read: {pruned_stderr}"
    );

    // The CloudTrail objects went to their own table, the large one recognised from its head.
    let trail_sql =
        "SELECT count(*) AS n, count(DISTINCT session_instance_id) AS instances FROM cloudtrail";
    let events = run(&[
        "query",
        "--format",
        "csv",
        trail_sql,
        "s3://flow-logs/AWSLogs/",
    ]);
    assert_eq!(
        events.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&events.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&events.stdout),
        "n,instances\n3001,1\n"
    );
    let events = run(&[
        "query",
        "--format",
        "csv",
        "--since",
        "2014-12-19",
        trail_sql,
        "s3://flow-logs/AWSLogs/",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&events.stdout),
        "n,instances\n3000,1\n"
    );

    // A bucket that does not exist is an unreadable input: exit 2, with the URL named.
    let missing = run(&[
        "query",
        "--format",
        "csv",
        "SELECT count(*) AS n FROM flows",
        "s3://no-such-bucket/x",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("s3://no-such-bucket/x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_is_read_in_ranged_parts_not_whole() {
    let moto = Moto::start();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    client
        .create_bucket()
        .bucket("big")
        .send()
        .await
        .expect("bucket");
    // About 20 MB of plain text: more than two of the 8 MiB parts a reader fetches at a time.
    let mut body = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    let records = 200_000u64;
    for i in 0..records {
        body.push_str(&format!(
            "2 123456789010 eni-1 10.0.{}.{} 10.0.0.2 {} 443 6 3 {} 1418530010 1418530070 ACCEPT OK\n",
            i / 250 % 250,
            i % 250,
            10_000 + i % 50_000,
            100 + i % 1000
        ));
    }
    let size = body.len() as u64;
    assert!(size > 2 * 8 * 1024 * 1024, "{size}");
    client
        .put_object()
        .bucket("big")
        .key("AWSLogs/flows.log")
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .expect("put");
    let proxy = common::Proxy::start(&moto.url, Vec::new());
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args([
            "--quiet",
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM flows",
            "s3://big/AWSLogs/",
        ])
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("n\n{records}\n")
    );
    let ranges: Vec<String> = proxy
        .seen()
        .iter()
        .filter(|s| s.api.starts_with("GET ") && s.api.contains("flows.log"))
        .filter_map(|s| {
            s.raw
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("range:"))
                .map(|l| l[6..].trim().to_string())
        })
        .collect();
    let gets = proxy
        .seen()
        .iter()
        .filter(|s| s.api.starts_with("GET ") && s.api.contains("flows.log"))
        .count();
    assert_eq!(gets, ranges.len(), "every GET is ranged: {ranges:?}");
    // The recognition head, then the parts in order to the end.
    let last = format!("bytes=16777216-{}", size - 1);
    assert!(
        ranges.contains(&"bytes=0-8388607".to_string()),
        "{ranges:?}"
    );
    assert!(
        ranges.contains(&"bytes=8388608-16777215".to_string()),
        "{ranges:?}"
    );
    assert!(ranges.contains(&last), "{ranges:?}");
}

//! Conformance over real samples (testdata/PROVENANCE.md): every record AWS documents, the
//! Vector (VRL) test vectors, and the flowlogs-reader test files, checked field by field.

mod common;

use std::collections::BTreeMap;

use common::{read_bytes, read_text, testdata};
use eastwest_ingest::FlowContext;

/// The documented example records, grouped by the example they belong to, each group with the
/// header line AWS gives for its custom format (if any). Documentation annotations (`#...`
/// comments after a record, `...` elisions) are removed.
fn documented_examples() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(testdata("flow/documented_example_records.txt")).expect("sample");
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    let mut anchor = String::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            anchor = heading
                .rsplit_once("[#")
                .map_or(heading, |(_, a)| a.trim_end_matches(']'))
                .to_string();
            continue;
        }
        let record = line.split(" #").next().unwrap_or(line).trim_end();
        if record.is_empty() || record == "..." {
            continue;
        }
        let group = groups.entry(anchor.clone()).or_default();
        group.push_str(record);
        group.push('\n');
    }
    groups
}

#[test]
fn every_documented_example_reads_without_a_problem() {
    let groups = documented_examples();
    assert_eq!(groups.len(), 8, "{:?}", groups.keys().collect::<Vec<_>>());
    for (anchor, content) in &groups {
        let read = read_text(content, None);
        let summary = read.report.summary();
        assert_eq!(
            summary.malformed,
            0,
            "{anchor}: {:?}",
            read.report.problems()
        );
        let lines = content.lines().count() as u64;
        assert_eq!(
            read.rows() as u64 + summary.headers + summary.nodata + summary.skipdata,
            lines,
            "{anchor}: every line is a row, a header or a gap"
        );
    }
}

#[test]
fn default_format_records_field_by_field() {
    let groups = documented_examples();
    let read = read_text(&groups["flow-log-example-accepted-rejected"], None);
    assert_eq!(read.rows(), 2);
    assert_eq!(read.int("version", 0), Some(2));
    assert_eq!(read.text("account_id", 0).as_deref(), Some("123456789010"));
    assert_eq!(
        read.text("interface_id", 0).as_deref(),
        Some("eni-1235b8ca123456789")
    );
    assert_eq!(read.text("srcaddr", 0).as_deref(), Some("172.31.16.139"));
    assert_eq!(read.text("dstaddr", 0).as_deref(), Some("172.31.16.21"));
    assert_eq!(
        read.ip("src_ip", 0),
        Some("172.31.16.139".parse().expect("ip"))
    );
    assert_eq!(read.int("srcport", 0), Some(20641));
    assert_eq!(read.int("dstport", 0), Some(22));
    assert_eq!(read.int("protocol", 0), Some(6));
    assert_eq!(read.int("packets", 0), Some(20));
    assert_eq!(read.int("bytes", 0), Some(4249));
    assert_eq!(read.int("start", 0), Some(1_418_530_010_000));
    assert_eq!(read.int("end", 0), Some(1_418_530_070_000));
    assert_eq!(read.text("action", 0).as_deref(), Some("ACCEPT"));
    assert_eq!(read.text("log_status", 0).as_deref(), Some("OK"));
    assert_eq!(read.text("action", 1).as_deref(), Some("REJECT"));
    assert_eq!(read.int("dstport", 1), Some(3389));
    // Fields the default format does not carry are null.
    assert_eq!(read.text("vpc_id", 0), None);
    assert_eq!(read.int("tcp_flags", 0), None);
    assert_eq!(read.int("source_line", 1), Some(2));
}

#[test]
fn nodata_and_skipdata_are_gaps_per_eni_not_rows() {
    let groups = documented_examples();
    let read = read_text(&groups["flow-log-example-no-data"], None);
    assert_eq!(read.rows(), 0);
    let summary = read.report.summary();
    assert_eq!((summary.nodata, summary.skipdata), (1, 1));
    let gaps = read.report.gaps();
    assert_eq!(gaps["eni-1235b8ca123456789"].nodata, 1);
    assert_eq!(gaps["eni-11111111aaaaaaaaa"].skipdata, 1);
    assert_eq!(
        gaps["eni-11111111aaaaaaaaa"].skipped_ms,
        (1_431_280_934 - 1_431_280_876) * 1000
    );
}

#[test]
fn icmp_and_ipv6_records() {
    let groups = documented_examples();
    let icmp = read_text(&groups["flow-log-example-security-groups"], None);
    assert_eq!(icmp.rows(), 2);
    assert_eq!(
        (
            icmp.int("protocol", 0),
            icmp.int("srcport", 0),
            icmp.int("dstport", 0)
        ),
        (Some(1), Some(0), Some(0))
    );
    let v6 = read_text(&groups["flow-log-example-ipv6"], None);
    assert_eq!(
        v6.text("srcaddr", 0).as_deref(),
        Some("2001:db8:1234:a100:8d6e:3477:df66:f105")
    );
    assert_eq!(
        v6.ip("dst_ip", 0),
        Some(
            "2001:db8:1234:a102:3304:8879:34cf:4071"
                .parse()
                .expect("ip")
        )
    );
}

#[test]
fn custom_formats_from_header_lines() {
    let groups = documented_examples();
    let tcp = read_text(&groups["flow-log-example-tcp-flag"], None);
    assert_eq!(tcp.rows(), 8);
    assert_eq!(tcp.report.summary().headers, 1);
    assert_eq!(
        tcp.text("vpc_id", 0).as_deref(),
        Some("vpc-abcdefab012345678")
    );
    assert_eq!(
        tcp.text("instance_id", 0).as_deref(),
        Some("i-01234567890123456")
    );
    assert_eq!(tcp.text("type", 0).as_deref(), Some("IPv4"));
    assert_eq!(tcp.int("tcp_flags", 0), Some(2));
    assert_eq!(tcp.int("tcp_flags", 1), Some(18));
    assert_eq!(tcp.int("bytes", 0), Some(568));
    assert_eq!(tcp.int("packets", 0), Some(8));
    // The last record has two spaces between two fields in AWS's page: still one separator.
    assert_eq!(tcp.int("tcp_flags", 7), Some(19));

    let nat = read_text(&groups["flow-log-example-nat"], None);
    assert_eq!(nat.rows(), 6);
    assert_eq!(nat.text("instance_id", 0), None, "'-' is null");
    assert_eq!(nat.text("pkt_dstaddr", 0).as_deref(), Some("203.0.113.5"));
    assert_eq!(
        nat.text("instance_id", 4).as_deref(),
        Some("i-01234567890123456")
    );
    assert_eq!(nat.text("version", 0), None);

    let tgw = read_text(&groups["flow-log-example-tgw"], None);
    assert_eq!(tgw.rows(), 4);
    assert_eq!(tgw.text("pkt_srcaddr", 2).as_deref(), Some("10.20.33.164"));
    assert_eq!(tgw.text("srcaddr", 2).as_deref(), Some("10.40.1.175"));

    let v5 = read_text(&groups["flow-log-example-traffic-path"], None);
    assert_eq!(v5.rows(), 2);
    assert_eq!(v5.text("region", 0).as_deref(), Some("ap-southeast-2"));
    assert_eq!(v5.text("az_id", 0).as_deref(), Some("apse2-az3"));
    assert_eq!(v5.text("pkt_src_aws_service", 0).as_deref(), Some("S3"));
    assert_eq!(v5.text("pkt_dst_aws_service", 0), None);
    assert_eq!(v5.int("traffic_path", 0), None);
    assert_eq!(v5.int("traffic_path", 1), Some(8));
    assert_eq!(v5.text("flow_direction", 1).as_deref(), Some("egress"));
}

#[derive(serde::Deserialize)]
struct VrlVectors {
    groups: Vec<VrlGroup>,
}

#[derive(serde::Deserialize)]
struct VrlGroup {
    format: String,
    lines: Vec<String>,
}

fn vrl_groups() -> Vec<VrlGroup> {
    let text =
        std::fs::read_to_string(testdata("flow/vrl_vpcflow_test_vectors.json")).expect("sample");
    serde_json::from_str::<VrlVectors>(&text)
        .expect("json")
        .groups
}

#[test]
fn vrl_vectors_parse_with_their_formats() {
    let groups = vrl_groups();
    assert_eq!(groups.len(), 7);
    for group in &groups {
        let format = group.format.trim_end_matches(" (default)");
        let content = group.lines.join("\n");
        let read = read_text(&content, Some(format));
        let summary = read.report.summary();
        assert_eq!(
            summary.malformed,
            0,
            "{format}: {:?}",
            read.report.problems()
        );
        assert_eq!(
            read.rows() as u64 + summary.nodata + summary.skipdata,
            group.lines.len() as u64,
            "{format}"
        );
    }
}

#[test]
fn vrl_later_version_fields() {
    let groups = vrl_groups();
    let ecs = groups
        .iter()
        .find(|g| g.format.contains("ecs_cluster_arn"))
        .expect("ECS group");
    let read = read_text(&ecs.lines.join("\n"), Some(&ecs.format));
    assert_eq!(read.int("version", 0), Some(7));
    assert_eq!(
        read.text("ecs_cluster_name", 0).as_deref(),
        Some("my-cluster")
    );
    assert_eq!(
        read.text("ecs_container_instance_id", 0).as_deref(),
        Some("i-0c50d5961bcb2d47b")
    );
    assert_eq!(read.text("ecs_second_container_id", 0), None);
    assert_eq!(read.text("ecs_task_id", 0).as_deref(), Some("abcd1234"));

    let later = groups
        .iter()
        .find(|g| g.format.contains("reject_reason"))
        .expect("v8+ group");
    let read = read_text(&later.lines.join("\n"), Some(&later.format));
    assert_eq!(read.rows(), 2);
    assert_eq!(read.int("version", 0), Some(11));
    assert_eq!(read.text("reject_reason", 0).as_deref(), Some("BPA"));
    assert_eq!(
        read.text("resource_id", 0).as_deref(),
        Some("nat-0c50d5961bcb2d47b")
    );
    assert_eq!(read.int("encryption_status", 0), Some(1));
    assert_eq!(read.text("asg_tag_2", 0).as_deref(), Some("my-asg-2"));
    assert_eq!(
        read.text("next_hop_interface_type", 0).as_deref(),
        Some("network_load_balancer")
    );
    assert_eq!(read.text("reject_reason", 1), None);
    assert_eq!(read.int("encryption_status", 1), None);
}

fn flowlogs_reader() -> serde_json::Value {
    let text = std::fs::read_to_string(testdata("flow/flowlogs_reader_5.0.1_inputs.json"))
        .expect("sample");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn flowlogs_reader_cloudwatch_records() {
    let samples = flowlogs_reader();
    let lines: Vec<&str> = samples["V2_RECORDS"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let read = read_text(&lines.join("\n"), None);
    assert_eq!(read.rows(), 3);
    assert_eq!(
        read.text("interface_id", 2).as_deref(),
        Some("eni-102010cd")
    );
    assert_eq!(read.text("action", 2).as_deref(), Some("REJECT"));
    let summary = read.report.summary();
    assert_eq!((summary.nodata, summary.skipdata), (1, 1));
}

#[test]
fn flowlogs_reader_s3_files_with_alphabetical_headers() {
    let samples = flowlogs_reader();
    let file = |key: &str| samples[key].as_str().expect("string").to_string();

    let v3 = read_text(&file("V3_FILE"), None);
    assert_eq!(v3.rows(), 2);
    assert_eq!(v3.text("account_id", 0).as_deref(), Some("000000000000"));
    assert_eq!(v3.int("bytes", 0), Some(6392));
    assert_eq!(v3.text("dstaddr", 0).as_deref(), Some("172.18.160.93"));
    assert_eq!(v3.int("dstport", 0), Some(47460));
    assert_eq!(v3.int("end", 0), Some(1_568_300_425_000));
    assert_eq!(v3.text("instance_id", 0).as_deref(), Some("i-06f9249b"));
    assert_eq!(v3.int("packets", 0), Some(10));
    assert_eq!(v3.text("pkt_dstaddr", 0).as_deref(), Some("172.18.160.93"));
    assert_eq!(v3.text("pkt_srcaddr", 0).as_deref(), Some("192.168.0.1"));
    assert_eq!(v3.int("protocol", 0), Some(6));
    assert_eq!(v3.text("srcaddr", 0).as_deref(), Some("172.18.160.68"));
    assert_eq!(v3.int("srcport", 0), Some(443));
    assert_eq!(v3.int("start", 0), Some(1_568_300_367_000));
    assert_eq!(v3.text("subnet_id", 0).as_deref(), Some("subnet-089e7569"));
    assert_eq!(v3.int("tcp_flags", 0), Some(19));
    assert_eq!(v3.text("type", 0).as_deref(), Some("IPv4"));
    assert_eq!(v3.int("version", 0), Some(3));
    assert_eq!(v3.text("vpc_id", 0).as_deref(), Some("vpc-0461a061"));

    let v4 = read_text(&file("V4_FILE"), None);
    assert_eq!(v4.text("sublocation_type", 1).as_deref(), Some("outpost"));
    assert_eq!(v4.text("sublocation_id", 1).as_deref(), Some("outpostid04"));
    assert_eq!(v4.text("az_id", 0).as_deref(), Some("use1-az4"));

    let v5 = read_text(&file("V5_FILE"), None);
    assert_eq!(v5.rows(), 2);
    assert_eq!(v5.text("flow_direction", 0).as_deref(), Some("ingress"));
    assert_eq!(v5.text("pkt_src_aws_service", 0).as_deref(), Some("S3"));
    assert_eq!(v5.int("traffic_path", 1), Some(7));
    // The bogus line is counted and reported with its line number, and skipped.
    let problems = v5.report.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].position, eastwest_model::Position::Line(4));
    assert!(
        problems[0].reason.contains("bogus line"),
        "{}",
        problems[0].reason
    );
    assert!(problems[0].file.ends_with("flows.log"));

    let v6 = read_text(&file("V6_FILE"), None);
    assert_eq!(v6.rows(), 1);
    assert_eq!(
        v6.text("resource_type", 0).as_deref(),
        Some("TransitGateway")
    );
    assert_eq!(
        v6.text("tgw_pair_attachment_id", 0).as_deref(),
        Some("00000012")
    );
    assert_eq!(v6.int("packets_lost_no_route", 0), Some(13));
    assert_eq!(v6.int("packets_lost_ttl_expired", 0), Some(16));
}

#[test]
fn millisecond_and_second_times_both_read() {
    let content = "version start end interface-id\n\
                   2 1568300367 1568300425 eni-1\n\
                   2 1568300367123 1568300425456 eni-2\n";
    let read = read_text(content, None);
    assert_eq!(read.int("start", 0), Some(1_568_300_367_000));
    assert_eq!(read.int("start", 1), Some(1_568_300_367_123));
    assert_eq!(read.int("end", 1), Some(1_568_300_425_456));
}

#[test]
fn format_from_describe_flow_logs_applies_by_flow_log_id() {
    let mut flow = FlowContext::default();
    let described = serde_json::json!({"FlowLogs": [{
        "FlowLogId": "fl-1234abcd",
        "LogFormat": "${interface-id} ${srcaddr} ${dstaddr} ${action}",
        "LogDestinationType": "s3"
    }]});
    assert_eq!(flow.add_describe_flow_logs(&described), Some(1));
    let name = "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log";
    let (read, _dir) = read_bytes(name, b"eni-1 10.0.0.1 10.0.0.2 ACCEPT\n", flow);
    assert_eq!(read.rows(), 1);
    assert_eq!(read.text("dstaddr", 0).as_deref(), Some("10.0.0.2"));
}

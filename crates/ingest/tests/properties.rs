//! Property tests: the reader never panics on any input, and valid records round-trip.

mod common;

use eastwest_ingest::sources::flow::{LineOutcome, LineParser};
use eastwest_ingest::{FLOWS_SCHEMA, FlowContext, FlowFormat, RowSelection};
use eastwest_model::Position;
use proptest::prelude::*;

/// Tokens that are valid in some field, invalid in others, or hostile.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_string()),
        Just("ACCEPT".to_string()),
        Just("NODATA".to_string()),
        Just("SKIPDATA".to_string()),
        Just("OK".to_string()),
        Just("version".to_string()),
        Just("srcaddr".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("1.2.3.4".to_string()),
        Just("::1".to_string()),
        Just("256.1.1.1".to_string()),
        Just("é€".to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u16>().prop_map(|n| n.to_string()),
        "[a-z0-9:._-]{0,12}",
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(content in proptest::collection::vec(any::<u8>(), 0..4096), gz in any::<bool>()) {
        let content = if gz { common::gzip(&content) } else { content };
        let (read, _dir) = common::read_bytes("input", &content, FlowContext::default());
        let summary = read.report.summary();
        prop_assert_eq!(summary.files_read + summary.files_skipped + summary.files_unreadable, 1);
    }

    #[test]
    fn arbitrary_token_mixes_never_panic(lines in proptest::collection::vec(proptest::collection::vec(token(), 0..20), 1..40)) {
        let mut parser = LineParser::new(FlowFormat::default_format(), RowSelection::all(), FLOWS_SCHEMA.clone(), "mem".into());
        let mut rows = 0;
        for (i, tokens) in lines.iter().enumerate() {
            let line = tokens.join(" ");
            let outcome = parser.push_line(line.as_bytes(), Position::Line(i as u64 + 1));
            if outcome == LineOutcome::Row {
                rows += 1;
                prop_assert_eq!(tokens.len(), parser.format().len());
            }
        }
        prop_assert_eq!(parser.pending_rows(), rows);
        if let Some(batch) = parser.finish_batch() {
            prop_assert_eq!(batch.num_rows(), rows);
        }
    }

    #[test]
    fn valid_records_round_trip(
        src in any::<[u8; 4]>(), dst in any::<std::net::Ipv6Addr>(),
        srcport in any::<u16>(), dstport in any::<u16>(), protocol in 0u8..=255,
        packets in 0i64..i64::MAX, bytes in 0i64..i64::MAX,
        start in 0u32..4_000_000_000, length in 0u32..600, reject in any::<bool>(),
    ) {
        let src = std::net::Ipv4Addr::from(src);
        let action = if reject { "REJECT" } else { "ACCEPT" };
        let line = format!(
            "2 123456789010 eni-0a1b2c3d {src} {dst} {srcport} {dstport} {protocol} {packets} {bytes} {start} {} {action} OK",
            u64::from(start) + u64::from(length)
        );
        let read = common::read_text(&line, None);
        prop_assert_eq!(read.rows(), 1);
        prop_assert_eq!(read.text("srcaddr", 0), Some(src.to_string()));
        prop_assert_eq!(read.ip("src_ip", 0), Some(std::net::IpAddr::V4(src)));
        let dst_ip = dst.to_ipv4_mapped().map_or(std::net::IpAddr::V6(dst), std::net::IpAddr::V4);
        prop_assert_eq!(read.ip("dst_ip", 0), Some(dst_ip));
        prop_assert_eq!(read.int("srcport", 0), Some(i64::from(srcport)));
        prop_assert_eq!(read.int("dstport", 0), Some(i64::from(dstport)));
        prop_assert_eq!(read.int("protocol", 0), Some(i64::from(protocol)));
        prop_assert_eq!(read.int("packets", 0), Some(packets));
        prop_assert_eq!(read.int("bytes", 0), Some(bytes));
        prop_assert_eq!(read.int("start", 0), Some(i64::from(start) * 1000));
        prop_assert_eq!(read.text("action", 0), Some(action.to_string()));
    }
}

#[test]
fn a_hostile_header_is_bounded() {
    let header: Vec<String> = (0..10_000).map(|i| format!("field-{i}")).collect();
    let content = format!("version {}\n2 3\n", header.join(" "));
    let read = common::read_text(&content, None);
    assert_eq!(read.rows(), 0);
    // Too many fields to be a format, so the file is not recognised as a flow log.
    assert_eq!(read.report.summary().headers, 0);
    assert_eq!(read.report.summary().files_skipped, 1);
    // After a real header, the same line is reported as a record that does not fit.
    let content = format!(
        "version srcaddr\n2 10.0.0.1\nversion {}\n",
        header.join(" ")
    );
    let read = common::read_text(&content, None);
    assert_eq!((read.rows(), read.report.summary().malformed), (1, 1));
}

/// Fragments of every event kind's syntax, so random lines come close to real ones.
fn event_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{\"Records\":[".to_string()),
        Just("{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-23T09:00:00Z\",".to_string()),
        Just("\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}".to_string()),
        Just("\"userIdentity\":{\"arn\":\"arn:aws:sts::1:assumed-role/r/i-0abc\"},".to_string()),
        Just("{\"query_timestamp\":\"2026-11-23 09:00:00\",\"query_name\":\"a.\",".to_string()),
        Just("\"srcaddr\":\"10.0.0.1\",\"answers\":[{\"Rdata\":\"1.2.3.4\"}]}".to_string()),
        Just("{\"events\":[{\"message\":\"".to_string()),
        Just("]}".to_string()),
        Just("Nov 23 10:43:01 ip-10-0-0-1 sshd[12]: ".to_string()),
        Just("<38>1 2026-11-23T10:43:05Z host sshd 1 - - ".to_string()),
        Just("Failed password for invalid user ".to_string()),
        Just("Accepted publickey for ec2-user from ".to_string()),
        Just(" from 10.0.0.2 port 22 ssh2".to_string()),
        Just("type=SYSCALL msg=audit(1700000000.123:42): ".to_string()),
        Just("type=EXECVE msg=audit(1700000000.123:42): argc=2 a0=\"ls\" a1[0]=41".to_string()),
        Just("type=PROCTITLE msg=audit(1700000000.123:43): proctitle=6C73002D6C".to_string()),
        Just(
            "node=h type=USER_LOGIN msg=audit(1.1:1): msg='op=login acct=\"x\" res=failed'"
                .to_string()
        ),
        Just("\u{1d}UID=\"root\"".to_string()),
        Just("\n".to_string()),
        Just("é€\u{0}".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every event source reads any bytes (and near-valid text) into rows or counted problems:
    /// never a panic, and never more rows than lines or events could hold.
    #[test]
    fn event_sources_never_panic(
        raw in proptest::collection::vec(any::<u8>(), 0..2048),
        fragments in proptest::collection::vec(event_fragment(), 0..40),
        gz in any::<bool>(),
    ) {
        use eastwest_ingest::sources::Registry;
        use eastwest_ingest::table::{EventRead, EventSelection};
        use eastwest_ingest::report::InputTally;
        let text = fragments.concat().into_bytes();
        for content in [raw, text] {
            let content = if gz { common::gzip(&content) } else { content };
            let registry = Registry::default();
            for (table, kinds) in registry.tables() {
                for kind in kinds {
                    let source = registry.source(kind).expect("a source");
                    let selection = EventSelection {
                        projection: (0..table.schema().fields().len()).collect(),
                        ..EventSelection::default()
                    };
                    let report = eastwest_ingest::Report::new();
                    let mut tally = InputTally::default();
                    let mut rows = 0;
                    let mut emit = |batch: eastwest_ingest::RecordBatch| {
                        rows += batch.num_rows();
                        true
                    };
                    let mut read = EventRead::new("input", table, &selection, &mut tally, &report, &mut emit);
                    source.read(table, &mut content.as_slice(), &mut read);
                    drop(read);
                    prop_assert!(rows <= content.len() + 1);
                }
            }
        }
    }
}

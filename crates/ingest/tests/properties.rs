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

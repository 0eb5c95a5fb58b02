//! Fuzzes the flow-log line parser: any bytes, under the default format and under a format read
//! from the input's first line, must parse or be refused without a panic, and a refused line
//! must add no row.
#![no_main]

use eastwest_ingest::sources::flow::{LineOutcome, LineParser};
use eastwest_ingest::{FLOWS_SCHEMA, FlowFormat, RowSelection};
use eastwest_model::Position;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (first, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let format = std::str::from_utf8(first)
        .ok()
        .and_then(|f| FlowFormat::parse(f).ok())
        .unwrap_or_else(FlowFormat::default_format);
    let mut parser = LineParser::new(format, RowSelection::all(), FLOWS_SCHEMA.clone(), "fuzz".into());
    let mut rows = 0;
    for (i, line) in rest.split(|&b| b == b'\n').enumerate() {
        if parser.push_line(line, Position::Line(i as u64 + 1)) == LineOutcome::Row {
            rows += 1;
        }
    }
    assert_eq!(parser.pending_rows(), rows);
    if let Some(batch) = parser.finish_batch() {
        assert_eq!(batch.num_rows(), rows);
    }
});

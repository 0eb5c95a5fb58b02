//! Parses a plain flow-log file with the line parser alone (no engine), for profiling the
//! tokenizer and value parsing: `cargo run --profile profiling -p eastwest-ingest
//! --no-default-features --example parse_rate -- FILE [COLUMNS]`. COLUMNS is `none` (validate
//! only, what `count(*)` does) or `all`.

use std::time::Instant;

use eastwest_ingest::sources::flow::{FLOWS_SCHEMA, FlowFormat, LineParser, RowSelection};
use eastwest_model::Position;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_rate FILE [none|all]");
        std::process::exit(2);
    };
    let all = args.next().as_deref() == Some("all");
    let content = match std::fs::read(&path) {
        Ok(content) => content,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let mut selection = RowSelection::all();
    let schema = if all {
        FLOWS_SCHEMA.clone()
    } else {
        selection.projection.clear();
        std::sync::Arc::new(FLOWS_SCHEMA.project(&[]).expect("empty projection"))
    };
    let started = Instant::now();
    let mut parser = LineParser::new(FlowFormat::default_format(), selection, schema, "f".into());
    let (mut rows, mut lines) = (0usize, 0u64);
    let mut at = 0usize;
    while at < content.len() {
        // As the reader finds lines: memchr over the buffer.
        let end = memchr::memchr(b'\n', &content[at..]).map_or(content.len(), |n| at + n);
        let line = &content[at..end];
        at = end + 1;
        lines += 1;
        parser.push_line(line, Position::Line(lines));
        if parser.pending_rows() >= 8192 {
            rows += parser.finish_batch().map_or(0, |b| b.num_rows());
        }
    }
    rows += parser.finish_batch().map_or(0, |b| b.num_rows());
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{rows} rows of {lines} lines in {seconds:.3} s: {:.2} M records/s, {:.0} MB/s",
        rows as f64 / seconds / 1e6,
        content.len() as f64 / seconds / 1e6
    );
}

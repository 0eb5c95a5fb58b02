//! Flow logs as lines of text: plain or gzip files (S3 delivery, with header lines), and the
//! JSON containers CloudWatch Logs puts them in (`aws logs filter-log-events` / `get-log-events`
//! output, JSON lines with a `message` field, Firehose deliveries of subscription filters).

use std::io::{ErrorKind, Read};

use arrow::record_batch::RecordBatch;
use eastwest_model::{Position, ProblemLevel};
use serde::Deserialize;

use super::FlowContext;
use super::parse::{BATCH_ROWS, LineOutcome, LineParser, MAX_LINE_BYTES, quote};
use crate::report::{InputTally, Report};
use crate::sources::json;

/// Bytes read from storage at a time.
const BLOCK_BYTES: usize = 1 << 20;

/// Largest JSON container read, in bytes after decompression. CloudWatch Logs exports and
/// Firehose objects are far smaller. The container is parsed in memory, so the bound is what
/// one reader can hold: with one reader per core, at most cores x 256 MiB. A larger one is
/// reported unreadable, not cut.
pub const MAX_JSON_BYTES: u64 = 256 << 20;

/// Where batches go; returns false when the consumer wants no more.
pub type Emit<'a> = dyn FnMut(RecordBatch) -> bool + 'a;

/// The state of reading one input: its parser, its tally, where batches go.
pub struct TextRead<'a> {
    /// The parser (holds the format in force).
    pub parser: LineParser,
    /// The input's name, for problems.
    pub file: &'a str,
    /// Counts and problems of this input.
    pub tally: &'a mut InputTally,
    /// The run's report (records counter).
    pub report: &'a Report,
    /// Where batches go.
    pub emit: &'a mut Emit<'a>,
    /// False once the consumer stopped.
    pub wanted: bool,
}

impl TextRead<'_> {
    /// Parses one line and accounts for it. Returns false when reading should stop.
    pub fn line(&mut self, line: &[u8], position: Position) -> bool {
        match self.parser.push_line(line, position) {
            LineOutcome::Row | LineOutcome::Blank => {}
            LineOutcome::Filtered => self.tally.summary.filtered += 1,
            LineOutcome::Header => self.tally.summary.headers += 1,
            LineOutcome::OutOfWindow => self.tally.summary.out_of_window += 1,
            LineOutcome::Gap(gap) => self.tally.gap(
                gap.interface_id.as_deref().unwrap_or("-"),
                gap.skipped,
                gap.duration_ms,
            ),
            LineOutcome::Malformed(reason) => {
                self.tally
                    .problem(self.file, position, ProblemLevel::Record, reason);
            }
        }
        if self.parser.pending_rows() >= BATCH_ROWS {
            self.flush();
        }
        self.wanted
    }

    /// Emits the rows parsed so far.
    pub fn flush(&mut self) {
        if let Some(batch) = self.parser.finish_batch() {
            self.report.add_records(batch.num_rows() as u64);
            self.tally.summary.records += batch.num_rows() as u64;
            if self.wanted {
                self.wanted = (self.emit)(batch);
            }
        }
    }
}

/// Reads lines from `reader`, the first of them numbered `first_line`. An I/O error (a corrupt
/// gzip member, a vanished file) ends the input with an unreadable-problem; what was read before
/// it stays read.
pub fn read_lines(reader: &mut dyn Read, first_line: u64, read: &mut TextRead<'_>) {
    let mut buf = vec![0u8; BLOCK_BYTES];
    let mut filled = 0usize;
    let mut line_number = first_line;
    // True while the rest of an over-long line is being thrown away.
    let mut discarding = false;
    loop {
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                read.tally.problem(
                    read.file,
                    Position::Line(line_number),
                    ProblemLevel::Unreadable,
                    format!("read failed at this line, the rest of the file is lost: {e}"),
                );
                break;
            }
        };
        if n == 0 {
            if filled > 0 && !discarding && !read.line(&buf[..filled], Position::Line(line_number))
            {
                return;
            }
            break;
        }
        filled += n;
        let mut start = 0usize;
        while let Some(offset) = memchr::memchr(b'\n', &buf[start..filled]) {
            let end = start + offset;
            if discarding {
                discarding = false;
            } else if !read.line(&buf[start..end], Position::Line(line_number)) {
                return;
            }
            line_number += 1;
            start = end + 1;
        }
        if start == 0 && filled == buf.len() {
            // No line end in a whole block: far longer than any flow-log line.
            if !discarding {
                read.tally.problem(
                    read.file,
                    Position::Line(line_number),
                    ProblemLevel::Record,
                    format!(
                        "line longer than {MAX_LINE_BYTES} bytes, skipped: '{}'",
                        quote(&buf[..filled])
                    ),
                );
            }
            discarding = true;
            filled = 0;
            continue;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
    }
    read.flush();
}

/// One log event in a CloudWatch Logs container.
#[derive(Debug, Deserialize)]
struct LogEvent {
    message: Option<String>,
}

/// Any of the JSON shapes flow-log text arrives in from CloudWatch Logs.
#[derive(Debug, Deserialize)]
struct Envelope {
    /// Firehose deliveries: `DATA_MESSAGE` or `CONTROL_MESSAGE`.
    #[serde(rename = "messageType")]
    message_type: Option<String>,
    /// Firehose deliveries: the log group the events came from.
    #[serde(rename = "logGroup")]
    log_group: Option<String>,
    /// Firehose deliveries.
    #[serde(rename = "logEvents")]
    log_events: Option<Vec<LogEvent>>,
    /// `aws logs filter-log-events` and `get-log-events` output.
    events: Option<Vec<LogEvent>>,
    /// JSON lines: one event per line.
    message: Option<String>,
}

/// The first `limit` messages in a JSON head (used for recognition; a cut-off last object is
/// ignored).
pub fn first_json_messages(head: &[u8], limit: usize) -> Vec<String> {
    let mut messages = Vec::new();
    for envelope in serde_json::Deserializer::from_slice(head).into_iter::<Envelope>() {
        let Ok(envelope) = envelope else {
            break;
        };
        messages.extend(envelope.message);
        for events in [envelope.log_events, envelope.events].into_iter().flatten() {
            messages.extend(events.into_iter().filter_map(|e| e.message));
        }
        if messages.len() >= limit {
            break;
        }
    }
    if messages.is_empty() {
        // A single large export whose first object is cut off: pull messages out by hand.
        let text = String::from_utf8_lossy(head);
        for part in text.split("\"message\"").skip(1).take(limit) {
            let value = part.trim_start().strip_prefix(':').map(str::trim_start);
            if let Some(rest) = value.and_then(|v| v.strip_prefix('"'))
                && let Some(end) = rest.find('"')
            {
                messages.push(rest[..end].to_string());
            }
        }
    }
    messages
}

/// Reads a JSON container: every message is a line of flow-log text. Events of arrays are
/// numbered across the file ([`Position::Event`]); a JSON-lines object is placed by its line.
/// After invalid JSON, reading resumes at the next line that starts an object.
pub fn read_json(
    reader: &mut dyn Read,
    input_name: &str,
    context: &FlowContext,
    read: &mut TextRead<'_>,
) {
    let mut content = Vec::new();
    if let Err(e) = reader.take(MAX_JSON_BYTES + 1).read_to_end(&mut content) {
        read.tally.problem(
            read.file,
            Position::File,
            ProblemLevel::Unreadable,
            format!("read failed: {e}"),
        );
        return;
    }
    if content.len() as u64 > MAX_JSON_BYTES {
        read.tally.problem(
            read.file,
            Position::File,
            ProblemLevel::Unreadable,
            format!("JSON container larger than {MAX_JSON_BYTES} bytes"),
        );
        return;
    }
    let mut event_number = 0u64;
    let mut offset = 0usize;
    let mut current_group: Option<String> = None;
    let mut lines = json::Lines::default();
    while offset < content.len() {
        let mut stream =
            serde_json::Deserializer::from_slice(&content[offset..]).into_iter::<Envelope>();
        let mut failed_at = None;
        loop {
            let object_start = offset + stream.byte_offset();
            let Some(envelope) = stream.next() else {
                break;
            };
            let envelope = match envelope {
                Ok(envelope) => envelope,
                Err(e) => {
                    failed_at = Some((object_start, e));
                    break;
                }
            };
            if envelope.message_type.as_deref() == Some("CONTROL_MESSAGE") {
                continue;
            }
            if envelope.log_group != current_group {
                current_group = envelope.log_group.clone();
                read.flush();
                read.parser
                    .set_format(context.format_for(input_name, current_group.as_deref()));
            }
            if let Some(message) = envelope.message {
                event_number += 1;
                let line = lines.line_at(&content, json::skip_space(&content, object_start));
                if !read.line(message.as_bytes(), Position::Line(line)) {
                    return;
                }
            }
            for events in [envelope.log_events, envelope.events].into_iter().flatten() {
                for event in events {
                    event_number += 1;
                    let position = Position::Event(event_number);
                    let Some(message) = event.message else {
                        read.tally.problem(
                            read.file,
                            position,
                            ProblemLevel::Record,
                            "log event without a message".into(),
                        );
                        continue;
                    };
                    if !read.line(message.as_bytes(), position) {
                        return;
                    }
                }
            }
        }
        let Some((object_start, error)) = failed_at else {
            break;
        };
        let line = lines.line_at(&content, json::skip_space(&content, object_start));
        read.tally.problem(
            read.file,
            Position::Line(line),
            ProblemLevel::Record,
            format!("invalid JSON, skipped to the next line that starts an object: {error}"),
        );
        let Some(next) = next_object_line(&content, object_start + 1) else {
            break;
        };
        offset = next;
    }
    read.flush();
}

fn next_object_line(content: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < content.len() {
        let newline = memchr::memchr(b'\n', &content[at..])?;
        let line_start = at + newline + 1;
        let first = content[line_start..]
            .iter()
            .position(|b| !b.is_ascii_whitespace() || *b == b'\n');
        if let Some(p) = first
            && content[line_start + p] == b'{'
        {
            return Some(line_start + p);
        }
        at = line_start;
    }
    None
}

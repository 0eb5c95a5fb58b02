//! The text line parser: tokens of one flow-log line → typed values → Arrow column builders.
//!
//! Every known field of every line is validated whatever columns a query asks for, so that the
//! same file gives the same malformed-line count for every query; only the columns asked for are
//! built. A line that does not parse adds nothing to any column: values are staged first and
//! appended only once the whole line has parsed.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, DictionaryArray, FixedSizeBinaryBuilder, Int32Array, Int32Builder,
    Int64Builder, StringArray, StringBuilder, TimestampMillisecondBuilder, UInt64Builder,
};
use arrow::datatypes::{Int32Type, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use eastwest_model::Position;

use super::fields::{COLUMNS, ColumnSource, FIELDS, FieldId, FieldType};
use super::format::{FlowFormat, Slot};

/// Longest line read, in bytes. The longest real records (ECS ARNs, tags) are a few hundred
/// bytes; anything far past that is not a flow log, and the bound keeps memory per line small.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Rows per Arrow batch: large enough to amortise per-batch costs in DataFusion, small enough to
/// stay in cache.
pub const BATCH_ROWS: usize = 8192;

/// Rows the column builders are sized for at first. Builders grow as needed; starting small
/// keeps a parser cheap to make for the many small files S3 delivery writes.
const INITIAL_ROWS: usize = 1024;

/// Epoch values at or above this are milliseconds, below it seconds: 10^11 seconds is the year
/// 5138, 10^11 milliseconds is 1973, so real data of either kind falls on the right side.
pub(crate) const MILLISECOND_THRESHOLD: i64 = 100_000_000_000;

/// An epoch time in seconds or milliseconds (told apart by [`MILLISECOND_THRESHOLD`]) as
/// milliseconds; None when it does not fit.
pub(crate) fn epoch_millis(value: i64) -> Option<i64> {
    if value >= MILLISECOND_THRESHOLD {
        Some(value)
    } else {
        value.checked_mul(1000)
    }
}

/// Which rows to keep, by time, and which columns to build.
#[derive(Debug, Clone)]
pub struct RowSelection {
    /// Indexes into [`COLUMNS`] of the columns to build, in output order.
    pub projection: Vec<usize>,
    /// Keep only records whose `end` is at or after this (epoch ms).
    pub since_ms: Option<i64>,
    /// Keep only records whose `start` is before this (epoch ms).
    pub until_ms: Option<i64>,
    /// Keep only records where each of these fields equals its value (a query's `WHERE action =
    /// 'REJECT'`, pushed down so rows that fail it are never built). A field the format lacks is
    /// null and equals nothing.
    pub equals: Vec<(FieldId, Literal)>,
    /// Return the NODATA/SKIPDATA records as rows (the `flow_gaps` table) instead of the
    /// traffic (the `flows` table). Gaps are counted either way.
    pub gaps: bool,
}

/// A constant a field is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// Compared with the field's text as logged.
    Text(String),
    /// Compared with an integer field's value.
    Int(i64),
}

impl RowSelection {
    /// Every column, every row.
    pub fn all() -> Self {
        Self {
            projection: (0..COLUMNS.len()).collect(),
            since_ms: None,
            until_ms: None,
            equals: Vec::new(),
            gaps: false,
        }
    }
}

/// A typed value staged while a line is checked.
#[derive(Debug, Clone, Copy)]
enum Value {
    Null,
    Int(i64),
    Time(i64),
    /// An address: its binary form and the byte range of its text.
    Ip([u8; 16], u32, u32),
    /// Byte range of the token inside the line.
    Text(u32, u32),
}

/// What one line turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// A record, appended as a row.
    Row,
    /// A blank line.
    Blank,
    /// A header line; the format changed to it.
    Header,
    /// A NODATA or SKIPDATA record for an ENI: a coverage interval, not traffic (appended as a
    /// row only when reading gaps).
    Gap(GapRecord),
    /// A record outside the time window.
    OutOfWindow,
    /// A record that a pushed-down condition ([`RowSelection::equals`]) leaves out.
    Filtered,
    /// A line that did not parse; the reason quotes it.
    Malformed(String),
}

/// A NODATA or SKIPDATA record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRecord {
    /// `interface-id`, when the format has it.
    pub interface_id: Option<String>,
    /// True for SKIPDATA (records dropped), false for NODATA (nothing to record).
    pub skipped: bool,
    /// Interval length in milliseconds, when the format has `start` and `end`.
    pub duration_ms: Option<i64>,
}

enum Builder {
    Int32(Int32Builder),
    Int64(Int64Builder),
    Time(TimestampMillisecondBuilder),
    Text(StringBuilder),
    Binary(FixedSizeBinaryBuilder),
    File,
    Line(UInt64Builder),
}

/// Parses lines of one format into Arrow batches of the `flows` schema (projected).
pub struct LineParser {
    format: FlowFormat,
    /// For each field id, its position in the format.
    field_slot: Vec<Option<usize>>,
    /// For each slot, the known field it holds.
    slot_field: Vec<Option<FieldId>>,
    selection: RowSelection,
    schema: SchemaRef,
    /// What each builder is built from (the projection, resolved once).
    sources: Vec<ColumnSource>,
    builders: Vec<Builder>,
    rows: usize,
    file: Arc<str>,
    /// For each slot, the type of the known field it holds.
    slot_kind: Vec<Option<FieldType>>,
    /// Whether any column built is text (which needs the line as `str`).
    builds_text: bool,
    values: Vec<Value>,
    log_status_slot: Option<usize>,
    interface_slot: Option<usize>,
    start_slot: Option<usize>,
    end_slot: Option<usize>,
}

impl LineParser {
    /// A parser for lines of `format` from the input named `file`, building the columns of
    /// `selection` (`schema` is the projected `flows` schema).
    pub fn new(
        format: FlowFormat,
        selection: RowSelection,
        schema: SchemaRef,
        file: Arc<str>,
    ) -> Self {
        let builders: Vec<Builder> = selection
            .projection
            .iter()
            .map(|&column| new_builder(COLUMNS[column].1, INITIAL_ROWS, INITIAL_ROWS * 16))
            .collect();
        let sources = selection
            .projection
            .iter()
            .map(|&column| COLUMNS[column].1)
            .collect();
        let builds_text = builders
            .iter()
            .any(|builder| matches!(builder, Builder::Text(_)));
        let mut parser = Self {
            sources,
            format: FlowFormat::default_format(),
            field_slot: Vec::new(),
            slot_field: Vec::new(),
            selection,
            schema,
            builders,
            rows: 0,
            file,
            slot_kind: Vec::new(),
            builds_text,
            values: Vec::with_capacity(32),
            log_status_slot: None,
            interface_slot: None,
            start_slot: None,
            end_slot: None,
        };
        parser.set_format(format);
        parser
    }

    /// Switches to another format (a repeated header line with other fields).
    pub fn set_format(&mut self, format: FlowFormat) {
        // Columns the old format lacked have no values for its rows yet.
        self.pad_absent();
        self.field_slot = vec![None; FIELDS.len()];
        self.slot_field = format
            .slots()
            .iter()
            .map(|slot| match slot {
                Slot::Known(id) => Some(*id),
                Slot::Unknown(_) => None,
            })
            .collect();
        self.slot_kind = self
            .slot_field
            .iter()
            .map(|field| field.map(|id| FIELDS[id].kind))
            .collect();
        for (slot, field) in self.slot_field.iter().enumerate() {
            if let Some(id) = field {
                self.field_slot[*id] = Some(slot);
            }
        }
        let slot_of = |name: &str| super::fields::field_id(name).and_then(|id| self.field_slot[id]);
        self.log_status_slot = slot_of("log-status");
        self.interface_slot = slot_of("interface-id");
        self.start_slot = slot_of("start");
        self.end_slot = slot_of("end");
        self.format = format;
    }

    /// The format in force.
    pub fn format(&self) -> &FlowFormat {
        &self.format
    }

    /// Rows waiting in the builders.
    pub fn pending_rows(&self) -> usize {
        self.rows
    }

    /// Parses one line (without its line terminator) at `position`.
    pub fn push_line(&mut self, line: &[u8], position: Position) -> LineOutcome {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return LineOutcome::Malformed(format!(
                "line of {} bytes is longer than the {MAX_LINE_BYTES} allowed",
                line.len()
            ));
        }
        let Some(first) = line.iter().position(|&b| b != b' ') else {
            return LineOutcome::Blank;
        };
        if line[first].is_ascii_lowercase()
            && let Some(format) = FlowFormat::from_header_line(trim(line))
        {
            self.set_format(format);
            return LineOutcome::Header;
        }
        // Each token is parsed as the tokenizer finds it, so the line is walked once. What is
        // wrong with it is reported in the order a reader checks: the number of fields, then
        // UTF-8, then the first field that does not parse.
        let fields = self.format.len();
        let mut count = 0usize;
        let mut failure: Option<(usize, String)> = None;
        let slot_kind = &self.slot_kind;
        let values = &mut self.values;
        values.clear();
        let ascii = tokenize(line, |start, end| {
            if count == fields {
                count += 1;
                return false;
            }
            let value = match slot_kind[count] {
                Some(kind) if failure.is_none() => {
                    let token = &line[start as usize..end as usize];
                    parse_value(kind, token, start, end).unwrap_or_else(|why| {
                        failure = Some((count, why));
                        Value::Null
                    })
                }
                _ => Value::Null,
            };
            values.push(value);
            count += 1;
            true
        });
        if count != fields {
            let found = if count > fields {
                format!("more than {fields}")
            } else {
                count.to_string()
            };
            return LineOutcome::Malformed(format!(
                "expected {fields} fields, found {found}: '{}'",
                quote(line)
            ));
        }
        // An ASCII line (every flow log) is valid UTF-8: the tokenizer saw every byte. Otherwise
        // one check for the whole line instead of one per text field; token bounds are spaces,
        // so slicing the text there is always valid.
        let text = if ascii && !self.builds_text {
            ""
        } else {
            match std::str::from_utf8(line) {
                Ok(text) => text,
                Err(_) => {
                    return LineOutcome::Malformed(format!("not valid UTF-8: '{}'", quote(line)));
                }
            }
        };
        if let Some((slot, why)) = failure {
            let name = self.slot_field[slot].map_or("?", |id| FIELDS[id].name);
            return LineOutcome::Malformed(format!(
                "field {} ({name}): {why}: '{}'",
                slot + 1,
                quote(line)
            ));
        }
        let gap = match self.log_status_slot.map(|slot| self.values[slot]) {
            Some(Value::Text(s, e)) => match &line[s as usize..e as usize] {
                b"NODATA" => Some(false),
                b"SKIPDATA" => Some(true),
                _ => None,
            },
            _ => None,
        };
        match (gap, self.selection.gaps) {
            // Gaps are not traffic: counted, and rows only of the gaps table.
            (Some(skipped), false) => return LineOutcome::Gap(self.gap_record(line, skipped)),
            (None, true) => return LineOutcome::Filtered,
            _ => {}
        }
        if self.selection.since_ms.is_some() || self.selection.until_ms.is_some() {
            let start = self.time_at(self.start_slot);
            let end = self.time_at(self.end_slot);
            let before =
                matches!((self.selection.since_ms, end), (Some(since), Some(end)) if end < since);
            let after = matches!((self.selection.until_ms, start), (Some(until), Some(start)) if start >= until);
            if before || after {
                return LineOutcome::OutOfWindow;
            }
        }
        for (id, literal) in &self.selection.equals {
            let value = self.field_slot[*id].map_or(Value::Null, |slot| self.values[slot]);
            let equal = match (value, literal) {
                (Value::Text(s, e) | Value::Ip(_, s, e), Literal::Text(want)) => {
                    &line[s as usize..e as usize] == want.as_bytes()
                }
                (Value::Int(n), Literal::Int(want)) => n == *want,
                _ => false,
            };
            if !equal {
                return LineOutcome::Filtered;
            }
        }
        self.append(text, position);
        match gap {
            Some(skipped) => LineOutcome::Gap(self.gap_record(line, skipped)),
            None => LineOutcome::Row,
        }
    }

    fn time_at(&self, slot: Option<usize>) -> Option<i64> {
        match self.values.get(slot?)? {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    fn gap_record(&self, line: &[u8], skipped: bool) -> GapRecord {
        let interface_id = self
            .interface_slot
            .and_then(|slot| match self.values[slot] {
                Value::Text(s, e) => {
                    Some(String::from_utf8_lossy(&line[s as usize..e as usize]).into_owned())
                }
                _ => None,
            });
        let duration_ms = match (self.time_at(self.start_slot), self.time_at(self.end_slot)) {
            (Some(start), Some(end)) if end >= start => end.checked_sub(start),
            _ => None,
        };
        GapRecord {
            interface_id,
            skipped,
            duration_ms,
        }
    }

    /// Brings every builder up to the rows parsed so far with nulls. A column whose field the
    /// format lacks gets no value per row in [`Self::append`] (for `SELECT *` over a v2 log that
    /// is most of the schema, and appending nulls one by one cost more than parsing): it is
    /// filled here, once a batch, before the format changes or the batch is finished.
    fn pad_absent(&mut self) {
        let rows = self.rows;
        for builder in &mut self.builders {
            match builder {
                Builder::Int32(b) => b.append_nulls(rows - b.len()),
                Builder::Int64(b) => b.append_nulls(rows - b.len()),
                Builder::Time(b) => b.append_nulls(rows - b.len()),
                Builder::Text(b) => b.append_nulls(rows - b.len()),
                Builder::Binary(b) => b.append_nulls(rows - b.len()),
                Builder::Line(b) => b.append_nulls(rows - b.len()),
                Builder::File => {}
            }
        }
    }

    fn append(&mut self, line: &str, position: Position) {
        for (builder, &source) in self.builders.iter_mut().zip(&self.sources) {
            let value = match source {
                ColumnSource::Field(id) | ColumnSource::Binary(id) => match self.field_slot[id] {
                    Some(slot) => self.values[slot],
                    // Absent from the format: padded with nulls by `pad_absent`.
                    None => continue,
                },
                ColumnSource::SourceFile => Value::Null,
                ColumnSource::SourceLine => Value::Int(match position {
                    Position::Line(n)
                    | Position::Event(n)
                    | Position::Row(n)
                    | Position::Item(n) => n as i64,
                    Position::File => 0,
                }),
            };
            match (builder, value) {
                (Builder::File, _) => {}
                (Builder::Line(b), Value::Int(n)) => b.append_value(n as u64),
                (Builder::Int32(b), Value::Int(n)) => b.append_value(n as i32),
                (Builder::Int64(b), Value::Int(n)) => b.append_value(n),
                (Builder::Time(b), Value::Time(t)) => b.append_value(t),
                (Builder::Text(b), Value::Text(s, e) | Value::Ip(_, s, e)) => {
                    b.append_value(line.get(s as usize..e as usize).unwrap_or_default());
                }
                (Builder::Binary(b), Value::Ip(bytes, _, _)) => {
                    // The builder's width is 16, so this cannot fail.
                    let _ = b.append_value(bytes);
                }
                (Builder::Int32(b), _) => b.append_null(),
                (Builder::Int64(b), _) => b.append_null(),
                (Builder::Time(b), _) => b.append_null(),
                (Builder::Text(b), _) => b.append_null(),
                (Builder::Binary(b), _) => b.append_null(),
                (Builder::Line(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
    }

    /// Finishes the rows so far into a batch (None when there are none).
    pub fn finish_batch(&mut self) -> Option<RecordBatch> {
        if self.rows == 0 {
            return None;
        }
        self.pad_absent();
        let rows = self.rows;
        self.rows = 0;
        let file = Arc::clone(&self.file);
        // A finished builder keeps no capacity; the next batch is likely as large as this one, so
        // its builders are made that size at once instead of growing by doubling (each step a
        // copy, and fresh pages to fault in: more than the parse itself for wide projections).
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .zip(&self.sources)
            .map(|(builder, &source)| {
                let text_bytes = match builder {
                    Builder::Text(b) => b.values_slice().len(),
                    _ => 0,
                };
                let column = finish(builder, rows, &file);
                *builder = new_builder(source, rows, text_bytes);
                column
            })
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        // Every column has `rows` values by construction; should that ever break, the rows are
        // lost, so say so rather than drop them quietly.
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns, &options)
            .inspect_err(|e| tracing::error!(file = %self.file, rows, "Rows lost: {e}"))
            .ok()
    }
}

/// A builder for `source` with room for `rows` rows and, for text, `text_bytes` bytes.
fn new_builder(source: ColumnSource, rows: usize, text_bytes: usize) -> Builder {
    match source {
        ColumnSource::Field(id) => match FIELDS[id].kind {
            FieldType::Int32 => Builder::Int32(Int32Builder::with_capacity(rows)),
            FieldType::Int64 => Builder::Int64(Int64Builder::with_capacity(rows)),
            FieldType::Time => {
                Builder::Time(TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"))
            }
            FieldType::Address | FieldType::Text => {
                Builder::Text(StringBuilder::with_capacity(rows, text_bytes))
            }
        },
        ColumnSource::Binary(_) => Builder::Binary(FixedSizeBinaryBuilder::with_capacity(rows, 16)),
        ColumnSource::SourceFile => Builder::File,
        ColumnSource::SourceLine => Builder::Line(UInt64Builder::with_capacity(rows)),
    }
}

fn finish(builder: &mut Builder, rows: usize, file: &Arc<str>) -> ArrayRef {
    match builder {
        Builder::Int32(b) => Arc::new(b.finish()),
        Builder::Int64(b) => Arc::new(b.finish()),
        Builder::Time(b) => Arc::new(b.finish()),
        Builder::Text(b) => Arc::new(b.finish()),
        Builder::Binary(b) => Arc::new(b.finish()),
        Builder::Line(b) => Arc::new(b.finish()),
        Builder::File => source_file_column(file, rows),
    }
}

/// A dictionary column holding one file name for every row.
pub(crate) fn source_file_column(file: &str, rows: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; rows]);
    let values = StringArray::from(vec![file]);
    match DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)) {
        Ok(array) => Arc::new(array),
        Err(_) => unreachable!("key 0 is inside a one-value dictionary"),
    }
}

/// Splits on spaces (a run of them counts as one separator: AWS's own examples have a double
/// space), calling `token` with each token's byte range until it returns false. Returns whether
/// the line is ASCII (false as well when `token` stopped the scan: the rest is unseen).
///
/// This is the parser's hottest loop. It looks at eight bytes at a time: XOR with eight spaces
/// turns each space into a zero byte, and a carry-free bit trick marks exactly those, so a word
/// without spaces costs a handful of instructions instead of eight compares. The words are also
/// ORed together, so the high bits tell whether any byte was outside ASCII. (A callback measured
/// faster than an iterator here: the scan's state stays in registers.)
fn tokenize(line: &[u8], mut token: impl FnMut(u32, u32) -> bool) -> bool {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut start = 0usize;
    let mut seen = 0u64;
    let mut base = 0usize;
    let mut words = line.chunks_exact(8);
    for word in words.by_ref() {
        let bytes: [u8; 8] = word.try_into().unwrap_or([0; 8]);
        let word = u64::from_le_bytes(bytes);
        seen |= word;
        let x = word ^ SPACES;
        // The high bit of each byte that is zero, exactly: adding 0x7f to the low seven bits
        // sets the high bit unless they are all clear, and cannot carry into the next byte.
        let mut marks = !(((x & LOW_SEVEN).wrapping_add(LOW_SEVEN)) | x | LOW_SEVEN);
        while marks != 0 {
            let space = base + (marks.trailing_zeros() / 8) as usize;
            if space > start && !token(start as u32, space as u32) {
                return false;
            }
            start = space + 1;
            marks &= marks - 1;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        seen |= u64::from(b);
        if b == b' ' {
            let space = base + i;
            if space > start && !token(start as u32, space as u32) {
                return false;
            }
            start = space + 1;
        }
    }
    if start < line.len() && !token(start as u32, line.len() as u32) {
        return false;
    }
    seen & !LOW_SEVEN == 0
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end]
}

/// The line as text for a message, cut to a readable length.
pub(crate) fn quote(line: &[u8]) -> String {
    const QUOTE_BYTES: usize = 120;
    let cut = &line[..line.len().min(QUOTE_BYTES)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if line.len() > QUOTE_BYTES {
        text.push('…');
    }
    text
}

fn parse_value(kind: FieldType, token: &[u8], start: u32, end: u32) -> Result<Value, String> {
    if token == b"-" {
        return Ok(Value::Null);
    }
    match kind {
        FieldType::Int32 => {
            let n = parse_unsigned(token).ok_or("not a whole number")?;
            i32::try_from(n)
                .map(|n| Value::Int(i64::from(n)))
                .map_err(|_| "number too large".into())
        }
        FieldType::Int64 => {
            let n = parse_unsigned(token).ok_or("not a whole number")?;
            i64::try_from(n)
                .map(Value::Int)
                .map_err(|_| "number too large".into())
        }
        FieldType::Time => {
            let n = parse_unsigned(token).ok_or("not an epoch time")?;
            i64::try_from(n)
                .ok()
                .and_then(epoch_millis)
                .map(Value::Time)
                .ok_or_else(|| "time out of range".into())
        }
        FieldType::Address => parse_ip(token)
            .map(|bytes| Value::Ip(bytes, start, end))
            .ok_or_else(|| "not an IP address".into()),
        // UTF-8 is checked once for the whole line.
        FieldType::Text => Ok(Value::Text(start, end)),
    }
}

/// Digits only; at most 19 of them, so the value fits in u64 without overflow checks per digit.
fn parse_unsigned(token: &[u8]) -> Option<u64> {
    if token.is_empty() || token.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &b in token {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + u64::from(digit);
    }
    Some(n)
}

/// An IPv4 or IPv6 address as 16 bytes, IPv4 mapped into IPv6.
pub fn parse_ip(token: &[u8]) -> Option<[u8; 16]> {
    if let Some(v4) = parse_ipv4(token) {
        return Some(v4.to_ipv6_mapped().octets());
    }
    if token.contains(&b':') && token.len() <= 45 {
        let text = std::str::from_utf8(token).ok()?;
        return text.parse::<Ipv6Addr>().ok().map(|ip| ip.octets());
    }
    None
}

/// Dotted quad, no leading `+`, each part 0–255 with one to three digits.
fn parse_ipv4(token: &[u8]) -> Option<Ipv4Addr> {
    if token.len() < 7 || token.len() > 15 {
        return None;
    }
    let digit = |at: usize| {
        token
            .get(at)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d <= 9)
    };
    // Part by part rather than byte by byte: the first digit is required, the next two are
    // taken while they are digits, then a dot must follow (or, after the fourth, the end).
    let mut octets = [0u8; 4];
    let mut at = 0usize;
    for (part, octet) in octets.iter_mut().enumerate() {
        let mut value = u32::from(digit(at)?);
        at += 1;
        if let Some(d) = digit(at) {
            value = value * 10 + u32::from(d);
            at += 1;
            if let Some(d) = digit(at) {
                value = value * 10 + u32::from(d);
                at += 1;
            }
        }
        *octet = u8::try_from(value).ok()?;
        if part < 3 {
            if token.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
    }
    (at == token.len()).then(|| Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::flow::fields::FLOWS_SCHEMA;
    use arrow::array::Array;

    #[test]
    fn ipv4_and_ipv6_parse_to_one_form() {
        assert_eq!(
            parse_ip(b"10.0.0.1"),
            Some(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped().octets())
        );
        assert!(parse_ip(b"2001:db8::1").is_some());
        for bad in [
            &b"10.0.0"[..],
            b"10.0.0.256",
            b"1.2.3.4.5",
            b"a.b.c.d",
            b"01234.1.1.1",
            b"",
            b"::g",
        ] {
            assert_eq!(parse_ip(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn tokens_split_on_runs_of_spaces_at_any_offset() {
        for line in [
            "a b",
            " a  b ",
            "abcdefgh ijklmnop",
            "abcdefg  hijklmnopq r",
            "        x",
            "x        ",
            "",
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6",
        ] {
            let (tokens, ascii) = tokens_of(line.as_bytes(), 100);
            assert!(ascii);
            let got: Vec<&str> = tokens
                .iter()
                .map(|&(s, e)| &line[s as usize..e as usize])
                .collect();
            let want: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
            assert_eq!(got, want, "{line:?}");
        }
        let (tokens, ascii) = tokens_of(b"a b c d e", 3);
        assert_eq!(tokens.len(), 3);
        assert!(
            !ascii,
            "a stopped scan does not vouch for the rest of the line"
        );
        for line in ["é", "abcdefgh é", "abcdefghé", "x\u{80}"] {
            assert!(!tokens_of(line.as_bytes(), 100).1, "{line:?}");
        }
    }

    /// The tokens of `line`, at most `limit` of them, and whether it was ASCII.
    fn tokens_of(line: &[u8], limit: usize) -> (Vec<(u32, u32)>, bool) {
        let mut tokens = Vec::new();
        let ascii = tokenize(line, |start, end| {
            tokens.push((start, end));
            tokens.len() < limit
        });
        (tokens, ascii)
    }

    proptest::proptest! {
        #[test]
        fn ipv4_matches_a_plain_reading(token in "[0-9.]{0,17}") {
            // The rule read plainly: four dot-separated parts of one to three digits, each at
            // most 255.
            let parts: Vec<&str> = token.split('.').collect();
            let plain = (parts.len() == 4
                && parts.iter().all(|p| (1..=3).contains(&p.len()) && p.parse::<u16>().is_ok_and(|n| n <= 255)))
            .then(|| parts.iter().map(|p| p.parse::<u8>().unwrap_or(0)).collect::<Vec<u8>>());
            let got = parse_ipv4(token.as_bytes()).map(|ip| ip.octets().to_vec());
            proptest::prop_assert_eq!(got, plain);
        }

        #[test]
        fn ipv4_reads_every_quad(parts in proptest::array::uniform4(0u16..400), zeros in 0usize..3) {
            let text = parts.iter().map(|p| format!("{p:0zeros$}")).collect::<Vec<_>>().join(".");
            let want = parts.iter().all(|p| *p <= 255).then(|| parts.map(|p| p as u8));
            let got = parse_ipv4(text.as_bytes()).map(|ip| ip.octets());
            proptest::prop_assert_eq!(got, want, "{}", text);
        }

        #[test]
        fn tokens_match_a_plain_split(line in "[ a\\t]{0,70}") {
            let (tokens, _) = tokens_of(line.as_bytes(), usize::MAX);
            let got: Vec<&str> = tokens.iter().map(|&(s, e)| &line[s as usize..e as usize]).collect();
            let want: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    /// A parser of default-format lines that builds every column.
    fn every_column() -> LineParser {
        LineParser::new(
            FlowFormat::default_format(),
            RowSelection::all(),
            FLOWS_SCHEMA.clone(),
            "mem".into(),
        )
    }

    #[test]
    fn columns_a_format_lacks_are_null_across_a_header_change() {
        let mut parser = every_column();
        let v2 = b"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        assert_eq!(parser.push_line(v2, Position::Line(1)), LineOutcome::Row);
        let header = b"version vpc-id srcaddr dstaddr";
        assert_eq!(
            parser.push_line(header, Position::Line(2)),
            LineOutcome::Header
        );
        let v5 = b"5 vpc-9 10.0.0.1 10.0.0.2";
        assert_eq!(parser.push_line(v5, Position::Line(3)), LineOutcome::Row);
        assert_eq!(parser.push_line(v2, Position::Line(4)), LineOutcome::Malformed(
            "expected 4 fields, found more than 4: '2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'".into()
        ));
        let batch = parser.finish_batch().expect("two rows");
        assert_eq!(batch.num_rows(), 2);
        let text = |name: &str| {
            let column = batch.column_by_name(name).expect("in the schema");
            let column = column.as_any().downcast_ref::<StringArray>().expect("text");
            (0..2)
                .map(|row| column.is_valid(row).then(|| column.value(row).to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(text("vpc_id"), [None, Some("vpc-9".into())]);
        assert_eq!(text("interface_id"), [Some("eni-1".into()), None]);
        assert_eq!(
            text("srcaddr"),
            [Some("172.31.16.139".into()), Some("10.0.0.1".into())]
        );
        assert_eq!(text("instance_id"), [None, None]);
        // The builders start the next batch empty.
        assert_eq!(parser.push_line(v5, Position::Line(5)), LineOutcome::Row);
        assert_eq!(parser.finish_batch().map(|b| b.num_rows()), Some(1));
    }

    #[test]
    fn a_bad_line_adds_nothing() {
        let mut parser = every_column();
        let bad = b"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT";
        assert!(matches!(
            parser.push_line(bad, Position::Line(1)),
            LineOutcome::Malformed(_)
        ));
        let bad_port = b"2 123456789010 eni-1 172.31.16.139 172.31.16.21 x 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        match parser.push_line(bad_port, Position::Line(2)) {
            LineOutcome::Malformed(why) => assert!(why.contains("srcport"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(parser.pending_rows(), 0);
        assert!(parser.finish_batch().is_none());
    }
}

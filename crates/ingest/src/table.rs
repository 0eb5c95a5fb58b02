//! Event tables: the columns of a log kind's table, and the builder that turns the events a
//! source parses into Arrow batches of the selected columns and time window.
//!
//! Every event table starts with `time` (milliseconds, UTC) and ends with `source_file`,
//! `source_line` (the line the event starts on, after decompression) and `source_event` (its
//! number within the file, for JSON containers that hold many events on one line), so every row
//! can be found again.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use eastwest_model::{Position, ProblemLevel};

use crate::report::{InputTally, Report};
use crate::sources::flow::text::Emit;

/// Rows per batch.
pub const EVENT_BATCH_ROWS: usize = 8192;

/// The Arrow type of an event column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// A 64-bit integer.
    Int,
    /// A time, milliseconds since the epoch, UTC.
    Time,
    /// True or false.
    Bool,
    /// A list of texts (arguments, answers).
    TextList,
}

/// One column of an event table.
#[derive(Debug)]
pub struct Column {
    /// Its name in SQL.
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnType,
    /// What it holds, one sentence (shown by `eastwest query --tables`).
    pub doc: &'static str,
}

/// A column, for the tables' static definitions.
pub const fn column(name: &'static str, kind: ColumnType, doc: &'static str) -> Column {
    Column { name, kind, doc }
}

/// An event table: its name and columns (without the three `source_*` columns, which every
/// table ends with).
#[derive(Debug)]
pub struct TableDef {
    /// The table's name in SQL.
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// The columns; the first is `time`.
    pub columns: &'static [Column],
}

/// Columns every event table ends with.
pub const SOURCE_COLUMNS: [Column; 3] = [
    Column {
        name: "source_file",
        kind: ColumnType::Text,
        doc: "The file (path or s3:// URL) the event was read from.",
    },
    Column {
        name: "source_line",
        kind: ColumnType::Int,
        doc: "The 1-based line the event starts on, after decompression.",
    },
    Column {
        name: "source_event",
        kind: ColumnType::Int,
        doc: "The event's 1-based number within a JSON container of many events; null for line-per-event files.",
    },
];

impl TableDef {
    /// All columns, the `source_*` ones last.
    pub fn all_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().chain(SOURCE_COLUMNS.iter())
    }

    /// The Arrow schema of the whole table.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .all_columns()
            .map(|c| Field::new(c.name, arrow_type(c.kind), true))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The index of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.all_columns().position(|c| c.name == name)
    }
}

fn arrow_type(kind: ColumnType) -> DataType {
    match kind {
        ColumnType::Text => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        ColumnType::Bool => DataType::Boolean,
        ColumnType::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
    }
}

/// One value of an event row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A time, epoch milliseconds.
    Time(i64),
    /// A flag.
    Bool(bool),
    /// A list of texts.
    List(Vec<String>),
}

impl Value {
    /// Text, or null for None.
    pub fn text(text: Option<impl Into<String>>) -> Self {
        text.map_or(Value::Null, |t| Value::Text(t.into()))
    }

    /// An integer, or null for None.
    pub fn int(n: Option<i64>) -> Self {
        n.map_or(Value::Null, Value::Int)
    }

    /// A flag, or null for None.
    pub fn bool(b: Option<bool>) -> Self {
        b.map_or(Value::Null, Value::Bool)
    }
}

/// Which rows and columns a scan wants.
#[derive(Debug, Clone, Default)]
pub struct EventSelection {
    /// Indices into the table's full schema (with the `source_*` columns), in output order.
    pub projection: Vec<usize>,
    /// Earliest `time` kept (inclusive), epoch ms.
    pub since_ms: Option<i64>,
    /// Latest `time` kept (exclusive), epoch ms.
    pub until_ms: Option<i64>,
}

enum ColumnBuilder {
    Text(StringBuilder),
    Int(Int64Builder),
    Time(TimestampMillisecondBuilder),
    Bool(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
}

impl ColumnBuilder {
    fn new(kind: ColumnType) -> Self {
        match kind {
            ColumnType::Text => Self::Text(StringBuilder::new()),
            ColumnType::Int => Self::Int(Int64Builder::new()),
            ColumnType::Time => Self::Time(TimestampMillisecondBuilder::new().with_timezone("UTC")),
            ColumnType::Bool => Self::Bool(BooleanBuilder::new()),
            ColumnType::TextList => Self::List(ListBuilder::new(StringBuilder::new())),
        }
    }

    /// Appends a value; a value of the wrong type (a source bug) is stored as null rather than
    /// failing the read.
    fn append(&mut self, value: &Value) {
        match (self, value) {
            (Self::Text(b), Value::Text(t)) => b.append_value(t),
            (Self::Text(b), Value::Int(n)) => b.append_value(n.to_string()),
            (Self::Text(b), _) => b.append_null(),
            (Self::Int(b), Value::Int(n) | Value::Time(n)) => b.append_value(*n),
            (Self::Int(b), _) => b.append_null(),
            (Self::Time(b), Value::Time(n) | Value::Int(n)) => b.append_value(*n),
            (Self::Time(b), _) => b.append_null(),
            (Self::Bool(b), Value::Bool(v)) => b.append_value(*v),
            (Self::Bool(b), _) => b.append_null(),
            (Self::List(b), Value::List(items)) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (Self::List(b), _) => b.append(false),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Text(b) => Arc::new(b.finish()),
            Self::Int(b) => Arc::new(b.finish()),
            Self::Time(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
            Self::List(b) => Arc::new(b.finish()),
        }
    }
}

/// Reading one input into an event table: the selection, the builders, the input's tally and
/// where batches go. Sources call [`EventRead::row`] per event and [`EventRead::malformed`] per
/// event that does not parse.
pub struct EventRead<'a> {
    /// The input's name (`source_file`).
    pub file: &'a str,
    table: &'static TableDef,
    selection: &'a EventSelection,
    builders: Vec<ColumnBuilder>,
    /// The schema of the batches: the selected columns.
    schema: SchemaRef,
    /// For each of the table's own columns, whether the scan wants it.
    wanted_columns: Vec<bool>,
    rows: usize,
    /// Counts and problems of this input.
    pub tally: &'a mut InputTally,
    report: &'a Report,
    emit: &'a mut Emit<'a>,
    wanted: bool,
}

impl<'a> EventRead<'a> {
    /// A read of `file` into `table`.
    pub fn new(
        file: &'a str,
        table: &'static TableDef,
        selection: &'a EventSelection,
        tally: &'a mut InputTally,
        report: &'a Report,
        emit: &'a mut Emit<'a>,
    ) -> Self {
        let kinds: Vec<ColumnType> = table.all_columns().map(|c| c.kind).collect();
        let builders = selection
            .projection
            .iter()
            .filter_map(|&i| kinds.get(i).copied())
            .map(ColumnBuilder::new)
            .collect();
        // A projection the table does not have builds no columns: flush reports it.
        let schema = table
            .schema()
            .project(&selection.projection)
            .map(Arc::new)
            .unwrap_or_else(|_| Arc::new(Schema::empty()));
        let mut wanted_columns = vec![false; table.columns.len()];
        for &i in &selection.projection {
            if let Some(wanted) = wanted_columns.get_mut(i) {
                *wanted = true;
            }
        }
        Self {
            file,
            table,
            selection,
            builders,
            schema,
            wanted_columns,
            rows: 0,
            tally,
            report,
            emit,
            wanted: true,
        }
    }

    /// For each of the table's own columns (in order), whether the scan wants it: a source may
    /// leave the others null instead of copying their text.
    pub fn wanted_columns(&self) -> &[bool] {
        &self.wanted_columns
    }

    /// Adds one event: `values` are the table's columns in order (without the `source_*` ones;
    /// missing trailing values are null). The first value is the time. Returns false when the
    /// consumer wants no more rows.
    pub fn row(&mut self, values: &[Value], line: u64, event: Option<u64>) -> bool {
        let time = match values.first() {
            Some(Value::Time(ms)) => Some(*ms),
            _ => None,
        };
        let outside = time.is_some_and(|t| {
            self.selection.since_ms.is_some_and(|s| t < s)
                || self.selection.until_ms.is_some_and(|u| t >= u)
        });
        if outside {
            self.tally.summary.out_of_window += 1;
            return self.wanted;
        }
        let own = self.table.columns.len();
        let file = Value::Text(self.file.to_string());
        let line = Value::Int(i64::try_from(line).unwrap_or(i64::MAX));
        let event = Value::int(event.map(|e| i64::try_from(e).unwrap_or(i64::MAX)));
        for (builder, &index) in self.builders.iter_mut().zip(&self.selection.projection) {
            let value = match index.checked_sub(own) {
                None => values.get(index).unwrap_or(&Value::Null),
                Some(0) => &file,
                Some(1) => &line,
                Some(_) => &event,
            };
            builder.append(value);
        }
        self.rows += 1;
        if self.rows >= EVENT_BATCH_ROWS {
            self.flush();
        }
        self.wanted
    }

    /// Counts an event that did not parse, with where it is and why.
    pub fn malformed(&mut self, position: Position, reason: String) {
        self.tally
            .problem(self.file, position, ProblemLevel::Record, reason);
    }

    /// Counts a well-formed record that is not an event of this table (a cron line in an auth
    /// log, a CloudTrail control message): not a problem, but not silently lost either.
    pub fn other(&mut self) {
        self.tally.summary.filtered += 1;
    }

    /// The input (or the rest of it) could not be read.
    pub fn unreadable(&mut self, reason: String) {
        self.tally.unreadable(self.file, reason);
    }

    /// Emits the rows built so far.
    pub fn flush(&mut self) {
        if self.rows == 0 {
            return;
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        let rows = std::mem::take(&mut self.rows);
        self.report.add_records(rows as u64);
        self.tally.summary.records += rows as u64;
        let schema = Arc::clone(&self.schema);
        let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
        match RecordBatch::try_new_with_options(schema, columns, &options) {
            Ok(batch) if self.wanted => self.wanted = (self.emit)(batch),
            Ok(_) => {}
            Err(e) => self.unreadable(format!("building rows: {e}")),
        }
    }
}

/// Byte length of text kept in one cell before it is cut, so a hostile log cannot make one
/// value take unbounded memory (CloudTrail caps request parameters far lower).
pub const MAX_CELL_BYTES: usize = 128 * 1024;

/// `text` cut to [`MAX_CELL_BYTES`] at a character boundary.
pub fn bounded(text: &str) -> &str {
    if text.len() <= MAX_CELL_BYTES {
        return text;
    }
    let mut end = MAX_CELL_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Bytes read from a stream at a time by [`for_each_line`].
const LINE_BLOCK_BYTES: usize = 256 * 1024;

/// One line of a text log, or what stood in for it.
pub enum Line<'l> {
    /// A line's bytes, without its end (`\n` or `\r\n`).
    Text(&'l [u8]),
    /// A line longer than the reader's bound: its bytes were skipped, not kept.
    TooLong,
}

/// Calls `visit` with each line of `stream` and its 1-based number until it returns false.
/// Lines longer than `max_line` are reported as [`Line::TooLong`] and skipped without being
/// held in memory; a read error ends the input as unreadable (what came before stays read).
pub fn for_each_line(
    stream: &mut dyn std::io::Read,
    max_line: usize,
    read: &mut EventRead<'_>,
    visit: &mut dyn FnMut(u64, Line<'_>, &mut EventRead<'_>) -> bool,
) {
    let mut block = vec![0u8; LINE_BLOCK_BYTES];
    let mut pending: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut number = 0u64;
    let mut finish_line = |pending: &mut Vec<u8>, overlong: &mut bool, read: &mut EventRead<'_>| {
        number += 1;
        let line = pending.strip_suffix(b"\r").unwrap_or(pending);
        let more = if *overlong {
            visit(number, Line::TooLong, read)
        } else {
            visit(number, Line::Text(line), read)
        };
        pending.clear();
        *overlong = false;
        more
    };
    loop {
        let n = match stream.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if !pending.is_empty() || overlong {
                    finish_line(&mut pending, &mut overlong, read);
                }
                return read.unreadable(format!("read failed: {e}"));
            }
        };
        let mut rest = block.get(..n).unwrap_or_default();
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(end);
            if !overlong {
                pending.extend_from_slice(line);
                overlong = pending.len() > max_line;
            }
            if !finish_line(&mut pending, &mut overlong, read) {
                return;
            }
            rest = tail.get(1..).unwrap_or_default();
        }
        if !overlong {
            pending.extend_from_slice(rest);
            if pending.len() > max_line {
                overlong = true;
                pending.clear();
            }
        }
    }
    if !pending.is_empty() || overlong {
        finish_line(&mut pending, &mut overlong, read);
    }
}

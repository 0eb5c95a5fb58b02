//! Flow logs as Parquet, as S3 delivery writes them: one column per field, `_` for `-`
//! (`pkt_srcaddr`), INT_32/INT_64/STRING as AWS documents. Columns are mapped by name, so any
//! field order and any subset of fields read; fields the file lacks are null.
//!
//! Only what a query needs is decoded. The columns: those it projects, those its pushed-down
//! equalities test, and for the coverage-gap accounting `log_status` (with `interface_id`,
//! `start`, `end`) only in files whose statistics do not rule NODATA and SKIPDATA out; `start`
//! and `end` for a time window only where the row groups' statistics do not put every record
//! inside it. Row groups the statistics put wholly outside the window are not read at all. A
//! query's pushed-down equalities (`action = 'REJECT'`) are tested while decoding: the other
//! columns are decoded only for the rows that pass (and the gaps, which are always counted).
//! Rows keep their numbers in the file through the reader's row-number column.
//!
//! Text columns are read as dictionaries where the file has them (AWS and every common writer
//! dictionary-encode them): a status, an equality or an address is judged once per distinct
//! value, not once per row, and text is materialised only for the rows kept.
//!
//! Unlike text, Parquet values arrive typed, so only addresses (strings) can be malformed; an
//! address column is checked when the query uses it, for the rows its pushed-down conditions
//! keep, and a row with a bad one is reported and left out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, FixedSizeBinaryBuilder, Int64Array,
    StringArray, TimestampMillisecondArray, UInt64Array, new_null_array,
};
use arrow::compute::{cast, filter};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use eastwest_model::{Position, ProblemLevel};
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter,
};
use parquet::arrow::{ProjectionMask, RowNumber};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::ChunkReader;
use parquet::file::statistics::Statistics;

use super::fields::{COLUMNS, ColumnSource, FIELDS, FieldId, FieldType, field_id};
use super::parse::{
    BATCH_ROWS, Literal, MILLISECOND_THRESHOLD, RowSelection, epoch_millis, parse_ip,
    source_file_column,
};
use super::text::Emit;
use crate::input::Input;
use crate::report::{InputTally, Report};

/// Fewest flow-log columns a Parquet file must have to be read as a flow log.
const MIN_FLOW_COLUMNS: usize = 3;

/// The name of the file-row-number column the reader adds (parquet's virtual column), so rows
/// keep their numbers whatever row groups and rows are skipped.
const ROW_NUMBER: &str = "_eastwest_row_number";

/// The dictionary type text columns are read as.
fn dictionary_of(values: DataType) -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(values))
}

/// Reads a Parquet flow-log file.
pub fn read_parquet<R: ChunkReader + 'static>(
    data: R,
    input: &Input,
    selection: &RowSelection,
    schema: &SchemaRef,
    tally: &mut InputTally,
    report: &Report,
    emit: &mut Emit<'_>,
) {
    let file = &*input.name;
    let unreadable = |tally: &mut InputTally, position, e: &dyn std::fmt::Display| {
        tally.problem(
            file,
            position,
            ProblemLevel::Unreadable,
            format!("Parquet read failed: {e}"),
        );
    };
    let plain = match ArrowReaderMetadata::load(&data, ArrowReaderOptions::new()) {
        Ok(metadata) => metadata,
        Err(e) => return unreadable(tally, Position::File, &e),
    };
    // Where each known field is in the file.
    let mut file_column: Vec<Option<usize>> = vec![None; FIELDS.len()];
    for (index, field) in plain.schema().fields().iter().enumerate() {
        if let Some(id) = field_id(field.name()) {
            file_column[id] = Some(index);
        }
    }
    let present = file_column.iter().flatten().count();
    if present < MIN_FLOW_COLUMNS {
        tally.problem(
            file,
            Position::File,
            ProblemLevel::Skipped,
            format!("Parquet file with {present} flow-log columns: not a flow log"),
        );
        return;
    }
    if input.is_first_part() {
        tally.summary.files_read += 1;
    }
    let by_name = |name: &str| field_id(name).expect("catalog field");
    let fields = Fields {
        log_status: by_name("log-status"),
        interface: by_name("interface-id"),
        start: by_name("start"),
        end: by_name("end"),
    };
    let leaf = |id: FieldId| {
        let index = file_column[id]?;
        let name = plain.schema().field(index).name();
        plain
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.path().parts().len() == 1 && c.name() == name)
    };
    let leaves = Leaves {
        log_status: leaf(fields.log_status),
        start: leaf(fields.start),
        end: leaf(fields.end),
    };

    // The row groups of this part of the file, each with what its statistics say.
    let metadata = plain.metadata();
    let row_group_count = metadata.num_row_groups();
    let (first, count) = match &input.row_groups {
        Some(groups) => (groups.first, groups.count),
        None => (0, row_group_count),
    };
    let mut read_groups = Vec::new();
    let mut rows_to_read = 0u64;
    let (mut any_gaps, mut all_inside) = (false, true);
    for index in first..(first + count).min(row_group_count) {
        let group = metadata.row_group(index);
        let rows = u64::try_from(group.num_rows()).unwrap_or(0);
        let facts = GroupFacts::of(group, &leaves, selection);
        if facts.outside && !facts.maybe_gaps {
            tally.summary.out_of_window += rows;
            continue;
        }
        any_gaps |= facts.maybe_gaps;
        all_inside &= facts.inside;
        rows_to_read += rows;
        read_groups.push(index);
    }
    if selection.gaps && !any_gaps {
        // The gaps table over a file without gaps: every record is traffic, left out.
        tally.summary.filtered += rows_to_read;
        return;
    }
    // Pushed-down equalities are tested while decoding (only the rows that pass are decoded in
    // the other columns) when reading traffic; the gaps table tests them on its rows.
    let early = !selection.gaps && !selection.equals.is_empty();
    if early
        && !any_gaps
        && selection
            .equals
            .iter()
            .any(|(id, _)| file_column[*id].is_none())
    {
        // A field the file lacks is null and equals nothing.
        tally.summary.filtered += rows_to_read;
        return;
    }

    // The columns to decode.
    let mut needed: Vec<FieldId> = Vec::new();
    for &column in &selection.projection {
        if let ColumnSource::Field(id) | ColumnSource::Binary(id) = COLUMNS[column].1 {
            needed.push(id);
        }
    }
    if !early {
        needed.extend(selection.equals.iter().map(|(id, _)| *id));
    }
    if any_gaps {
        needed.extend([
            fields.log_status,
            fields.interface,
            fields.start,
            fields.end,
        ]);
    }
    // The window is tested here only when the predicate did not test it while decoding.
    if !all_inside && !early {
        needed.extend([fields.start, fields.end]);
    }
    needed.sort_unstable();
    needed.dedup();
    let mut roots: Vec<usize> = needed.iter().filter_map(|&id| file_column[id]).collect();
    roots.sort_unstable();

    // Text columns as dictionaries; a file whose schema refuses that is read as written.
    let hint = Schema::new_with_metadata(
        plain
            .schema()
            .fields()
            .iter()
            .map(|field| match field.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 => Field::new(
                    field.name(),
                    dictionary_of(field.data_type().clone()),
                    field.is_nullable(),
                )
                .with_metadata(field.metadata().clone()),
                _ => field.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
        plain.schema().metadata().clone(),
    );
    let row_number =
        Arc::new(Field::new(ROW_NUMBER, DataType::Int64, false).with_extension_type(RowNumber));
    let numbered = |options: ArrowReaderOptions| {
        options
            .with_virtual_columns(vec![Arc::clone(&row_number)])
            .and_then(|options| ArrowReaderMetadata::try_new(Arc::clone(plain.metadata()), options))
    };
    let metadata = match numbered(ArrowReaderOptions::new().with_schema(Arc::new(hint)))
        .or_else(|_| numbered(ArrowReaderOptions::new()))
    {
        Ok(metadata) => metadata,
        Err(e) => return unreadable(tally, Position::File, &e),
    };
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(data, metadata);
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    // Rows the predicate leaves out, counted as the text reader counts them: by time first.
    let filtered = Arc::new(AtomicU64::new(0));
    let out_of_window = Arc::new(AtomicU64::new(0));
    let builder = if early {
        let mut columns: Vec<usize> = selection
            .equals
            .iter()
            .filter_map(|(id, _)| file_column[*id])
            .collect();
        if any_gaps {
            columns.extend(file_column[fields.log_status]);
        }
        if !all_inside {
            columns.extend(file_column[fields.start]);
            columns.extend(file_column[fields.end]);
        }
        columns.sort_unstable();
        columns.dedup();
        let mask = ProjectionMask::roots(builder.parquet_schema(), columns);
        let selection = selection.clone();
        let (start, end, log_status) = (fields.start, fields.end, fields.log_status);
        let (filtered, out_of_window) = (Arc::clone(&filtered), Arc::clone(&out_of_window));
        let mut memos = Memos::default();
        let predicate = ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
            let rows = batch.num_rows();
            let gaps = gap_kinds(&batch, log_status, &mut memos.gaps);
            let is_gap = |row: usize| gaps.as_ref().is_some_and(|g| g[row] != 0);
            let mut keep = vec![true; rows];
            let window = selection.since_ms.is_some() || selection.until_ms.is_some();
            if window && !all_inside {
                let starts = column_of(&batch, start).map(to_millis);
                let ends = column_of(&batch, end).map(to_millis);
                let mut dropped = 0;
                for (row, kept) in keep.iter_mut().enumerate() {
                    if !is_gap(row) && !in_window(&selection, starts.as_ref(), ends.as_ref(), row) {
                        *kept = false;
                        dropped += 1;
                    }
                }
                out_of_window.fetch_add(dropped, Ordering::Relaxed);
            }
            let mut dropped = 0;
            let equal: Vec<Vec<bool>> = selection
                .equals
                .iter()
                .enumerate()
                .map(|(i, (id, literal))| equality(&batch, *id, literal, memos.equality(i)))
                .collect();
            for (row, kept) in keep.iter_mut().enumerate() {
                // Gaps pass, to be counted per ENI.
                if *kept && !is_gap(row) && !equal.iter().all(|e| e[row]) {
                    *kept = false;
                    dropped += 1;
                }
            }
            filtered.fetch_add(dropped, Ordering::Relaxed);
            Ok(BooleanArray::from(keep))
        });
        builder.with_row_filter(RowFilter::new(vec![Box::new(predicate)]))
    } else {
        builder
    };
    let reader = match builder
        .with_projection(mask)
        .with_row_groups(read_groups)
        .with_batch_size(BATCH_ROWS)
        .build()
    {
        Ok(reader) => reader,
        Err(e) => return unreadable(tally, Position::File, &e),
    };
    let count = |tally: &mut InputTally| {
        tally.summary.filtered += filtered.swap(0, Ordering::Relaxed);
        tally.summary.out_of_window += out_of_window.swap(0, Ordering::Relaxed);
    };
    let mut last_row = 0u64;
    let mut memos = Memos::default();
    for batch in reader {
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                count(tally);
                return unreadable(tally, Position::Row(last_row + 1), &e);
            }
        };
        let context = BatchContext {
            file,
            batch: &batch,
            numbers: batch
                .column_by_name(ROW_NUMBER)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>()),
            fields: &fields,
            selection,
            filtered_while_decoding: early,
        };
        last_row = context.file_row(batch.num_rows().saturating_sub(1));
        match context.rows(schema, &needed, tally, &mut memos) {
            Ok(Some(out)) => {
                let kept = out.num_rows() as u64;
                report.add_records(kept);
                tally.summary.records += kept;
                if !emit(out) {
                    break;
                }
            }
            Ok(None) => {}
            Err(e) => {
                count(tally);
                return unreadable(tally, Position::Row(last_row + 1), &e);
            }
        }
    }
    count(tally);
}

/// Each row's gap kind (0 traffic, 1 NODATA, 2 SKIPDATA); None when the batch has no gap (or
/// no log-status column).
fn gap_kinds(batch: &RecordBatch, log_status: FieldId, memo: &mut Memo<u8>) -> Option<Vec<u8>> {
    let status = column_of(batch, log_status).and_then(Text::of)?;
    status
        .may_hold(|v| v == "NODATA" || v == "SKIPDATA")
        .then(|| {
            status.judge(memo, |v| match v {
                "NODATA" => 1u8,
                "SKIPDATA" => 2,
                _ => 0,
            })
        })
}

/// Whether each row's field equals the literal (a field the batch lacks is null and equals
/// nothing).
fn equality(
    batch: &RecordBatch,
    id: FieldId,
    literal: &Literal,
    memo: &mut Memo<bool>,
) -> Vec<bool> {
    let rows = batch.num_rows();
    match (literal, FIELDS[id].kind) {
        (Literal::Text(want), FieldType::Text | FieldType::Address) => column_of(batch, id)
            .and_then(Text::of)
            .map_or_else(|| vec![false; rows], |t| t.judge(memo, |v| v == want)),
        (Literal::Int(want), FieldType::Int32 | FieldType::Int64) => {
            match column_of(batch, id).map(|c| cast(c, &DataType::Int64)) {
                Some(Ok(numbers)) => numbers.as_any().downcast_ref::<Int64Array>().map_or_else(
                    || vec![false; rows],
                    |n| n.iter().map(|v| v == Some(*want)).collect(),
                ),
                _ => vec![false; rows],
            }
        }
        _ => vec![false; rows],
    }
}

/// Whether a row is inside the time window: not ended before `since`, not started at or after
/// `until` (a record without the time is kept, as in text).
fn in_window(
    selection: &RowSelection,
    starts: Option<&TimestampMillisecondArray>,
    ends: Option<&TimestampMillisecondArray>,
    row: usize,
) -> bool {
    let at =
        |t: Option<&TimestampMillisecondArray>| t.filter(|t| t.is_valid(row)).map(|t| t.value(row));
    let before = matches!((selection.since_ms, at(ends)), (Some(since), Some(e)) if e < since);
    let after = matches!((selection.until_ms, at(starts)), (Some(until), Some(s)) if s >= until);
    !(before || after)
}

/// A field's column in a batch read from the file.
fn column_of(batch: &RecordBatch, id: FieldId) -> Option<&ArrayRef> {
    batch.column_by_name(&FIELDS[id].name.replace('-', "_"))
}

/// The fields the reader itself looks at.
struct Fields {
    log_status: FieldId,
    interface: FieldId,
    start: FieldId,
    end: FieldId,
}

/// Leaf column indexes (for statistics) of the fields whose statistics are used.
struct Leaves {
    log_status: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
}

/// What a row group's statistics say.
struct GroupFacts {
    /// It may hold NODATA or SKIPDATA records.
    maybe_gaps: bool,
    /// Every record in it is outside the time window.
    outside: bool,
    /// Every record in it is inside the time window (none is left out by time).
    inside: bool,
}

impl GroupFacts {
    fn of(group: &RowGroupMetaData, leaves: &Leaves, selection: &RowSelection) -> Self {
        let stats = |leaf: Option<usize>| leaf.and_then(|i| group.column(i).statistics());
        // Without a log-status column no record is a gap; without statistics, any may be.
        let maybe_gaps = match leaves.log_status {
            None => false,
            Some(_) => match stats(leaves.log_status).and_then(text_bounds) {
                Some((min, max)) => [&b"NODATA"[..], b"SKIPDATA"]
                    .iter()
                    .any(|gap| min <= *gap && *gap <= max),
                None => true,
            },
        };
        let starts = stats(leaves.start).and_then(time_bounds);
        let ends = stats(leaves.end).and_then(time_bounds);
        // A record is before the window when its end is before `since`, after it when its
        // start is at or after `until`; a record without the time is kept (as in text).
        let before_all = matches!((selection.since_ms, &ends), (Some(since), Some(e)) if e.nulls == 0 && e.max < since);
        let after_all = matches!((selection.until_ms, &starts), (Some(until), Some(s)) if s.nulls == 0 && s.min >= until);
        let none_before = match selection.since_ms {
            None => true,
            Some(since) => ends.as_ref().is_some_and(|e| e.min >= since),
        };
        let none_after = match selection.until_ms {
            None => true,
            Some(until) => starts.as_ref().is_some_and(|s| s.max < until),
        };
        Self {
            maybe_gaps,
            outside: before_all || after_all,
            inside: none_before && none_after,
        }
    }
}

/// The bounds of a text column's values, where the statistics give them in the current
/// (unsigned byte order) form. Truncated bounds are still bounds.
fn text_bounds(stats: &Statistics) -> Option<(&[u8], &[u8])> {
    if stats.is_min_max_deprecated() && !stats.is_min_max_backwards_compatible() {
        return None;
    }
    match stats {
        Statistics::ByteArray(_) | Statistics::FixedLenByteArray(_) => {
            Some((stats.min_bytes_opt()?, stats.max_bytes_opt()?))
        }
        _ => None,
    }
}

/// A time column's bounds in epoch milliseconds, and its null count.
struct TimeBounds {
    min: i64,
    max: i64,
    nulls: u64,
}

/// Seconds or milliseconds are told apart per value, so bounds convert only when both are of
/// the same unit.
fn time_bounds(stats: &Statistics) -> Option<TimeBounds> {
    let (min, max) = match stats {
        Statistics::Int32(s) => (i64::from(*s.min_opt()?), i64::from(*s.max_opt()?)),
        Statistics::Int64(s) => (*s.min_opt()?, *s.max_opt()?),
        _ => return None,
    };
    if (min >= MILLISECOND_THRESHOLD) != (max >= MILLISECOND_THRESHOLD) {
        return None;
    }
    Some(TimeBounds {
        min: epoch_millis(min)?,
        max: epoch_millis(max)?,
        nulls: stats.null_count_opt()?,
    })
}

/// Verdicts on the values of one dictionary, filled as rows use them, kept while batches share
/// it. The dictionary itself is held, so its buffers cannot be freed and reused by another.
struct Memo<T> {
    values: Option<StringArray>,
    verdicts: Vec<Option<T>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self {
            values: None,
            verdicts: Vec::new(),
        }
    }
}

impl<T: Copy> Memo<T> {
    /// The verdicts for `values`, emptied when they are another dictionary's.
    fn for_values(&mut self, values: &StringArray) -> &mut Vec<Option<T>> {
        let same = self.values.as_ref().is_some_and(|held| {
            held.len() == values.len()
                && held.value_offsets().as_ptr() == values.value_offsets().as_ptr()
                && held.values().as_ptr() == values.values().as_ptr()
        });
        if !same {
            self.values = Some(values.clone());
            self.verdicts.clear();
            self.verdicts.resize(values.len(), None);
        }
        &mut self.verdicts
    }
}

/// An address's verdict: its binary form (None when null or unparsable), and whether it is
/// malformed (neither an address nor `-`).
type AddressVerdict = (Option<[u8; 16]>, bool);

/// The memos of one reader: gap status, each pushed-down equality, each address field.
#[derive(Default)]
struct Memos {
    gaps: Memo<u8>,
    equalities: Vec<Memo<bool>>,
    addresses: Vec<(FieldId, Memo<AddressVerdict>)>,
}

impl Memos {
    fn equality(&mut self, index: usize) -> &mut Memo<bool> {
        if self.equalities.len() <= index {
            self.equalities.resize_with(index + 1, Memo::default);
        }
        &mut self.equalities[index]
    }

    fn address(&mut self, id: FieldId) -> &mut Memo<AddressVerdict> {
        let at = match self.addresses.iter().position(|(field, _)| *field == id) {
            Some(at) => at,
            None => {
                self.addresses.push((id, Memo::default()));
                self.addresses.len() - 1
            }
        };
        &mut self.addresses[at].1
    }
}

/// A text column of a batch: its distinct values and each row's index into them where the file
/// dictionary-encoded it, else one value per row.
enum Text {
    Dictionary {
        array: DictionaryArray<Int32Type>,
        values: StringArray,
    },
    Plain(StringArray),
}

impl Text {
    fn of(array: &ArrayRef) -> Option<Self> {
        if let DataType::Dictionary(_, _) = array.data_type() {
            let normal = cast(array, &dictionary_of(DataType::Utf8)).ok()?;
            let array = normal
                .as_any()
                .downcast_ref::<DictionaryArray<Int32Type>>()?
                .clone();
            let values = array
                .values()
                .as_any()
                .downcast_ref::<StringArray>()?
                .clone();
            return Some(Self::Dictionary { array, values });
        }
        let utf8 = cast(array, &DataType::Utf8).ok()?;
        utf8.as_any()
            .downcast_ref::<StringArray>()
            .cloned()
            .map(Self::Plain)
    }

    /// The row's value.
    fn value(&self, row: usize) -> Option<&str> {
        match self {
            Self::Dictionary { array, values } => {
                let key = array.keys();
                if !key.is_valid(row) {
                    return None;
                }
                let index = usize::try_from(key.value(row)).ok()?;
                (index < values.len() && values.is_valid(index)).then(|| values.value(index))
            }
            Self::Plain(strings) => strings.is_valid(row).then(|| strings.value(row)),
        }
    }

    /// `judge` of each row's value (the default for nulls). Of a dictionary, each value a row
    /// uses is judged once, and the verdicts are kept in `memo` for the next batches, which the
    /// reader hands the same dictionary (a row group's can hold hundreds of thousands of values,
    /// so judging them all for every batch would cost more than the rows).
    fn judge<T: Copy + Default>(
        &self,
        memo: &mut Memo<T>,
        mut judge: impl FnMut(&str) -> T,
    ) -> Vec<T> {
        match self {
            Self::Dictionary { array, values } => {
                let verdicts = memo.for_values(values);
                array
                    .keys()
                    .iter()
                    .map(|key| {
                        let Some(k) = key.and_then(|k| usize::try_from(k).ok()) else {
                            return T::default();
                        };
                        match verdicts.get_mut(k) {
                            Some(Some(verdict)) => *verdict,
                            Some(slot) => {
                                let verdict = if values.is_valid(k) {
                                    judge(values.value(k))
                                } else {
                                    T::default()
                                };
                                *slot = Some(verdict);
                                verdict
                            }
                            None => T::default(),
                        }
                    })
                    .collect()
            }
            Self::Plain(strings) => strings
                .iter()
                .map(|v| v.map(&mut judge).unwrap_or_default())
                .collect(),
        }
    }

    /// Whether any value is `wanted` (for dictionaries, any distinct value).
    fn may_hold(&self, wanted: impl Fn(&str) -> bool) -> bool {
        match self {
            Self::Dictionary { values, .. } => values.iter().flatten().any(wanted),
            Self::Plain(strings) => strings.iter().flatten().any(wanted),
        }
    }

    /// The kept rows as UTF-8 text, `-` (AWS's "no value", which some converters carry into
    /// Parquet) as null, as the text reader does.
    fn output(&self, keep: Option<&BooleanArray>) -> Result<ArrayRef, arrow::error::ArrowError> {
        let kept: ArrayRef = match (self, keep) {
            (Self::Dictionary { array, .. }, Some(keep)) => filter(array, keep)?,
            (Self::Dictionary { array, .. }, None) => Arc::new(array.clone()),
            (Self::Plain(strings), Some(keep)) => filter(strings, keep)?,
            (Self::Plain(strings), None) => Arc::new(strings.clone()),
        };
        let text = cast(&kept, &DataType::Utf8)?;
        let Some(strings) = text.as_any().downcast_ref::<StringArray>() else {
            return Ok(text);
        };
        if !strings.iter().any(|v| v == Some("-")) {
            return Ok(text);
        }
        Ok(Arc::new(
            strings
                .iter()
                .map(|v| v.filter(|v| *v != "-"))
                .collect::<StringArray>(),
        ))
    }
}

/// One batch as read, and what turns it into rows.
struct BatchContext<'a> {
    file: &'a str,
    batch: &'a RecordBatch,
    /// Each row's 0-based row in the file (the reader's row-number column).
    numbers: Option<&'a Int64Array>,
    fields: &'a Fields,
    selection: &'a RowSelection,
    /// The time window and the pushed-down equalities were tested while decoding.
    filtered_while_decoding: bool,
}

impl BatchContext<'_> {
    fn column(&self, id: FieldId) -> Option<&ArrayRef> {
        column_of(self.batch, id)
    }

    /// The 0-based file row of the batch's `row`.
    fn file_row(&self, row: usize) -> u64 {
        self.numbers
            .filter(|numbers| row < numbers.len())
            .map_or(row as u64, |numbers| {
                u64::try_from(numbers.value(row)).unwrap_or(0)
            })
    }

    fn text(&self, id: FieldId) -> Option<Text> {
        self.column(id).and_then(Text::of)
    }

    fn times(&self, id: FieldId) -> Option<TimestampMillisecondArray> {
        self.column(id).map(to_millis)
    }

    /// The 1-based file row of the batch's `row`.
    fn position(&self, row: usize) -> Position {
        Position::Row(self.file_row(row) + 1)
    }

    /// The batch's kept rows in the table's columns; None when none is kept.
    fn rows(
        &self,
        schema: &SchemaRef,
        needed: &[FieldId],
        tally: &mut InputTally,
        memos: &mut Memos,
    ) -> Result<Option<RecordBatch>, arrow::error::ArrowError> {
        let rows = self.batch.num_rows();
        let selection = self.selection;
        let fields = self.fields;
        let mut keep = vec![true; rows];

        // Gaps: counted per ENI, rows only of the gaps table.
        let gap_kind = gap_kinds(self.batch, fields.log_status, &mut memos.gaps);
        // Times are converted only where something looks at them.
        let window = !self.filtered_while_decoding
            && (selection.since_ms.is_some() || selection.until_ms.is_some());
        let (starts, ends) = if gap_kind.is_some() || window {
            (self.times(fields.start), self.times(fields.end))
        } else {
            (None, None)
        };
        let at = |t: &Option<TimestampMillisecondArray>, row: usize| {
            t.as_ref().filter(|t| t.is_valid(row)).map(|t| t.value(row))
        };
        match &gap_kind {
            Some(kinds) => {
                let interfaces = self.text(fields.interface);
                for (row, &kind) in kinds.iter().enumerate() {
                    if kind != 0 {
                        let eni = interfaces
                            .as_ref()
                            .and_then(|s| s.value(row))
                            .unwrap_or("-");
                        let duration_ms = match (at(&starts, row), at(&ends, row)) {
                            (Some(s), Some(e)) => Some(e.saturating_sub(s).max(0)),
                            _ => None,
                        };
                        tally.gap(eni, kind == 2, duration_ms);
                    }
                    if (kind != 0) != selection.gaps {
                        keep[row] = false;
                        if selection.gaps {
                            tally.summary.filtered += 1;
                        }
                    }
                }
            }
            None if selection.gaps => {
                tally.summary.filtered += rows as u64;
                return Ok(None);
            }
            None => {}
        }

        // The time window.
        if window && (starts.is_some() || ends.is_some()) {
            for (row, kept) in keep.iter_mut().enumerate() {
                if *kept && !in_window(selection, starts.as_ref(), ends.as_ref(), row) {
                    *kept = false;
                    tally.summary.out_of_window += 1;
                }
            }
        }

        // Pushed-down equalities (a field the file lacks is null and equals nothing), unless
        // tested while decoding.
        let equalities = if self.filtered_while_decoding {
            &[][..]
        } else {
            &selection.equals[..]
        };
        for (i, (id, literal)) in equalities.iter().enumerate() {
            let equal = equality(self.batch, *id, literal, memos.equality(i));
            for (kept, equal) in keep.iter_mut().zip(equal) {
                if *kept && !equal {
                    *kept = false;
                    tally.summary.filtered += 1;
                }
            }
        }

        // Addresses the query uses: parsed once per distinct value, checked for the rows kept.
        let mut addresses: Vec<(FieldId, Vec<Option<[u8; 16]>>)> = Vec::new();
        for &id in needed
            .iter()
            .filter(|&&id| FIELDS[id].kind == FieldType::Address)
        {
            let Some(text) = self.text(id) else {
                continue;
            };
            let parsed: Vec<AddressVerdict> = text.judge(memos.address(id), |v| {
                let ip = parse_ip(v.as_bytes());
                (ip, ip.is_none() && v != "-")
            });
            for (row, (_, bad)) in parsed.iter().enumerate() {
                if *bad && keep[row] {
                    keep[row] = false;
                    tally.problem(
                        self.file,
                        self.position(row),
                        ProblemLevel::Record,
                        format!(
                            "{}: not an IP address: '{}'",
                            FIELDS[id].name,
                            text.value(row).unwrap_or_default()
                        ),
                    );
                }
            }
            addresses.push((id, parsed.into_iter().map(|(ip, _)| ip).collect()));
        }

        let kept = keep.iter().filter(|k| **k).count();
        if kept == 0 {
            return Ok(None);
        }
        let mask = (kept < rows).then(|| BooleanArray::from(keep.clone()));
        let take = |array: &dyn Array| -> Result<ArrayRef, arrow::error::ArrowError> {
            match &mask {
                Some(mask) => filter(array, mask),
                None => Ok(arrow::array::make_array(array.to_data())),
            }
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(selection.projection.len());
        for (index, &column_index) in selection.projection.iter().enumerate() {
            let target = schema.field(index).data_type();
            let array: ArrayRef = match COLUMNS[column_index].1 {
                ColumnSource::Field(id) => match self.column(id) {
                    None => new_null_array(target, kept),
                    Some(source) if FIELDS[id].kind == FieldType::Time => {
                        Arc::new(to_millis(&take(source.as_ref())?))
                    }
                    Some(source) if *target == DataType::Utf8 => match Text::of(source) {
                        Some(text) => text.output(mask.as_ref())?,
                        None => new_null_array(target, kept),
                    },
                    Some(source) => {
                        let source = take(source.as_ref())?;
                        cast(&source, target).unwrap_or_else(|_| new_null_array(target, kept))
                    }
                },
                ColumnSource::Binary(id) => {
                    let mut builder = FixedSizeBinaryBuilder::with_capacity(kept, 16);
                    match addresses.iter().find(|(a, _)| *a == id) {
                        Some((_, parsed)) => {
                            for (value, _) in parsed.iter().zip(&keep).filter(|(_, k)| **k) {
                                match value {
                                    Some(bytes) => builder.append_value(bytes)?,
                                    None => builder.append_null(),
                                }
                            }
                        }
                        None => (0..kept).for_each(|_| builder.append_null()),
                    }
                    Arc::new(builder.finish())
                }
                ColumnSource::SourceFile => source_file_column(self.file, kept),
                ColumnSource::SourceLine => Arc::new(UInt64Array::from_iter_values(
                    keep.iter()
                        .enumerate()
                        .filter(|(_, k)| **k)
                        .map(|(row, _)| self.file_row(row) + 1),
                )),
            };
            columns.push(array);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(kept));
        RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options).map(Some)
    }
}

/// Epoch seconds or milliseconds (told apart per value, as for text) → UTC milliseconds.
fn to_millis(array: &ArrayRef) -> TimestampMillisecondArray {
    let numbers = cast(array, &DataType::Int64)
        .ok()
        .and_then(|a| a.as_any().downcast_ref::<Int64Array>().cloned())
        .unwrap_or_else(|| Int64Array::new_null(array.len()));
    numbers
        .iter()
        .map(|v| v.and_then(epoch_millis))
        .collect::<TimestampMillisecondArray>()
        .with_timezone("UTC")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;

    #[test]
    fn a_dictionary_column_is_judged_once_per_value() {
        let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(0)]);
        let values = StringArray::from(vec!["OK", "NODATA"]);
        let array: ArrayRef =
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).unwrap());
        let text = Text::of(&array).expect("a text column");
        let mut judged = 0;
        let mut memo = Memo::default();
        let verdicts = text.judge(&mut memo, |v| {
            judged += 1;
            v == "NODATA"
        });
        assert_eq!(verdicts, vec![false, true, false, false]);
        assert_eq!(judged, 2);
        // The next batch over the same dictionary judges nothing again.
        let again = text.judge(&mut memo, |_| {
            judged += 1;
            true
        });
        assert_eq!(again, verdicts);
        assert_eq!(judged, 2);
        // Another dictionary with the same length is judged afresh.
        let other: ArrayRef = Arc::new(
            DictionaryArray::<Int32Type>::try_new(
                Int32Array::from(vec![Some(1)]),
                Arc::new(StringArray::from(vec!["x", "NODATA"])),
            )
            .unwrap(),
        );
        let other = Text::of(&other).unwrap();
        assert_eq!(other.judge(&mut memo, |v| v == "NODATA"), vec![true]);
        assert_eq!(text.value(1), Some("NODATA"));
        assert_eq!(text.value(2), None);
        let kept = text
            .output(Some(&BooleanArray::from(vec![true, false, true, true])))
            .unwrap();
        let kept = kept.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            vec![Some("OK"), None, Some("OK")]
        );
    }

    #[test]
    fn dashes_become_nulls_in_output() {
        let array: ArrayRef = Arc::new(StringArray::from(vec!["-", "ACCEPT"]));
        let text = Text::of(&array).unwrap();
        let out = text.output(None).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![None, Some("ACCEPT")]);
    }

    #[test]
    fn time_bounds_in_mixed_units_are_not_used() {
        use parquet::file::statistics::ValueStatistics;
        let same = Statistics::Int64(ValueStatistics::new(
            Some(1_700_000_000),
            Some(1_700_000_600),
            None,
            Some(0),
            false,
        ));
        let bounds = time_bounds(&same).expect("seconds both");
        assert_eq!(
            (bounds.min, bounds.max),
            (1_700_000_000_000, 1_700_000_600_000)
        );
        let mixed = Statistics::Int64(ValueStatistics::new(
            Some(1_700_000_000),
            Some(1_700_000_000_000),
            None,
            Some(0),
            false,
        ));
        assert!(time_bounds(&mixed).is_none());
    }
}

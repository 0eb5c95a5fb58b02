//! Flow logs as Parquet, as S3 delivery writes them: one column per field, `_` for `-`
//! (`pkt_srcaddr`), INT_32/INT_64/STRING as AWS documents. Columns are mapped by name, so any
//! field order and any subset of fields read; fields the file lacks are null.
//!
//! Unlike text, Parquet values arrive typed, so only addresses (strings) can be malformed; an
//! address column is read and checked when the query uses it (its text or binary column), and a
//! row with a bad one is reported and left out. A query that touches no address does not pay
//! for parsing them.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, FixedSizeBinaryBuilder, Int64Array, StringArray,
    TimestampMillisecondArray, UInt64Array, new_null_array,
};
use arrow::compute::{cast, filter};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use eastwest_model::{Position, ProblemLevel};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use super::fields::{COLUMNS, ColumnSource, FIELDS, FieldId, FieldType, field_id};
use super::parse::{BATCH_ROWS, RowSelection, epoch_millis, parse_ip, source_file_column};
use super::text::Emit;
use crate::input::Input;
use crate::report::{InputTally, Report};

/// Fewest flow-log columns a Parquet file must have to be read as a flow log.
const MIN_FLOW_COLUMNS: usize = 3;

/// An address column of a batch: its field, its text, and each row's binary form (None for
/// null or unparsable).
type ParsedAddresses = (FieldId, StringArray, Vec<Option<[u8; 16]>>);

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
    let builder = match ParquetRecordBatchReaderBuilder::try_new(data) {
        Ok(builder) => builder,
        Err(e) => return unreadable(tally, Position::File, &e),
    };
    // Where each known field is in the file.
    let mut file_column: Vec<Option<usize>> = vec![None; FIELDS.len()];
    for (index, field) in builder.schema().fields().iter().enumerate() {
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
    let log_status = by_name("log-status");
    let interface = by_name("interface-id");
    let (start, end) = (by_name("start"), by_name("end"));
    let mut needed: Vec<FieldId> = vec![log_status, interface, start, end];
    for &column in &selection.projection {
        if let ColumnSource::Field(id) | ColumnSource::Binary(id) = COLUMNS[column].1 {
            needed.push(id);
        }
    }
    needed.sort_unstable();
    needed.dedup();
    let mut roots: Vec<usize> = needed.iter().filter_map(|&id| file_column[id]).collect();
    roots.sort_unstable();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let row_group_count = builder.metadata().num_row_groups();
    let reader = match builder
        .with_projection(mask)
        .with_row_groups(match &input.row_groups {
            Some(groups) => (groups.first..groups.first + groups.count).collect(),
            None => (0..row_group_count).collect(),
        })
        .with_batch_size(BATCH_ROWS)
        .build()
    {
        Ok(reader) => reader,
        Err(e) => return unreadable(tally, Position::File, &e),
    };
    // Rows are numbered across the file, whichever part of it this is.
    let mut rows_before = input
        .row_groups
        .as_ref()
        .map_or(0, |groups| groups.first_row);
    for batch in reader {
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => return unreadable(tally, Position::Row(rows_before + 1), &e),
        };
        let column = |id: FieldId| {
            batch
                .column_by_name(&FIELDS[id].name.replace('-', "_"))
                .cloned()
        };
        let rows = batch.num_rows();
        let text = |id: FieldId| column(id).and_then(|c| as_strings(&c));
        let times = |id: FieldId| column(id).map(|c| to_millis(&c));
        let status = text(log_status);
        let interfaces = text(interface);
        let starts = times(start);
        let ends = times(end);
        // Addresses, parsed once for validation and for the binary columns.
        let addresses: Vec<ParsedAddresses> = needed
            .iter()
            .copied()
            .filter(|&id| FIELDS[id].kind == FieldType::Address)
            .filter_map(|id| {
                let strings = text(id)?;
                let parsed = (0..rows)
                    .map(|row| {
                        strings
                            .is_valid(row)
                            .then(|| parse_ip(strings.value(row).as_bytes()))
                            .flatten()
                    })
                    .collect();
                Some((id, strings, parsed))
            })
            .collect();
        let mut keep = Vec::with_capacity(rows);
        for row in 0..rows {
            let position = Position::Row(rows_before + row as u64 + 1);
            let bad_address = addresses.iter().find(|(_, strings, parsed)| {
                strings.is_valid(row) && strings.value(row) != "-" && parsed[row].is_none()
            });
            if let Some((id, strings, _)) = bad_address {
                tally.problem(
                    file,
                    position,
                    ProblemLevel::Record,
                    format!(
                        "{}: not an IP address: '{}'",
                        FIELDS[*id].name,
                        strings.value(row)
                    ),
                );
                keep.push(false);
                continue;
            }
            let state = status
                .as_ref()
                .filter(|s| s.is_valid(row))
                .map(|s| s.value(row));
            let is_gap = matches!(state, Some("NODATA" | "SKIPDATA"));
            if let Some(gap @ ("NODATA" | "SKIPDATA")) = state {
                let eni = interfaces
                    .as_ref()
                    .filter(|s| s.is_valid(row))
                    .map_or("-", |s| s.value(row));
                let duration_ms = match (&starts, &ends) {
                    (Some(s), Some(e)) if s.is_valid(row) && e.is_valid(row) => {
                        Some(e.value(row).saturating_sub(s.value(row)).max(0))
                    }
                    _ => None,
                };
                tally.gap(eni, gap == "SKIPDATA", duration_ms);
                if !selection.gaps {
                    keep.push(false);
                    continue;
                }
            }
            // Reading gaps (the `flow_gaps` table): traffic is what is left out.
            if selection.gaps && !is_gap {
                tally.summary.filtered += 1;
                keep.push(false);
                continue;
            }
            let at = |t: &Option<TimestampMillisecondArray>| {
                t.as_ref().filter(|t| t.is_valid(row)).map(|t| t.value(row))
            };
            let before =
                matches!((selection.since_ms, at(&ends)), (Some(since), Some(e)) if e < since);
            let after =
                matches!((selection.until_ms, at(&starts)), (Some(until), Some(s)) if s >= until);
            if before || after {
                tally.summary.out_of_window += 1;
                keep.push(false);
                continue;
            }
            keep.push(true);
        }
        let keep = BooleanArray::from(keep);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(selection.projection.len());
        for (index, &column_index) in selection.projection.iter().enumerate() {
            let target = schema.field(index).data_type();
            let array: ArrayRef = match COLUMNS[column_index].1 {
                ColumnSource::Field(id) => match column(id) {
                    None => new_null_array(target, rows),
                    Some(source) if FIELDS[id].kind == FieldType::Time => {
                        Arc::new(to_millis(&source))
                    }
                    Some(source) => {
                        let typed =
                            cast(&source, target).unwrap_or_else(|_| new_null_array(target, rows));
                        null_dashes(typed)
                    }
                },
                ColumnSource::Binary(id) => {
                    let mut builder = FixedSizeBinaryBuilder::with_capacity(rows, 16);
                    match addresses.iter().find(|(a, _, _)| *a == id) {
                        Some((_, _, parsed)) => {
                            for value in parsed {
                                match value {
                                    Some(bytes) => {
                                        let _ = builder.append_value(bytes);
                                    }
                                    None => builder.append_null(),
                                }
                            }
                        }
                        None => (0..rows).for_each(|_| builder.append_null()),
                    }
                    Arc::new(builder.finish())
                }
                ColumnSource::SourceFile => source_file_column(file, rows),
                ColumnSource::SourceLine => Arc::new(UInt64Array::from_iter_values(
                    (0..rows as u64).map(|r| rows_before + r + 1),
                )),
            };
            match filter(&array, &keep) {
                Ok(array) => columns.push(array),
                Err(e) => return unreadable(tally, Position::Row(rows_before + 1), &e),
            }
        }
        rows_before += rows as u64;
        let kept = keep.true_count();
        if kept == 0 {
            continue;
        }
        let options = RecordBatchOptions::new().with_row_count(Some(kept));
        match RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options) {
            Ok(out) => {
                report.add_records(kept as u64);
                tally.summary.records += kept as u64;
                if !emit(out) {
                    return;
                }
            }
            Err(e) => return unreadable(tally, Position::Row(rows_before), &e),
        }
    }
}

/// A column as UTF-8 strings, whatever string type it was written with.
fn as_strings(array: &ArrayRef) -> Option<StringArray> {
    let utf8 = cast(array, &DataType::Utf8).ok()?;
    utf8.as_any().downcast_ref::<StringArray>().cloned()
}

/// AWS writes `-` for "no value" in text; some converters carry it into Parquet. Null it, as the
/// text reader does.
fn null_dashes(array: ArrayRef) -> ArrayRef {
    let Some(strings) = array.as_any().downcast_ref::<StringArray>() else {
        return array;
    };
    if !strings.iter().any(|v| v == Some("-")) {
        return array;
    }
    Arc::new(
        strings
            .iter()
            .map(|v| v.filter(|v| *v != "-"))
            .collect::<StringArray>(),
    )
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

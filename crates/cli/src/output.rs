//! Printing query results: a table for people, JSON lines or CSV for programs. Binary address
//! columns are printed as text addresses, whatever the format.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{Array, ArrayRef, FixedSizeBinaryArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::udf::address_text;

/// Output formats of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table (the default on a terminal).
    Table,
    /// One JSON object per row.
    Json,
    /// CSV with a header row.
    Csv,
}

/// The batch with each column `convert` returns text for replaced by that text column (same
/// name, nullable), the others kept as they are.
fn text_columns(
    batch: &RecordBatch,
    convert: impl Fn(&Field, &ArrayRef) -> Option<StringArray>,
) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        match convert(field, column) {
            Some(text) => {
                fields.push(Field::new(field.name(), DataType::Utf8, true));
                columns.push(Arc::new(text));
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(column));
            }
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Binary 16-byte columns (addresses) → text columns.
fn readable(batch: &RecordBatch) -> Result<RecordBatch> {
    text_columns(batch, |field, column| {
        let DataType::FixedSizeBinary(16) = field.data_type() else {
            return None;
        };
        let binary = column.as_any().downcast_ref::<FixedSizeBinaryArray>()?;
        Some(
            (0..binary.len())
                .map(|i| {
                    binary
                        .is_valid(i)
                        .then(|| address_text(binary.value(i)))
                        .flatten()
                })
                .collect(),
        )
    })
}

/// List columns (DNS answers, process arguments) as text `[a, b]`: CSV has no lists.
fn lists_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    text_columns(batch, |field, column| {
        let (DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_)) =
            field.data_type()
        else {
            return None;
        };
        Some(
            (0..column.len())
                .map(|i| {
                    column.is_valid(i).then(|| {
                        datafusion::arrow::util::display::array_value_to_string(column, i)
                            .unwrap_or_default()
                    })
                })
                .collect(),
        )
    })
}

/// Writes batches in `format`.
pub fn write(batches: &[RecordBatch], format: Format, out: &mut dyn Write) -> Result<()> {
    write_part(batches, format, true, out)
}

/// Writes batches in `format`, as the first part of the output (with the CSV header) or as a
/// later one (without), so that a result can be written batch by batch as it is computed.
pub fn write_part(
    batches: &[RecordBatch],
    format: Format,
    first: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let batches: Vec<RecordBatch> = batches.iter().map(readable).collect::<Result<_>>()?;
    match format {
        Format::Table => {
            let table = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?;
            // Values come from logs and tags: a table is for a terminal, which must not act on
            // what they hold (escape sequences, carriage returns).
            for line in table.to_string().lines() {
                writeln!(out, "{}", eastwest_sinks::table::printable(line))?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(out);
            for batch in &batches {
                writer.write(batch).context("writing JSON")?;
            }
            writer.finish()?;
        }
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(first)
                .build(out);
            for batch in &batches {
                writer
                    .write(&lists_as_text(batch)?)
                    .context("writing CSV")?;
            }
        }
    }
    Ok(())
}

//! VPC Flow Logs: every version's fields, default and custom formats, text (plain, gzip,
//! CloudWatch Logs exports, Firehose deliveries) and Parquet.
//!
//! The parser only reads: NODATA and SKIPDATA records become coverage gaps per ENI (counted, not
//! rows), `-` becomes null, and a line that does not fit its format is counted and reported with
//! its file and line. What the traffic means is for the detectors.

pub mod fields;
pub mod format;
pub mod parquet;
pub mod parse;
pub mod text;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::Schema;
use eastwest_model::{LogKind, Position};

pub use fields::{COLUMNS, ColumnSource, FIELDS, FLOWS_SCHEMA, FieldType, FlowField, field_id};
pub use format::{DEFAULT_FORMAT, FlowFormat, FormatError, Slot};
pub use parse::{LineOutcome, LineParser, Literal, RowSelection};

use super::{Container, Sniff, Source};

/// What tells the reader which format a flow log without a header line has.
#[derive(Debug, Clone, Default)]
pub struct FlowContext {
    /// The format given with `--flow-format`: used for every input without a header line.
    pub format: Option<FlowFormat>,
    /// Formats of known flow logs by flow-log id (`fl-...`), from describe-flow-logs; an S3 file
    /// names its flow log.
    pub by_flow_log_id: HashMap<String, FlowFormat>,
    /// Formats of known flow logs by CloudWatch Logs group, from describe-flow-logs; Firehose
    /// deliveries name their log group.
    pub by_log_group: HashMap<String, FlowFormat>,
}

impl FlowContext {
    /// The format for an input, before any header line: the explicit one, else the one of the
    /// flow log its name or log group points to, else AWS's default.
    pub fn format_for(&self, input_name: &str, log_group: Option<&str>) -> FlowFormat {
        if let Some(format) = &self.format {
            return format.clone();
        }
        let by_id =
            crate::input::flow_log_id(input_name).and_then(|id| self.by_flow_log_id.get(id));
        let by_group = log_group.and_then(|group| self.by_log_group.get(group));
        by_id
            .or(by_group)
            .cloned()
            .unwrap_or_else(FlowFormat::default_format)
    }

    /// Adds the format of one flow log (from `describe-flow-logs`): its files (named by the
    /// flow-log id) and its CloudWatch Logs group are read with it. Returns false when the
    /// format does not parse.
    pub fn add_flow_log(
        &mut self,
        flow_log_id: Option<&str>,
        log_group: Option<&str>,
        log_format: &str,
    ) -> bool {
        let Ok(format) = FlowFormat::parse(log_format) else {
            return false;
        };
        if let Some(id) = flow_log_id {
            self.by_flow_log_id.insert(id.to_string(), format.clone());
        }
        if let Some(group) = log_group {
            self.by_log_group.insert(group.to_string(), format);
        }
        true
    }

    /// Adds the formats of the flow logs in an AWS CLI `describe-flow-logs` output. Returns how
    /// many flow logs it described, or None when the JSON is not that output.
    pub fn add_describe_flow_logs(&mut self, json: &serde_json::Value) -> Option<usize> {
        let flow_logs = json.get("FlowLogs")?.as_array()?;
        let text = |flow_log: &serde_json::Value, key: &str| {
            flow_log
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let added = flow_logs
            .iter()
            .filter(|flow_log| {
                text(flow_log, "LogFormat").is_some_and(|format| {
                    self.add_flow_log(
                        text(flow_log, "FlowLogId").as_deref(),
                        text(flow_log, "LogGroupName").as_deref(),
                        &format,
                    )
                })
            })
            .count();
        Some(added)
    }
}

/// True when the line is a header or a record (traffic or gap) of `format`.
pub fn is_flow_line(line: &[u8], format: &FlowFormat) -> bool {
    let selection = RowSelection {
        projection: Vec::new(),
        since_ms: None,
        until_ms: None,
        equals: Vec::new(),
        gaps: false,
    };
    let mut parser = LineParser::new(
        format.clone(),
        selection,
        Arc::new(Schema::empty()),
        "".into(),
    );
    matches!(
        parser.push_line(line, Position::Line(1)),
        LineOutcome::Row | LineOutcome::Header | LineOutcome::Gap(_) | LineOutcome::Filtered
    )
}

/// Lines of text to look at when recognising a text input.
const SNIFF_LINES: usize = 20;

/// Flow logs as text, in any container but Parquet.
pub struct FlowTextSource {
    context: FlowContext,
}

impl FlowTextSource {
    /// The source; `context` names the formats headerless files may have.
    pub fn new(context: FlowContext) -> Self {
        Self { context }
    }
}

impl Source for FlowTextSource {
    fn kind(&self) -> LogKind {
        LogKind::FlowText
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        let context = &self.context;
        let format = context.format.clone().unwrap_or_else(|| {
            // Without an explicit format, any known flow log's format may apply.
            FlowFormat::default_format()
        });
        let candidates: Vec<&FlowFormat> = std::iter::once(&format)
            .chain(context.by_flow_log_id.values())
            .chain(context.by_log_group.values())
            .collect();
        let fits = |line: &[u8]| candidates.iter().any(|f| is_flow_line(line, f));
        match sniff.container {
            Container::Parquet => false,
            Container::Text => sniff.lines(SNIFF_LINES).any(fits),
            Container::Json => text::first_json_messages(sniff.head, SNIFF_LINES)
                .iter()
                .any(|message| fits(message.as_bytes())),
        }
    }
}

/// Flow logs as Parquet, as S3 delivery writes them.
pub struct FlowParquetSource;

impl Source for FlowParquetSource {
    fn kind(&self) -> LogKind {
        LogKind::FlowParquet
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        // The schema is checked when the file is opened: a Parquet file without flow columns is
        // reported then.
        sniff.container == Container::Parquet
    }
}

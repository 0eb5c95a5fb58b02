//! Log sources: one folder per kind. Each recognises its files from their first bytes and turns
//! them into rows; none of them judges what it reads.
//!
//! Recognition runs in order: containers first (gzip is opened and looked into; Parquet is told
//! by its magic bytes), then each source in [`SOURCES`] is asked whether the content is its own.
//! A new log kind is a folder here, an implementation of [`Source`], and one line in
//! [`SOURCES`].

pub mod flow;

use eastwest_model::LogKind;

/// How many bytes of an input (after decompression) recognition looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What an input's first bytes look like, for recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A Parquet file (`PAR1`).
    Parquet,
    /// JSON (first non-blank byte `{`): a CloudWatch Logs export, JSON lines, a Firehose
    /// delivery, or a JSON log such as CloudTrail.
    Json,
    /// Anything else: lines of text.
    Text,
}

/// Tells the container from the first bytes (already decompressed).
pub fn container_of(head: &[u8]) -> Container {
    if head.starts_with(b"PAR1") {
        return Container::Parquet;
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Container::Json,
        _ => Container::Text,
    }
}

/// A log source: recognises its own content.
///
/// Required: [`Source::kind`] and [`Source::recognise`]. Register a new source by adding one line
/// to [`SOURCES`]; its reader is dispatched by kind in `crate::read`.
pub trait Source: Sync {
    /// The kind this source reads.
    fn kind(&self) -> LogKind;
    /// True when `head` (the first [`SNIFF_BYTES`] after decompression) is this kind.
    fn recognise(&self, container: Container, head: &[u8], context: &flow::FlowContext) -> bool;
}

/// Every source, in recognition order.
pub static SOURCES: &[&dyn Source] = &[&flow::FlowParquetSource, &flow::FlowTextSource];

/// The kind of an input from its first bytes, or None when no source claims it.
pub fn recognise(head: &[u8], context: &flow::FlowContext) -> Option<LogKind> {
    let container = container_of(head);
    SOURCES
        .iter()
        .find(|source| source.recognise(container, head, context))
        .map(|source| source.kind())
}

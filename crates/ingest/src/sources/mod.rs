//! Log sources: one folder per kind. Each recognises its files from their first bytes and turns
//! them into rows; none of them judges what it reads.
//!
//! Recognition runs in order: containers first (gzip is opened and looked into; Parquet is told
//! by its magic bytes), then each source of the [`Registry`] is asked whether the content is its
//! own. A new log kind is a folder here, an implementation of [`Source`] (recognise, its tables'
//! columns, read), and one line in [`Registry::new`].

pub mod audit;
pub mod cloudtrail;
pub mod dns;
pub mod flow;
pub mod json;
pub mod ssh;

use std::io::Read;
use std::sync::Arc;

use eastwest_model::LogKind;

use crate::table::{EventRead, TableDef};

/// How many bytes of an input (after decompression) recognition looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What an input's first bytes look like, for recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A Parquet file (`PAR1`).
    Parquet,
    /// JSON (first non-blank byte `{` or `[`): a CloudWatch Logs export, JSON lines, a Firehose
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
        Some(b'{' | b'[') => Container::Json,
        _ => Container::Text,
    }
}

/// An input's name and first bytes, as recognition sees them.
#[derive(Debug, Clone, Copy)]
pub struct Sniff<'a> {
    /// The input's path or `s3://` URL (a hint at most: kinds are told by content).
    pub name: &'a str,
    /// The container of `head`.
    pub container: Container,
    /// Up to [`SNIFF_BYTES`] of the content, decompressed; the last line may be cut.
    pub head: &'a [u8],
}

impl<'a> Sniff<'a> {
    /// The sniff of `head`.
    pub fn new(name: &'a str, head: &'a [u8]) -> Self {
        Self {
            name,
            container: container_of(head),
            head,
        }
    }

    /// The complete lines of the head that are not blank (the last one may be cut off, so it
    /// is left out unless it is the only one), at most `limit`.
    pub fn lines(&self, limit: usize) -> impl Iterator<Item = &'a [u8]> {
        let complete = match memchr::memrchr(b'\n', self.head) {
            Some(end) => &self.head[..end],
            None => self.head,
        };
        complete
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .take(limit)
    }
}

/// A log source: recognises its own content and reads it into the rows of its tables.
///
/// Flow logs are read by the columnar flow reader (`crate::read`: chunked files, pushed-down
/// filters, Parquet), so their sources only recognise; every other kind declares its tables and
/// reads through [`Source::read`].
pub trait Source: Send + Sync {
    /// The kind this source reads.
    fn kind(&self) -> LogKind;
    /// True when the sniffed content is this kind.
    fn recognise(&self, sniff: &Sniff<'_>) -> bool;
    /// The tables this kind's events go to (none for kinds that are recognised only to be
    /// skipped, and for flow logs, whose table is built by the flow reader).
    fn tables(&self) -> &'static [&'static TableDef] {
        &[]
    }
    /// Reads a decompressed stream into rows of `table` (one of [`Source::tables`]), through
    /// `read`, which keeps the selection, counts and problems. The default reads nothing.
    fn read(&self, _table: &TableDef, _stream: &mut dyn Read, _read: &mut EventRead<'_>) {}
    /// True for kinds that are recognised to be skipped on purpose (CloudTrail digests): counted
    /// as skipped without a problem.
    fn skipped(&self) -> bool {
        false
    }
}

/// The sources of a run, in recognition order.
#[derive(Clone)]
pub struct Registry {
    sources: Vec<Arc<dyn Source>>,
}

impl Registry {
    /// Every source. `flow` tells the flow-text source which formats headerless files may have.
    pub fn new(flow: &flow::FlowContext) -> Self {
        let sources: Vec<Arc<dyn Source>> = vec![
            Arc::new(flow::FlowParquetSource),
            Arc::new(cloudtrail::DigestSource),
            Arc::new(cloudtrail::CloudTrailSource),
            Arc::new(dns::ResolverQuerySource),
            Arc::new(audit::AuditdSource),
            Arc::new(flow::FlowTextSource::new(flow.clone())),
            // Last: a syslog file is told by its line shape, which other text kinds never have.
            Arc::new(ssh::AuthLogSource),
        ];
        Self { sources }
    }

    /// The source whose kind the content is, or None.
    pub fn recognise(&self, sniff: &Sniff<'_>) -> Option<&Arc<dyn Source>> {
        self.sources.iter().find(|source| source.recognise(sniff))
    }

    /// The source of a kind.
    pub fn source(&self, kind: LogKind) -> Option<&Arc<dyn Source>> {
        self.sources.iter().find(|source| source.kind() == kind)
    }

    /// Every event table and the kinds that feed it, in registry order.
    pub fn tables(&self) -> Vec<(&'static TableDef, Vec<LogKind>)> {
        let mut tables: Vec<(&'static TableDef, Vec<LogKind>)> = Vec::new();
        for source in &self.sources {
            for table in source.tables() {
                match tables.iter_mut().find(|(t, _)| t.name == table.name) {
                    Some((_, kinds)) => kinds.push(source.kind()),
                    None => tables.push((table, vec![source.kind()])),
                }
            }
        }
        tables
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new(&flow::FlowContext::default())
    }
}

/// The host a log file belongs to from its path: the folder after `hosts/`
/// (`.../hosts/<name>/var/log/secure`), the layout in which host logs are collected.
pub fn path_host(name: &str) -> Option<&str> {
    let mut parts = name.split(['/', '\\']);
    parts.find(|p| *p == "hosts")?;
    let host = parts.next().filter(|host| !host.is_empty())?;
    // The host is a folder: something must follow it.
    parts.next().map(|_| host)
}

/// The kind of an input from its first bytes, or None when no source claims it.
pub fn recognise(head: &[u8], context: &flow::FlowContext) -> Option<LogKind> {
    Registry::new(context)
        .recognise(&Sniff::new("", head))
        .map(|source| source.kind())
}

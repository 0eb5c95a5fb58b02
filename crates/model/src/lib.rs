//! Shared types of eastwest, at the bottom of the crate graph.
//!
//! Every other crate speaks in these terms: the kinds of log eastwest reads ([`LogKind`]),
//! where a record came from ([`Position`]), what went wrong with an input ([`Problem`]) and what
//! a read amounted to ([`ReadSummary`]), and what an analysis concluded ([`finding::Finding`],
//! with its [`attack::Attack`] references). Nothing in this crate knows how to parse or detect
//! anything.
#![deny(missing_docs)]

pub mod attack;
pub mod finding;
pub mod time;

pub use attack::Attack;
pub use finding::{ControlStatus, Endpoint, Evidence, Finding, Resource, Status};

use std::fmt;

use serde::Serialize;

/// A kind of log that eastwest recognises from a file's content (never from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogKind {
    /// VPC Flow Logs as space-separated text (with or without the S3 header line), in any
    /// container: plain, gzip, CloudWatch Logs export JSON, Firehose delivery.
    FlowText,
    /// VPC Flow Logs as the Parquet files that S3 delivery writes.
    FlowParquet,
    /// CloudTrail events: S3 delivery (`{"Records": [...]}`), one event per line (CloudTrail
    /// Lake exports, EventBridge events), CloudWatch Logs exports of a trail.
    CloudTrail,
    /// CloudTrail digest files: recognised so they are skipped knowingly, not reported as
    /// unknown.
    CloudTrailDigest,
    /// Route 53 Resolver query logs (JSON lines; S3 and CloudWatch Logs layouts).
    ResolverQuery,
    /// Authentication logs: sshd, PAM, sudo and account tools in syslog files or journald JSON
    /// exports.
    AuthLog,
    /// Linux audit daemon logs (raw or enriched format).
    Auditd,
}

impl LogKind {
    /// The short name used in messages and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            LogKind::FlowText => "flow-text",
            LogKind::FlowParquet => "flow-parquet",
            LogKind::CloudTrail => "cloudtrail",
            LogKind::CloudTrailDigest => "cloudtrail-digest",
            LogKind::ResolverQuery => "dns",
            LogKind::AuthLog => "auth-log",
            LogKind::Auditd => "auditd",
        }
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where inside an input a record sits, in the unit a user can find it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// The whole input (an unreadable or unrecognised file).
    File,
    /// A 1-based line of a text file (after decompression).
    Line(u64),
    /// A 1-based log event of a JSON container (CloudWatch Logs export, Firehose delivery).
    Event(u64),
    /// A 1-based row of a Parquet file.
    Row(u64),
    /// A 1-based item of a JSON list (an entry of `SecurityGroups` in a describe output).
    Item(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::File => Ok(()),
            Position::Line(n) => write!(f, ":{n}"),
            Position::Event(n) => write!(f, " event {n}"),
            Position::Row(n) => write!(f, " row {n}"),
            Position::Item(n) => write!(f, " item {n}"),
        }
    }
}

/// How bad a problem is for the run as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemLevel {
    /// One record was skipped; the rest of its input was read.
    Record,
    /// A whole input was skipped because it is not a kind eastwest reads (say, a README in a
    /// log folder). Not an error: reported so that nothing is dropped silently.
    Skipped,
    /// A whole input (or the rest of it) could not be read: I/O error, corrupt compression,
    /// access denied. The run goes on with the other inputs and exits with status 2.
    Unreadable,
}

/// One thing that went wrong with an input: which input, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The input's path or `s3://` URL.
    pub file: String,
    /// Where in the input.
    pub position: Position,
    /// How bad it is.
    pub level: ProblemLevel,
    /// A sentence saying what was wrong, quoting the offending text (truncated).
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.file, self.position, self.reason)
    }
}

/// Counts of what a read amounted to, summed over all inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReadSummary {
    /// Inputs that were read (fully or partly).
    pub files_read: u64,
    /// Inputs skipped as not a kind eastwest reads.
    pub files_skipped: u64,
    /// Inputs that could not be read (or not to the end).
    pub files_unreadable: u64,
    /// Inputs not opened at all because their path placed them outside `--since/--until`.
    pub files_pruned: u64,
    /// Bytes read from storage (compressed size for compressed inputs).
    pub bytes_read: u64,
    /// Records returned as rows.
    pub records: u64,
    /// Records that did not parse and were skipped.
    pub malformed: u64,
    /// Header lines seen (the first line of each S3 text file, and any repeated header).
    pub headers: u64,
    /// NODATA records: an interval in which an ENI had no traffic to log.
    pub nodata: u64,
    /// SKIPDATA records: an interval whose records AWS dropped (a coverage gap).
    pub skipdata: u64,
    /// Records outside `--since/--until`, read but not returned.
    pub out_of_window: u64,
    /// Records a query's condition left out while reading (`WHERE action = 'REJECT'`), read but
    /// not returned.
    pub filtered: u64,
}

impl ReadSummary {
    /// Adds another summary's counts to this one.
    pub fn add(&mut self, other: &ReadSummary) {
        self.files_read += other.files_read;
        self.files_skipped += other.files_skipped;
        self.files_unreadable += other.files_unreadable;
        self.files_pruned += other.files_pruned;
        self.bytes_read += other.bytes_read;
        self.records += other.records;
        self.malformed += other.malformed;
        self.headers += other.headers;
        self.nodata += other.nodata;
        self.skipdata += other.skipdata;
        self.out_of_window += other.out_of_window;
        self.filtered += other.filtered;
    }
}

/// How bad a finding is, on OCSF's scale (`severity_id` 1-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Informational = 1,
    /// Fix when convenient.
    Low = 2,
    /// Fix soon.
    Medium = 3,
    /// Fix now.
    High = 4,
    /// An attacker is likely using it.
    Critical = 5,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// From its name (`high`, case-insensitive) or OCSF id (`4`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL.into_iter().find(|s| {
            s.caption().eq_ignore_ascii_case(text)
                || (text.eq_ignore_ascii_case("info") && *s == Severity::Informational)
                || text == s.id().to_string()
        })
    }

    /// OCSF `severity_id`.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// OCSF `severity` caption.
    pub fn caption(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
}

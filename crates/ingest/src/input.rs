//! Inputs: what the user named on the command line, expanded into the files to read.
//!
//! A path is a file or a directory walked recursively (in name order, so runs are
//! reproducible); `s3://bucket/prefix` lists the objects under the prefix. Before anything is
//! opened, paths that carry a date (the S3 layout `AWSLogs/<account>/vpcflowlogs/<region>/
//! YYYY/MM/DD/`, file names with `_YYYYMMDDTHHMMZ_`, Hive partitions `year=/month=/day=/hour=`)
//! and fall outside `--since/--until` are pruned.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eastwest_model::LogKind;

use crate::sources::flow::FlowFormat;
use crate::time::{MS_PER_DAY, MS_PER_HOUR, days_from_civil};

/// Where an input's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An S3 object.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
}

/// A byte range of a large plain-text file, read by one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// First byte (always the start of a line).
    pub start: u64,
    /// One past the last byte (always the end of a line, or the end of the file).
    pub end: u64,
    /// 1-based number of the chunk's first line in the file.
    pub first_line: u64,
    /// The format in force at `start` (from a header line before it), if any.
    pub format: Option<FlowFormat>,
}

/// A run of row groups of a large Parquet file, read by one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowGroups {
    /// Index of the first row group.
    pub first: usize,
    /// How many row groups.
    pub count: usize,
    /// 0-based number of the first row in the file (rows are numbered across the file).
    pub first_row: u64,
    /// Compressed bytes of these row groups, for balancing work.
    pub bytes: u64,
}

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The name used in messages and the `source_file` column: the path or `s3://` URL.
    pub name: Arc<str>,
    /// Where its bytes are.
    pub location: Location,
    /// Its size in bytes, as listed.
    pub size: u64,
    /// The part of it to read, when a large text file is split between workers.
    pub chunk: Option<Chunk>,
    /// The row groups to read, when a large Parquet file is split between workers.
    pub row_groups: Option<RowGroups>,
    /// Its kind, once the catalog has recognised it (readers then skip recognition).
    pub kind: Option<LogKind>,
}

impl Input {
    /// Bytes this input (or its part) covers, for balancing work.
    pub fn work_bytes(&self) -> u64 {
        match (&self.chunk, &self.row_groups) {
            (Some(chunk), _) => chunk.end - chunk.start,
            (None, Some(groups)) => groups.bytes,
            (None, None) => self.size,
        }
    }

    /// True for the part that starts the file (or a whole file): its reader counts the file.
    pub fn is_first_part(&self) -> bool {
        self.chunk.as_ref().is_none_or(|c| c.start == 0)
            && self.row_groups.as_ref().is_none_or(|g| g.first == 0)
    }
}

/// A time window, epoch milliseconds, `since` inclusive and `until` exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// Earliest time wanted.
    pub since_ms: Option<i64>,
    /// First time no longer wanted.
    pub until_ms: Option<i64>,
}

impl TimeWindow {
    /// True when the span `[from, to)` may hold records of the window.
    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.since_ms.is_none_or(|since| to > since)
            && self.until_ms.is_none_or(|until| from < until)
    }

    /// True when no bound is set.
    pub fn is_unbounded(&self) -> bool {
        self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// True when a path's dates place it wholly outside the window, so it need not be opened.
    pub fn prunes(&self, path: &str) -> bool {
        !self.is_unbounded()
            && path_time_span(path).is_some_and(|(from, to)| !self.overlaps(from, to))
    }
}

/// Slack around a file's date: AWS names a file by when it was written, and a record in it can
/// have started up to an aggregation interval (10 minutes) plus the delivery delay before that.
/// An hour either side is generous and still prunes by day and hour.
const PATH_SLACK_MS: i64 = MS_PER_HOUR;

/// The span of time a path can hold records for, from the dates in it, or None when the path
/// carries no date.
pub fn path_time_span(path: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = path.split('/').collect();
    if let Some(name) = parts.last()
        && let Some(ms) = file_name_time(name)
    {
        return Some((ms - PATH_SLACK_MS, ms + PATH_SLACK_MS));
    }
    // Hive partitions: year=YYYY/month=MM/day=DD[/hour=HH].
    let hive = |key: &str| {
        parts
            .iter()
            .find_map(|p| p.strip_prefix(key).and_then(|v| v.parse::<i64>().ok()))
    };
    if let (Some(y), Some(m), Some(d)) = (hive("year="), hive("month="), hive("day=")) {
        let day = day_start(y, m, d)?;
        return Some(match hive("hour=") {
            Some(h) if (0..24).contains(&h) => (
                day + h * MS_PER_HOUR - PATH_SLACK_MS,
                day + (h + 1) * MS_PER_HOUR + PATH_SLACK_MS,
            ),
            _ => (day - PATH_SLACK_MS, day + MS_PER_DAY + PATH_SLACK_MS),
        });
    }
    // S3 layout: .../YYYY/MM/DD/... (three numeric segments in a row).
    for window in parts.windows(3) {
        if let [y, m, d] = window
            && y.len() == 4
            && m.len() == 2
            && d.len() == 2
            && let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>())
            && let Some(day) = day_start(y, m, d)
        {
            return Some((day - PATH_SLACK_MS, day + MS_PER_DAY + PATH_SLACK_MS));
        }
    }
    None
}

fn day_start(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * MS_PER_DAY)
}

/// `123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz` → the time.
fn file_name_time(name: &str) -> Option<i64> {
    name.split(['_', '.']).find_map(|part| {
        let b = part.as_bytes();
        if b.len() != 14 || b[8] != b'T' || b[13] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| part.get(r)?.parse::<i64>().ok();
        let day = day_start(num(0..4)?, num(4..6)?, num(6..8)?)?;
        let (hour, minute) = (num(9..11)?, num(11..13)?);
        if hour > 23 || minute > 59 {
            return None;
        }
        Some(day + hour * MS_PER_HOUR + minute * 60_000)
    })
}

/// The flow-log id in an S3 file name (`..._fl-1234abcd_...`), used to find its format.
pub fn flow_log_id(name: &str) -> Option<&str> {
    let file = name.rsplit('/').next()?;
    file.split('_')
        .find(|part| part.starts_with("fl-") && part.len() > 3)
}

/// Why an input could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A path that does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// An `s3://` URL without a bucket.
    #[error("{0}: not an S3 URL (write s3://bucket/prefix)")]
    BadUrl(String),
    /// Listing a bucket failed.
    #[error("{url}: {message}")]
    S3 {
        /// The URL.
        url: String,
        /// What the service said.
        message: String,
    },
    /// `s3://` given but eastwest was built without S3 support.
    #[error("{0}: this build of eastwest cannot read S3")]
    S3Unsupported(String),
}

/// Splits `s3://bucket/prefix` into bucket and prefix.
pub fn parse_s3_url(url: &str) -> Result<(String, String), InputError> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| InputError::BadUrl(url.to_string()))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(InputError::BadUrl(url.to_string()));
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

/// Local files under `path` (the file itself, or every file below a directory, in name order,
/// hidden files left out), with those outside `window` by path date pruned. Returns the inputs
/// and how many were pruned.
pub fn list_local(path: &Path, window: &TimeWindow) -> Result<(Vec<Input>, u64), InputError> {
    let io = |source: std::io::Error| InputError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut inputs = Vec::new();
    let mut pruned = 0;
    if meta.is_file() {
        inputs.push(local_input(path.to_path_buf(), meta.len()));
        return Ok((inputs, 0));
    }
    let walk = walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map_or_else(|| path.display().to_string(), |p| p.display().to_string());
            InputError::Io {
                path,
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop")),
            }
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let full = entry.path().to_string_lossy().replace('\\', "/");
        if window.prunes(&full) {
            pruned += 1;
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        inputs.push(local_input(entry.into_path(), size));
    }
    Ok((inputs, pruned))
}

fn local_input(path: PathBuf, size: u64) -> Input {
    Input {
        name: path.display().to_string().into(),
        location: Location::Local(path),
        size,
        chunk: None,
        row_groups: None,
        kind: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_paths_give_spans() {
        let day = days_from_civil(2018, 6, 20) * MS_PER_DAY;
        let key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz";
        let t = day + 16 * MS_PER_HOUR + 20 * 60_000;
        assert_eq!(
            path_time_span(key),
            Some((t - PATH_SLACK_MS, t + PATH_SLACK_MS))
        );
        assert_eq!(
            path_time_span("AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/other.log"),
            Some((day - PATH_SLACK_MS, day + MS_PER_DAY + PATH_SLACK_MS))
        );
        assert_eq!(
            path_time_span(
                "x/aws-account-id=1/aws-service=vpcflowlogs/year=2018/month=06/day=20/hour=03/f.parquet"
            ),
            Some((
                day + 3 * MS_PER_HOUR - PATH_SLACK_MS,
                day + 4 * MS_PER_HOUR + PATH_SLACK_MS
            ))
        );
        assert_eq!(path_time_span("logs/flows.log"), None);
        assert_eq!(flow_log_id(key), Some("fl-1234abcd"));
    }

    #[test]
    fn windows_overlap_half_open() {
        let window = TimeWindow {
            since_ms: Some(100),
            until_ms: Some(200),
        };
        assert!(window.overlaps(150, 160));
        assert!(!window.overlaps(0, 100));
        assert!(window.overlaps(0, 101));
        assert!(!window.overlaps(200, 300));
    }

    #[test]
    fn s3_urls_split() {
        assert_eq!(
            parse_s3_url("s3://b/AWSLogs/").expect("ok"),
            ("b".into(), "AWSLogs/".into())
        );
        assert_eq!(
            parse_s3_url("s3://b").expect("ok"),
            ("b".into(), String::new())
        );
        assert!(parse_s3_url("s3:///x").is_err());
    }
}

//! What a read amounted to: counts, problems with file and position, coverage gaps per ENI.
//!
//! One [`Report`] is shared by every thread reading inputs of a run. Readers keep their own
//! counts while they work and add them when an input is done, so the lock is taken once per
//! input, not per line; the byte and record counters are atomics so a progress bar can poll them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use eastwest_model::{LogKind, Position, Problem, ProblemLevel, ReadSummary};
use serde::Serialize;

/// Problems kept in detail per input; past this they are only counted, so a file of garbage
/// cannot fill memory with messages.
pub const MAX_PROBLEMS_PER_FILE: usize = 20;

/// Coverage gaps of one ENI: intervals with nothing logged (NODATA) or with records dropped
/// (SKIPDATA).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GapCounts {
    /// NODATA records.
    pub nodata: u64,
    /// SKIPDATA records.
    pub skipdata: u64,
    /// Milliseconds covered by SKIPDATA records: traffic that happened but was not logged.
    pub skipped_ms: i64,
}

/// Most interfaces whose gaps are counted one by one: more than any estate has network
/// interfaces, so a file of made-up ids cannot grow the map without bound; past it, gaps are
/// counted under [`OTHER_INTERFACES`].
pub const MAX_GAP_INTERFACES: usize = 200_000;

/// The key gaps of interfaces past [`MAX_GAP_INTERFACES`] are counted under.
pub const OTHER_INTERFACES: &str = "(other interfaces)";

/// The key a gap of `interface_id` is counted under, in a map that holds it already (`known`)
/// or not, and holds `len` interfaces.
fn gap_key(known: bool, len: usize, interface_id: &str) -> String {
    if known || len < MAX_GAP_INTERFACES {
        interface_id.to_string()
    } else {
        OTHER_INTERFACES.to_string()
    }
}

/// Counts and problems of one input, kept by its reader and added to the [`Report`] when done.
#[derive(Debug, Default)]
pub struct InputTally {
    /// Counts of this input.
    pub summary: ReadSummary,
    /// Problems of this input, at most [`MAX_PROBLEMS_PER_FILE`].
    pub problems: Vec<Problem>,
    /// Problems of this input, all of them.
    pub problem_count: u64,
    /// Gaps of this input per ENI.
    pub gaps: HashMap<String, GapCounts>,
    /// The input's kind, when known: its counts are also summed per kind.
    pub kind: Option<LogKind>,
}

impl InputTally {
    /// Counts a NODATA (`skipped` false) or SKIPDATA record of an ENI; a SKIPDATA interval's
    /// length is the time not logged.
    pub fn gap(&mut self, interface_id: &str, skipped: bool, duration_ms: Option<i64>) {
        let counts = self
            .gaps
            .entry(gap_key(
                self.gaps.contains_key(interface_id),
                self.gaps.len(),
                interface_id,
            ))
            .or_default();
        if skipped {
            self.summary.skipdata += 1;
            counts.skipdata += 1;
            counts.skipped_ms = counts.skipped_ms.saturating_add(duration_ms.unwrap_or(0));
        } else {
            self.summary.nodata += 1;
            counts.nodata += 1;
        }
    }

    /// Notes that the whole input (or the rest of it) could not be read.
    pub fn unreadable(&mut self, file: &str, reason: String) {
        self.problem(file, Position::File, ProblemLevel::Unreadable, reason);
    }

    /// Notes a problem (kept in detail while under the bound).
    pub fn problem(&mut self, file: &str, position: Position, level: ProblemLevel, reason: String) {
        self.problem_count += 1;
        match level {
            ProblemLevel::Record => self.summary.malformed += 1,
            ProblemLevel::Skipped => self.summary.files_skipped += 1,
            ProblemLevel::Unreadable => self.summary.files_unreadable += 1,
        }
        if self.problems.len() < MAX_PROBLEMS_PER_FILE || level != ProblemLevel::Record {
            self.problems.push(Problem {
                file: file.to_string(),
                position,
                level,
                reason,
            });
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    summary: ReadSummary,
    problems: Vec<Problem>,
    problems_per_file: BTreeMap<String, u64>,
    gaps: BTreeMap<String, GapCounts>,
    kinds: BTreeMap<LogKind, ReadSummary>,
}

/// The shared account of a run's reads.
#[derive(Debug, Default)]
pub struct Report {
    inner: Mutex<Inner>,
    bytes_read: AtomicU64,
    records: AtomicU64,
    bytes_total: AtomicU64,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes read (for progress; also summed into the summary).
    pub fn add_bytes(&self, bytes: u64) {
        self.bytes_read.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Adds records produced (for progress).
    pub fn add_records(&self, records: u64) {
        self.records.fetch_add(records, Ordering::Relaxed);
    }

    /// Sets the size of all inputs together (as listed), for a progress bar's length.
    pub fn set_bytes_total(&self, bytes: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// The size of all inputs together, as listed (0 when unknown).
    pub fn bytes_total(&self) -> u64 {
        self.bytes_total.load(Ordering::Relaxed)
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// Records produced so far.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Adds an input's tally (records and bytes are already counted through the atomics).
    pub fn add(&self, file: &str, tally: InputTally) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The totals' records and bytes come from the atomics (see `summary`).
        inner.summary.add(&tally.summary);
        if tally.problem_count > 0 {
            *inner.problems_per_file.entry(file.to_string()).or_default() += tally.problem_count;
        }
        if let Some(kind) = tally.kind {
            inner.kinds.entry(kind).or_default().add(&tally.summary);
        }
        inner.problems.extend(tally.problems);
        for (interface, gap) in tally.gaps {
            let key = gap_key(
                inner.gaps.contains_key(&interface),
                inner.gaps.len(),
                &interface,
            );
            let entry = inner.gaps.entry(key).or_default();
            entry.nodata += gap.nodata;
            entry.skipdata += gap.skipdata;
            entry.skipped_ms = entry.skipped_ms.saturating_add(gap.skipped_ms);
        }
    }

    /// Counts inputs left unopened because their path is outside the time window.
    pub fn add_pruned(&self, files: u64) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.summary.files_pruned += files;
    }

    /// The totals so far.
    pub fn summary(&self) -> ReadSummary {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut summary = inner.summary.clone();
        summary.bytes_read = self.bytes_read();
        summary.records = self.records();
        summary
    }

    /// Counts per log kind (files read, skipped and unreadable, records, malformed records,
    /// records outside the window, well-formed records that are not events of a table).
    pub fn per_kind(&self) -> BTreeMap<LogKind, ReadSummary> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.kinds.clone()
    }

    /// Problems kept in detail, ordered by file and position.
    pub fn problems(&self) -> Vec<Problem> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut problems = inner.problems.clone();
        problems.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
        problems
    }

    /// Number of problems per file, including those not kept in detail.
    pub fn problems_per_file(&self) -> BTreeMap<String, u64> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.problems_per_file.clone()
    }

    /// Coverage gaps per ENI.
    pub fn gaps(&self) -> BTreeMap<String, GapCounts> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.gaps.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_time_saturates_instead_of_overflowing() {
        // SKIPDATA durations come from the records: absurd ones must not wrap or panic.
        let report = Report::new();
        for _ in 0..2 {
            let mut tally = InputTally::default();
            tally.gap("eni-1", true, Some(i64::MAX));
            tally.gap("eni-1", true, Some(i64::MAX));
            report.add("f.log", tally);
        }
        let gaps = report.gaps();
        assert_eq!(gaps["eni-1"].skipdata, 4);
        assert_eq!(gaps["eni-1"].skipped_ms, i64::MAX);
    }

    #[test]
    fn gaps_of_made_up_interfaces_do_not_grow_the_map_without_bound() {
        let mut tally = InputTally::default();
        for i in 0..MAX_GAP_INTERFACES + 10 {
            tally.gap(&format!("eni-{i:x}"), true, Some(1_000));
        }
        assert_eq!(tally.gaps.len(), MAX_GAP_INTERFACES + 1);
        assert_eq!(tally.gaps[OTHER_INTERFACES].skipdata, 10);
        assert_eq!(tally.summary.skipdata, (MAX_GAP_INTERFACES + 10) as u64);
        let report = Report::default();
        report.add("a.log", tally);
        let mut more = InputTally::default();
        more.gap("eni-new", false, None);
        report.add("b.log", more);
        let gaps = report.gaps();
        assert!(gaps.len() <= MAX_GAP_INTERFACES + 1, "{}", gaps.len());
        // Nothing is lost: every gap is counted, under its interface or the overflow key.
        let counted: u64 = gaps.values().map(|g| g.skipdata + g.nodata).sum();
        assert_eq!(counted, (MAX_GAP_INTERFACES + 11) as u64);
    }
}

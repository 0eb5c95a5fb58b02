//! The catalog: every listed input, its kind told once from its first bytes, and the files of
//! each kind handed to the tables that read it.
//!
//! Listing happens once (files, directories, `s3://` prefixes); each file's head is read once
//! (an S3 object's by a ranged GET), recognised by the [`Registry`], and the file is filed under
//! its kind with [`Input::kind`] set, so the reader that later reads it whole does not recognise
//! it again. A file no source claims is reported once, here, not once per table; an empty file
//! is read (it holds nothing); a digest is skipped on purpose.

use std::collections::BTreeMap;
use std::sync::Mutex;

use eastwest_model::{LogKind, Position, ProblemLevel};

use crate::input::Input;
use crate::read::{Opener, sniff};
use crate::report::{InputTally, Report};
use crate::sources::{Container, Registry, Sniff};

/// Inputs by kind.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    files: BTreeMap<LogKind, Vec<Input>>,
}

/// Files sniffed at once per thread: recognition is I/O bound (a ranged GET per S3 object), so
/// a few threads hide the latency without flooding the endpoint.
const SNIFF_THREADS: usize = 8;

impl Catalog {
    /// Recognises every input (in parallel) and files it by kind; the unknown, the unreadable
    /// and the deliberately skipped are accounted in `report`. Blocks: call it outside an async
    /// runtime's worker threads when inputs are on S3.
    pub fn build(
        inputs: Vec<Input>,
        opener: &Opener,
        registry: &Registry,
        report: &Report,
    ) -> Self {
        let slots: Vec<Mutex<Option<Input>>> =
            inputs.into_iter().map(|i| Mutex::new(Some(i))).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let filed: Mutex<Vec<(usize, Input)>> = Mutex::new(Vec::new());
        let threads = SNIFF_THREADS.min(slots.len()).max(1);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(slot) = slots.get(at) else {
                            break;
                        };
                        let Some(input) = slot.lock().ok().and_then(|mut s| s.take()) else {
                            continue;
                        };
                        if let Some(input) = classify(input, opener, registry, report)
                            && let Ok(mut filed) = filed.lock()
                        {
                            filed.push((at, input));
                        }
                    }
                });
            }
        });
        let mut filed = filed.into_inner().unwrap_or_default();
        // Listing order is kept within each kind, so rows come out in a stable order.
        filed.sort_by_key(|(at, _)| *at);
        let mut files: BTreeMap<LogKind, Vec<Input>> = BTreeMap::new();
        for (_, input) in filed {
            if let Some(kind) = input.kind {
                files.entry(kind).or_default().push(input);
            }
        }
        Self { files }
    }

    /// The inputs of one kind, in listing order.
    pub fn files(&self, kind: LogKind) -> &[Input] {
        self.files.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The inputs of several kinds, in kind then listing order.
    pub fn files_of(&self, kinds: &[LogKind]) -> Vec<Input> {
        kinds
            .iter()
            .flat_map(|kind| self.files(*kind).iter().cloned())
            .collect()
    }

    /// How many inputs of each kind.
    pub fn counts(&self) -> BTreeMap<LogKind, usize> {
        self.files.iter().map(|(k, v)| (*k, v.len())).collect()
    }

    /// Every input of every kind.
    pub fn all(&self) -> impl Iterator<Item = &Input> {
        self.files.values().flatten()
    }
}

/// Recognises one input; returns it with its kind, or None when it was accounted for here
/// (unknown, unreadable, empty, skipped on purpose).
fn classify(
    mut input: Input,
    opener: &Opener,
    registry: &Registry,
    report: &Report,
) -> Option<Input> {
    if input.kind.is_some() {
        return Some(input);
    }
    let file = &*input.name;
    let mut tally = InputTally::default();
    let head = match sniff(&input, opener) {
        Ok(head) => head,
        Err(reason) => {
            tally.unreadable(file, reason);
            report.add(file, tally);
            return None;
        }
    };
    if head.iter().all(u8::is_ascii_whitespace) {
        tally.summary.files_read += 1;
        report.add(file, tally);
        return None;
    }
    let sniffed = Sniff::new(file, &head);
    let Some(source) = registry.recognise(&sniffed) else {
        let what = match sniffed.container {
            Container::Json => "JSON that is none of the logs eastwest reads",
            Container::Parquet => "Parquet that is not a flow log",
            Container::Text => {
                "text whose first lines are neither flow-log records, syslog authentication lines nor audit records"
            }
        };
        tally.problem(
            file,
            Position::File,
            ProblemLevel::Skipped,
            format!("not a kind eastwest reads ({what}); skipped"),
        );
        report.add(file, tally);
        return None;
    };
    if source.skipped() {
        tally.kind = Some(source.kind());
        tally.summary.files_skipped += 1;
        report.add(file, tally);
        return None;
    }
    input.kind = Some(source.kind());
    Some(input)
}

//! Fuzzes the cloudtrail source's reader with any bytes (recognition bypassed, so every input
//! reaches the parser): each must end as rows, counted malformed events or an unreadable input,
//! never a panic, a hang or unbounded memory.
#![no_main]

use eastwest_ingest::report::{InputTally, Report};
use eastwest_ingest::sources::cloudtrail::{CloudTrailSource, CLOUDTRAIL};
use eastwest_ingest::sources::Source;
use eastwest_ingest::table::{EventRead, EventSelection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let selection = EventSelection {
        projection: (0..CLOUDTRAIL.schema().fields().len()).collect(),
        ..EventSelection::default()
    };
    let report = Report::new();
    let mut tally = InputTally::default();
    let mut rows = 0usize;
    let mut emit = |batch: eastwest_ingest::RecordBatch| {
        rows += batch.num_rows();
        true
    };
    let mut read = EventRead::new("input", &CLOUDTRAIL, &selection, &mut tally, &report, &mut emit);
    CloudTrailSource.read(&CLOUDTRAIL, &mut &data[..], &mut read);
    drop(read);
    // Every row and problem came from the input: no more rows than bytes.
    assert!(rows <= data.len());
});

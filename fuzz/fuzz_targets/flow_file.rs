//! Fuzzes whole-file reading: recognition, gzip, JSON containers, Parquet and text, from bytes
//! on disk. Every input must end as read, skipped or unreadable, never a panic.
#![no_main]

use eastwest_ingest::input::list_local;
use eastwest_ingest::{FLOWS_SCHEMA, FlowContext, Opener, ReadOptions, Report, RowSelection, TimeWindow, read_input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("eastwest-fuzz-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join("input");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok((inputs, _)) = list_local(&path, &TimeWindow::default()) else { return };
    let options = ReadOptions { selection: RowSelection::all(), schema: FLOWS_SCHEMA.clone(), flow: FlowContext::default() };
    let report = Report::new();
    for input in &inputs {
        read_input(input, &Opener::local(), &options, &report, &mut |_| true);
    }
    let summary = report.summary();
    assert_eq!(summary.files_read + summary.files_skipped + summary.files_unreadable, 1);
});

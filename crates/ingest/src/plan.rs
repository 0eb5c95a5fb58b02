//! Splitting large plain-text flow logs into chunks that workers read in parallel.
//!
//! A chunk must start at a line start, know the number of its first line (problems name the
//! line) and know the format in force there (a header line may sit anywhere). A pass over the
//! file finds all three: it only looks for line ends, one byte range per core, so it runs at
//! memory speed and costs a small fraction of the parse it makes parallel.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use eastwest_model::LogKind;

use crate::input::{Chunk, Input, Location, RowGroups};
use crate::read::fill;
use crate::sources::flow::{FlowContext, FlowFormat};
use crate::sources::{Container, SNIFF_BYTES, container_of, recognise};

/// Files larger than this are split; each chunk is about this size.
pub const CHUNK_BYTES: u64 = 32 << 20;

/// Splits `input` into chunks when it is a large local plain-text flow log; otherwise returns
/// it whole. A file that cannot be planned (unreadable, not a flow log) is returned whole so
/// that reading it reports why.
pub fn plan_chunks(input: Input, flow: &FlowContext, chunk_bytes: u64) -> Vec<Input> {
    let flow_kind = input
        .kind
        .is_none_or(|k| matches!(k, LogKind::FlowText | LogKind::FlowParquet));
    if !flow_kind
        || input.size <= chunk_bytes
        || input.chunk.is_some()
        || input.row_groups.is_some()
    {
        return vec![input];
    }
    let Location::Local(path) = &input.location else {
        return vec![input];
    };
    if let Some(groups) = parquet_parts(path) {
        return groups
            .into_iter()
            .map(|groups| Input {
                row_groups: Some(groups),
                ..input.clone()
            })
            .collect();
    }
    match find_chunks(path, input.size, flow, chunk_bytes) {
        Some(chunks) if chunks.len() > 1 => chunks
            .into_iter()
            .map(|chunk| Input {
                chunk: Some(chunk),
                ..input.clone()
            })
            .collect(),
        _ => vec![input],
    }
}

/// One part per row group of a Parquet file with several; None for anything else.
fn parquet_parts(path: &Path) -> Option<Vec<RowGroups>> {
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    if fill(&mut file, &mut magic).ok()? != 4 || &magic != b"PAR1" {
        return None;
    }
    let metadata = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .ok()?;
    let groups = metadata.row_groups();
    if groups.len() < 2 {
        return None;
    }
    let mut first_row = 0u64;
    let parts = groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let part = RowGroups {
                first: index,
                count: 1,
                first_row,
                bytes: group.compressed_size().max(0) as u64,
            };
            first_row += group.num_rows().max(0) as u64;
            part
        })
        .collect();
    Some(parts)
}

fn find_chunks(path: &Path, size: u64, flow: &FlowContext, chunk_bytes: u64) -> Option<Vec<Chunk>> {
    let mut file = File::open(path).ok()?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let filled = fill(&mut file, &mut head).ok()?;
    head.truncate(filled);
    // Gzip and Parquet cannot be split at line ends; JSON containers are read whole.
    if head.starts_with(&[0x1f, 0x8b]) || container_of(&head) != Container::Text {
        return None;
    }
    recognise(&head, flow).filter(|kind| *kind == LogKind::FlowText)?;
    let ranges: Vec<(u64, u64)> = (0..size.div_ceil(chunk_bytes))
        .map(|k| (k * chunk_bytes, ((k + 1) * chunk_bytes).min(size)))
        .collect();
    // Scan the ranges on every core: the pass is I/O and memchr, and splits as well as the
    // parse it prepares.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(ranges.len())
        .max(1);
    let scans: Vec<Option<RangeScan>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let ranges = &ranges;
                scope.spawn(move || {
                    (worker..ranges.len())
                        .step_by(workers)
                        .map(|k| (k, scan_range(path, ranges[k].0, ranges[k].1).ok()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut scans = vec![None; ranges.len()];
        for handle in handles {
            for (k, scan) in handle.join().unwrap_or_default() {
                scans[k] = scan;
            }
        }
        scans
    });
    let scans: Vec<RangeScan> = scans.into_iter().collect::<Option<_>>()?;
    let headers: Vec<&(u64, FlowFormat)> = scans
        .iter()
        .filter_map(|s| s.last_header.as_ref())
        .collect();
    let format_before = |offset: u64| {
        headers
            .iter()
            .take_while(|(start, _)| *start < offset)
            .last()
            .map(|(_, format)| format.clone())
    };
    let mut chunks: Vec<Chunk> = Vec::with_capacity(ranges.len());
    let mut newlines_before = 0u64; // newlines in ranges before this one
    for (k, scan) in scans.iter().enumerate() {
        let start = if k == 0 {
            Some(0)
        } else {
            scan.first_line_start
        };
        if let Some(start) = start
            && start < size
        {
            let newline_in_range = u64::from(start > ranges[k].0);
            let first_line = 1 + newlines_before + newline_in_range;
            if let Some(previous) = chunks.last_mut() {
                previous.end = start;
            }
            chunks.push(Chunk {
                start,
                end: size,
                first_line,
                format: format_before(start),
            });
        }
        newlines_before += scan.newlines;
    }
    Some(chunks)
}

/// What one byte range of a file holds, for planning.
#[derive(Debug, Clone)]
struct RangeScan {
    /// Line ends (`\n`) at offsets inside the range.
    newlines: u64,
    /// The first offset at or after the range start where a line starts (the byte before it is
    /// a line end), if any line starts inside the range.
    first_line_start: Option<u64>,
    /// The last header line that starts inside the range, with the format it declares: all a
    /// later range needs (a range's own headers are met again by its reader), so a file of
    /// header lines costs no more memory than one header.
    last_header: Option<(u64, FlowFormat)>,
}

/// Scans `[start, end)` of a file. The byte before `start` is read too, to know whether a line
/// starts right at `start`; a header line that runs past `end` is read to its end.
fn scan_range(path: &Path, start: u64, end: u64) -> std::io::Result<RangeScan> {
    let mut file = File::open(path)?;
    let from = start.saturating_sub(1);
    file.seek(SeekFrom::Start(from))?;
    let mut reader = (&mut file).take(end - from);
    let mut buf = vec![0u8; ((end - from) as usize).min(1 << 20)];
    let mut scan = RangeScan {
        newlines: 0,
        first_line_start: None,
        last_header: None,
    };
    let mut offset = from; // file offset of buf[0]
    // True when the byte at `offset` starts a line.
    let mut at_line_start = start == 0;
    let mut header_candidates = Vec::new();
    loop {
        let n = fill(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let block = &buf[..n];
        let mut line_start = at_line_start.then_some(0usize);
        for position in memchr::memchr_iter(b'\n', block).chain(std::iter::once(usize::MAX)) {
            if let Some(ls) = line_start {
                let absolute = offset + ls as u64;
                if absolute >= start && absolute < end {
                    scan.first_line_start.get_or_insert(absolute);
                    // Header lines start with a lower-case letter; most data lines do not.
                    if block.get(ls).is_some_and(u8::is_ascii_lowercase) {
                        match memchr::memchr(b'\n', &block[ls..]) {
                            Some(length) => {
                                let line = &block[ls..ls + length];
                                if let Some(format) = FlowFormat::from_header_line(
                                    line.strip_suffix(b"\r").unwrap_or(line),
                                ) {
                                    scan.last_header = Some((absolute, format));
                                }
                            }
                            // The line runs past this block: look at it once the scan is done.
                            None => header_candidates.push(absolute),
                        }
                    }
                }
            }
            if position == usize::MAX {
                break;
            }
            if offset + position as u64 >= start {
                scan.newlines += 1;
            }
            line_start = Some(position + 1).filter(|&p| p < n);
        }
        at_line_start = block.last() == Some(&b'\n');
        offset += n as u64;
    }
    let mut line = vec![0u8; crate::sources::flow::parse::MAX_LINE_BYTES];
    // Latest first: the first that is a header and comes after the last one found is the one.
    for candidate in header_candidates.into_iter().rev() {
        if scan
            .last_header
            .as_ref()
            .is_some_and(|(at, _)| *at > candidate)
        {
            break;
        }
        file.seek(SeekFrom::Start(candidate))?;
        let n = fill(&mut file, &mut line)?;
        let line = &line[..n];
        let line = memchr::memchr(b'\n', line).map_or(line, |end| &line[..end]);
        if let Some(format) = FlowFormat::from_header_line(line.strip_suffix(b"\r").unwrap_or(line))
        {
            scan.last_header = Some((candidate, format));
            break;
        }
    }
    Ok(scan)
}

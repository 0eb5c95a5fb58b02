//! Splitting large plain-text flow logs into chunks that workers read in parallel.
//!
//! A chunk must start at a line start, know the number of its first line (problems name the
//! line) and know the format in force there (a header line may sit anywhere). One sequential
//! pass over the file finds all three; it only looks for line ends, so it runs at memory speed
//! and costs a small fraction of the parse it makes parallel.

use std::fs::File;
use std::io::Read;

use crate::input::{Chunk, Input, Location};
use crate::sources::flow::{FlowContext, FlowFormat};
use crate::sources::{Container, SNIFF_BYTES, container_of, recognise};

/// Files larger than this are split; each chunk is about this size.
pub const CHUNK_BYTES: u64 = 32 << 20;

/// Splits `input` into chunks when it is a large local plain-text flow log; otherwise returns
/// it whole. A file that cannot be planned (unreadable, not a flow log) is returned whole so
/// that reading it reports why.
pub fn plan_chunks(input: Input, flow: &FlowContext, chunk_bytes: u64) -> Vec<Input> {
    if input.size <= chunk_bytes || input.chunk.is_some() {
        return vec![input];
    }
    let Location::Local(path) = &input.location else {
        return vec![input];
    };
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

fn find_chunks(
    path: &std::path::Path,
    size: u64,
    flow: &FlowContext,
    chunk_bytes: u64,
) -> Option<Vec<Chunk>> {
    let mut file = File::open(path).ok()?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(_) => return None,
        }
    }
    head.truncate(filled);
    // Gzip and Parquet cannot be split at line ends; JSON containers are read whole.
    if head.starts_with(&[0x1f, 0x8b]) || container_of(&head) != Container::Text {
        return None;
    }
    recognise(&head, flow)?;
    let mut file = File::open(path).ok()?;
    let mut chunks = Vec::with_capacity((size / chunk_bytes) as usize + 1);
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64; // file offset of buf[0]
    let mut line = 1u64; // number of the line starting at `line_start`
    let mut current = Chunk {
        start: 0,
        end: 0,
        first_line: 1,
        format: None,
    };
    let mut format: Option<FlowFormat> = None;
    let mut carry = 0usize; // bytes of an unfinished line at the front of buf
    loop {
        let n = match file.read(&mut buf[carry..]) {
            Ok(n) => n,
            Err(_) => return None,
        };
        if n == 0 {
            break;
        }
        let filled = carry + n;
        let mut line_start = 0usize;
        while let Some(pos) = memchr::memchr(b'\n', &buf[line_start..filled]) {
            let end = line_start + pos;
            // Header lines start with a lower-case letter; data lines almost never do.
            if buf.get(line_start).is_some_and(u8::is_ascii_lowercase)
                && let Some(header) = FlowFormat::from_header_line(&buf[line_start..end])
            {
                format = Some(header);
            }
            line += 1;
            line_start = end + 1;
            let next_start = offset + line_start as u64;
            if next_start - current.start >= chunk_bytes && next_start < size {
                current.end = next_start;
                chunks.push(std::mem::replace(
                    &mut current,
                    Chunk {
                        start: next_start,
                        end: 0,
                        first_line: line,
                        format: format.clone(),
                    },
                ));
            }
        }
        if line_start == 0 && filled == buf.len() {
            // A line longer than the buffer: grow so the pass still finds its end.
            buf.resize(buf.len() * 2, 0);
            carry = filled;
            continue;
        }
        buf.copy_within(line_start..filled, 0);
        carry = filled - line_start;
        offset += line_start as u64;
    }
    current.end = size;
    chunks.push(current);
    Some(chunks)
}

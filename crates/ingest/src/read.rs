//! Reading one input end to end: open, decompress, recognise, dispatch to its source's reader.
//! Nothing here fails the run: every failure becomes a [`Problem`](eastwest_model::Problem) in
//! the input's tally and the other inputs go on.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use eastwest_model::{LogKind, Position, ProblemLevel};
use flate2::read::MultiGzDecoder;

use crate::input::{Input, Location};
use crate::report::{InputTally, Report};
use crate::sources::flow::text::{Emit, TextRead, read_json, read_lines};
use crate::sources::flow::{FlowContext, LineParser, RowSelection, parquet::read_parquet};
use crate::sources::{Container, SNIFF_BYTES, Source, container_of, recognise};
use crate::table::{EventRead, EventSelection, TableDef};

/// What to read and how.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Columns to build and rows to keep.
    pub selection: RowSelection,
    /// The projected `flows` schema (the columns of `selection`, in order).
    pub schema: SchemaRef,
    /// Formats for flow logs without header lines.
    pub flow: FlowContext,
}

/// An input's bytes, opened.
pub enum Opened {
    /// A local file.
    File(File),
    /// An object fetched whole (the head of an S3 object, for recognition).
    Bytes(Bytes),
    /// An S3 object, read as a stream of ranged GETs (or fetched whole for Parquet).
    #[cfg(feature = "s3")]
    Object {
        /// The store.
        store: crate::s3::S3Store,
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// Listed size.
        size: u64,
    },
}

impl Opened {
    /// A reader from the start of the input.
    fn reader(&self) -> Box<dyn Read + Send + '_> {
        match self {
            Opened::File(handle) => Box::new(handle),
            Opened::Bytes(bytes) => Box::new(Cursor::new(bytes.clone())),
            #[cfg(feature = "s3")]
            Opened::Object {
                store,
                bucket,
                key,
                size,
            } => Box::new(store.object(bucket, key, *size)),
        }
    }
}

/// Opens inputs wherever they are.
#[derive(Clone, Default)]
pub struct Opener {
    #[cfg(feature = "s3")]
    s3: Option<crate::s3::S3Store>,
}

impl Opener {
    /// An opener for local files only.
    pub fn local() -> Self {
        Self::default()
    }

    /// An opener that also reads S3 objects through `store`.
    #[cfg(feature = "s3")]
    pub fn with_s3(store: crate::s3::S3Store) -> Self {
        Self { s3: Some(store) }
    }

    /// Opens the start of an input, for recognition: a local file is opened as usual, an S3
    /// object is fetched only up to [`HEAD_FETCH_BYTES`].
    #[cfg(feature = "s3")]
    pub fn open_head(&self, input: &Input) -> Result<Opened, String> {
        match (&input.location, &self.s3) {
            (Location::S3 { bucket, key }, Some(store)) => store
                .get_range(bucket, key, HEAD_FETCH_BYTES)
                .map(Opened::Bytes),
            _ => self.open(input),
        }
    }

    /// Opens an input.
    pub fn open(&self, input: &Input) -> Result<Opened, String> {
        match &input.location {
            Location::Local(path) => File::open(path)
                .map(Opened::File)
                .map_err(|e| e.to_string()),
            #[cfg(feature = "s3")]
            Location::S3 { bucket, key } => match &self.s3 {
                Some(store) => Ok(Opened::Object {
                    store: store.clone(),
                    bucket: bucket.clone(),
                    key: key.clone(),
                    size: input.size,
                }),
                None => Err("no S3 client configured".into()),
            },
            #[cfg(not(feature = "s3"))]
            Location::S3 { .. } => Err("this build of eastwest cannot read S3".into()),
        }
    }
}

/// Bytes of an S3 object fetched to recognise it: enough compressed bytes to inflate
/// [`SNIFF_BYTES`] of any log text (which compresses at least four to one).
#[cfg(feature = "s3")]
pub const HEAD_FETCH_BYTES: u64 = 4 * SNIFF_BYTES as u64;

/// Counts bytes as they are read from storage, for the progress bar.
struct Counting<'a, R> {
    inner: R,
    report: &'a Report,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.report.add_bytes(n as u64);
        Ok(n)
    }
}

/// Reads one input, sending batches to `emit` until it returns false. Its counts and problems
/// are added to `report` when it is done.
pub fn read_input(
    input: &Input,
    opener: &Opener,
    options: &ReadOptions,
    report: &Report,
    emit: &mut Emit<'_>,
) {
    let mut tally = InputTally {
        kind: input.kind,
        ..InputTally::default()
    };
    let job = Job {
        input,
        options,
        report,
    };
    read_into(&job, opener, &mut tally, emit);
    let s = &tally.summary;
    tracing::debug!(
        file = %input.name,
        chunk_start = input.chunk.as_ref().map(|c| c.start),
        malformed = s.malformed,
        headers = s.headers,
        gaps = s.nodata + s.skipdata,
        skipped = s.files_skipped,
        unreadable = s.files_unreadable,
        "Input read."
    );
    report.add(&input.name, tally);
}

/// What is being read, how, and where it is accounted: passed together through the readers.
#[derive(Clone, Copy)]
struct Job<'a> {
    input: &'a Input,
    options: &'a ReadOptions,
    report: &'a Report,
}

fn read_into(job: &Job<'_>, opener: &Opener, tally: &mut InputTally, emit: &mut Emit<'_>) {
    let Job {
        input,
        options,
        report,
    } = *job;
    let file = &*input.name;
    let opened = match opener.open(input) {
        Ok(opened) => opened,
        Err(e) => return tally.unreadable(file, format!("cannot open: {e}")),
    };
    // A chunk of a large plain file: its format and first line were found when it was planned.
    if let Some(chunk) = &input.chunk {
        let Opened::File(mut handle) = opened else {
            return tally.unreadable(file, "chunks are planned for local files only".into());
        };
        if let Err(e) = handle.seek(SeekFrom::Start(chunk.start)) {
            return tally.unreadable(file, format!("cannot seek: {e}"));
        }
        if input.is_first_part() {
            tally.summary.files_read += 1;
        }
        let format = chunk
            .format
            .clone()
            .unwrap_or_else(|| options.flow.format_for(file, None));
        let mut source = Counting {
            inner: handle.take(chunk.end - chunk.start),
            report,
        };
        let mut read = TextRead {
            parser: parser_for(input, options, format),
            file,
            tally,
            report,
            emit,
            wanted: true,
        };
        read_lines(&mut source, chunk.first_line, &mut read);
        return;
    }
    decompressed(input, &opened, report, tally, |stream, gzip, raw, tally| {
        read_stream(job, stream, gzip, raw, tally, emit)
    });
}

/// Runs `read` over an opened input's content, decompressed: gzip (told by its magic bytes) is
/// inflated on a second thread while `read` parses, so a single compressed file uses two cores.
/// `read` gets the stream, whether it was compressed, the raw input when it was not (for
/// readers that need random access), and the tally.
fn decompressed<'o>(
    input: &Input,
    opened: &'o Opened,
    report: &Report,
    tally: &mut InputTally,
    read: impl FnOnce(Box<dyn Read + '_>, bool, Option<&'o Opened>, &mut InputTally),
) {
    let file = &*input.name;
    let raw: Box<dyn Read + Send + '_> = match opened {
        Opened::File(handle) => Box::new(Counting {
            inner: handle,
            report,
        }),
        Opened::Bytes(bytes) => {
            report.add_bytes(bytes.len() as u64);
            Box::new(Cursor::new(bytes.clone()))
        }
        #[cfg(feature = "s3")]
        Opened::Object { .. } => Box::new(Counting {
            inner: opened.reader(),
            report,
        }),
    };
    let mut raw = std::io::BufReader::with_capacity(1 << 20, raw);
    let mut magic = [0u8; 4];
    let magic_len = match fill(&mut raw, &mut magic) {
        Ok(n) => n,
        Err(e) => return tally.unreadable(file, format!("read failed: {e}")),
    };
    let magic = &magic[..magic_len];
    let rest = Cursor::new(magic.to_vec()).chain(raw);
    if !magic.starts_with(&[0x1f, 0x8b]) {
        return read(Box::new(rest), false, Some(opened), tally);
    }
    if input.size < INFLATE_INLINE_BYTES {
        // A small object (S3 delivery writes many): inflated on the reader's own thread. A
        // thread each (its stack and buffers mapped and unmapped every time) cost more than
        // the parsing of a five-minute file, and the other cores are busy with other files.
        let decoder = MultiGzDecoder::new(rest);
        return read(Box::new(decoder), true, None, tally);
    }
    // The channel is short: memory stays a few blocks whatever the file size.
    std::thread::scope(|scope| {
        let (sender, receiver) =
            std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(INFLATED_BLOCKS);
        scope.spawn(move || {
            let mut decoder = MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, rest));
            loop {
                let mut block = vec![0u8; 1 << 20];
                // What was inflated before an error is still sent: nothing readable is lost.
                let (n, error) = fill_until_error(&mut decoder, &mut block, INFLATE_STEP);
                block.truncate(n);
                if n > 0 && sender.send(Ok(block)).is_err() {
                    break;
                }
                if let Some(e) = error {
                    let _ = sender.send(Err(e));
                    break;
                }
                if n == 0 {
                    break;
                }
            }
        });
        let stream = ChannelReader {
            receiver,
            block: Vec::new(),
            at: 0,
        };
        read(Box::new(stream), true, None, tally);
    });
}

/// A reader that fails once with a stored error, then ends.
struct Failing(Option<std::io::Error>);

impl Read for Failing {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Gzip inputs smaller than this are inflated on the reader's thread, larger ones on a thread
/// of their own.
const INFLATE_INLINE_BYTES: u64 = 8 << 20;

/// Inflated blocks in flight between the gzip thread and the parser.
const INFLATED_BLOCKS: usize = 4;

/// Reads blocks sent by another thread.
struct ChannelReader {
    receiver: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.block.len() {
            match self.receiver.recv() {
                Ok(Ok(block)) => {
                    self.block = block;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Recognises a (decompressed) stream and reads it with its source's reader. `opened` is the
/// raw input for readers that need random access (Parquet); None when the stream was
/// compressed.
fn read_stream(
    job: &Job<'_>,
    stream: Box<dyn Read + '_>,
    gzip: bool,
    opened: Option<&Opened>,
    tally: &mut InputTally,
    emit: &mut Emit<'_>,
) {
    let Job {
        input,
        options,
        report,
    } = *job;
    let file = &*input.name;
    let Some((head, stream)) = head_of(file, stream, gzip, tally) else {
        return;
    };
    // The catalog told the kind already; recognition here serves callers that read a file
    // directly.
    let kind = input.kind.or_else(|| recognise(&head, &options.flow));
    tally.kind = kind;
    let Some(kind) = kind.filter(|k| matches!(k, LogKind::FlowText | LogKind::FlowParquet)) else {
        let what = match (kind, container_of(&head)) {
            (Some(kind), _) => format!("{kind}, not a flow log"),
            (None, Container::Json) => "JSON that is not a flow-log container".into(),
            (None, Container::Parquet) => "Parquet that is not a flow log".into(),
            (None, Container::Text) => {
                "text whose first lines are neither a flow-log header nor records of the expected format".into()
            }
        };
        tally.problem(
            file,
            Position::File,
            ProblemLevel::Skipped,
            format!("not a kind eastwest reads ({what}); skipped"),
        );
        return;
    };
    match kind {
        LogKind::FlowParquet => {
            drop(stream);
            match opened {
                None => tally.unreadable(file, "Parquet inside gzip: decompress it first".into()),
                Some(Opened::File(handle)) => match handle.try_clone() {
                    Ok(handle) => read_parquet(
                        handle,
                        input,
                        &options.selection,
                        &options.schema,
                        tally,
                        report,
                        emit,
                    ),
                    Err(e) => tally.unreadable(file, format!("cannot reopen for Parquet: {e}")),
                },
                Some(Opened::Bytes(bytes)) => read_parquet(
                    bytes.clone(),
                    input,
                    &options.selection,
                    &options.schema,
                    tally,
                    report,
                    emit,
                ),
                #[cfg(feature = "s3")]
                Some(Opened::Object {
                    store,
                    bucket,
                    key,
                    size,
                }) => match store.get(bucket, key, *size) {
                    Ok(bytes) => read_parquet(
                        bytes,
                        input,
                        &options.selection,
                        &options.schema,
                        tally,
                        report,
                        emit,
                    ),
                    Err(e) => tally.unreadable(file, e),
                },
            }
        }
        _ => {
            tally.summary.files_read += 1;
            let container = container_of(&head);
            let format = options.flow.format_for(file, None);
            let mut source = Cursor::new(head).chain(stream);
            let mut read = TextRead {
                parser: parser_for(input, options, format),
                file,
                tally,
                report,
                emit,
                wanted: true,
            };
            if container == Container::Json {
                read_json(&mut source, file, &options.flow, &mut read);
            } else {
                read_lines(&mut source, 1, &mut read);
            }
        }
    }
}

/// Reads the first [`SNIFF_BYTES`] of a decompressed stream: the head and the stream to go on
/// with (which ends with the error that struck, if one did). None when there is nothing to read
/// (the input is then accounted: read if blank, unreadable if broken).
fn head_of<'s>(
    file: &str,
    mut stream: Box<dyn Read + 's>,
    gzip: bool,
    tally: &mut InputTally,
) -> Option<(Vec<u8>, Box<dyn Read + 's>)> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let (head_len, error) = fill_until_error(&mut stream, &mut head, INFLATE_STEP);
    head.truncate(head_len);
    if let Some(e) = error {
        if head_len == 0 {
            let what = if gzip {
                "gzip stream is corrupt"
            } else {
                "read failed"
            };
            tally.unreadable(file, format!("{what}: {e}"));
            return None;
        }
        // Damage within the first bytes: read what came before it, then report the error at
        // the line where it struck.
        stream = Box::new(Failing(Some(e)));
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        tally.summary.files_read += 1;
        return None;
    }
    Some((head, stream))
}

/// The first bytes of an input, decompressed, for recognition: up to [`SNIFF_BYTES`]. An
/// input that cannot be opened or decompressed gives its reason.
pub fn sniff(input: &Input, opener: &Opener) -> Result<Vec<u8>, String> {
    let opened = match &input.location {
        #[cfg(feature = "s3")]
        Location::S3 { .. } => opener.open_head(input)?,
        _ => opener.open(input)?,
    };
    let mut raw = opened.reader();
    let mut magic = [0u8; 4];
    let magic_len = fill(&mut raw, &mut magic).map_err(|e| format!("read failed: {e}"))?;
    let magic = magic.get(..magic_len).unwrap_or_default().to_vec();
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let rest = Cursor::new(magic).chain(raw);
    let mut stream: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(rest))
    } else {
        Box::new(rest)
    };
    let mut head = vec![0u8; SNIFF_BYTES];
    let (n, error) = fill_until_error(&mut stream, &mut head, INFLATE_STEP);
    head.truncate(n);
    match error {
        // A ranged read ends inside the compressed stream: what inflated is the head.
        Some(e) if n == 0 => Err(if gzip {
            format!("gzip stream is corrupt: {e}")
        } else {
            format!("read failed: {e}")
        }),
        _ => Ok(head),
    }
}

/// Reads one input of an event kind into rows of `table`, through `source`, sending batches to
/// `emit` until it returns false. Its counts and problems are added to `report`.
pub fn read_events(
    input: &Input,
    opener: &Opener,
    source: &dyn Source,
    table: &'static TableDef,
    selection: &EventSelection,
    report: &Report,
    emit: &mut Emit<'_>,
) {
    let mut tally = InputTally {
        kind: Some(source.kind()),
        ..InputTally::default()
    };
    let file = &*input.name;
    match opener.open(input) {
        Err(e) => tally.unreadable(file, format!("cannot open: {e}")),
        Ok(opened) => decompressed(
            input,
            &opened,
            report,
            &mut tally,
            |stream, gzip, _, tally| {
                let Some((head, stream)) = head_of(file, stream, gzip, tally) else {
                    return;
                };
                tally.summary.files_read += 1;
                let mut stream = Cursor::new(head).chain(stream);
                let mut read = EventRead::new(file, table, selection, tally, report, emit);
                source.read(table, &mut stream, &mut read);
            },
        ),
    }
    report.add(&input.name, tally);
}

/// A line parser for `input` in `format`, building what `options` select.
fn parser_for(
    input: &Input,
    options: &ReadOptions,
    format: crate::sources::flow::FlowFormat,
) -> LineParser {
    LineParser::new(
        format,
        options.selection.clone(),
        Arc::clone(&options.schema),
        Arc::clone(&input.name),
    )
}

/// Bytes asked of a possibly compressed stream per call. A decompressor that meets corrupt input
/// fails the whole call, discarding what it inflated in it; small calls bound that loss.
const INFLATE_STEP: usize = 64 * 1024;

/// Reads until `buf` is full, the stream ends or it fails, at most `step` bytes per call;
/// returns the bytes read and the error.
fn fill_until_error(
    reader: &mut dyn Read,
    buf: &mut [u8],
    step: usize,
) -> (usize, Option<std::io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        let end = buf.len().min(filled.saturating_add(step));
        match reader.read(&mut buf[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(crate) fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    match fill_until_error(reader, buf, usize::MAX) {
        (n, None) => Ok(n),
        (_, Some(e)) => Err(e),
    }
}

//! The one writer of a command's output (standard output, or `--output FILE`), which tells a
//! reader that went away (`eastwest audit | head`) apart from a real failure.
//!
//! `println!` panics when standard output is a closed pipe; every command writing through a
//! [`Console`] gets [`ConsoleError::Closed`] instead, which the binary turns into a quiet exit
//! with status 0, as `head` expects of the programs before it. Any other failure (a full disk,
//! a removed file) stays an error.

use std::fs::File;
use std::io::{self, BufWriter, ErrorKind, Write};
use std::path::Path;

/// Writes one line to standard error for the user (a note, a warning, an error), ignoring a
/// failure: `eprintln!` panics when standard error is closed (`2>&-`, or a reader that went
/// away), and a diagnostic that cannot be shown must not turn a finished run into a crash.
pub fn diagnostic(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// Why a write to the console did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The reader went away: stop writing and exit 0.
    #[error("the output's reader went away")]
    Closed,
    /// Writing failed for another reason: report it.
    #[error("cannot write {target}")]
    Failed {
        /// Standard output, or the file.
        target: String,
        /// Why.
        source: io::Error,
    },
}

impl ConsoleError {
    /// Whether the reader went away (exit quietly) rather than the write failing.
    pub fn is_closed(&self) -> bool {
        matches!(self, ConsoleError::Closed)
    }
}

/// Where a command's output goes.
pub struct Console {
    out: Box<dyn Write + Send>,
    target: String,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// Standard output.
    pub fn stdout() -> Console {
        Console::new(io::stdout(), "standard output")
    }

    /// A file, created or truncated; buffered, so call [`Console::finish`] at the end to learn
    /// whether the last bytes reached it.
    pub fn create(path: &Path) -> Result<Console, ConsoleError> {
        let target = path.display().to_string();
        match File::create(path) {
            Ok(file) => Ok(Console::new(BufWriter::new(file), target)),
            Err(source) => Err(ConsoleError::Failed { target, source }),
        }
    }

    /// Standard output, or the file when one is given (`--output`).
    pub fn stdout_or(path: Option<&Path>) -> Result<Console, ConsoleError> {
        match path {
            Some(path) => Console::create(path),
            None => Ok(Console::stdout()),
        }
    }

    /// Any writer; `target` names it in error messages.
    pub fn new(out: impl Write + Send + 'static, target: impl Into<String>) -> Console {
        Console {
            out: Box::new(out),
            target: target.into(),
        }
    }

    /// Writes `text` and a line break.
    pub fn line(&mut self, text: &str) -> Result<(), ConsoleError> {
        let result = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        self.check(result)
    }

    /// Writes `bytes` as they are.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), ConsoleError> {
        let result = self.out.write_all(bytes);
        self.check(result)
    }

    /// Runs a writer that takes a `Write` (`ocsf::write_json_lines`, `serde_json::to_writer`)
    /// and classifies its failure like the console's own writes.
    pub fn with<T>(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<T>,
    ) -> Result<T, ConsoleError> {
        let result = write(&mut self.out);
        self.check(result)
    }

    /// Flushes what is buffered: the last chance to see an error on a file.
    pub fn finish(&mut self) -> Result<(), ConsoleError> {
        let result = self.out.flush();
        self.check(result)
    }

    fn check<T>(&self, result: io::Result<T>) -> Result<T, ConsoleError> {
        result.map_err(|source| match source.kind() {
            ErrorKind::BrokenPipe => ConsoleError::Closed,
            _ => ConsoleError::Failed {
                target: self.target.clone(),
                source,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_closed_not_a_panic() {
        let (reader, writer) = io::pipe().expect("pipe");
        let mut console = Console::new(writer, "pipe");
        drop(reader);
        // Writing to a pipe nobody reads fails at once (EPIPE), whatever room its buffer has.
        let error = console.line("first line").expect_err("the write fails");
        assert!(error.is_closed(), "{error:?}");
        let error = console.write_all(b"more").expect_err("and keeps failing");
        assert!(error.is_closed(), "{error:?}");
    }

    #[test]
    fn lines_reach_an_open_pipe_and_a_file() {
        use std::io::Read;
        let (mut reader, writer) = io::pipe().expect("pipe");
        let mut console = Console::new(writer, "pipe");
        console.line("one").expect("written");
        console.write_all(b"two\n").expect("written");
        console
            .with(|out| serde_json::to_writer(out, &[3]).map_err(io::Error::from))
            .expect("written");
        drop(console);
        let mut text = String::new();
        reader.read_to_string(&mut text).expect("read");
        assert_eq!(text, "one\ntwo\n[3]");

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        let mut console = Console::create(&path).expect("created");
        console.line("to a file").expect("written");
        console.finish().expect("flushed");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "to a file\n");
    }

    #[test]
    fn other_failures_stay_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = Console::create(&dir.path().join("missing/out.txt")).expect_err("no directory");
        assert!(!error.is_closed());
        assert!(error.to_string().contains("missing/out.txt"), "{error}");
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let error = Console::new(Full, "disk").line("x").expect_err("full");
        assert!(matches!(error, ConsoleError::Failed { .. }), "{error:?}");
    }
}

//! Reads the logs eastwest analyses.
//!
//! An input (a file, a directory walked recursively, or `s3://bucket/prefix`) is expanded into
//! files ([`input`]), large plain files are split into chunks ([`plan`]), and each file is
//! opened, decompressed and recognised from its content ([`sources`]) before its source's reader
//! turns it into Arrow batches of the `flows` schema ([`read`]). Everything that goes wrong is
//! counted in a [`report::Report`] with file and position; nothing panics on input and a bad
//! file never stops the others.
//!
//! Parsers do not judge: NODATA/SKIPDATA records are coverage gaps, not findings; a REJECT is a
//! row like any other.
#![deny(missing_docs)]

pub mod input;
pub mod plan;
pub mod read;
pub mod report;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sources;
pub use eastwest_model::time;

pub use input::{Input, InputError, Location, TimeWindow};
pub use read::{Opened, Opener, ReadOptions, read_input};
pub use report::Report;
pub use sources::flow::{FLOWS_SCHEMA, FlowContext, FlowFormat, RowSelection};

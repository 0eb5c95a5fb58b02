//! Reads the logs eastwest analyses.
//!
//! An input (a file, a directory walked recursively, or `s3://bucket/prefix`) is expanded into
//! files ([`input`]); the [`catalog`] reads each file's first bytes once and files it under its
//! kind ([`sources`]: flow logs, CloudTrail, Route 53 Resolver query logs, auth logs, auditd).
//! Flow logs are read by the columnar flow reader ([`read::read_input`]: large plain files split
//! into chunks by [`plan`], filters pushed down) into the `flows` schema; every other kind's
//! source reads its events into the rows of its tables ([`table`], [`read::read_events`]). Everything that goes wrong is
//! counted in a [`report::Report`] with file and position; nothing panics on input and a bad
//! file never stops the others.
//!
//! Parsers do not judge: NODATA/SKIPDATA records are coverage gaps, not findings; a REJECT is a
//! row like any other.
#![deny(missing_docs)]

pub mod catalog;
pub mod input;
pub mod plan;
pub mod read;
pub mod report;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sources;
pub mod table;
pub use eastwest_model::time;

pub use arrow::record_batch::RecordBatch;
pub use catalog::Catalog;
pub use input::{Input, InputError, Location, TimeWindow};
pub use read::{Opened, Opener, ReadOptions, read_events, read_input};
pub use report::Report;
pub use sources::flow::{FLOWS_SCHEMA, FlowContext, FlowFormat, RowSelection};
pub use sources::{Registry, Source};
pub use table::{EventSelection, TableDef};

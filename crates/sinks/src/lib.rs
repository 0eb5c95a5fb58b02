//! Where eastwest's findings go: one writer per format, shared by every command.
//!
//! Analyses (posture checks, detectors) produce [`eastwest_model::Finding`]s and never format
//! them; the commands hand them to the writers here:
//!
//! - [`ocsf`]: OCSF 1.3 events, Detection Finding (2004) or Compliance Finding (2003), as JSON
//!   lines for SIEMs and Security Lake;
//! - [`sarif`]: a SARIF 2.1.0 log for code-scanning tools, the rules filled from the caller's
//!   registry;
//! - [`table`]: a table for people, with every untrusted value made safe for a terminal;
//! - [`store`]: the state's SQLite store, which tells a repeat (OCSF `Update`) from a new
//!   finding;
//! - [`console`]: the one writer of standard output, which ends quietly when its reader goes
//!   away (`eastwest ... | head`).
#![deny(missing_docs)]

pub mod asff;
pub mod console;
pub mod ocsf;
pub mod sarif;
#[cfg(feature = "securityhub")]
pub mod securityhub;
pub mod store;
pub mod table;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use console::{Console, ConsoleError};
pub use ocsf::{ocsf, write_json_lines};
pub use sarif::{Rule, sarif};
pub use store::{RecordSummary, Store, StoreError, StoredFinding};
pub use table::{printable, table};

#[cfg(test)]
mod testing;

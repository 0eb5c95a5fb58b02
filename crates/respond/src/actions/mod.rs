//! The steps of containment, one file each. Adding one: a file here with an impl of
//! [`Action`], one line in [`ACTIONS`], and a test that contain then release returns the
//! instance to its recorded state. The order of [`ACTIONS`] is the order they run in.

mod isolate;
mod nacl;
mod protect;
mod revoke_sessions;
mod serving;
mod snapshot;

use crate::ContainOptions;
use crate::call::Call;
use crate::state::Recorded;

/// One step of containment: the calls it makes, from the recorded state.
pub trait Action: Sync {
    /// Stable id (`isolate`, `nacl`, ...).
    fn id(&self) -> &'static str;
    /// What it does, in a line.
    fn summary(&self) -> &'static str;
    /// The calls, empty when the options do not ask for it or there is nothing to do.
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call>;
}

/// Every action, in the order they run: evidence first (snapshots), then out of service so
/// nothing replaces or serves from it, then protection and the tag, then the network cut,
/// then credentials.
pub static ACTIONS: &[&dyn Action] = &[
    &snapshot::Snapshot,
    &serving::Serving,
    &protect::Protect,
    &isolate::Isolate,
    &nacl::Nacl,
    &revoke_sessions::RevokeSessions,
];

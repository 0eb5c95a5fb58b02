//! Where eastwest's findings go: one writer per format, shared by every command.
#![deny(missing_docs)]

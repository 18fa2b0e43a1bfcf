//! Anonymous conversations on pulse comments (issue 16): a member who writes a comment is
//! shown a receipt once; once the round's comments are shown, leaders reply to a comment and
//! its writer reads the replies and answers with the receipt. Nobody learns who wrote it:
//! the thread is tied to its comment by a keyed hash of the receipt, and to nothing else.
//!
//! Layers, each depending only on those after it: `routes` (extract, call one action, render
//! or serialise) -> `actions` (one transaction per use case; `actions::in_round` runs inside
//! pulse's answer and close transactions) and `pages` (maud) -> `store` (queries) -> `model`.
pub mod actions;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

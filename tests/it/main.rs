//! One integration binary: support code, one file per feature, and the attacker suite.
mod support;

mod foundation;
mod migrations;
mod pulse;
mod reviews;

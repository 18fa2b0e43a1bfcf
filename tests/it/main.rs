//! One integration binary: support code, one file per feature, and the attacker suite.
mod support;

mod attacks;
mod foundation;
mod migrations;
mod metrics;
mod pulse;
mod reviews;

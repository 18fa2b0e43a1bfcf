//! One integration binary: support code, one file per feature, and the attacker suite.
mod support;

mod attacks;
mod attacks_g7;
mod browser;
mod foundation;
mod metrics;
mod migrations;
mod pulse;
mod reviews;

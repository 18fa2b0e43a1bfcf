//! One integration binary: support code, one file per feature, and the attacker suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod support;

mod attacks;
mod attacks_g7;
mod attacks_keys;
mod attacks_purpose;
mod attacks_scrub;
mod attacks_staff;
mod browser;
mod delivery;
mod edges;
mod foundation;
mod metrics;
mod migrations;
mod pulse;
mod reviews;

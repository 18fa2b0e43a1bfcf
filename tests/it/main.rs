//! One integration binary: support code, one file per feature, and the attacker suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod support;

mod attacks;
mod attacks_g7;
mod attacks_keys;
mod attacks_purpose;
mod attacks_scrub;
mod attacks_staff;
mod attacks_verify;
mod browser;
mod crash;
mod delivery;
mod demo;
mod edges;
mod foundation;
mod grow;
mod guide;
mod metrics;
mod migrations;
mod open_round;
mod openapi;
mod pulse;
mod reviews;
mod routing;
mod ux;
mod verify;

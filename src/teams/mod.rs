//! Teams: rosters, thresholds and members' personal invite links.
pub mod actions;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

//! Teams: rosters, thresholds and members' personal invite links.
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

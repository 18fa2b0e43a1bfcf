//! Team pulse: rounds of short anonymous surveys, results after close, trends over time.
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

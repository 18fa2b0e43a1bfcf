//! Team pulse: rounds of short anonymous surveys, results after close, trends over time.
//! `model` (pure checks and scoring) <- `store` (queries) <- `actions` (one transaction per
//! use case) <- `routes` (extract, act, render with `pages`).
pub mod actions;
pub mod frozen;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

//! Pre-review accounts: a facilitator opens a review of an incident, the people involved each
//! write an account anonymously (one per person, by blind token), come back with a receipt to
//! answer follow-up questions, and the facilitator reads the accounts as a set once enough
//! have arrived, then exports a pre-read for the review meeting.
//!
//! Layers, each depending only on those after it: `routes` (extract, call one action, render
//! or serialise) -> `actions` (one transaction per use case) and `pages` (maud) -> `store`
//! (queries) -> `model` (typed values, validation, the release rule).
pub mod actions;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

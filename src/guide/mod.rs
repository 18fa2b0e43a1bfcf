//! Getting started (issue 15): the first steps a new admin or leader takes, ticked off from
//! what the instance already holds, so the first page after setup says what Candor is for
//! and what to do next. Reads counts only; writes nothing.

pub mod actions;
pub mod model;
pub mod pages;
pub mod store;

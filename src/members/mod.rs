//! What members see: the invite landing, what is open to them, the transparency page, and
//! the check for identifying details in what they write.
pub mod actions;
pub mod bulletin;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;

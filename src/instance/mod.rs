//! The instance page for admins: what the operator must know about this installation's
//! protections right now, starting with whether the close-time scrub is owed (G15).

pub mod pages;
pub mod routes;

//! Staff accounts: setup, sign-in, sessions, CSRF, roles, API tokens, the audit log.
pub mod actions;
pub mod model;
pub mod pages;
pub mod password;
pub mod routes;
pub mod store;

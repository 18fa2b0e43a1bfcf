//! Growing and keeping an instance (issue 18): `candor copy` moves a SQLite instance into an
//! empty PostgreSQL database, `candor backup` and `candor restore` keep and bring back a
//! SQLite instance. Each is a plain function the CLI calls and the tests drive; none logs a
//! value, only table names, counts and checksums.

pub mod backup;
pub mod copy;
pub mod source;
pub mod target;
pub mod values;

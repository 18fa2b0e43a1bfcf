//! Culture metrics for leaders: heat maps, trends and rollups over stored aggregates.
pub mod actions;
pub mod model;
pub mod pages;
pub mod report;
pub mod routes;
pub mod store;

use std::sync::{Arc, Mutex};

use crate::db::DbConnection;
use crate::error::AppError;

/// Marks every computed snapshot stale. Called by a feature whose change the metrics read (a
/// round closing), so it need not reach into the metrics store.
pub fn invalidate(conn: &mut DbConnection) -> Result<(), AppError> {
    store::bump_version(conn)?;
    Ok(())
}

/// The last computed snapshot and the version stamp it was computed at. Building one reads
/// every closed round's aggregate and runs the suppression; views then only read it, so a
/// page costs the same at ten thousand answers as at ten million.
#[derive(Default)]
pub struct Cache {
    last: Mutex<Option<(String, Arc<model::Snapshot>)>>,
}

impl Cache {
    pub fn snapshot(&self, conn: &mut DbConnection) -> Result<Arc<model::Snapshot>, AppError> {
        let version = store::version(conn)?;
        if let Some((v, s)) = self.last.lock().ok().and_then(|l| l.clone()) {
            if v == version {
                return Ok(s);
            }
        }
        let snap = Arc::new(model::Snapshot::build(
            actions::load_atoms(conn)?,
            store::load_groups(conn)?,
        ));
        if let Ok(mut l) = self.last.lock() {
            *l = Some((version, snap.clone()));
        }
        Ok(snap)
    }
}

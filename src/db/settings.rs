//! The instance's own key-value settings (`instance_settings`): the setup code, the metrics
//! cache version, the close-time scrub's bookkeeping. Plain storage, shared by every feature.

use diesel::prelude::*;

use super::schema::instance_settings;
use super::DbConnection;

pub fn get_setting(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    instance_settings::table
        .find(name)
        .select(instance_settings::value)
        .first(conn)
        .optional()
}

pub fn put_setting(conn: &mut DbConnection, name: &str, value: &str) -> QueryResult<usize> {
    let updated = diesel::update(instance_settings::table.find(name))
        .set(instance_settings::value.eq(value))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(value),
        ))
        .execute(conn)
}

pub fn delete_setting(conn: &mut DbConnection, name: &str) -> QueryResult<usize> {
    diesel::delete(instance_settings::table.find(name)).execute(conn)
}

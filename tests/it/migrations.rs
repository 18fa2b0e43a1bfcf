//! The two migration folders stay in lockstep: same names, and (when PostgreSQL is at hand)
//! the same tables and columns once applied.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::support::*;

fn folders(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    assert_eq!(folders("sqlite"), folders("postgres"));
    for name in folders("sqlite") {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(backend)
                    .join(&name)
                    .join(file);
                assert!(p.exists(), "{} is missing", p.display());
            }
        }
    }
}

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
}

/// Table name to sorted column names, as a live database has them.
fn schema_of(db: &candor::db::Db) -> BTreeMap<String, Vec<String>> {
    let mut conn = db.get_write().unwrap();
    let sql = if db.backend() == candor::db::Backend::Postgres {
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
    } else {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
    };
    let rows: Vec<Col> = diesel::sql_query(sql).load(&mut *conn).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.t).or_default().push(r.c);
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

#[test]
fn both_backends_end_with_the_same_tables_and_columns() {
    let here = TestApp::spawn();
    if !here.is_postgres() {
        return;
    }
    // The PostgreSQL schema of this run against a SQLite database migrated beside it.
    let dir = std::env::temp_dir().join(format!("candor-lockstep-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = candor::db::DbUrl::Sqlite(dir.join("lockstep.db").to_string_lossy().into_owned());
    let sqlite = candor::db::Db::connect(&url, 2).unwrap();
    sqlite.migrate().unwrap();
    let other = schema_of(&sqlite);
    drop(sqlite);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(schema_of(&here.db), other);
}

fn rand_suffix() -> u64 {
    use rand::Rng;
    rand::rng().next_u64()
}

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
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = Text)]
    nullable: String,
}

/// A column as diesel sees it: the SQL type both backends share, and whether it may be NULL.
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// The diesel type a backend's declared column type maps to, so that `TEXT` on SQLite and
/// `text` on PostgreSQL compare equal and `INTEGER` against `bigint` does not.
fn diesel_type(declared: &str) -> String {
    let d = declared.to_ascii_lowercase();
    let t = match d.as_str() {
        "text" | "character varying" | "varchar" => "Text",
        "integer" | "int" | "int4" => "Integer",
        "bigint" | "int8" => "BigInt",
        "boolean" | "bool" => "Bool",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        "date" => "Date",
        "double precision" | "double" | "real" | "float8" => "Double",
        "bytea" | "blob" => "Binary",
        other => return format!("unknown({other})"),
    };
    t.to_owned()
}

/// Table name to its columns with type and nullability, as a live database has them.
fn schema_of(db: &candor::db::Db) -> Columns {
    let mut conn = db.get_write().unwrap();
    let sql = if db.backend() == candor::db::Backend::Postgres {
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
    } else {
        // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL: `notnull`
        // is the truth either way.
        "SELECT m.name AS t, p.name AS c, p.type AS ty, CASE WHEN p.\"notnull\" = 1 THEN 'NO' ELSE 'YES' END AS nullable FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
    };
    let rows: Vec<Col> = diesel::sql_query(sql).load(&mut *conn).unwrap();
    let mut out: Columns = BTreeMap::new();
    for r in rows {
        out.entry(r.t)
            .or_default()
            .insert(r.c, (diesel_type(&r.ty), r.nullable == "YES"));
    }
    out
}

/// What `src/db/schema.rs` (written by hand) declares, read from its `table!` blocks.
fn schema_rs() -> Columns {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/schema.rs"),
    )
    .unwrap();
    let mut out: Columns = BTreeMap::new();
    let mut table: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(head) = line.strip_suffix('{').map(str::trim) {
            if let Some((name, _)) = head.split_once(' ') {
                if !name.contains('!') && !name.is_empty() {
                    table = Some(name.to_owned());
                    out.entry(name.to_owned()).or_default();
                }
            }
            continue;
        }
        if line.starts_with('}') {
            table = None;
            continue;
        }
        if let (Some(t), Some((col, ty))) = (&table, line.split_once("->")) {
            let ty = ty.trim().trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>').to_owned(), true),
                None => (ty.to_owned(), false),
            };
            out.get_mut(t)
                .unwrap()
                .insert(col.trim().to_owned(), (ty, nullable));
        }
    }
    out
}

fn migrated_sqlite() -> Columns {
    let dir = std::env::temp_dir().join(format!("candor-lockstep-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = candor::db::DbUrl::Sqlite(dir.join("lockstep.db").to_string_lossy().into_owned());
    let sqlite = candor::db::Db::connect(&url, 2).unwrap();
    sqlite.migrate().unwrap();
    let out = schema_of(&sqlite);
    drop(sqlite);
    std::fs::remove_dir_all(&dir).ok();
    out
}

/// Every table and column, with its type and nullability, is the same after the SQLite
/// migrations and after the PostgreSQL ones, and `schema.rs` (which diesel trusts blindly)
/// says exactly that too. On a SQLite run the PostgreSQL half needs TEST_DATABASE_URL; the
/// schema.rs half runs everywhere.
#[test]
fn both_backends_and_schema_rs_agree_on_every_column_type_and_nullability() {
    let here = TestApp::spawn();
    let declared = schema_rs();
    let live = schema_of(&here.db);
    for (table, cols) in &live {
        for (col, (ty, _)) in cols {
            assert!(!ty.starts_with("unknown"), "{table}.{col}: {ty}");
        }
    }
    assert_eq!(
        live, declared,
        "src/db/schema.rs disagrees with the migrated schema"
    );
    if here.is_postgres() {
        assert_eq!(
            live,
            migrated_sqlite(),
            "the two migration folders disagree"
        );
    }
}

fn rand_suffix() -> u64 {
    use rand::Rng;
    rand::rng().next_u64()
}

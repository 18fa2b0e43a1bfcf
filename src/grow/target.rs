//! The PostgreSQL side of a copy: the emptiness check, the server's logging settings, the
//! schema as the migrations made it, batched inserts with bound values, the read-back that
//! the checksums are computed from, and sequences.
//!
//! Values are always bound, never spliced into the SQL: a statement PostgreSQL logs (a slow
//! query, an error) then shows `$1`, not an answer.

use std::collections::{BTreeMap, BTreeSet};

use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::PgConnection;

use super::source::quote;
use super::values::Kind;

/// The most rows one INSERT carries, and the most values (PostgreSQL binds at most 65,535).
const BATCH_ROWS: usize = 1000;
const BATCH_VALUES: usize = 30_000;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    yes: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    r: Option<String>,
}

fn db(context: &'static str) -> impl Fn(diesel::result::Error) -> String {
    move |e| format!("{context}: {e}")
}

/// A target column: its name, its type as PostgreSQL spells it (for the cast) and its kind.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub pg_type: String,
    pub kind: Kind,
}

/// Ordinary tables in the target schema, except diesel's migration bookkeeping.
pub fn table_names(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    Ok(diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
         AND c.relname <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load::<Name>(conn)
    .map_err(db("cannot list the target's tables"))?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

/// The tables that hold at least one row: the copy writes only into a database where this
/// is empty, so it can never mix two instances or overwrite one.
pub fn tables_with_rows(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    let mut out = vec![];
    for t in table_names(conn)? {
        let f: Flag = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM {}) AS yes",
            quote(&t)
        ))
        .get_result(conn)
        .map_err(db("cannot read the target"))?;
        if f.yes {
            out.push(t);
        }
    }
    Ok(out)
}

/// Server settings that would write every inserted value (with its time) to PostgreSQL's
/// log. A superuser's copy turns them off for its own transaction; anyone else is told.
pub fn quiet_server_log(conn: &mut PgConnection) -> Result<(), String> {
    for set in [
        "SET LOCAL log_statement = 'none'",
        "SET LOCAL log_min_duration_statement = -1",
        "SET LOCAL log_parameter_max_length_on_error = 0",
    ] {
        // A savepoint each: a role that may not change the setting keeps its transaction.
        let _ = conn.transaction(|c| diesel::sql_query(set).execute(c));
    }
    let settings: Vec<Pair> = diesel::sql_query(
        "SELECT name::text AS a, setting::text AS b FROM pg_settings WHERE name IN \
         ('log_statement', 'log_min_duration_statement', 'log_min_duration_sample', \
          'log_parameter_max_length_on_error')",
    )
    .load(conn)
    .map_err(db("cannot read the server's settings"))?;
    for s in settings {
        let loud = match s.a.as_str() {
            "log_statement" => s.b == "mod" || s.b == "all",
            "log_parameter_max_length_on_error" => s.b != "0",
            _ => s.b != "-1",
        };
        if loud {
            return Err(format!(
                "refused: the PostgreSQL server has {} = {}, so it would write every copied \
                 value (who was issued a token, every answer) to its log. Set it back to its \
                 default for this database, or run the copy as a superuser (it then turns \
                 the setting off for its own transaction). Nothing was written.",
                s.a, s.b
            ));
        }
    }
    Ok(())
}

/// Every table's columns, in the order PostgreSQL created them.
pub fn columns(conn: &mut PgConnection) -> Result<BTreeMap<String, Vec<Column>>, String> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = Text)]
        t: String,
        #[diesel(sql_type = Text)]
        c: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Text)]
        pg_type: String,
    }
    let rows: Vec<Col> = diesel::sql_query(
        "SELECT c.relname::text AS t, a.attname::text AS c, \
                col.data_type::text AS data_type, format_type(a.atttypid, a.atttypmod) AS pg_type \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN information_schema.columns col ON col.table_schema = current_schema() \
              AND col.table_name = c.relname AND col.column_name = a.attname \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
           AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '__diesel_schema_migrations' \
         ORDER BY c.relname, a.attnum",
    )
    .load(conn)
    .map_err(db("cannot read the target's columns"))?;
    let mut out: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in rows {
        let kind = Kind::from_pg(&r.data_type).ok_or_else(|| {
            format!(
                "{}.{} has type {}, which the copy does not know",
                r.t, r.c, r.data_type
            )
        })?;
        out.entry(r.t).or_default().push(Column {
            name: r.c,
            pg_type: r.pg_type,
            kind,
        });
    }
    Ok(out)
}

/// The migrations applied to the target.
pub fn migrations(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    Ok(diesel::sql_query(
        "SELECT version::text AS name FROM __diesel_schema_migrations ORDER BY version",
    )
    .load::<Name>(conn)
    .map_err(db("cannot read the target's migrations"))?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

/// Tables ordered so that every table comes after the tables its foreign keys point at,
/// ties broken by name so every copy runs in the same order.
pub fn dependency_order(
    conn: &mut PgConnection,
    tables: &BTreeSet<String>,
) -> Result<Vec<String>, String> {
    let edges: Vec<Pair> = diesel::sql_query(
        "SELECT c.relname::text AS a, r.relname::text AS b FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid \
         WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace",
    )
    .load(conn)
    .map_err(db("cannot read the target's foreign keys"))?;
    let mut needs: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for e in &edges {
        if e.a != e.b && tables.contains(&e.b) {
            if let Some(n) = needs.get_mut(e.a.as_str()) {
                n.insert(e.b.as_str());
            }
        }
    }
    let mut order: Vec<String> = vec![];
    while !needs.is_empty() {
        let ready: Vec<&str> = needs
            .iter()
            .filter(|(_, n)| n.is_empty())
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            return Err("the target's foreign keys form a cycle".into());
        }
        for t in ready {
            needs.remove(t);
            for n in needs.values_mut() {
                n.remove(t);
            }
            order.push(t.to_owned());
        }
    }
    Ok(order)
}

/// Inserts rows in batches: each batch one multi-row INSERT whose values are all bound as
/// text and cast to the column's type by PostgreSQL. Column defaults never apply: every
/// column is written, so no `now()` or sequence can give a row a time or an order.
pub struct Inserter {
    table: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Option<String>>>,
    per_batch: usize,
}

impl Inserter {
    pub fn new(table: &str, columns: &[Column]) -> Self {
        Self {
            table: table.to_owned(),
            columns: columns.to_vec(),
            rows: vec![],
            per_batch: (BATCH_VALUES / columns.len().max(1)).clamp(1, BATCH_ROWS),
        }
    }

    /// Queues a row; writes a batch when it is full. Returns how many rows were written.
    pub fn push(
        &mut self,
        conn: &mut PgConnection,
        row: Vec<Option<String>>,
    ) -> Result<usize, String> {
        self.rows.push(row);
        if self.rows.len() >= self.per_batch {
            return self.flush(conn);
        }
        Ok(0)
    }

    pub fn flush(&mut self, conn: &mut PgConnection) -> Result<usize, String> {
        if self.rows.is_empty() {
            return Ok(0);
        }
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote(&self.table),
            self.columns
                .iter()
                .map(|c| quote(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut n = 0;
        for (i, _) in self.rows.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (j, c) in self.columns.iter().enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if c.kind.needs_cast() {
                    sql.push_str(&format!("CAST(${n} AS {})", c.pg_type));
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
        let rows = std::mem::take(&mut self.rows);
        let written = rows.len();
        for row in rows {
            for v in row {
                q = q.bind::<Nullable<Text>, _>(v);
            }
        }
        q.execute(conn)
            .map_err(|e| format!("cannot write {}: {e}", self.table))?;
        Ok(written)
    }
}

/// Streams a table back as text, one row at a time, for the checksum.
pub fn read_back(
    conn: &mut PgConnection,
    table: &str,
    columns: &[Column],
    mut each: impl FnMut(Vec<Option<String>>) -> Result<(), String>,
) -> Result<(), String> {
    // json_build_array takes at most 100 arguments; Candor's widest table has 17 columns.
    if columns.len() > 100 {
        return Err(format!("{table} has more than 100 columns"));
    }
    let sql = format!(
        "SELECT CAST(json_build_array({}) AS text) AS r FROM {}",
        columns
            .iter()
            .map(|c| format!("CAST({} AS text)", quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", "),
        quote(table)
    );
    let rows = diesel::sql_query(sql)
        .load_iter::<Row, PgRowByRowLoadingMode>(conn)
        .map_err(|e| format!("cannot read {table} back: {e}"))?;
    for row in rows {
        let row = row.map_err(|e| format!("cannot read {table} back: {e}"))?;
        let values: Vec<Option<String>> = serde_json::from_str(row.r.as_deref().unwrap_or("[]"))
            .map_err(|_| format!("{table}: a row read back is not a JSON array"))?;
        each(values)?;
    }
    Ok(())
}

/// Sets every sequence owned by a copied column past the largest value copied, so the next
/// insert does not collide. Candor's schema has none today (random ids, no serials: a
/// serial would order rows); the step is here so a future one cannot be forgotten.
pub fn reset_sequences(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    #[derive(QueryableByName)]
    struct Seq {
        #[diesel(sql_type = Text)]
        seq: String,
        #[diesel(sql_type = Text)]
        tbl: String,
        #[diesel(sql_type = Text)]
        col: String,
    }
    let seqs: Vec<Seq> = diesel::sql_query(
        "SELECT s.relname::text AS seq, t.relname::text AS tbl, a.attname::text AS col \
         FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass \
              AND d.refclassid = 'pg_class'::regclass \
         JOIN pg_class t ON t.oid = d.refobjid \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
         WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace",
    )
    .load(conn)
    .map_err(db("cannot list sequences"))?;
    #[derive(QueryableByName)]
    struct Set {
        #[diesel(sql_type = BigInt)]
        v: i64,
    }
    let mut out = vec![];
    for s in seqs {
        let set: Set = diesel::sql_query(format!(
            "SELECT setval('{}', COALESCE(MAX({}), 0) + 1, false) AS v FROM {}",
            quote(&s.seq).replace('\'', "''"),
            quote(&s.col),
            quote(&s.tbl)
        ))
        .get_result(conn)
        .map_err(db("cannot set a sequence"))?;
        out.push(format!("{} next {}", s.seq, set.v));
    }
    Ok(out)
}

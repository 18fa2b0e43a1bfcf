//! G15: the close-time scrub completes or says it has not. The attacker reads the database's
//! raw bytes after a close (SQLite: the file, its WAL and shared-memory index; PostgreSQL:
//! every page of every table, TOAST table and index through `pageinspect`), looking for a
//! destroyed key and for anything that tells those who took part from those who did not.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text};
use serde_json::json;

use crate::support::*;

#[derive(QueryableByName)]
struct Rel {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    blocks: i64,
}

#[derive(QueryableByName)]
struct Page {
    #[diesel(sql_type = Binary)]
    b: Vec<u8>,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Text)]
    v: String,
}

/// Every byte the database keeps for this instance, as an operator with the files (SQLite)
/// or superuser access (PostgreSQL `pageinspect`) reads them.
pub(crate) fn raw_bytes(app: &TestApp) -> Vec<u8> {
    match &app.url {
        candor::db::DbUrl::Sqlite(path) => {
            let mut all = std::fs::read(path).expect("database file");
            for suffix in ["-wal", "-shm"] {
                all.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
            }
            all
        }
        candor::db::DbUrl::Postgres(_) => {
            let mut conn = app.db.get_write().unwrap();
            conn.batch_execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
                .expect("pageinspect (PostgreSQL contrib) is needed for this attack");
            let rels: Vec<Rel> = diesel::sql_query(
                "SELECT c.oid::regclass::text AS name, (pg_relation_size(c.oid) / 8192)::bigint AS blocks \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p' AND (n.nspname = 'public' \
                   OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace) \
                   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN \
                       (SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace)))",
            )
            .load(&mut *conn)
            .unwrap();
            let mut all = vec![];
            for r in rels {
                for blk in 0..r.blocks {
                    let p: Page = diesel::sql_query(format!(
                        "SELECT get_raw_page('{}', {blk}) AS b",
                        r.name.replace('\'', "''")
                    ))
                    .get_result(&mut *conn)
                    .unwrap();
                    all.extend(p.b);
                }
            }
            all
        }
    }
}

pub(crate) fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

pub(crate) fn text(app: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = app.db.get_write().unwrap();
    diesel::sql_query(sql)
        .load::<Cell>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|c| c.v)
        .collect()
}

/// A reader that holds a snapshot (a backup, a `sqlite3` shell, a long report) on its own
/// connection until dropped. On PostgreSQL its lock on `signing_keys` keeps `VACUUM FULL`
/// of that table waiting; on SQLite its snapshot keeps the WAL from being checkpointed.
enum Reader {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

fn hold_reader(app: &TestApp) -> Reader {
    const SQL: &str = "BEGIN; SELECT count(*) FROM signing_keys;";
    match &app.url {
        candor::db::DbUrl::Sqlite(path) => {
            let mut c = diesel::SqliteConnection::establish(path).unwrap();
            c.batch_execute(SQL).unwrap();
            Reader::Sqlite(c)
        }
        candor::db::DbUrl::Postgres(url) => {
            let mut c = diesel::PgConnection::establish(url).unwrap();
            c.batch_execute(SQL).unwrap();
            Reader::Pg(c)
        }
    }
}

fn release(reader: Reader) {
    match reader {
        Reader::Sqlite(mut c) => c.batch_execute("COMMIT").unwrap(),
        Reader::Pg(mut c) => c.batch_execute("COMMIT").unwrap(),
    }
}

/// Retries the scrub until it completes, as the 30-second timer would: on PostgreSQL a
/// transaction anywhere on the server that began before the close (another test's held
/// reader, a `CREATE DATABASE`) keeps it pending until it ends. Bounded; returns the reply.
pub(crate) fn scrub_until_done(api: &Api) -> Reply {
    let mut last = api.post("/instance/scrub", &json!({}));
    for _ in 0..30 {
        if last.status == 200 && last.json()["scrub"]["pending"] == false {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        last = api.post("/instance/scrub", &json!({}));
    }
    last
}

/// For each roster member, how often their id appears in the raw bytes. A participation
/// record (an issuance row, live or dead) shows as extra occurrences for those who took part.
fn occurrences(raw: &[u8], ids: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    ids.iter()
        .map(|(label, id)| (label.clone(), count(raw, id.as_bytes())))
        .collect()
}

#[test]
fn g15_a_reader_held_across_a_close_keeps_the_scrub_pending_and_shown_until_it_completes() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let roster = ["ann", "ben", "cat", "dan", "eve", "fay"];
    let (team, people) = team_with(&api, "Scrubbed", 3, &roster);
    let r = open_round(&api, &team);
    // ann, ben and cat answer through blind tokens; dan through the no-JavaScript fallback;
    // eve and fay do not take part.
    for (_, invite) in people.iter().take(3) {
        let res = submit(&app, &r, invite, answers(&r, [5; 7], Some(8)), None);
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let b = app.browser();
    let mut fields: Vec<(String, String)> = vec![("invite".into(), people[3].1.clone())];
    for q in r.questions.iter().take(7) {
        fields.push((format!("q_{}", q["id"].as_str().unwrap()), "4".into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let fb = b.post_form(&format!("/p/rounds/{}/fallback", r.id), &refs);
    assert_eq!(fb.status(), 201);

    let key = text(
        &app,
        &format!(
            "SELECT secret_der AS v FROM signing_keys WHERE scope_id = '{}'",
            r.id
        ),
    );
    let key = key[0].clone();
    // Any 48 characters of the destroyed key would do; take them from the middle.
    let fragment = key.as_bytes()[key.len() / 2..key.len() / 2 + 48].to_vec();
    let ids: BTreeMap<String, String> = text(
        &app,
        &format!("SELECT label || ':' || id AS v FROM members WHERE team_id = '{team}'"),
    )
    .into_iter()
    .map(|v| {
        let (l, i) = v.split_once(':').unwrap();
        (l.to_owned(), i.to_owned())
    })
    .collect();
    assert_eq!(ids.len(), roster.len());

    // A reader holds a snapshot across the close.
    let reader = hold_reader(&app);
    let closed = api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);

    // The close committed; the scrub did not, and says so to admins.
    let status = api.get("/instance");
    assert_eq!(status.status, 200, "{}", status.text);
    let scrub = &status.json()["scrub"];
    assert_eq!(scrub["pending"], true, "{scrub}");
    assert!(scrub["failed_attempts"].as_i64().unwrap() >= 1, "{scrub}");
    assert!(scrub["pending_since"].is_string(), "{scrub}");
    assert!(!scrub["last_error"].as_str().unwrap_or("").is_empty());
    let page = admin.get("/admin/instance").text().unwrap();
    assert!(page.contains("Scrub pending"), "{page}");
    // The attack has teeth: while the scrub is pending the destroyed key is still readable.
    assert!(
        count(&raw_bytes(&app), &fragment) > 0,
        "the attacker should find the destroyed key while the scrub is pending"
    );
    // Non-admins see none of it.
    let leader = app.staff("lead@example.com", candor::auth::model::Role::Leader);
    assert_eq!(leader.get("/admin/instance").status(), 403);

    // A retry while the reader still holds its snapshot fails again, and is counted.
    let again = api.post("/instance/scrub", &json!({}));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["scrub"]["pending"], true);
    assert!(again.json()["scrub"]["failed_attempts"].as_i64().unwrap() >= 2);

    // The reader goes away; the next attempt (the timer's, or this button) completes it.
    release(reader);
    let done = scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    assert!(done.json()["scrub"]["pending_since"].is_null());
    let page = admin.get("/admin/instance").text().unwrap();
    assert!(page.contains("Nothing pending"), "{page}");

    // Now the attacker, holding every byte, finds no key and cannot tell the four who took
    // part from the two who did not.
    let raw = raw_bytes(&app);
    assert_eq!(
        count(&raw, &fragment),
        0,
        "the destroyed key is still on disk"
    );
    let seen = occurrences(&raw, &ids);
    let distinct: std::collections::BTreeSet<usize> = seen.values().copied().collect();
    assert_eq!(
        distinct.len(),
        1,
        "participants and non-participants differ in the raw bytes: {seen:?}"
    );
}

#[test]
fn g15_a_review_close_with_a_reader_held_is_scrubbed_once_the_reader_goes() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let review = api.post("/reviews", &json!({ "title": "Disk full", "incident_date": "2026-11-20", "summary": "x", "invitees": ["a", "b", "c", "d"], "threshold": 3 }));
    assert_eq!(review.status, 201, "{}", review.text);
    let review = review.json();
    let id = review["id"].as_str().unwrap().to_owned();
    let people = review_invites(&api, &id);
    for (_, secret) in people.iter().take(3) {
        let token = member_token(&app, "reviews", &id, secret, &review["key"]).unwrap();
        let res = app.anon_api().post(
            &format!("/reviews/{id}/accounts"),
            &json!({ "token": token, "account": { "timeline": [{ "text": "I saw the alert." }] } }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let key = text(
        &app,
        &format!("SELECT secret_der AS v FROM signing_keys WHERE scope_id = '{id}'"),
    )[0]
    .clone();
    let fragment = key.as_bytes()[key.len() / 2..key.len() / 2 + 48].to_vec();
    let reader = hold_reader(&app);
    let closed = api.post(&format!("/reviews/{id}/close"), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(api.get("/instance").json()["scrub"]["pending"], true);
    release(reader);
    let done = scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    assert_eq!(count(&raw_bytes(&app), &fragment), 0);
}

/// The no-JavaScript fallback must not share a transaction between the member's issuance and
/// the answer: on PostgreSQL both rows would carry the same `xmin` in a dump taken while the
/// round is open, naming the member beside their answer. SQLite rows carry no transaction id.
#[test]
fn g15_the_fallback_never_writes_issuance_and_answer_in_one_transaction() {
    let app = TestApp::spawn();
    if !app.is_postgres() {
        eprintln!("skipped on SQLite: rows carry no transaction id there");
        return;
    }
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Fallback", 3, &["a", "b", "c", "d"]);
    let r = open_round(&api, &team);
    let b = app.browser();
    for (_, invite) in &people {
        let mut fields: Vec<(String, String)> = vec![("invite".into(), invite.clone())];
        for q in r.questions.iter().take(7) {
            fields.push((format!("q_{}", q["id"].as_str().unwrap()), "6".into()));
        }
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            b.post_form(&format!("/p/rounds/{}/fallback", r.id), &refs)
                .status(),
            201
        );
    }
    let issued: std::collections::BTreeSet<String> = text(
        &app,
        &format!(
            "SELECT xmin::text AS v FROM issuances WHERE scope_id = '{}'",
            r.id
        ),
    )
    .into_iter()
    .collect();
    let answered: std::collections::BTreeSet<String> = text(
        &app,
        &format!(
            "SELECT xmin::text AS v FROM responses WHERE round_id = '{}'",
            r.id
        ),
    )
    .into_iter()
    .collect();
    assert_eq!(issued.len(), people.len());
    assert_eq!(answered.len(), people.len());
    assert!(
        issued.is_disjoint(&answered),
        "an issuance and an answer share a transaction: {issued:?} {answered:?}"
    );
}

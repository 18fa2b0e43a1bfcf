//! Growing without losing anything (issue 18): a SQLite instance filled by the demo, the
//! attacker's scenario, an open round and an open review, moved by `candor copy` into a
//! fresh PostgreSQL database (or brought back by `candor backup` and `candor restore`), then
//! Candor started on the result and checked from outside: the same results and trends, the
//! open round and review going on, receipts still working, and the attacker's dump checks.
//!
//! The copy tests need PostgreSQL: they run when TEST_DATABASE_URL is set (CI's PostgreSQL
//! pass) and say they were skipped otherwise.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use candor::db::DbUrl;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::attacks::{a_dump_links_nobody, scenario, Scenario};
use crate::support::*;

/// The PostgreSQL server to copy into, or a line saying the test was skipped.
fn postgres_or_skip(test: &str) -> Option<String> {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some(u),
        None => {
            eprintln!("{test}: skipped, TEST_DATABASE_URL is not set (the copy needs PostgreSQL)");
            None
        }
    }
}

/// An empty PostgreSQL database, dropped with the guard.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn new(admin: &str) -> Self {
        use rand::Rng;
        let mut b = [0u8; 8];
        rand::rng().fill_bytes(&mut b);
        let name = format!(
            "candor_grow_{}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        );
        let mut conn = PgConnection::establish(admin).unwrap();
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (prefix, _) = admin.rsplit_once('/').unwrap();
        Self {
            admin: admin.to_owned(),
            url: format!("{prefix}/{name}"),
            name,
        }
    }

    fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A new empty directory for an app's data (the app removes it when dropped).
fn empty_dir() -> PathBuf {
    use rand::Rng;
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    let dir = std::env::temp_dir().join(format!(
        "candor-test-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory removed with the guard (the stopped source instance).
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a leader and facilitator can read, to compare before and after the move.
#[derive(Debug, PartialEq)]
struct Observed {
    results: BTreeMap<String, Value>,
    trends: BTreeMap<String, Value>,
    heatmap: Value,
    export: String,
    /// The open review's accounts as a sorted list (the API returns them in random order).
    accounts: Vec<String>,
}

fn observe(api: &Api, live: &Live) -> Observed {
    let mut results = BTreeMap::new();
    let mut trends = BTreeMap::new();
    let teams = api.get("/teams");
    assert_eq!(teams.status, 200, "{}", teams.text);
    for t in teams.json().as_array().unwrap() {
        // The backup test's team whose answers are still arriving is checked on its own.
        if t["name"].as_str().unwrap_or_default().starts_with("Busy") {
            continue;
        }
        let id = t["id"].as_str().unwrap();
        let trend = api.get(&format!("/teams/{id}/trend"));
        assert_eq!(trend.status, 200, "{}", trend.text);
        for point in trend.json().as_array().unwrap() {
            let r = point["round_id"].as_str().unwrap();
            let res = api.get(&format!("/rounds/{r}/results"));
            assert_eq!(res.status, 200, "{}", res.text);
            results.insert(r.to_owned(), res.json());
        }
        trends.insert(id.to_owned(), trend.json());
    }
    let open = api.get(&format!("/rounds/{}/results", live.round.id));
    results.insert(live.round.id.clone(), open.json());
    let heatmap = api.get("/metrics/heatmap");
    assert_eq!(heatmap.status, 200, "{}", heatmap.text);
    let mut heatmap = heatmap.json();
    if let Some(teams) = heatmap["teams"].as_array_mut() {
        teams.retain(|t| !t["name"].as_str().unwrap_or_default().starts_with("Busy"));
    }
    let export = api.get("/metrics/export.csv");
    assert_eq!(export.status, 200, "{}", export.text);
    let export: String = export
        .text
        .lines()
        .filter(|l| !l.contains(",Busy,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let acc = api.get(&format!("/reviews/{}/accounts", live.review));
    assert_eq!(acc.status, 200, "{}", acc.text);
    let mut accounts: Vec<String> = acc.json()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].to_string())
        .collect();
    accounts.sort();
    assert!(
        results.len() > 60,
        "the demo's rounds are all read: {}",
        results.len()
    );
    Observed {
        results,
        trends,
        heatmap,
        export,
        accounts,
    }
}

/// The open round and review that must go on after the move.
struct Live {
    team: String,
    round: Round,
    /// (label, invite) of the open round's team, in roster order.
    people: Vec<(String, String)>,
    /// A token member 3 took before the move and has not spent.
    kept_token: Value,
    review: String,
    /// The receipt of the account that has a follow-up question.
    receipt: String,
    question: String,
}

const LIVE_PEOPLE: [&str; 6] = ["olga", "omar", "otto", "oona", "oren", "odin"];

fn live(app: &TestApp, api: &Api) -> Live {
    let (team, people) = team_with(api, "Open team", 3, &LIVE_PEOPLE);
    let round = open_round(api, &team);
    for (i, (_, invite)) in people.iter().take(3).enumerate() {
        let res = submit(
            app,
            &round,
            invite,
            answers(&round, [3 + i as i64; 7], Some(8)),
            None,
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let kept_token =
        member_token(app, "rounds", &round.id, &people[3].1, &round.key).expect("token issued");
    let r = api.post(
        "/reviews",
        &json!({ "title": "Queue backlog", "incident_date": "2026-11-30", "summary": "Jobs piled up.",
                 "invitees": ["w1@example.com", "w2@example.com", "w3@example.com", "w4@example.com"], "threshold": 3 }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = r.json();
    let review = r["id"].as_str().unwrap().to_owned();
    let writers = review_invites(api, &review);
    let mut receipts = vec![];
    for (i, (_, invite)) in writers.iter().take(3).enumerate() {
        let token = member_token(app, "reviews", &review, invite, &r["key"]).unwrap();
        let res = app.anon_api().post(
            &format!("/reviews/{review}/accounts"),
            &json!({ "token": token, "account": { "timeline": [{ "text": format!("writer {i} saw the queue grow") }], "hard": "no alert" } }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        receipts.push(res.json()["receipt"].as_str().unwrap().to_owned());
    }
    let accounts = api.get(&format!("/reviews/{review}/accounts")).json();
    let target = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"].to_string().contains("writer 1 saw"))
        .expect("released at three accounts")
        .clone();
    let question = "Which queue grew first?".to_owned();
    let q = api.post(
        &format!(
            "/reviews/{review}/accounts/{}/questions",
            target["id"].as_str().unwrap()
        ),
        &json!({ "text": question }),
    );
    assert_eq!(q.status, 201, "{}", q.text);
    Live {
        team,
        round,
        people,
        kept_token,
        review,
        receipt: receipts[1].clone(),
        question,
    }
}

/// A SQLite instance with the demo, the attacker's scenario (closed) and the live round and
/// review; returns the running app, the admin's API token and what to check later.
fn filled_sqlite_instance() -> (TestApp, String, Scenario, Live) {
    let app = TestApp::spawn_sqlite();
    app.admin();
    let token = app.token_for(ADMIN_EMAIL);
    let api = app.api(&token);
    {
        let settings = candor::config::Settings::for_database(app.url.clone(), app.dir.clone());
        let state = candor::build_state(settings).unwrap();
        candor::demo::fill(&state, 12).unwrap();
    }
    let s = scenario(&app, &api, true);
    let l = live(&app, &api);
    (app, token, s, l)
}

/// Everything that must hold on the moved instance, as seen over HTTP.
fn check_moved(app: &TestApp, token: &str, before: &Observed, s: &Scenario, l: &Live) {
    let api = app.api(token);
    // The admin's API token from before the move still works, and every figure is the same.
    let after = observe(&api, l);
    for (id, r) in &before.results {
        assert_eq!(after.results.get(id), Some(r), "results of round {id}");
    }
    assert_eq!(after.results.len(), before.results.len());
    assert_eq!(after.trends, before.trends, "trends");
    assert_eq!(after.heatmap, before.heatmap, "heat map");
    assert_eq!(after.export, before.export, "CSV export");
    assert_eq!(
        after.accounts, before.accounts,
        "the open review's accounts"
    );
    // The open round goes on: a member who took a token is refused a second one...
    let again = member_token(app, "rounds", &l.round.id, &l.people[0].1, &l.round.key);
    assert_eq!(again.expect_err("second token refused").status, 409);
    // ...the token taken before the move is spent after it...
    let res = app.anon_api().post(
        &format!("/rounds/{}/answers", l.round.id),
        &json!({ "token": l.kept_token, "answers": answers(&l.round, [6; 7], Some(9)) }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    // ...spent once only...
    let res = app.anon_api().post(
        &format!("/rounds/{}/answers", l.round.id),
        &json!({ "token": l.kept_token, "answers": answers(&l.round, [6; 7], Some(9)) }),
    );
    assert_eq!(res.status, 409, "{}", res.text);
    // ...and someone new can still answer.
    let res = submit(
        app,
        &l.round,
        &l.people[4].1,
        answers(&l.round, [2; 7], Some(3)),
        None,
    );
    assert_eq!(res.status, 201, "{}", res.text);
    // A receipt from before the move reads its follow-up.
    let mine = app
        .anon_api()
        .post("/followups", &json!({ "receipt": l.receipt }));
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json()["followups"][0]["question"], l.question);
    // Close what is open, as the attacker's dump checks expect, and read the round's result:
    // the three answers from before the move and the two after.
    let closed = api.post(&format!("/rounds/{}/close", l.round.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    let results = api.get(&format!("/rounds/{}/results", l.round.id)).json();
    assert_eq!(results["answered"], 5, "{results}");
    assert_eq!(results["status"], "shown", "{results}");
    let closed = api.post(&format!("/reviews/{}/close", l.review), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    let trend = api.get(&format!("/teams/{}/trend", l.team)).json();
    assert_eq!(trend.as_array().unwrap().len(), 1, "{trend}");
    a_dump_links_nobody(app, s);
}

/// Runs the real `candor` command on the instance at `db`.
fn candor(db: &DbUrl, args: &[&str]) -> std::process::Output {
    let url = match db {
        DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        DbUrl::Postgres(u) => u.clone(),
    };
    Command::new(env!("CARGO_BIN_EXE_candor"))
        .env_remove("CANDOR_SECRET")
        .env_remove("CANDOR_COPY_TO")
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap()
}

fn copy_cli(source: &DbUrl, to: &str) -> std::process::Output {
    let url = match source {
        DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        DbUrl::Postgres(u) => u.clone(),
    };
    // The target through the environment, as the docs advise: no password in `ps`.
    Command::new(env!("CARGO_BIN_EXE_candor"))
        .env_remove("CANDOR_SECRET")
        .env("DATABASE_URL", url)
        .env("CANDOR_COPY_TO", to)
        .arg("copy")
        .output()
        .unwrap()
}

/// Issue 18's whole path: SQLite instance, stopped, copied by the real command, Candor on
/// PostgreSQL, everything checked. The command's output names no member and no answer.
#[test]
fn a_stopped_sqlite_instance_copied_to_postgres_goes_on_as_if_nothing_moved() {
    let Some(admin) = postgres_or_skip("copy") else {
        return;
    };
    let (app, token, s, l) = filled_sqlite_instance();
    let before = observe(&app.api(&token), &l);
    // What the copy's output must never hold: labels, invite links, words people wrote.
    let mut secrets: Vec<String> = vec![];
    for (label, invite) in &l.people {
        secrets.push(label.clone());
        secrets.push(invite.clone());
    }
    secrets.extend([
        "mark0".to_owned(),
        "saw the queue".to_owned(),
        l.receipt.clone(),
    ]);
    let (source, dir) = app.stop();
    let _dir = Dir(dir);
    let target = PgDatabase::new(&admin);
    let out = copy_cli(&source, &target.url);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "copy failed: {stdout}\n{stderr}");
    assert!(
        stdout.contains("Candor was stopped"),
        "says which mode: {stdout}"
    );
    assert!(stdout.contains("every row count and checksum matches"));
    assert!(
        stdout.contains("responses") && stdout.contains("issuances"),
        "{stdout}"
    );
    assert!(
        stdout.contains("was copied with it"),
        "the secret: {stdout}"
    );
    for v in &secrets {
        assert!(
            !stdout.contains(v.as_str()) && !stderr.contains(v.as_str()),
            "the copy's output holds {v:?}"
        );
    }
    // Every copied row of a table carries one xmin: nothing orders rows by transaction.
    let mut conn = target.conn();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for t in [
        "responses",
        "issuances",
        "spent_tokens",
        "accounts",
        "members",
    ] {
        let n: N = diesel::sql_query(format!("SELECT count(DISTINCT xmin::text) AS n FROM {t}"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(n.n, 1, "{t}: rows from one transaction");
    }
    drop(conn);
    let moved = TestApp::start_on(
        DbUrl::Postgres(target.url.clone()),
        empty_dir(),
        None,
        |_| {},
    );
    check_moved(&moved, &token, &before, &s, &l);
    drop(moved);
}

/// A copy into a database that holds anything is refused, and writes nothing: neither into
/// a database that already holds an instance nor into one holding someone else's table.
#[test]
fn a_copy_into_a_database_that_is_not_empty_is_refused_with_nothing_written() {
    let Some(admin) = postgres_or_skip("copy refusal") else {
        return;
    };
    let app = TestApp::spawn_sqlite();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    team_with(&api, "Small", 3, &["a", "b", "c"]);
    // Someone else's table with a row: refused, and no Candor table appears.
    let other = PgDatabase::new(&admin);
    other
        .conn()
        .batch_execute("CREATE TABLE ledger (id INTEGER); INSERT INTO ledger VALUES (1);")
        .unwrap();
    let out = copy_cli(&app.url, &other.url);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not empty") && err.contains("ledger") && err.contains("Nothing was written"),
        "{err}"
    );
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .load(&mut other.conn())
    .unwrap();
    assert_eq!(
        tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["ledger"]
    );
    // A database that already holds an instance (this one, copied while it runs: the
    // snapshot path) is refused the second time, and keeps exactly what it had.
    let target = PgDatabase::new(&admin);
    let first = copy_cli(&app.url, &target.url);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{stdout}");
    assert!(
        stdout.contains("Candor is running") && stdout.contains("snapshot"),
        "says which mode: {stdout}"
    );
    let count = |db: &PgDatabase| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM teams) \
             + (SELECT count(*) FROM instance_settings) + (SELECT count(*) FROM audit_log) AS n",
        )
        .get_result::<N>(&mut db.conn())
        .unwrap()
        .n
    };
    let had = count(&target);
    team_with(&api, "Later", 3, &["d", "e", "f"]);
    let second = copy_cli(&app.url, &target.url);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("refused"));
    assert_eq!(count(&target), had, "nothing written by the refused copy");
}

/// `candor backup` refuses while a round is open unless told, says why, and writes nothing;
/// with `--during-open-rounds`, taken while answers are arriving, it restores (into an
/// empty data directory only) to an instance that passes every check a copied one does, and
/// whose open round is consistent: whoever the backup records as issued is refused a second
/// token, everyone else can still answer, and no answer exists without its issuance.
#[test]
fn a_backup_taken_while_answers_arrive_restores_to_an_instance_that_goes_on() {
    let (app, token, s, l) = filled_sqlite_instance();
    let api = app.api(&token);
    let before = observe(&api, &l);
    let dir = Dir(empty_dir());
    let file = dir.0.join("candor-backup.db");
    let file_arg = file.to_string_lossy().into_owned();

    let refused = candor(&app.url, &["backup", "--to", &file_arg]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("who has taken a token") && why.contains("--during-open-rounds"),
        "{why}"
    );
    assert!(!file.exists(), "a refused backup writes no file");

    let names: Vec<String> = (0..30).map(|i| format!("busy{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (busy_team, busy) = team_with(&api, "Busy", 3, &refs);
    let busy_round = open_round(&api, &busy_team);
    let (tx, rx) = std::sync::mpsc::channel();
    let taken = std::thread::scope(|sc| {
        let writer = sc.spawn(|| {
            for (i, (_, invite)) in busy.iter().take(20).enumerate() {
                let res = submit(
                    &app,
                    &busy_round,
                    invite,
                    answers(&busy_round, [1 + (i as i64 % 7); 7], Some(5)),
                    None,
                );
                assert_eq!(res.status, 201, "{}", res.text);
                if i == 4 {
                    tx.send(()).unwrap();
                }
            }
        });
        rx.recv().unwrap();
        let out = candor(
            &app.url,
            &["backup", "--to", &file_arg, "--during-open-rounds"],
        );
        writer.join().unwrap();
        out
    });
    let said = String::from_utf8_lossy(&taken.stdout);
    assert!(
        taken.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(said.contains("open round"), "warns what it holds: {said}");
    let same = candor(
        &app.url,
        &["backup", "--to", &file_arg, "--during-open-rounds"],
    );
    assert!(!same.status.success(), "never overwrites a backup");
    drop(app);

    let restored_dir = empty_dir();
    let db = DbUrl::Sqlite(
        restored_dir
            .join("candor.db")
            .to_string_lossy()
            .into_owned(),
    );
    let out = candor(&db, &["restore", "--from", &file_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = candor(&db, &["restore", "--from", &file_arg]);
    assert!(
        !again.status.success(),
        "restores only into an empty directory"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty data directory"));

    let restored = TestApp::start_on(db, restored_dir, None, |_| {});
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        member_id: String,
    }
    let (issued, stored) = {
        let mut conn = restored.db.get_write().unwrap();
        let issued: Vec<Id> = diesel::sql_query(format!(
            "SELECT member_id FROM issuances WHERE scope_id = '{}'",
            busy_round.id
        ))
        .load(&mut *conn)
        .unwrap();
        use candor::db::schema::responses;
        let stored: i64 = responses::table
            .filter(responses::round_id.eq(&busy_round.id))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        (issued, stored)
    };
    assert!(issued.len() >= 5, "the backup came after five answers");
    assert!(
        stored as usize <= issued.len(),
        "no answer without its issuance: {stored} answers, {} issued",
        issued.len()
    );
    let issued_labels: Vec<String> = {
        let roster = api_of(&restored, &token)
            .get(&format!("/teams/{busy_team}/invites"))
            .json();
        roster
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                issued
                    .iter()
                    .any(|i| m["member_id"] == i.member_id.as_str())
            })
            .map(|m| m["label"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(issued_labels.len(), issued.len());
    let mut after = 0;
    for (label, invite) in &busy {
        if issued_labels.contains(label) {
            let again = member_token(&restored, "rounds", &busy_round.id, invite, &busy_round.key);
            assert_eq!(again.expect_err("issued before the backup").status, 409);
        } else {
            let res = submit(
                &restored,
                &busy_round,
                invite,
                answers(&busy_round, [4; 7], Some(7)),
                None,
            );
            assert_eq!(res.status, 201, "{}", res.text);
            after += 1;
        }
    }
    let rapi = api_of(&restored, &token);
    let closed = rapi.post(&format!("/rounds/{}/close", busy_round.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    let results = rapi
        .get(&format!("/rounds/{}/results", busy_round.id))
        .json();
    assert_eq!(results["answered"], stored + after, "{results}");
    check_moved(&restored, &token, &before, &s, &l);
}

fn api_of(app: &TestApp, token: &str) -> Api {
    app.api(token)
}

/// The server's own log is a log too: a role that cannot turn statement logging off for its
/// transaction is refused before anything is written, and told which setting to change.
#[test]
fn a_copy_refuses_a_server_that_would_log_every_copied_value() {
    let Some(admin) = postgres_or_skip("copy log refusal") else {
        return;
    };
    let app = TestApp::spawn_sqlite();
    app.admin();
    let target = PgDatabase::new(&admin);
    let role = format!("{}_r", target.name);
    let mut su = PgConnection::establish(&admin).unwrap();
    su.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN; ALTER DATABASE {db} OWNER TO {role}; \
         ALTER ROLE {role} SET log_statement = 'all';",
        db = target.name
    ))
    .unwrap();
    /// The role owns the database: both go, the database first, whatever the test did.
    struct DropRole(String, String, String);
    impl Drop for DropRole {
        fn drop(&mut self) {
            if let Ok(mut c) = PgConnection::establish(&self.0) {
                // Two statements: DROP DATABASE refuses to run inside the implicit
                // transaction of a multi-statement string.
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.2));
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.1));
            }
        }
    }
    let _role = DropRole(admin.clone(), role.clone(), target.name.clone());
    let (prefix, _) = target.url.rsplit_once('@').unwrap();
    let (scheme, _) = prefix.split_once("//").unwrap();
    let as_role = format!(
        "{scheme}//{role}@{}",
        target.url.rsplit_once('@').unwrap().1
    );
    let out = copy_cli(&app.url, &as_role);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("log_statement = all") && err.contains("Nothing was written"),
        "{err}"
    );
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let tables: N = diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .get_result(&mut target.conn())
    .unwrap();
    assert_eq!(tables.n, 0, "no table was created");
}

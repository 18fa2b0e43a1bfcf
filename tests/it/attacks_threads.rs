//! The attacker suite for comment conversations (issue 16; THREAT-MODEL G1, G8, G15):
//! with the whole database (every table, system columns, the raw files after the scrub) an
//! operator finds no join from a comment's receipt hash, its thread or a reply to a member,
//! a token, an invite link or a time; receipts cannot be guessed, and a wrong one tells
//! nothing. (The logs: every route of the member table, `/p/comments` and
//! `/api/v1/comments/*` included, is attacked by `routing::every_member_route_writes_no_log_line`.)

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::attacks::{dump_table, tables};
use crate::attacks_scrub::{count, raw_bytes, scrub_until_done};
use crate::support::*;
use crate::threads::{admin_api, results};

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Text)]
    v: String,
}

fn column(app: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = app.db.get_write().unwrap();
    diesel::sql_query(sql)
        .load::<Cell>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|c| c.v)
        .collect()
}

const WRITERS: usize = 20;

/// Spearman's rank correlation between the order rows were submitted in and the order they
/// are found in; a kept order scores 1. With 20 rows a shuffle passes 0.8 with probability
/// well under 1e-4.
fn rho(found: &[usize]) -> f64 {
    let n = found.len() as f64;
    let d2: f64 = found
        .iter()
        .enumerate()
        .map(|(rank, i)| (rank as f64 - *i as f64).powi(2))
        .sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

/// G1, G8: a round where twenty members comment in a known order (with pauses on the app's
/// clock), leaders reply and writers answer; then, from the dump alone, nothing joins a
/// receipt hash, a thread or a reply to anyone, and nothing orders or times them.
#[test]
fn g1_g8_no_table_joins_a_comment_receipt_or_reply_to_a_member_token_link_or_time() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let people: Vec<String> = (0..WRITERS).map(|i| format!("Writer-{i:02}")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let (team, invites) = team_with(&api, "Delta", 3, &refs);
    let r = open_round(&api, &team);
    let mut receipts = vec![];
    let mut tokens = vec![];
    for (i, (_, invite)) in invites.iter().enumerate() {
        let token = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
        let res = app.anon_api().post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": token, "answers": answers(&r, [4; 7], Some(7)), "comment": format!("tmark{i:02}q") }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        receipts.push(res.json()["comment_receipt"].as_str().unwrap().to_owned());
        tokens.push(token);
        if i % 5 == 4 {
            app.clock.advance(time::Duration::hours(3));
        }
    }
    // What only exists while the round is open: the answers' locators, the threads' hashed
    // locators and their first ids. None may outlive the close.
    let open_locators = column(
        &app,
        &format!("SELECT id AS v FROM responses WHERE round_id = '{}'", r.id),
    );
    let open_thread_locators = column(
        &app,
        &format!(
            "SELECT locator AS v FROM comment_threads WHERE round_id = '{}'",
            r.id
        ),
    );
    let open_thread_ids = column(
        &app,
        &format!(
            "SELECT id AS v FROM comment_threads WHERE round_id = '{}'",
            r.id
        ),
    );
    assert_eq!(open_thread_locators.len(), WRITERS);
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );

    // Leaders reply to some comments; some writers answer, in a known order.
    let res = results(&api, &r);
    for t in res["comment_threads"].as_array().unwrap().iter().take(6) {
        let reply = api.post(
            &format!(
                "/rounds/{}/comments/{}/replies",
                r.id,
                t["id"].as_str().unwrap()
            ),
            &json!({ "text": "A leader's reply" }),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    for (k, rc) in receipts.iter().enumerate().take(8) {
        let a = app.anon_api().post(
            "/comments/reply",
            &json!({ "receipt": rc, "text": format!("wmark{k:02}z") }),
        );
        assert_eq!(a.status, 201, "{}", a.text);
        app.clock.advance(time::Duration::hours(1));
    }

    // Everything that names or could point at a person, a token or a link.
    let mut linking: BTreeSet<String> = BTreeSet::new();
    for row in dump_table(&app, "members") {
        linking.extend(
            row.into_iter()
                .enumerate()
                .filter(|(i, v)| *i != 1 && v.len() >= 8)
                .map(|(_, v)| v),
        );
    }
    for (label, invite) in &invites {
        linking.insert(label.clone());
        linking.insert(invite.clone());
    }
    for t in &tokens {
        for f in ["message", "randomizer", "signature"] {
            linking.insert(t[f].as_str().unwrap().to_owned());
        }
    }
    linking.extend(open_locators.iter().cloned());
    linking.extend(open_thread_locators.iter().cloned());
    linking.extend(open_thread_ids.iter().cloned());
    for row in dump_table(&app, "spent_tokens") {
        linking.extend(row.into_iter().filter(|v| v.len() >= 16));
    }
    // The round and its team are named on purpose: a thread says which round it is in.
    linking.remove(&r.id);
    linking.remove(&team);
    let hashes: BTreeSet<String> = column(&app, "SELECT receipt_hash AS v FROM comment_threads")
        .into_iter()
        .collect();
    assert_eq!(hashes.len(), WRITERS);

    for t in tables(&app) {
        for row in dump_table(&app, &t) {
            for v in &row {
                // The receipts themselves are stored nowhere, in no table.
                for rc in &receipts {
                    assert!(!v.contains(rc.as_str()), "{t} holds a receipt");
                }
                // A receipt's hash lives in its thread's row and nowhere else: no table
                // joins it to anything.
                if t != "comment_threads" {
                    for h in &hashes {
                        assert!(!v.contains(h.as_str()), "{t} holds a comment receipt hash");
                    }
                }
                if t == "comment_threads" || t == "comment_replies" {
                    for p in &linking {
                        assert!(
                            !(p.len() >= 8 && v.contains(p.as_str())),
                            "{t} holds {p:?}, a value of a member, a token or the open round"
                        );
                    }
                }
            }
        }
    }
    // No locator survives the close; replies of writers carry no day at all.
    assert!(column(
        &app,
        "SELECT locator AS v FROM comment_threads WHERE locator IS NOT NULL"
    )
    .is_empty());
    let writer_days = column(
        &app,
        "SELECT CAST(written_on AS TEXT) AS v FROM comment_replies WHERE author = 'writer' AND written_on IS NOT NULL",
    );
    assert!(writer_days.is_empty(), "a writer's reply carries a day");
    // No column that could time or order a thread; replies keep only the day of staff ones.
    for t in ["comment_threads", "comment_replies"] {
        let cols: Vec<(String, String)> = if app.is_postgres() {
            column(&app, &format!("SELECT column_name::text || ':' || data_type::text AS v FROM information_schema.columns WHERE table_name = '{t}'"))
        } else {
            column(&app, &format!("SELECT name || ':' || type AS v FROM pragma_table_info('{t}')"))
        }
        .into_iter()
        .map(|c| {
            let (n, ty) = c.split_once(':').unwrap();
            (n.to_owned(), ty.to_lowercase())
        })
        .collect();
        for (name, ty) in cols {
            assert!(
                !ty.contains("serial") && !ty.contains("time"),
                "{t}.{name} is {ty}"
            );
            if ty.contains("date") {
                assert_eq!((t, name.as_str()), ("comment_replies", "written_on"));
            }
        }
        if !app.is_postgres() {
            let mut conn = app.db.get_write().unwrap();
            assert!(
                diesel::sql_query(format!("SELECT rowid AS v FROM {t}"))
                    .load::<Cell>(&mut *conn)
                    .is_err(),
                "{t} must be WITHOUT ROWID"
            );
        }
    }
    // Thread rows: fresh ids, in no telling order.
    let threads = dump_table(&app, "comment_threads");
    assert!(threads.iter().all(|row| !open_thread_ids.contains(&row[0])));
    let found: Vec<usize> = threads
        .iter()
        .filter_map(|row| {
            row.iter()
                .find_map(|v| v.strip_prefix("tmark"))
                .and_then(|m| m[..2].parse().ok())
        })
        .collect();
    assert_eq!(found.len(), WRITERS);
    assert!(
        rho(&found) < 0.8,
        "thread rows keep the comment order: {found:?}"
    );
    let answered: Vec<usize> = dump_table(&app, "comment_replies")
        .iter()
        .filter_map(|row| {
            row.iter()
                .find_map(|v| v.strip_prefix("wmark"))
                .and_then(|m| m[..2].parse().ok())
        })
        .collect();
    assert_eq!(answered.len(), 8);
    if app.is_postgres() {
        // One transaction wrote every thread (the close, with the responses), and one every
        // reply (the last answer rewrote them all): xmin orders nothing.
        let x = column(
            &app,
            &format!(
                "SELECT DISTINCT xmin::text AS v FROM comment_threads WHERE round_id = '{}'",
                r.id
            ),
        );
        assert_eq!(x.len(), 1, "threads carry one xmin");
        let rx = column(
            &app,
            &format!(
                "SELECT DISTINCT xmin::text AS v FROM responses WHERE round_id = '{}'",
                r.id
            ),
        );
        assert_eq!(
            x, rx,
            "threads were written by the close, with the responses"
        );
        let y = column(&app, "SELECT DISTINCT xmin::text AS v FROM comment_replies");
        assert_eq!(y.len(), 1, "replies carry one xmin");
    } else {
        // Without xmin, the physical order is all there is: replies in random order too.
        assert!(rho(&answered) < 0.95 || answered.len() < 3, "{answered:?}");
    }
    // After the scrub no old image holds an open-round value (a locator, a first thread id).
    let done = scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    let raw = raw_bytes(&app);
    assert!(
        count(&raw, b"tmark00q") > 0,
        "the scan reads the stored comments"
    );
    for v in open_thread_locators
        .iter()
        .chain(&open_thread_ids)
        .chain(&open_locators)
    {
        assert_eq!(count(&raw, v.as_bytes()), 0, "{v} survived the close");
    }
}

/// G8: every wrong receipt (almost right, malformed, empty, huge, a review's) gets the same
/// answer, byte for byte, on the API and on the page; they spend the one instance budget that
/// review receipts spend too, and while it is spent even a right receipt waits.
#[test]
fn g8_wrong_comment_receipts_reveal_nothing_and_share_the_instance_throttle() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, invites) = team_with(&api, "Echo", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let res = submit(
        &app,
        &r,
        &invites[0].1,
        answers(&r, [4; 7], None),
        Some("words"),
    );
    let good = res.json()["comment_receipt"].as_str().unwrap().to_owned();
    let mut almost: Vec<char> = good.chars().collect();
    almost[0] = if almost[0] == 'A' { 'B' } else { 'A' };
    let almost: String = almost.into_iter().collect();
    let anon = app.anon_api();
    let inputs = [
        almost.clone(),
        "not a receipt".into(),
        String::new(),
        "Z".repeat(500),
        format!("{good}0"),
    ];
    let answers: Vec<Reply> = inputs
        .iter()
        .map(|i| anon.post("/comments/thread", &json!({ "receipt": i })))
        .collect();
    for a in &answers {
        assert_problem(a, 403);
        assert_eq!(
            a.text, answers[0].text,
            "the same answer whatever was typed"
        );
        assert!(!a.text.contains("words"));
    }
    let reply = anon.post(
        "/comments/reply",
        &json!({ "receipt": almost, "text": "x" }),
    );
    assert_problem(&reply, 403);
    assert_eq!(reply.text, answers[0].text);
    // A comment receipt opens no review account, and is counted there as a wrong one.
    assert_problem(&anon.post("/followups", &json!({ "receipt": good })), 403);
    // The page answers the same way whatever was typed, never echoing it.
    let b = app.browser();
    let p1 = b.post_form("/p/comments", &[("receipt", &almost)]);
    let p2 = b.post_form("/p/comments", &[("receipt", "xyz")]);
    assert_eq!(p1.status(), 403);
    assert_eq!(p1.text().unwrap(), p2.text().unwrap());
    // One budget for the instance, across review and comment receipts.
    // The inputs, the reply, the review endpoint and the two pages.
    let used = inputs.len() + 1 + 1 + 2;
    let budget = candor::receipt::WRONG_RECEIPT_BUDGET as usize;
    for i in used..budget {
        let path = if i % 2 == 0 {
            "/comments/thread"
        } else {
            "/followups"
        };
        assert_problem(&anon.post(path, &json!({ "receipt": almost })), 403);
    }
    let locked = anon.post("/comments/thread", &json!({ "receipt": almost }));
    assert_problem(&locked, 429);
    assert!(locked.headers.get("retry-after").is_some());
    assert_problem(&anon.post("/followups", &json!({ "receipt": almost })), 429);
    // Even the right receipt waits while the budget is spent: guesses cannot go on.
    assert_problem(
        &anon.post("/comments/thread", &json!({ "receipt": good })),
        429,
    );
    assert_eq!(
        b.post_form("/p/comments", &[("receipt", &good)]).status(),
        429
    );
    app.clock.advance(time::Duration::seconds(61));
    let mine = anon.post("/comments/thread", &json!({ "receipt": good }));
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json()["comment"]["text"], "words");
}

/// G6 through a conversation: what a leader sees of a thread (the results, the page) carries
/// no day for the writer's words and nothing of who wrote them; the same leader sees the
/// same shape for every thread.
#[test]
fn g6_a_leader_s_view_of_a_conversation_carries_no_writer_day_or_name() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, invites) = team_with(&api, "Fox", 3, &["Gus One", "Hal Two", "Ivy Three"]);
    let r = open_round(&api, &team);
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().enumerate() {
        let res = submit(
            &app,
            &r,
            inv,
            answers(&r, [4; 7], None),
            Some(&format!("c{i}")),
        );
        receipts.push(res.json()["comment_receipt"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    for rc in &receipts {
        let a = app.anon_api().post(
            "/comments/reply",
            &json!({ "receipt": rc, "text": "more words" }),
        );
        assert_eq!(a.status, 201);
    }
    let res = results(&api, &r);
    for t in res["comment_threads"].as_array().unwrap() {
        let reply = &t["replies"][0];
        assert_eq!(
            reply.as_object().unwrap().len(),
            2,
            "from and text only: {reply}"
        );
        assert_eq!(reply["from"], "writer");
    }
    let page = app
        .admin_browser()
        .get(&format!("/rounds/{}", r.id))
        .text()
        .unwrap();
    for (label, _) in &invites {
        assert!(
            !page.contains(label.as_str()),
            "the results page names {label}"
        );
    }
    let today = app.clock.today().to_string();
    let section = &page[page.find("Conversations on comments").unwrap()..];
    assert!(!section.contains(&today), "a writer's answer shows a day");
}

//! A crash under load: the real `candor` binary is killed with SIGKILL while members answer
//! and replace answers concurrently, then started again on the same database. Every
//! acknowledged answer must be stored exactly once, every acknowledged replacement must be
//! the stored answer (or a later one that was in flight when the process died), and no
//! half-written record may exist: no spent token without its answer, no answer without its
//! spent token, no answer whose parts disagree.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};

use crate::support::*;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    v: String,
}

fn rows(db: &candor::db::Db, sql: &str) -> Vec<String> {
    let mut conn = db.get_write().unwrap();
    diesel::sql_query(sql)
        .load::<Row>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|r| r.v)
        .collect()
}

fn start(bin: &str, db_url: &str, port: u16) -> Child {
    Command::new(bin)
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("CANDOR_BIND", format!("127.0.0.1:{port}"))
        .env("CANDOR_BASE_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the server answers (a readiness poll, bounded; no timing is asserted).
fn wait_ready(base: &str) {
    let c = reqwest::blocking::Client::new();
    for _ in 0..300 {
        if c.get(format!("{base}/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the server did not start");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What one member's client saw: the versions acknowledged, and the one in flight when the
/// server died (sent, no answer).
#[derive(Default, Clone, Debug)]
struct Seen {
    acked: Vec<i64>,
    in_flight: Option<i64>,
}

/// The answers of version `v`: every item and the comment say the same version, so a record
/// whose parts come from two writes shows.
fn body(r: &Round, token: &Value, member: usize, v: i64, replace: bool) -> Value {
    let value = 1 + v % 7;
    json!({
        "token": token,
        "answers": answers(r, [value; 7], Some(value)),
        "comment": format!("member-{member}-version-{v}"),
        "replace": replace,
    })
}

#[test]
fn sigkill_under_concurrent_answers_and_replacements_loses_no_acknowledged_write() {
    let prepared = crate::binary::Prepared::new();
    let (bin, db_url, url) = (crate::binary::BIN, &prepared.db_url, &prepared.url);
    let token = prepared.token.clone();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(bin, db_url, port);
    wait_ready(&base);
    let client = reqwest::blocking::Client::new();
    let api = Api {
        base: format!("{base}/api/v1"),
        token: Some(token.clone()),
        client: client.clone(),
    };
    let anon = Api {
        base: format!("{base}/api/v1"),
        token: None,
        client: client.clone(),
    };
    const MEMBERS: usize = 16;
    let labels: Vec<String> = (0..MEMBERS).map(|i| format!("member{i}")).collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Crash", 3, &label_refs);
    let r = Arc::new(open_round(&api, &team));
    // Every member holds a token before the load starts.
    let key: candor::tokens::crypto::KeyJson = serde_json::from_value(r.key.clone()).unwrap();
    let tokens: Vec<Value> = people
        .iter()
        .map(|(_, invite)| {
            let req = candor::tokens::crypto::ClientRequest::new(&key, &key.fingerprint).unwrap();
            let res = anon.post(
                &format!("/rounds/{}/tokens", r.id),
                &json!({ "invite": invite, "blinded_message": req.blinded_message }),
            );
            assert_eq!(res.status, 200, "{}", res.text);
            let sig = res.json()["blind_signature"].as_str().unwrap().to_owned();
            serde_json::to_value(req.finalize(&sig).unwrap()).unwrap()
        })
        .collect();

    // Four clients, each answering for four members in turn and then replacing, version
    // after version, until the server dies under them.
    let seen = Arc::new(Mutex::new(vec![Seen::default(); MEMBERS]));
    let acks = Arc::new(AtomicUsize::new(0));
    let mut threads = vec![];
    for worker in 0..4 {
        let (r, seen, acks, tokens) = (r.clone(), seen.clone(), acks.clone(), tokens.clone());
        let base = base.clone();
        threads.push(std::thread::spawn(move || {
            let c = reqwest::blocking::Client::new();
            let mine: Vec<usize> = (0..MEMBERS).filter(|m| m % 4 == worker).collect();
            let mut version = 0i64;
            loop {
                for &m in &mine {
                    let url = format!("{base}/api/v1/rounds/{}/answers", r.id);
                    seen.lock().unwrap()[m].in_flight = Some(version);
                    let res = c
                        .post(&url)
                        .json(&body(&r, &tokens[m], m, version, version > 0))
                        .send();
                    match res {
                        Ok(res) if res.status() == 201 || res.status() == 200 => {
                            assert_eq!(
                                res.status() == 201,
                                version == 0,
                                "first answer 201, replacements 200"
                            );
                            let mut s = seen.lock().unwrap();
                            s[m].acked.push(version);
                            s[m].in_flight = None;
                            acks.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(res) => panic!("unexpected {}: {:?}", res.status(), res.text()),
                        // The server died: what was in flight may or may not have landed.
                        Err(_) => return,
                    }
                }
                version += 1;
            }
        }));
    }
    // Kill once the load is well under way: every member answered and some replaced.
    // (A client that failed stops the wait: joining it below reports why.)
    while (acks.load(Ordering::SeqCst) < MEMBERS * 3
        || seen.lock().unwrap().iter().any(|s| s.acked.is_empty()))
        && !threads.iter().any(|t| t.is_finished())
    {
        std::thread::yield_now();
    }
    child.kill().unwrap(); // SIGKILL on Unix: no shutdown, no flush
    child.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    // The clients never pause, so the kill caught writes in flight: the test is not vacuous.
    assert!(seen.iter().any(|s| s.in_flight.is_some()), "{seen:?}");

    let mut child = start(bin, db_url, port);
    wait_ready(&base);
    let db = candor::db::Db::connect(url, 1).unwrap();
    let responses = rows(
        &db,
        &format!(
            "SELECT comment AS v FROM responses WHERE round_id = '{}'",
            r.id
        ),
    );
    let answers_json = rows(
        &db,
        &format!(
            "SELECT answers || '|' || comment AS v FROM responses WHERE round_id = '{}'",
            r.id
        ),
    );
    let spent = rows(
        &db,
        &format!(
            "SELECT token_hash AS v FROM spent_tokens WHERE scope_id = '{}'",
            r.id
        ),
    );
    // No half-written record: one answer per spent token, and the reverse.
    assert_eq!(
        responses.len(),
        spent.len(),
        "answers and spent tokens disagree"
    );
    let mut stored: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for c in &responses {
        let rest = c.strip_prefix("member-").unwrap();
        let (m, v) = rest.split_once("-version-").unwrap();
        stored
            .entry(m.parse().unwrap())
            .or_default()
            .push(v.parse().unwrap());
    }
    // No record torn between two writes: every item holds the value of its comment's version.
    for a in &answers_json {
        let (json_part, comment) = a.rsplit_once('|').unwrap();
        let v: i64 = comment.rsplit_once("-version-").unwrap().1.parse().unwrap();
        let parsed: Vec<Value> = serde_json::from_str(json_part).unwrap();
        assert_eq!(parsed.len(), 8);
        assert!(parsed.iter().all(|x| x["value"] == 1 + v % 7), "{a}");
    }
    for (m, s) in seen.iter().enumerate() {
        let got = stored.get(&m).cloned().unwrap_or_default();
        match (s.acked.last(), s.in_flight) {
            (Some(&last), in_flight) => {
                assert_eq!(
                    got.len(),
                    1,
                    "member {m}: an acknowledged answer stored {} times",
                    got.len()
                );
                assert!(got[0] == last || Some(got[0]) == in_flight,
                    "member {m}: stored version {} but acknowledged {last} (in flight {in_flight:?})", got[0]);
            }
            (None, Some(v)) => assert!(got.is_empty() || got == [v], "member {m}: {got:?}"),
            (None, None) => assert!(got.is_empty(), "member {m}: never sent, stored {got:?}"),
        }
    }
    assert!(
        seen.iter().all(|s| !s.acked.is_empty()),
        "every member was acknowledged before the kill"
    );

    // The restarted process carries on: replacing works, the close counts each token once.
    let c = reqwest::blocking::Client::new();
    let res = c
        .post(format!("{base}/api/v1/rounds/{}/answers", r.id))
        .json(&body(&r, &tokens[0], 0, 999, true))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let closed = api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    let b = anon.get(&format!("/rounds/{}/bulletin", r.id)).json();
    assert_eq!(b["counted"], MEMBERS);
    assert_eq!(b["answered"], MEMBERS);

    child.kill().unwrap();
    child.wait().unwrap();
    drop(db);
}

//! G16 and G17 under attack: the operator at rest holds the database after close (every
//! table, every raw byte) and the published bulletin, and a record of what each member sent
//! at issuance. They must find no link from a bulletin entry to a member, and no trace of an
//! answer that was replaced or of the locator that found it while the round was open.

use serde_json::{json, Value};

use crate::attacks::{dump_table, tables};
use crate::attacks_scrub::{count, raw_bytes, scrub_until_done, text};
use crate::support::*;
use crate::verify::{admin_api, answer_with, entry_of};

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A member's token, keeping what the server saw at issuance (the blinded message).
fn token_seen(app: &TestApp, r: &Round, invite: &str) -> (Value, String) {
    let key: candor::tokens::crypto::KeyJson = serde_json::from_value(r.key.clone()).unwrap();
    let req = candor::tokens::crypto::ClientRequest::new(&key, &key.fingerprint).unwrap();
    let res = app.anon_api().post(
        &format!("/rounds/{}/tokens", r.id),
        &json!({ "invite": invite, "blinded_message": req.blinded_message }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let blinded = req.blinded_message.clone();
    let t = req
        .finalize(res.json()["blind_signature"].as_str().unwrap())
        .unwrap();
    (serde_json::to_value(t).unwrap(), blinded)
}

#[test]
fn g16_no_bulletin_entry_links_to_a_member_in_the_dump_or_the_issuance_record() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let labels = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"];
    let (team, people) = team_with(&api, "Harbor", 3, &labels);
    let r = open_round(&api, &team);
    let member_ids = text(
        &app,
        &format!("SELECT id AS v FROM members WHERE team_id = '{team}'"),
    );
    assert_eq!(member_ids.len(), labels.len());
    // What an operator could record at issuance: member -> blinded message.
    let mut issued = vec![];
    for (i, (_, invite)) in people.iter().enumerate() {
        let (t, blinded) = token_seen(&app, &r, invite);
        assert_eq!(
            answer_with(&app, &r, &t, 1 + (i as i64 % 7), "", None).status,
            201
        );
        if i % 3 == 0 {
            // Some replace theirs: replacing must not make an entry stand out either.
            assert_eq!(answer_with(&app, &r, &t, 7, "", Some(true)).status, 200);
        }
        issued.push((blinded, entry_of(&t)));
    }
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let b = app
        .anon_api()
        .get(&format!("/rounds/{}/bulletin", r.id))
        .json();
    let entries: Vec<String> = b["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(entries.len(), labels.len());

    // Order: sorted by hash, so neither issuance nor submission order survives in it.
    let mut sorted = entries.clone();
    sorted.sort();
    assert_eq!(entries, sorted);

    // The issuance record: no entry is, contains, or hashes to what any member sent.
    for (blinded, _) in &issued {
        let raw = candor::secret::unb64(blinded).unwrap();
        for e in &entries {
            assert_ne!(*e, sha256_hex(&raw));
            assert_ne!(*e, sha256_hex(blinded.as_bytes()));
            assert!(!blinded.contains(&e[..16]));
        }
    }

    // The dump: an entry appears only as itself in the spent set, beside the round id and a
    // keyed hash, and nothing in the database names a member next to it or at all for this
    // round (no issuance row, no member id in any anonymous table).
    let round_entries: std::collections::BTreeSet<&str> =
        entries.iter().map(String::as_str).collect();
    for table in tables(&app) {
        for row in dump_table(&app, &table) {
            let holds: Vec<&String> = row
                .iter()
                .filter(|v| round_entries.iter().any(|e| v.contains(&e[..16])))
                .collect();
            if holds.is_empty() {
                continue;
            }
            assert_eq!(
                table, "spent_tokens",
                "a bulletin entry found in {table}: {row:?}"
            );
            assert_eq!(holds.len(), 1);
            assert!(
                row.iter()
                    .all(|v| !member_ids.iter().any(|m| v.contains(m.as_str()))),
                "{row:?}"
            );
            assert!(row.contains(&r.id), "{row:?}");
        }
    }
    assert!(text(
        &app,
        &format!(
            "SELECT member_id AS v FROM issuances WHERE scope_id = '{}'",
            r.id
        )
    )
    .is_empty());
    for table in ["spent_tokens", "responses"] {
        for row in dump_table(&app, table) {
            for m in &member_ids {
                assert!(
                    row.iter().all(|v| !v.contains(m.as_str())),
                    "{table}: {row:?}"
                );
            }
        }
    }
    // Every requester gets the same bulletin, byte for byte.
    let again = app.anon_api().get(&format!("/rounds/{}/bulletin", r.id));
    assert_eq!(again.json(), b);
}

#[test]
fn g17_after_close_no_trace_of_a_replaced_answer_or_of_the_locators_survives() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Quay", 3, &["a", "b", "c", "d"]);
    let r = open_round(&api, &team);
    let mut tokens = vec![];
    for (i, (_, invite)) in people.iter().enumerate() {
        let t = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
        let comment = format!("first words of member {i} zq{i}xv");
        assert_eq!(answer_with(&app, &r, &t, 3, &comment, None).status, 201);
        tokens.push(t);
    }
    let old = "OLD-ANSWER-wj4kq8-replaced-under-pressure";
    assert_eq!(
        answer_with(&app, &r, &tokens[1], 2, old, Some(true)).status,
        200
    );
    let new = "NEW-ANSWER-pt7hd2-the-one-that-counts";
    assert_eq!(
        answer_with(&app, &r, &tokens[1], 6, new, Some(true)).status,
        200
    );
    // While open, the answers sit under their tokens' locators.
    let locators = text(
        &app,
        &format!("SELECT id AS v FROM responses WHERE round_id = '{}'", r.id),
    );
    assert_eq!(locators.len(), 4);
    let comments = text(
        &app,
        &format!(
            "SELECT comment AS v FROM responses WHERE round_id = '{}'",
            r.id
        ),
    );
    assert!(comments.iter().any(|c| c == new) && !comments.iter().any(|c| c == old));
    // The attack can see a replaced answer while its old image exists (a WAL frame, a dead
    // tuple): what follows is not vacuous.
    assert!(
        count(&raw_bytes(&app), old.as_bytes()) > 0,
        "the old image is readable before close"
    );

    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let done = scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    let raw = raw_bytes(&app);
    assert!(
        count(&raw, new.as_bytes()) > 0,
        "the scan reads the stored answers"
    );
    assert_eq!(
        count(&raw, old.as_bytes()),
        0,
        "the replaced answer survived the close"
    );
    assert_eq!(count(&raw, "OLD-ANSWER-wj4kq8".as_bytes()), 0);
    for l in &locators {
        assert_eq!(count(&raw, l.as_bytes()), 0, "a locator survived the close");
    }
    let after = text(
        &app,
        &format!("SELECT id AS v FROM responses WHERE round_id = '{}'", r.id),
    );
    assert_eq!(after.len(), 4);
    assert!(after.iter().all(|id| !locators.contains(id)));
}

/// A snapshot taken before the close, on a table the scrub never locks, still sees the rows
/// the close deleted: PostgreSQL's `VACUUM FULL` would copy them into the new file as
/// "recently dead" and SQLite could not checkpoint past it. The scrub must say it is pending
/// until that snapshot ends, and then leave no locator and no replaced answer behind.
#[test]
fn g17_a_snapshot_older_than_the_close_keeps_the_scrub_pending_until_it_ends() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Pier", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let mut tokens = vec![];
    for (_, invite) in &people {
        let t = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
        assert_eq!(answer_with(&app, &r, &t, 3, "", None).status, 201);
        tokens.push(t);
    }
    let old = "OLD-ANSWER-hq2mz5-replaced";
    assert_eq!(
        answer_with(&app, &r, &tokens[0], 2, old, Some(true)).status,
        200
    );
    assert_eq!(
        answer_with(&app, &r, &tokens[0], 6, "", Some(true)).status,
        200
    );
    let locators = text(
        &app,
        &format!("SELECT id AS v FROM responses WHERE round_id = '{}'", r.id),
    );
    // The reader looks only at teams: nothing the scrub rewrites is locked by it. On
    // PostgreSQL it holds one snapshot for the whole transaction, as `pg_dump` does.
    const SQL: &str = "BEGIN; SELECT count(*) FROM teams;";
    const PG_SQL: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM teams;";
    enum Reader {
        Sqlite(diesel::SqliteConnection),
        Pg(diesel::PgConnection),
    }
    let mut reader = match &app.url {
        candor::db::DbUrl::Sqlite(path) => {
            let mut c = diesel::SqliteConnection::establish(path).unwrap();
            c.batch_execute(SQL).unwrap();
            Reader::Sqlite(c)
        }
        candor::db::DbUrl::Postgres(url) => {
            let mut c = diesel::PgConnection::establish(url).unwrap();
            c.batch_execute(PG_SQL).unwrap();
            Reader::Pg(c)
        }
    };
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let scrub = api.get("/instance").json()["scrub"].clone();
    assert_eq!(
        scrub["pending"], true,
        "a scrub that cannot remove the closed rows says so: {scrub}"
    );
    assert!(
        count(&raw_bytes(&app), locators[0].as_bytes()) > 0,
        "the attack sees the closed rows while pending"
    );
    match &mut reader {
        Reader::Sqlite(c) => c.batch_execute("COMMIT").unwrap(),
        Reader::Pg(c) => c.batch_execute("COMMIT").unwrap(),
    }
    let done = scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    let raw = raw_bytes(&app);
    assert_eq!(count(&raw, old.as_bytes()), 0);
    for l in &locators {
        assert_eq!(count(&raw, l.as_bytes()), 0, "a locator survived the scrub");
    }
}

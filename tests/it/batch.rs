//! Group commit of anonymous answers (`db::batch`, issue 13): answers sent at once share
//! transactions, and that must never change what each request is told or what is stored.
//! Attacked as a class: every kind of bad answer (a token spent twice in the same moment, a
//! forged signature, answers that do not fit the round) sent together with good ones fails
//! alone, every good one is stored exactly once, and a round closed by another process
//! refuses what that process's cache would still accept.

use std::sync::{Arc, Barrier};

use serde_json::{json, Value};

use crate::support::*;

fn counts(app: &TestApp, round: &str) -> (i64, i64) {
    let mut conn = app.db.get_write().unwrap();
    let id = candor::pulse::model::RoundId::from(round);
    (
        candor::pulse::store::count_responses(&mut conn, &id).unwrap(),
        candor::tokens::store::count_spent(&mut conn, &id.scope()).unwrap(),
    )
}

/// A member's token, issued and finalized before the load starts.
fn token_of(app: &TestApp, r: &Round, invite: &str) -> Value {
    member_token(app, "rounds", &r.id, invite, &r.key).expect("token issued")
}

#[test]
fn answers_sent_at_once_each_fail_or_land_alone_and_exactly_once() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let labels: Vec<String> = (0..24).map(|i| format!("person{i}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Batched", 3, &refs);
    let r = open_round(&api, &team);
    let tokens: Vec<Value> = people.iter().map(|(_, i)| token_of(&app, &r, i)).collect();
    let good = |t: &Value, v: i64| json!({ "token": t, "answers": answers(&r, [v; 7], Some(v)) });

    // (body, what it must get): kinds mixed so that bad ones land in batches with good ones.
    let mut sends: Vec<(Value, u16)> = vec![];
    for (i, t) in tokens.iter().enumerate().take(16) {
        sends.push((good(t, 1 + (i as i64) % 5), 0)); // 0: 201 or 409, checked per token
        if i % 2 == 0 {
            sends.push((good(t, 2), 0)); // the same token twice at once
        }
    }
    // A forged signature on a token nobody spent.
    let mut forged = tokens[16].clone();
    let sig = forged["signature"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    forged["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    sends.push((good(&forged, 3), 403));
    // Answers that do not fit the round: the token stays unspent (never burnt).
    sends.push((
        json!({ "token": tokens[17], "answers": answers(&r, [9; 7], Some(3)) }),
        422,
    ));
    // The rest answer well.
    for t in &tokens[18..] {
        sends.push((good(t, 4), 201));
    }

    let barrier = Arc::new(Barrier::new(sends.len()));
    let url = format!("{}/api/v1/rounds/{}/answers", app.base, r.id);
    let threads: Vec<_> = sends
        .into_iter()
        .map(|(body, want)| {
            let (barrier, url) = (barrier.clone(), url.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::new();
                barrier.wait();
                let res = c.post(&url).json(&body).send().unwrap();
                (
                    body["token"]["message"].clone(),
                    want,
                    res.status().as_u16(),
                )
            })
        })
        .collect();
    let results: Vec<(Value, u16, u16)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (_, want, got) in &results {
        if *want != 0 {
            assert_eq!(got, want, "{results:?}");
        }
    }
    // Each of the first sixteen tokens: exactly one 201, and any copy 409.
    for t in tokens.iter().take(16) {
        let got: Vec<u16> = results
            .iter()
            .filter(|(m, want, _)| *m == t["message"] && *want == 0)
            .map(|(_, _, s)| *s)
            .collect();
        assert_eq!(got.iter().filter(|s| **s == 201).count(), 1, "{got:?}");
        assert!(got.iter().all(|s| *s == 201 || *s == 409), "{got:?}");
    }
    // 16 + the 6 good ones stored; the forged and the misfit wrote nothing.
    assert_eq!(counts(&app, &r.id), (22, 22));
    // The misfit's token was not burnt: it answers now.
    let res = app
        .anon_api()
        .post(&format!("/rounds/{}/answers", r.id), &good(&tokens[17], 5));
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(counts(&app, &r.id), (23, 23));
}

/// A replica holds a round's frozen parts in its cache; another process closes the round.
/// The replica must refuse the next answer (410) and store nothing, as if it had no cache.
#[test]
fn a_round_closed_elsewhere_takes_no_answer_through_a_replicas_cache() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Cached", 3, &["a1", "a2", "a3", "a4"]);
    let r = open_round(&api, &team);
    let tokens: Vec<Value> = people.iter().map(|(_, i)| token_of(&app, &r, i)).collect();
    let replica = app.replica();
    let send = |t: &Value| {
        replica.anon_api().post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": t, "answers": answers(&r, [4; 7], Some(8)) }),
        )
    };
    for t in &tokens[..3] {
        assert_eq!(send(t).status, 201); // the replica now caches the round
    }
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let before = counts(&app, &r.id);
    assert_problem(&send(&tokens[3]), 410);
    assert_eq!(
        counts(&app, &r.id),
        before,
        "nothing written after the close"
    );
    // And after its periodic sweep, still refused (now without the cache).
    replica.periodic();
    assert_problem(&send(&tokens[3]), 410);
    assert_eq!(counts(&app, &r.id), before);
}

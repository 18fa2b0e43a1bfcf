//! Issue 15: a member is never locked out by a lost token response, and the cure never
//! yields a second token (G2). The same blinded message asked again is signed again, to the
//! same blind signature; any other blinded message is refused as before.

use candor::tokens::crypto::{ClientRequest, KeyJson};

use serde_json::{json, Value};

use crate::support::*;

fn client(key: &Value) -> ClientRequest {
    let key: KeyJson = serde_json::from_value(key.clone()).expect("key json");
    ClientRequest::new(&key, &key.fingerprint).expect("blind")
}

fn ask(app: &TestApp, scope: &str, id: &str, invite: &str, blinded: &str) -> Reply {
    app.anon_api().post(
        &format!("/{scope}/{id}/tokens"),
        &json!({ "invite": invite, "blinded_message": blinded }),
    )
}

fn signature(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["blind_signature"]
        .as_str()
        .expect("signature")
        .to_owned()
}

fn issued(app: &TestApp, scope: &str) -> i64 {
    let mut conn = app.db.get_write().expect("conn");
    candor::tokens::store::count_issued(&mut conn, &scope.into()).expect("count issued")
}

fn answered(api: &Api, round: &str) -> i64 {
    api.get(&format!("/rounds/{round}/results")).json()["answered"]
        .as_i64()
        .expect("answered")
}

#[test]
fn a_lost_token_response_is_signed_again_and_the_answer_counts_once() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Lost", 3, &["ana", "bo", "cy"]);
    let r = open_round(&api, &team);
    let invite = &people[0].1;
    let req = client(&r.key);
    // The first response is lost on the way; the browser asks again with the state it kept.
    let first = signature(&ask(&app, "rounds", &r.id, invite, &req.blinded_message));
    let again = signature(&ask(&app, "rounds", &r.id, invite, &req.blinded_message));
    assert_eq!(
        first, again,
        "the same blinded message gets the same signature"
    );
    assert_eq!(issued(&app, &r.id), 1, "still one issuance for this member");
    let token = serde_json::to_value(req.finalize(&again).expect("finalize")).expect("json");
    let body = json!({ "token": token, "answers": answers(&r, [5; 7], Some(9)) });
    let stored = app
        .anon_api()
        .post(&format!("/rounds/{}/answers", r.id), &body);
    assert_eq!(stored.status, 201, "{}", stored.text);
    // The answer's reply is lost too: the same token again is a conflict, never a second answer.
    let twice = app
        .anon_api()
        .post(&format!("/rounds/{}/answers", r.id), &body);
    assert_problem(&twice, 409);
    assert_eq!(answered(&api, &r.id), 1);
}

/// The attack: a member who holds one signature tries every way to turn the re-sign into a
/// second token. Another blinded message, the same one altered, a re-blinding of it, and
/// many different ones raced at once: exactly one blinded message is ever signed for them,
/// and every signature they hold is the same one, so they can answer once.
#[test]
fn a_resign_never_yields_a_second_token() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Greedy", 3, &["ana", "bo", "cy", "di"]);
    let r = open_round(&api, &team);
    let invite = people[0].1.clone();
    let req = client(&r.key);
    let sig = signature(&ask(&app, "rounds", &r.id, &invite, &req.blinded_message));

    let fresh = client(&r.key);
    let refused = ask(&app, "rounds", &r.id, &invite, &fresh.blinded_message);
    assert_problem(&refused, 409);
    assert!(
        refused.text.contains("another browser"),
        "the refusal says where to finish: {}",
        refused.text
    );
    // The same blinded message with any one bit changed is another message: refused.
    let bytes = candor::secret::unb64(&req.blinded_message).expect("b64");
    for bit in [0usize, 7, 1000, 2047] {
        let mut altered = bytes.clone();
        altered[bit / 8] ^= 1 << (bit % 8);
        let r2 = ask(
            &app,
            "rounds",
            &r.id,
            &invite,
            &candor::secret::b64(&altered),
        );
        assert!(
            r2.status == 409 || r2.status == 422,
            "bit {bit}: {}",
            r2.text
        );
    }

    // Another member races eight different blinded messages and four copies of one: one
    // blinded message wins, and every 200 they get is the same signature.
    let racer = people[1].1.clone();
    let mut requests: Vec<String> = (0..8).map(|_| client(&r.key).blinded_message).collect();
    let shared = client(&r.key).blinded_message;
    requests.extend(std::iter::repeat_n(shared, 4));
    let results: Vec<(String, u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .into_iter()
            .map(|blinded| {
                let (app, racer, id) = (&app, &racer, &r.id);
                scope.spawn(move || {
                    let res = ask(app, "rounds", id, racer, &blinded);
                    (blinded, res.status, res.text)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let signed: std::collections::BTreeSet<&String> = results
        .iter()
        .filter(|(_, s, _)| *s == 200)
        .map(|(b, _, _)| b)
        .collect();
    assert_eq!(signed.len(), 1, "one blinded message signed: {results:?}");
    assert!(results.iter().all(|(_, s, _)| *s == 200 || *s == 409));
    let sigs: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|(_, s, _)| *s == 200)
        .map(|(_, _, t)| {
            serde_json::from_str::<Value>(t).expect("json")["blind_signature"].to_string()
        })
        .collect();
    assert_eq!(sigs.len(), 1, "every signature handed out is the same one");
    assert_eq!(issued(&app, &r.id), 2);

    // The first member's one token answers once, however often it was signed.
    let again = signature(&ask(&app, "rounds", &r.id, &invite, &req.blinded_message));
    assert_eq!(again, sig);
    let token = serde_json::to_value(req.finalize(&sig).expect("finalize")).expect("json");
    let post = |t: &Value| {
        app.anon_api().post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": t, "answers": answers(&r, [4; 7], None) }),
        )
    };
    assert_eq!(post(&token).status, 201);
    assert_problem(&post(&token), 409);
    assert_eq!(answered(&api, &r.id), 1);
}

#[test]
fn a_member_who_answered_without_javascript_gets_no_token_by_any_blinded_message() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Plain", 3, &["ana", "bo", "cy"]);
    let r = open_round(&api, &team);
    let invite = &people[0].1;
    let mut form: Vec<(String, String)> = vec![("invite".into(), invite.clone())];
    for q in r.questions.iter().take(7) {
        form.push((format!("q_{}", q["id"].as_str().expect("id")), "4".into()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = app
        .browser()
        .post_form(&format!("/p/rounds/{}/fallback", r.id), &fields);
    assert_eq!(page.status(), 201, "{:?}", page.text());
    let req = client(&r.key);
    assert_problem(
        &ask(&app, "rounds", &r.id, invite, &req.blinded_message),
        409,
    );
    assert_eq!(issued(&app, &r.id), 1);
}

#[test]
fn a_writer_whose_token_response_was_lost_still_writes_their_account_once() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let r = api.post(
        "/reviews",
        &json!({
            "title": "Lost reply",
            "incident_date": time::OffsetDateTime::now_utc().date().previous_day().expect("day").to_string(),
            "summary": "The deploy stalled.",
            "invitees": ["ana", "bo", "cy"],
            "threshold": 3,
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    let id = j["id"].as_str().expect("id").to_owned();
    let invite = review_invites(&api, &id)[0].1.clone();
    let req = client(&j["key"]);
    let first = signature(&ask(&app, "reviews", &id, &invite, &req.blinded_message));
    // The writer reloads: the page says an unfinished account can be sent from this browser.
    let page = app
        .browser()
        .post_form(&format!("/p/reviews/{id}"), &[("invite", invite.as_str())]);
    assert_eq!(page.status(), 200);
    assert!(page.text().expect("body").contains("data-issued=\"true\""));
    let again = signature(&ask(&app, "reviews", &id, &invite, &req.blinded_message));
    assert_eq!(first, again);
    let token = serde_json::to_value(req.finalize(&again).expect("finalize")).expect("json");
    let account = json!({ "timeline": [{ "text": "the deploy stalled at 40%" }] });
    let post = || {
        app.anon_api().post(
            &format!("/reviews/{id}/accounts"),
            &json!({ "token": token, "account": account }),
        )
    };
    let stored = post();
    assert_eq!(stored.status, 201, "{}", stored.text);
    assert!(stored.json()["receipt"].is_string());
    assert_problem(&post(), 409);
    let fresh = client(&j["key"]);
    assert_problem(
        &ask(&app, "reviews", &id, &invite, &fresh.blinded_message),
        409,
    );
    assert_eq!(issued(&app, &id), 1);
}

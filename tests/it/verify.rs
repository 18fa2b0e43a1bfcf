//! Verifiable participation (THREAT-MODEL G16, G17): the counted-token bulletin of a closed
//! round or review, and an answer replaced by the same token while the round is open.

use candor::auth::model::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::*;

pub(crate) fn admin_api(app: &TestApp) -> Api {
    app.admin();
    app.api(&app.token_for(ADMIN_EMAIL))
}

/// The bulletin entry of a token: lowercase hex SHA-256 of its message bytes.
pub(crate) fn entry_of(token: &Value) -> String {
    let m = candor::secret::unb64(token["message"].as_str().unwrap()).unwrap();
    Sha256::digest(&m)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn answer_with(
    app: &TestApp,
    r: &Round,
    token: &Value,
    v: i64,
    comment: &str,
    replace: Option<bool>,
) -> Reply {
    let mut body =
        json!({ "token": token, "answers": answers(r, [v; 7], Some(v)), "comment": comment });
    if let Some(replace) = replace {
        body["replace"] = json!(replace);
    }
    app.anon_api()
        .post(&format!("/rounds/{}/answers", r.id), &body)
}

/// GET with a staff-looking cookie attached, as a browser signed in elsewhere would send.
fn get_with_cookie(app: &TestApp, path: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .get(format!("{}{path}", app.base))
        .header("cookie", "candor_session=abc; other=1")
        .send()
        .unwrap()
}

#[test]
fn the_bulletin_holds_exactly_the_counted_tokens_sorted_only_after_close_and_no_cookie() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Ledger", 3, &["a", "b", "c", "d", "e", "f"]);
    let r = open_round(&api, &team);
    let mut counted = vec![];
    for (i, (_, invite)) in people.iter().take(4).enumerate() {
        let t = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
        assert_eq!(
            answer_with(&app, &r, &t, 3 + i as i64, "", None).status,
            201
        );
        counted.push(entry_of(&t));
    }
    // One member takes a token and never answers: issued, not counted.
    let unused = member_token(&app, "rounds", &r.id, &people[4].1, &r.key).unwrap();
    // A member replaces their answer: still one entry.
    let t0 = member_token(&app, "rounds", &r.id, &people[5].1, &r.key).unwrap();
    assert_eq!(answer_with(&app, &r, &t0, 2, "", None).status, 201);
    assert_eq!(answer_with(&app, &r, &t0, 6, "", Some(true)).status, 200);
    counted.push(entry_of(&t0));

    // Before close: 409, problem+json, no cookie set even when one is sent.
    let early = app.anon_api().get(&format!("/rounds/{}/bulletin", r.id));
    assert_problem(&early, 409);
    let res = get_with_cookie(&app, &format!("/api/v1/rounds/{}/bulletin", r.id));
    assert_eq!(res.status(), 409);
    assert!(res.headers().get("set-cookie").is_none());
    assert_problem(&app.anon_api().get("/rounds/no-such-round/bulletin"), 404);

    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let res = get_with_cookie(&app, &format!("/api/v1/rounds/{}/bulletin", r.id));
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none());
    let b: Value = res.json().unwrap();
    let tokens: Vec<String> = b["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let mut expected = counted.clone();
    expected.sort();
    assert_eq!(tokens, expected, "exactly the counted tokens, sorted");
    assert!(!tokens.contains(&entry_of(&unused)));
    assert_eq!(b["id"], r.id.as_str());
    assert_eq!(b["key_fingerprint"], r.key["fingerprint"]);
    assert_eq!(b["invited"], 6);
    assert_eq!(b["issued"], 6);
    assert_eq!(b["counted"], 5);
    assert_eq!(b["answered"], 5);
    // Nothing about answers or order: only these fields.
    let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "answered",
            "counted",
            "id",
            "invited",
            "issued",
            "key_fingerprint",
            "tokens"
        ]
    );
    // Each entry is a hex SHA-256, and none of them is the keyed hash the spent set uses.
    assert!(tokens.iter().all(|t| t.len() == 64
        && t.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));

    // The transparency page links the bulletin and shows the unused token.
    let page = app.browser().get("/transparency").text().unwrap();
    assert!(
        page.contains(&format!("/api/v1/rounds/{}/bulletin", r.id)),
        "{page}"
    );
    assert!(page.contains("Tokens issued but not used"));
    let t = app.anon_api().get("/transparency").json();
    let closed = t["closed"].as_array().unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["unused"], 1);
    assert_eq!(closed[0]["counted"], 5);
}

#[test]
fn a_review_publishes_its_bulletin_at_close_and_not_before() {
    let app = TestApp::spawn();
    app.admin();
    app.staff("fac@example.com", Role::Facilitator);
    let api = app.api(&app.token_for("fac@example.com"));
    let today = time::OffsetDateTime::now_utc().date();
    let r = api.post(
        "/reviews",
        &json!({
            "title": "Checkout outage", "incident_date": format!("{today}"),
            "summary": "Checkout failed.", "invitees": ["p1", "p2", "p3", "p4"], "threshold": 3,
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, key) = (
        r.json()["id"].as_str().unwrap().to_owned(),
        r.json()["key"].clone(),
    );
    let people = review_invites(&api, &id);
    let mut counted = vec![];
    for (_, invite) in people.iter().take(3) {
        let t = member_token(&app, "reviews", &id, invite, &key).unwrap();
        let res = app.anon_api().post(&format!("/reviews/{id}/accounts"),
            &json!({ "token": t, "account": { "timeline": [{ "text": "saw the alert" }], "hard": "lag" } }));
        assert_eq!(res.status, 201, "{}", res.text);
        counted.push(entry_of(&t));
    }
    assert_problem(&app.anon_api().get(&format!("/reviews/{id}/bulletin")), 409);
    let closed = api.post(&format!("/reviews/{id}/close"), &json!({}));
    assert!(closed.status < 300, "{}", closed.text);
    let b = app.anon_api().get(&format!("/reviews/{id}/bulletin"));
    assert_eq!(b.status, 200, "{}", b.text);
    assert!(b.headers.get("set-cookie").is_none());
    counted.sort();
    let b = b.json();
    assert_eq!(b["tokens"], json!(counted));
    assert_eq!(b["counted"], 3);
    assert_eq!(b["invited"], 4);
    assert_eq!(b["key_fingerprint"], key["fingerprint"]);
}

#[test]
fn a_replaced_answer_is_the_one_in_the_results_and_replacing_after_close_is_gone() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Atlas", 3, &["a", "b", "c", "d"]);
    let r = open_round(&api, &team);
    let mut tokens = vec![];
    for (_, invite) in people.iter().take(3) {
        let t = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
        assert_eq!(answer_with(&app, &r, &t, 4, "", None).status, 201);
        tokens.push(t);
    }
    // The same token again without `replace` stays a conflict and writes nothing.
    assert_problem(&answer_with(&app, &r, &tokens[2], 1, "", None), 409);
    assert_problem(&answer_with(&app, &r, &tokens[2], 1, "", Some(false)), 409);
    // An invalid replacement is refused before anything changes.
    let bad = app.anon_api().post(
        &format!("/rounds/{}/answers", r.id),
        &json!({ "token": tokens[2], "answers": answers(&r, [9; 7], None), "replace": true }),
    );
    assert_problem(&bad, 422);
    // Replaced twice: only the last counts.
    let res = answer_with(&app, &r, &tokens[2], 1, "", Some(true));
    assert_eq!(res.status, 200, "{}", res.text);
    let res = answer_with(&app, &r, &tokens[2], 7, "", Some(true));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json()["stored"]["answers"][1]["value"],
        7,
        "the reply says what is stored now"
    );
    // A token never spent with `replace` just answers.
    let fresh = member_token(&app, "rounds", &r.id, &people[3].1, &r.key).unwrap();
    assert_eq!(answer_with(&app, &r, &fresh, 4, "", Some(true)).status, 201);

    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    let results = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(results["answered"], 4, "{results}");
    // Item 2 is not reverse-scored: (4 + 4 + 7 + 4) / 4.
    let item = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == r.questions[1]["id"])
        .unwrap();
    assert!(
        (item["mean"].as_f64().unwrap() - 4.75).abs() < 1e-9,
        "{item}"
    );
    // After close a replacement is 410, with or without `replace`.
    assert_problem(&answer_with(&app, &r, &tokens[2], 2, "", Some(true)), 410);
    assert_problem(&answer_with(&app, &r, &tokens[0], 2, "", None), 410);
}

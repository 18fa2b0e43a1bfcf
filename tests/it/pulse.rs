//! Pulse rounds end to end over the HTTP API with scripted members: issuance, blinding by
//! the Rust client side, redemption, close, results, trends, suppression and edge cases.

use serde_json::{json, Value};

use crate::support::*;

fn admin_api(app: &TestApp) -> Api {
    app.admin();
    app.api(&app.token_for(ADMIN_EMAIL))
}

#[test]
fn a_whole_round_scores_as_computed_by_hand_with_reverse_items_and_agreement() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Payments", 5, &["a", "b", "c", "d", "e", "f"]);
    let r = open_round(&api, &team);
    assert_eq!(r.questions.len(), 8);
    assert_eq!(r.questions[0]["reverse"], true);
    assert_eq!(r.questions[2]["reverse"], true);
    assert_eq!(r.questions[4]["reverse"], true);
    assert_eq!(r.questions[1]["reverse"], false);
    assert_eq!(r.questions[7]["kind"], "enps");
    // Items 1, 3, 5 reverse-scored (8 - x). Person means after reversal:
    let given: [[i64; 7]; 5] = [
        [2, 6, 2, 6, 2, 6, 6], // 6,6,6,6,6,6,6 -> 6
        [4, 4, 4, 4, 4, 4, 4], // 4 everywhere -> 4
        [1, 7, 1, 7, 1, 7, 7], // 7 -> 7
        [3, 5, 3, 5, 3, 5, 5], // 5 -> 5
        [7, 1, 7, 1, 7, 1, 1], // 1 -> 1
    ];
    let enps = [10, 9, 8, 3, 0];
    for (i, (_, invite)) in people.iter().take(5).enumerate() {
        let res = submit(
            &app,
            &r,
            invite,
            answers(&r, given[i], Some(enps[i])),
            if i < 3 { Some("ok") } else { None },
        );
        assert_eq!(res.status, 201, "{}", res.text);
        let stored = &res.json()["stored"];
        assert_eq!(
            stored["answers"].as_array().unwrap().len(),
            8,
            "the member sees exactly what was stored"
        );
        assert!(
            stored.get("id").is_none() && !res.text.contains(invite),
            "nothing about the member comes back"
        );
    }
    // While open: participation only.
    let open = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(
        open,
        json!({ "status": "open", "invited": 6, "answered": 5 })
    );
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .json()["status"],
        "closed"
    );
    let res = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(res["status"], "shown");
    let score = res["score"].as_f64().unwrap();
    assert!((score - 23.0 / 5.0).abs() < 1e-9, "score {score}");
    // Person means 6,4,7,5,1: sample SD = sqrt(((1.4)^2+(0.6)^2+(2.4)^2+(0.4)^2+(3.6)^2)/4) = sqrt(5.3)
    assert!((res["spread"].as_f64().unwrap() - 5.3f64.sqrt()).abs() < 1e-9);
    // Every item, after reversal, holds 6,4,7,5,1: variance 5.3 each; rwg(7) with null 4:
    let ratio: f64 = 5.3 / 4.0;
    assert!(ratio >= 1.0);
    assert_eq!(
        res["agreement"].as_f64().unwrap(),
        0.0,
        "more spread than chance truncates to 0"
    );
    // eNPS: 2 promoters, 1 passive, 2 detractors of 5 -> 0.
    assert_eq!(res["enps"]["score"].as_f64().unwrap(), 0.0);
    let first = &res["items"][0];
    assert_eq!(first["distribution"], json!([1, 1, 1, 1, 0, 0, 1]));
    assert!(
        (first["mean"].as_f64().unwrap() - 17.0 / 5.0).abs() < 1e-9,
        "item mean as answered"
    );
    assert!(
        res.get("comments").is_none(),
        "3 comments are fewer than the threshold of 5"
    );
    assert_eq!(res["comment_count"], 3);
    // The trend shows the round.
    let trend = api.get(&format!("/teams/{team}/trend")).json();
    assert_eq!(trend[0]["status"], "shown");
    assert!((trend[0]["score"].as_f64().unwrap() - 4.6).abs() < 1e-9);
}

#[test]
fn agreement_is_high_when_the_team_answers_alike() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Alike", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    for (i, (_, invite)) in people.iter().enumerate() {
        let v = if i == 0 { 5 } else { 6 };
        // Reverse items answered 8 - v so every scored item is v.
        let res = submit(
            &app,
            &r,
            invite,
            answers(&r, [8 - v, v, 8 - v, v, 8 - v, v, v], None),
            Some(&format!("comment {i}")),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let res = api.get(&format!("/rounds/{}/results", r.id)).json();
    // Each item scored 5,6,6: variance 1/3; ratio (1/3)/4 = 1/12; rwg(7) = 7*(11/12) / (7*(11/12) + 1/12) = 77/78.
    assert!(
        (res["agreement"].as_f64().unwrap() - 77.0 / 78.0).abs() < 1e-9,
        "{}",
        res["agreement"]
    );
    let mut comments: Vec<String> = res["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    comments.sort();
    assert_eq!(
        comments,
        vec!["comment 0", "comment 1", "comment 2"],
        "3 of 3 commented: shown at threshold 3"
    );
}

#[test]
fn results_under_the_threshold_are_suppressed_in_every_page_api_and_export() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Small", 5, &["a", "b", "c", "d", "e", "f"]);
    let r = open_round(&api, &team);
    for (_, invite) in people.iter().take(4) {
        assert_eq!(
            submit(
                &app,
                &r,
                invite,
                answers(&r, [3, 5, 2, 6, 1, 4, 7], Some(9)),
                Some("secret words")
            )
            .status,
            201
        );
    }
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let res = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(
        res,
        json!({ "status": "suppressed", "invited": 6, "answered": 4, "needed": 1 })
    );
    let trend = api.get(&format!("/teams/{team}/trend")).json();
    assert_eq!(trend[0]["status"], "suppressed");
    assert!(trend[0].get("score").is_none());
    let page = admin.get(&format!("/rounds/{}", r.id)).text().unwrap();
    assert!(
        page.contains("1 more answers were needed") || page.contains("1 more answer"),
        "{page}"
    );
    assert!(!page.contains("secret words"));
    let team_page = admin.get(&format!("/teams/{team}/rounds")).text().unwrap();
    assert!(team_page.contains("hidden"));
    let csv = admin
        .get(&format!("/teams/{team}/trend.csv"))
        .text()
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains(",suppressed,6,4,,,,"), "{row}");
}

#[test]
fn nothing_is_readable_before_close_on_the_page_either() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Early", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    for (_, invite) in &people {
        assert_eq!(
            submit(
                &app,
                &r,
                invite,
                answers(&r, [1, 1, 1, 1, 1, 1, 1], None),
                Some("early bird")
            )
            .status,
            201
        );
    }
    let page = admin.get(&format!("/rounds/{}", r.id)).text().unwrap();
    assert!(page.contains("3 of 3 have answered"));
    assert!(!page.contains("early bird") && !page.contains("Mean"));
}

#[test]
fn tokens_are_one_per_member_and_bound_to_their_round() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Tokens", 3, &["a", "b", "c"]);
    let (_, others) = team_with(&api, "Others", 3, &["x", "y", "z"]);
    let r = open_round(&api, &team);
    let invite = &people[0].1;
    let token = member_token(&app, "rounds", &r.id, invite, &r.key).unwrap();
    // A second issuance for the same member is refused.
    assert_problem(
        &member_token(&app, "rounds", &r.id, invite, &r.key).unwrap_err(),
        409,
    );
    // A member of another team is refused.
    assert_problem(
        &member_token(&app, "rounds", &r.id, &others[0].1, &r.key).unwrap_err(),
        403,
    );
    // A made-up invite is refused.
    assert_problem(
        &member_token(&app, "rounds", &r.id, "not-an-invite", &r.key).unwrap_err(),
        403,
    );
    let body = |t: &Value| json!({ "token": t, "answers": answers(&r, [4; 7], None) });
    let anon = app.anon_api();
    // An invalid answer is refused before the token is spent...
    let bad = anon.post(
        &format!("/rounds/{}/answers", r.id),
        &json!({ "token": token, "answers": answers(&r, [9, 4, 4, 4, 4, 4, 4], None) }),
    );
    assert_problem(&bad, 422);
    // ...so the token still works once, and only once.
    assert_eq!(
        anon.post(&format!("/rounds/{}/answers", r.id), &body(&token))
            .status,
        201
    );
    let again = anon.post(&format!("/rounds/{}/answers", r.id), &body(&token));
    assert_problem(&again, 409);
    // A forged signature and a malformed token are refused.
    let mut forged = token.clone();
    let mut sig = candor::secret::unb64(forged["signature"].as_str().unwrap()).unwrap();
    sig[5] ^= 1;
    forged["signature"] = json!(candor::secret::b64(&sig));
    assert_problem(
        &anon.post(&format!("/rounds/{}/answers", r.id), &body(&forged)),
        403,
    );
    assert_problem(
        &anon.post(
            &format!("/rounds/{}/answers", r.id),
            &body(&json!({"message": "x", "randomizer": "y", "signature": "z"})),
        ),
        403,
    );
    // A token for one round does not count in another.
    let r2 = open_round(&api, &team);
    let t2 = member_token(&app, "rounds", &r2.id, &people[1].1, &r2.key).unwrap();
    let cross = anon.post(&format!("/rounds/{}/answers", r.id), &body(&t2));
    assert_problem(&cross, 403);
    assert_eq!(
        api.get(&format!("/rounds/{}/results", r.id)).json()["answered"],
        1,
        "refusals wrote nothing"
    );
    // After close: no issuance, no redemption.
    let t_late = member_token(&app, "rounds", &r.id, &people[2].1, &r.key).unwrap();
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_problem(
        &member_token(&app, "rounds", &r.id, &people[1].1, &r.key).unwrap_err(),
        410,
    );
    assert_problem(
        &anon.post(&format!("/rounds/{}/answers", r.id), &body(&t_late)),
        410,
    );
}

#[test]
fn after_close_no_issuance_row_names_a_member_and_the_key_is_destroyed() {
    use diesel::prelude::*;
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Forget", 3, &["a", "b", "c", "d"]);
    let r = open_round(&api, &team);
    for (_, invite) in &people {
        assert_eq!(
            submit(
                &app,
                &r,
                invite,
                answers(&r, [2, 3, 4, 5, 6, 7, 1], Some(5)),
                None
            )
            .status,
            201
        );
    }
    {
        use candor::db::schema::issuances::dsl::*;
        let mut conn = app.db.get_write().unwrap();
        let n: i64 = issuances
            .filter(scope_id.eq(&r.id))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(
            n, 4,
            "while open, who was issued is known (the live-operator residual risk)"
        );
    }
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let mut conn = app.db.get_write().unwrap();
    let left: i64 = candor::db::schema::issuances::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(left, 0);
    let secret: Option<String> = candor::db::schema::signing_keys::table
        .find(&r.id)
        .select(candor::db::schema::signing_keys::secret_der)
        .first(&mut *conn)
        .unwrap();
    assert!(secret.is_none(), "the private key is destroyed at close");
    let issued: Option<i32> = candor::db::schema::rounds::table
        .find(&r.id)
        .select(candor::db::schema::rounds::issued)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(issued, Some(4), "only the count remains");
}

#[test]
fn a_round_freezes_threshold_roster_and_wording_when_it_opens() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Frozen", 5, &["a", "b", "c", "d", "e"]);
    let r = open_round(&api, &team);
    assert_eq!(
        api.patch(&format!("/teams/{team}"), &json!({ "threshold": 3 }))
            .status,
        200
    );
    let added = api.post(
        &format!("/teams/{team}/members"),
        &json!({ "roster": ["late"] }),
    );
    assert_eq!(added.status, 201);
    let invites = api.get(&format!("/teams/{team}/invites")).json();
    let late = secret_of(
        invites
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["label"] == "late")
            .unwrap()["url"]
            .as_str()
            .unwrap(),
    );
    assert_problem(
        &member_token(&app, "rounds", &r.id, &late, &r.key).unwrap_err(),
        403,
    );
    let page = admin
        .get(&format!("/teams/{team}/questions"))
        .text()
        .unwrap();
    let qid = r.questions[1]["id"].as_str().unwrap();
    let res = admin.post_form(
        &format!("/teams/{team}/questions/{qid}"),
        &[
            ("_csrf", &csrf_from(&page)),
            ("text", "Reworded item two."),
            ("action", "save"),
            ("confirm_validated", "1"),
        ],
    );
    assert_eq!(res.status(), 200);
    let round = api.get(&format!("/rounds/{}", r.id)).json();
    assert_eq!(
        round["threshold"], 5,
        "the open round keeps the threshold it opened with"
    );
    assert_eq!(round["invited"], 5);
    assert_ne!(round["questions"][1]["text"], "Reworded item two.");
    let next = open_round(&api, &team);
    assert_eq!(next.questions[1]["text"], "Reworded item two.");
    assert_eq!(
        api.get(&format!("/rounds/{}", next.id)).json()["threshold"],
        3
    );
}

#[test]
fn the_psychological_safety_items_cannot_be_removed_but_custom_items_can_be_added() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Custom", 3, &["a", "b", "c"]);
    let page = admin
        .get(&format!("/teams/{team}/questions"))
        .text()
        .unwrap();
    let csrf = csrf_from(&page);
    let r = open_round(&api, &team);
    let ps1 = r.questions[0]["id"].as_str().unwrap();
    let res = admin.post_form(
        &format!("/teams/{team}/questions/{ps1}"),
        &[("_csrf", &csrf), ("text", "x"), ("action", "remove")],
    );
    assert_eq!(res.status(), 422);
    let bad = admin.post_form(
        &format!("/teams/{team}/questions"),
        &[
            ("_csrf", &csrf),
            ("kind", "choice"),
            ("text", "Pick"),
            ("options", "only one"),
        ],
    );
    assert_eq!(bad.status(), 422);
    let ok = admin.post_form(
        &format!("/teams/{team}/questions"),
        &[
            ("_csrf", &csrf),
            ("kind", "choice"),
            ("text", "Which day?"),
            ("options", "Monday\nFriday"),
            ("required", "1"),
        ],
    );
    assert_eq!(ok.status(), 201);
    let ok = admin.post_form(
        &format!("/teams/{team}/questions"),
        &[
            ("_csrf", &csrf),
            ("kind", "scale5"),
            ("text", "Meetings are useful."),
        ],
    );
    assert_eq!(ok.status(), 201);
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let r2 = open_round(&api, &team);
    assert_eq!(r2.questions.len(), 10);
    let choice = r2
        .questions
        .iter()
        .find(|q| q["kind"] == "choice")
        .unwrap()
        .clone();
    let scale5 = r2
        .questions
        .iter()
        .find(|q| q["text"] == "Meetings are useful.")
        .unwrap()
        .clone();
    assert_eq!(scale5["max"], 5);
    for (i, (_, invite)) in people.iter().enumerate() {
        let mut a = answers(&r2, [4; 7], None);
        a.push(json!({ "question_id": choice["id"], "value": if i == 0 { "Monday" } else { "Friday" } }));
        let res = submit(&app, &r2, invite, a.clone(), None);
        assert_eq!(res.status, 201, "{}", res.text);
    }
    api.post(&format!("/rounds/{}/close", r2.id), &json!({}));
    let res = api.get(&format!("/rounds/{}/results", r2.id)).json();
    let item = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == choice["id"])
        .unwrap()
        .clone();
    assert_eq!(item["distribution"], json!([1, 2]));
    let s5 = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["question_id"] == scale5["id"])
        .unwrap()
        .clone();
    assert_eq!(
        s5["suppressed"], true,
        "an optional item nobody answered is hidden"
    );
}

#[test]
fn a_member_without_javascript_answers_through_the_confidential_fallback_once() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Fallback", 3, &["Alice Smith", "b", "c"]);
    let r = open_round(&api, &team);
    let b = app.browser();
    let landing = b.get("/p").text().unwrap();
    assert!(landing.contains("participate.js") && landing.contains("invite code"));
    let list = b.post_form("/p", &[("invite", &people[1].1)]);
    assert_eq!(list.status(), 200);
    let list = list.text().unwrap();
    assert!(list.contains(&format!("/p/rounds/{}", r.id)));
    let form = b
        .post_form(&format!("/p/rounds/{}", r.id), &[("invite", &people[1].1)])
        .text()
        .unwrap();
    assert!(
        form.contains("kept confidential, with one limit")
            && form.contains(r.key["fingerprint"].as_str().unwrap())
    );
    let mut fields: Vec<(String, String)> = vec![("invite".into(), people[1].1.clone())];
    for q in r.questions.iter().take(7) {
        fields.push((format!("q_{}", q["id"].as_str().unwrap()), "5".into()));
    }
    fields.push(("comment".into(), "Alice knows why the deploy failed".into()));
    let as_refs = |f: &Vec<(String, String)>| {
        f.iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    let post = |f: &Vec<(String, String)>| {
        let refs = as_refs(f);
        let refs: Vec<(&str, &str)> = refs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        b.post_form(&format!("/p/rounds/{}/fallback", r.id), &refs)
    };
    let warned = post(&fields);
    assert_eq!(warned.status(), 200);
    assert!(warned
        .text()
        .unwrap()
        .contains("a name from the roster (alice)"));
    fields.push(("confirm_identifying".into(), "1".into()));
    let stored = post(&fields);
    assert_eq!(stored.status(), 201);
    let html = stored.text().unwrap();
    assert!(html.contains("exactly what Candor stored") && html.contains("Alice knows why"));
    assert!(
        !html.contains(&people[1].1),
        "the receipt page does not echo the invite"
    );
    assert_eq!(post(&fields).status(), 409, "once per member");
    assert_eq!(
        api.get(&format!("/rounds/{}/results", r.id)).json()["answered"],
        1
    );
    // A missing required answer re-renders the form with the error next to the question.
    let missing = b.post_form(
        &format!("/p/rounds/{}/fallback", r.id),
        &[("invite", &people[2].1)],
    );
    assert_eq!(missing.status(), 422);
    assert!(missing
        .text()
        .unwrap()
        .contains("Please answer this question."));
}

#[test]
fn the_participate_api_lists_open_rounds_with_their_keys() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "List", 3, &["a", "b", "c"]);
    let none = app
        .anon_api()
        .post("/participate", &json!({ "invite": people[0].1 }));
    // The links came from the invites API, so staff have seen them (G13).
    assert_eq!(
        none.json(),
        json!({ "open": [], "custody": "staff", "actions": [], "review_items": [] })
    );
    let r = open_round(&api, &team);
    let open = app
        .anon_api()
        .post("/participate", &json!({ "invite": people[0].1 }))
        .json();
    assert_eq!(open["open"][0]["kind"], "round");
    assert_eq!(open["open"][0]["id"], r.id);
    assert_eq!(open["open"][0]["key"], r.key);
    assert_eq!(open["open"][0]["questions"].as_array().unwrap().len(), 8);
    assert_problem(
        &app.anon_api()
            .post("/participate", &json!({ "invite": "nope" })),
        403,
    );
    // The transparency page shows the same fingerprint to everyone.
    let t = app.anon_api().get("/transparency").json();
    assert_eq!(t["keys"][0]["fingerprint"], r.key["fingerprint"]);
}

#[test]
fn a_scheduled_round_opens_when_its_time_comes_and_closes_after_its_deadline() {
    use diesel::prelude::*;
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Later", 3, &["a", "b", "c"]);
    let future = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let res = api.post(
        &format!("/teams/{team}/rounds"),
        &json!({ "opens_at": future }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json()["status"], "scheduled");
    assert!(res.json().get("key").is_none(), "no key before it opens");
    assert_eq!(
        app.anon_api()
            .post("/participate", &json!({ "invite": people[0].1 }))
            .json()["open"],
        json!([])
    );
    // Move its opening time into the past, as the clock would.
    {
        use candor::db::schema::rounds::dsl::*;
        let mut conn = app.db.get_write().unwrap();
        let past = app.clock.now() - time::Duration::minutes(1);
        diesel::update(rounds.find(&id))
            .set((
                opens_at.eq(past),
                closes_at.eq(Some(past + time::Duration::hours(1))),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    // Member pages look for due rounds at most once a second (`clock::Throttle`); the
    // visit above looked a moment ago, so a second passes before the next one.
    app.clock.advance(time::Duration::seconds(1));
    let open = app
        .anon_api()
        .post("/participate", &json!({ "invite": people[0].1 }))
        .json();
    assert_eq!(open["open"][0]["id"], id, "opened on the next visit");
    let still = app
        .anon_api()
        .post("/participate", &json!({ "invite": people[0].1 }))
        .json();
    assert_eq!(still["open"][0]["id"], id, "open until its deadline");
    app.clock.advance(time::Duration::hours(1));
    let later = app
        .anon_api()
        .post("/participate", &json!({ "invite": people[0].1 }))
        .json();
    assert_eq!(later["open"], json!([]), "closed after its deadline");
    assert_eq!(api.get(&format!("/rounds/{id}")).json()["status"], "closed");
}

#[test]
fn bad_round_requests_get_clear_errors() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, _) = team_with(&api, "Bad", 3, &["a", "b", "c"]);
    assert_problem(
        &api.post(
            &format!("/teams/{team}/rounds"),
            &json!({ "template": "nope" }),
        ),
        422,
    );
    assert_problem(
        &api.post(
            &format!("/teams/{team}/rounds"),
            &json!({ "closes_at": "2001-01-01T00:00:00Z" }),
        ),
        422,
    );
    assert_problem(
        &api.post(
            &format!("/teams/{team}/rounds"),
            &json!({ "closes_at": "tomorrow" }),
        ),
        422,
    );
    assert_problem(&api.post("/teams/nope/rounds", &json!({})), 404);
    assert_problem(
        &app.anon_api().post(
            "/rounds/nope/answers",
            &json!({ "token": {"message": "", "randomizer": "", "signature": ""}, "answers": [] }),
        ),
        404,
    );
    // A roster under the threshold is allowed, with a warning on the page.
    let (small, _) = team_with(&api, "Tiny", 5, &["a", "b"]);
    let r = open_round(&api, &small);
    assert_eq!(api.get(&format!("/rounds/{}", r.id)).json()["invited"], 2);
}

#[test]
fn a_close_racing_submissions_counts_exactly_the_ones_it_accepted() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let names: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Race", 3, &refs);
    let r = open_round(&api, &team);
    let tokens: Vec<Value> = people
        .iter()
        .map(|(_, inv)| member_token(&app, "rounds", &r.id, inv, &r.key).unwrap())
        .collect();
    let base = format!("{}/api/v1", app.base);
    let body_answers = answers(&r, [4; 7], None);
    let handles: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let (url, a) = (
                format!("{base}/rounds/{}/answers", r.id),
                body_answers.clone(),
            );
            std::thread::spawn(move || {
                reqwest::blocking::Client::new()
                    .post(url)
                    .json(&json!({ "token": t, "answers": a }))
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let closed = api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(closed.status, 200);
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 410),
        "{statuses:?}"
    );
    let accepted = statuses.iter().filter(|s| **s == 201).count() as i64;
    let res = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(
        res["answered"].as_i64().unwrap(),
        accepted,
        "every accepted answer is in the results, no other"
    );
}

#[test]
fn the_demo_command_fills_a_fresh_instance_with_rounds_to_chart() {
    let app = TestApp::spawn();
    app.admin();
    let out = crate::binary::cli(&app.url, &["demo", "--months", "2"]);
    assert!(out.contains("10 closed rounds"));
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    // The app process caches metrics by version; the demo bumped it.
    let h = api.get("/metrics/heatmap").json();
    assert_eq!(h["teams"].as_array().unwrap().len(), 5);
    assert!(h["teams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["status"] == "shown"));
    assert_eq!(h["groups"][0]["name"], "Engineering (demo)");
    let t = api.get("/metrics/trends").json();
    assert!(t["trends"].as_array().unwrap().len() >= 5);
    let teams = api.get("/teams").json();
    let trend = api
        .get(&format!(
            "/teams/{}/trend",
            teams[0]["id"].as_str().unwrap()
        ))
        .json();
    assert_eq!(trend.as_array().unwrap().len(), 2);
}

#[test]
fn a_scale_value_sent_as_a_string_is_refused_by_the_api() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (team, people) = team_with(&api, "Strict", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let token = member_token(&app, "rounds", &r.id, &people[0].1, &r.key).unwrap();
    let anon = app.anon_api();
    let mut sent = answers(&r, [4; 7], Some(8));
    sent[0]["value"] = json!("4");
    let refused = anon.post(
        &format!("/rounds/{}/answers", r.id),
        &json!({ "token": token, "answers": sent }),
    );
    assert_problem(&refused, 422);
    let mut enps_text = answers(&r, [4; 7], Some(8));
    enps_text[7]["value"] = json!("8");
    assert_problem(
        &anon.post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": token, "answers": enps_text }),
        ),
        422,
    );
    assert_eq!(
        api.get(&format!("/rounds/{}/results", r.id)).json()["answered"],
        0,
        "nothing was stored"
    );
    // The token was not burnt: the same answers as numbers are taken.
    let ok = anon.post(
        &format!("/rounds/{}/answers", r.id),
        &json!({ "token": token, "answers": answers(&r, [4; 7], Some(8)) }),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
}

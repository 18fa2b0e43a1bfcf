//! Actions after a round ("you said, we did", issue 16): a leader records them on a closed
//! round's results, members see them on their landing page, at the top of the next round's
//! form and in `POST /participate`, and the culture metrics count them. Permissions, bad
//! input, and an attack on what members see (no time finer than the day, owners staff only).

use candor::auth::model::Role;
use serde_json::{json, Value};

use crate::support::*;

const LEADER: &str = "lead@example.com";
const OTHER_LEADER: &str = "other@example.com";
const FACILITATOR: &str = "fac@example.com";

/// A team of three who all answered a round that is now closed.
struct Closed {
    api: Api,
    team: String,
    round: Round,
    people: Vec<(String, String)>,
}

fn closed_round(app: &TestApp) -> Closed {
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Loop", 3, &["ann", "bob", "cat"]);
    let round = open_round(&api, &team);
    for (_, invite) in &people {
        let r = submit(app, &round, invite, answers(&round, [5; 7], Some(8)), None);
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let c = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
    assert_eq!(c.status, 200, "{}", c.text);
    Closed {
        api,
        team,
        round,
        people,
    }
}

fn record(c: &Closed, body: Value) -> Reply {
    c.api
        .post(&format!("/rounds/{}/actions", c.round.id), &body)
}

fn team_actions(c: &Closed) -> Vec<Value> {
    let r = c.api.get(&format!("/teams/{}/actions", c.team));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_array().unwrap().clone()
}

fn participate(app: &TestApp, invite: &str) -> Value {
    let r = app
        .anon_api()
        .post("/participate", &json!({ "invite": invite }));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

#[test]
fn a_leader_records_an_action_and_moves_it_to_done() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    let q = c.round.questions[1]["id"].as_str().unwrap().to_owned();
    let r = record(
        &c,
        json!({ "text": "Say in planning what we will not do", "question_id": q,
                "theme": "priorities", "due_on": "2027-02-01", "owner": ADMIN_EMAIL }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let a = r.json();
    assert_eq!(a["status"], "planned");
    assert_eq!(a["question_id"], q.as_str());
    assert!(a["question"].as_str().unwrap().len() > 5, "{a}");
    assert_eq!(a["owner"], ADMIN_EMAIL);
    assert_eq!(a["due_on"], "2027-02-01");
    assert_eq!(a["done_on"], Value::Null);
    let id = a["id"].as_str().unwrap();

    let p = c
        .api
        .patch(&format!("/actions/{id}"), &json!({ "status": "done" }));
    assert_eq!(p.status, 200, "{}", p.text);
    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(p.json()["done_on"], today.to_string());
    // Clearing the owner and the due date, and rewording.
    let p = c.api.patch(
        &format!("/actions/{id}"),
        &json!({ "owner": null, "due_on": null, "text": "Say what we will not do" }),
    );
    assert_eq!(p.status, 200, "{}", p.text);
    let j = p.json();
    assert_eq!(
        (j["owner"].clone(), j["due_on"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        j["status"], "done",
        "a change that does not name the status keeps it"
    );
    // Back from done forgets the day.
    let p = c
        .api
        .patch(&format!("/actions/{id}"), &json!({ "status": "doing" }));
    assert_eq!(p.json()["done_on"], Value::Null);
    let all = team_actions(&c);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["text"], "Say what we will not do");
}

#[test]
fn an_open_round_has_no_results_to_act_on_yet() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Open", 3, &["ann", "bob", "cat"]);
    let round = open_round(&api, &team);
    let r = api.post(
        &format!("/rounds/{}/actions", round.id),
        &json!({ "text": "Too early" }),
    );
    assert_problem(&r, 409);
    assert!(api
        .get(&format!("/teams/{team}/actions"))
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    let unknown = api.post("/rounds/nope/actions", &json!({ "text": "x" }));
    assert_problem(&unknown, 404);
}

#[test]
fn bad_action_input_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    let long = "x".repeat(501);
    for body in [
        json!({ "text": "" }),
        json!({ "text": "   " }),
        json!({ "text": long }),
        json!({ "text": "ok", "due_on": "next friday" }),
        json!({ "text": "ok", "due_on": "2027-02-30" }),
        json!({ "text": "ok", "due_on": "2027-02-01T10:00" }),
        json!({ "text": "ok", "question_id": "not-a-question" }),
        json!({ "text": "ok", "owner": "ann" }),
        json!({ "text": "ok", "owner": "nobody@example.com" }),
        json!({ "text": "ok", "theme": "y".repeat(121) }),
        json!({ "text": 5 }),
    ] {
        let r = record(&c, body.clone());
        assert_problem(&r, 422);
        assert!(
            r.json()["errors"].is_array() || body["text"] == 5,
            "{}",
            r.text
        );
    }
    assert!(
        team_actions(&c).is_empty(),
        "a refused action wrote nothing"
    );
    let a = record(&c, json!({ "text": "A real one" }));
    assert_eq!(a.status, 201);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    for body in [
        json!({ "status": "finished" }),
        json!({ "text": "" }),
        json!({ "due_on": "soon" }),
        json!({ "owner": "ann" }),
    ] {
        let r = c.api.patch(&format!("/actions/{id}"), &body);
        assert_problem(&r, 422);
    }
    let all = team_actions(&c);
    assert_eq!(all[0]["status"], "planned");
    assert_eq!(all[0]["text"], "A real one");
    assert_problem(
        &c.api.patch("/actions/nope", &json!({ "status": "done" })),
        404,
    );
}

#[test]
fn facilitators_and_leaders_of_other_teams_cannot_touch_a_team_s_actions() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    let a = record(&c, json!({ "text": "Ours" }));
    let id = a.json()["id"].as_str().unwrap().to_owned();
    app.staff(FACILITATOR, Role::Facilitator);
    app.staff(OTHER_LEADER, Role::Leader);
    for who in [FACILITATOR, OTHER_LEADER] {
        let api = app.api(&app.token_for(who));
        assert_problem(
            &api.post(
                &format!("/rounds/{}/actions", c.round.id),
                &json!({ "text": "Theirs" }),
            ),
            403,
        );
        assert_problem(
            &api.patch(&format!("/actions/{id}"), &json!({ "status": "dropped" })),
            403,
        );
        assert_problem(&api.get(&format!("/teams/{}/actions", c.team)), 403);
    }
    // A leader of the team may.
    app.staff(LEADER, Role::Leader);
    let lead = app.api(&app.token_for(LEADER));
    let admin = app.admin_browser();
    let add = admin.submit(
        &format!("/teams/{}", c.team),
        &format!("/teams/{}/leaders", c.team),
        &[("email", LEADER)],
    );
    assert!(add.status().as_u16() < 400, "{:?}", add.status());
    let r = lead.patch(&format!("/actions/{id}"), &json!({ "status": "doing" }));
    assert_eq!(r.status, 200, "{}", r.text);
    let all = team_actions(&c);
    assert_eq!(all.len(), 1, "nothing but ours was written");
    assert_eq!(all[0]["status"], "doing");
}

#[test]
fn a_member_sees_the_action_on_the_landing_page_in_participate_and_on_the_next_form() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    let r = record(
        &c,
        json!({ "text": "Rotate the hard tickets", "theme": "workload", "due_on": "2027-03-01", "owner": ADMIN_EMAIL }),
    );
    assert_eq!(r.status, 201);
    let j = participate(&app, &c.people[0].1);
    let acts = j["actions"].as_array().unwrap();
    assert_eq!(acts.len(), 1, "{j}");
    assert_eq!(acts[0]["text"], "Rotate the hard tickets");
    assert_eq!(acts[0]["status"], "planned");
    assert_eq!(acts[0]["due_on"], "2027-03-01");
    assert_eq!(acts[0]["theme"], "workload");
    assert!(acts[0].get("id").is_none(), "members get no ids: {j}");
    // Every existing field is still there.
    assert!(j["open"].is_array() && j["custody"].is_string(), "{j}");

    let page = app
        .browser()
        .post_form("/p", &[("invite", &c.people[1].1)])
        .text()
        .unwrap();
    assert!(page.contains("You said, we did"), "{page}");
    assert!(page.contains("Rotate the hard tickets"), "{page}");

    // The next round's form starts with it.
    let next = open_round(&c.api, &c.team);
    let form = app
        .browser()
        .post_form(
            &format!("/p/rounds/{}", next.id),
            &[("invite", &c.people[2].1)],
        )
        .text()
        .unwrap();
    let at = form
        .find("Rotate the hard tickets")
        .expect("action on the form");
    assert!(
        at < form.find("id=\"answer\"").unwrap(),
        "above the questions"
    );

    // Another team's member sees none of it.
    let (_, others) = team_with(&c.api, "Elsewhere", 3, &["dan"]);
    assert!(participate(&app, &others[0].1)["actions"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn the_results_page_records_an_action_through_its_form() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    let admin = app.admin_browser();
    let page = format!("/rounds/{}", c.round.id);
    let html = admin.get(&page).text().unwrap();
    assert!(html.contains("Actions: you said, we did"), "{html}");
    let action = format!("/rounds/{}/actions", c.round.id);
    let res = admin.submit(
        &page,
        &action,
        &[
            ("text", "Shorter standups"),
            ("due_on", "2027-01-10"),
            ("owner", ADMIN_EMAIL),
        ],
    );
    assert_eq!(res.status(), 303);
    let html = admin.get(&page).text().unwrap();
    assert!(html.contains("Shorter standups"), "{html}");
    // A refused form comes back with the error and what was typed, and writes nothing.
    let res = admin.submit(
        &page,
        &action,
        &[("text", "Keep this"), ("due_on", "tomorrow")],
    );
    assert_eq!(res.status(), 422);
    let body = res.text().unwrap();
    assert!(
        body.contains("YYYY-MM-DD") && body.contains("Keep this"),
        "{body}"
    );
    let res = admin.submit(&page, &action, &[("text", "")]);
    assert_eq!(res.status(), 422);
    assert_eq!(team_actions(&c).len(), 1);
    // The status form moves it.
    let id = team_actions(&c)[0]["id"].as_str().unwrap().to_owned();
    let res = admin.submit(&page, &format!("/actions/{id}"), &[("status", "done")]);
    assert_eq!(res.status(), 303);
    assert_eq!(team_actions(&c)[0]["status"], "done");
    let res = admin.submit(&page, &format!("/actions/{id}"), &[("status", "someday")]);
    assert_eq!(res.status(), 422);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // Without its CSRF token the form is refused.
    let res = admin.post_form(&action, &[("text", "Forged")]);
    assert_eq!(res.status(), 403);
    assert_eq!(team_actions(&c).len(), 1);
    // The page of its own shows the same list.
    let own = admin.get(&action).text().unwrap();
    assert!(own.contains("Shorter standups"), "{own}");
}

#[test]
fn metrics_count_actions_per_round_and_those_done_by_the_next_close() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    for t in ["One", "Two"] {
        assert_eq!(record(&c, json!({ "text": t })).status, 201);
    }
    let first = team_actions(&c)[0]["id"].as_str().unwrap().to_owned();
    let done = c
        .api
        .patch(&format!("/actions/{first}"), &json!({ "status": "done" }));
    assert_eq!(done.status, 200);
    let before = c.api.get("/metrics/trends").json();
    let ft = before["follow_through"].as_array().unwrap();
    assert_eq!(ft.len(), 1, "{before}");
    assert_eq!(ft[0]["actions"], 2);
    assert_eq!(
        ft[0]["done_by_next_close"],
        Value::Null,
        "no next round yet"
    );
    // The next round closes: one of the two was done by then.
    let next = open_round(&c.api, &c.team);
    for (_, invite) in &c.people {
        submit(&app, &next, invite, answers(&next, [6; 7], Some(9)), None);
    }
    assert_eq!(
        c.api
            .post(&format!("/rounds/{}/close", next.id), &json!({}))
            .status,
        200
    );
    let after = c.api.get("/metrics/trends").json();
    let ft = after["follow_through"].as_array().unwrap();
    assert_eq!(ft.len(), 2, "{after}");
    let row = ft
        .iter()
        .find(|r| r["round_id"] == c.round.id.as_str())
        .unwrap();
    assert_eq!(
        (row["actions"].clone(), row["done_by_next_close"].clone()),
        (json!(2), json!(1))
    );
    let csv = c.api.get("/metrics/follow-through.csv");
    assert_eq!(csv.status, 200);
    assert!(csv
        .text
        .lines()
        .next()
        .unwrap()
        .contains("done_by_next_close"));
    assert!(
        csv.text.contains(&format!("{},", c.round.id)) && csv.text.contains(",2,1"),
        "{}",
        csv.text
    );
    let page = app.admin_browser().get("/metrics").text().unwrap();
    assert!(
        page.contains("Actions after rounds") && page.contains("1 of 2"),
        "{page}"
    );
}

/// Every string a member is sent, however deep.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// A time of day (`10:42`, `T10:42`) anywhere in a text.
fn has_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    })
}

#[test]
fn attack_nothing_a_member_sees_of_actions_carries_a_time_and_owners_are_staff_only() {
    let app = TestApp::spawn();
    let c = closed_round(&app);
    // Every field set, every status a day can come from.
    for (i, status) in ["planned", "doing", "done", "dropped"].iter().enumerate() {
        let q = c.round.questions[i]["id"].clone();
        let r = record(
            &c,
            json!({ "text": format!("Action {i}"), "question_id": q, "theme": "t",
                    "due_on": "2027-04-01", "owner": ADMIN_EMAIL }),
        );
        let id = r.json()["id"].as_str().unwrap().to_owned();
        c.api
            .patch(&format!("/actions/{id}"), &json!({ "status": status }));
    }
    let j = participate(&app, &c.people[0].1);
    let mut all = vec![];
    strings(&j["actions"], &mut all);
    assert!(!all.is_empty());
    for s in &all {
        assert!(!has_time(s), "a member is sent a time: {s}");
    }
    let page = app
        .browser()
        .post_form("/p", &[("invite", &c.people[0].1)])
        .text()
        .unwrap();
    let section = &page[page.find("You said, we did").unwrap()..];
    assert!(!has_time(section), "{section}");
    // An owner can only be active staff: never a member, by label or otherwise.
    for owner in ["ann", "Ann", "bob@example.com", ""] {
        let r = record(&c, json!({ "text": "Who?", "owner": owner }));
        if owner.is_empty() {
            assert_eq!(r.status, 201, "no owner is allowed");
        } else {
            assert_problem(&r, 422);
        }
    }
    // A deactivated staff member cannot be named either.
    app.staff(LEADER, Role::Leader);
    let row = {
        let mut conn = app.db.get_write().unwrap();
        candor::auth::store::find_staff_by_email(&mut conn, LEADER)
            .unwrap()
            .unwrap()
    };
    {
        let mut conn = app.db.get_write().unwrap();
        candor::auth::store::set_active(&mut conn, &row.id, false).unwrap();
    }
    assert_problem(&record(&c, json!({ "text": "x", "owner": LEADER })), 422);
    // Members are sent no owner at all: an owner is a staff email, and member views carry
    // no one's email (G14).
    for s in &all {
        assert!(!s.contains('@'), "a member is sent an email: {s}");
    }
    assert!(!section.contains(ADMIN_EMAIL), "{section}");
}

//! Action items from reviews (issue 16): a facilitator records them while reading, linked to
//! released accounts and timeline entries by the numbers they are read under; the pre-read
//! lists them; they export as CSV (formulas defused) and as a Markdown checklist; the
//! review's writers see them (without the links). Nothing of an unreleased review leaks.

use candor::auth::model::Role;
use serde_json::{json, Value};

use crate::support::*;

const FACILITATOR: &str = "fac@example.com";
const OTHER_FACILITATOR: &str = "fac2@example.com";
const LEADER: &str = "lead@example.com";

fn incident_day() -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(3);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

struct Review {
    id: String,
    key: Value,
    people: Vec<(String, String)>,
}

fn facilitator(app: &TestApp) -> Api {
    app.admin();
    app.staff(FACILITATOR, Role::Facilitator);
    app.api(&app.token_for(FACILITATOR))
}

fn open_review(api: &Api, people: &[&str]) -> Review {
    let r = api.post(
        "/reviews",
        &json!({ "title": "Checkout outage", "incident_date": incident_day(),
                 "summary": "Checkout failed.", "invitees": people, "threshold": 3 }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    let id = j["id"].as_str().unwrap().to_owned();
    Review {
        people: review_invites(api, &id),
        key: j["key"].clone(),
        id,
    }
}

/// One writer's account; returns the receipt.
fn write(app: &TestApp, r: &Review, person: usize) -> String {
    let token = member_token(app, "reviews", &r.id, &r.people[person].1, &r.key).unwrap();
    let res = app.anon_api().post(
        &format!("/reviews/{}/accounts", r.id),
        &json!({ "token": token, "account": {
            "timeline": [{ "time": "09:40", "text": "saw the alert" }, { "text": "rolled back" }],
            "expected": format!("writer {person} expected the canary to catch it") } }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["receipt"].as_str().unwrap().to_owned()
}

fn items(api: &Api, r: &Review) -> Vec<Value> {
    let res = api.get(&format!("/reviews/{}/items", r.id));
    assert_eq!(res.status, 200, "{}", res.text);
    res.json().as_array().unwrap().clone()
}

/// Reading the review releases a batch that has come due.
fn read(api: &Api, r: &Review) -> Value {
    let res = api.get(&format!("/reviews/{}/accounts", r.id));
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

#[test]
fn a_facilitator_records_items_linked_to_released_accounts_and_exports_them() {
    let app = TestApp::spawn();
    let api = facilitator(&app);
    let r = open_review(&api, &["ann", "bob", "cat"]);
    for p in 0..3 {
        write(&app, &r, p);
    }
    assert_eq!(read(&api, &r)["accounts"].as_array().unwrap().len(), 3);
    let res = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "Rehearse the rollback", "due_on": "2027-05-01", "owner": FACILITATOR,
                 "links": [{ "account": 1, "entry": 1 }, { "account": 3 }] }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let item = res.json();
    assert_eq!(item["status"], "planned");
    assert_eq!(
        item["links"],
        json!([{ "account": 1, "entry": 1 }, { "account": 3 }])
    );
    let formula = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "=HYPERLINK(\"http://evil\")" }),
    );
    assert_eq!(formula.status, 201, "{}", formula.text);
    let id = item["id"].as_str().unwrap();
    let p = api.patch(&format!("/review-items/{id}"), &json!({ "status": "done" }));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(items(&api, &r).len(), 2);

    let b = app.login(FACILITATOR, PASSWORD);
    let csv = b.get(&format!("/reviews/{}/items.csv", r.id));
    assert_eq!(csv.status(), 200);
    let csv = csv.text().unwrap();
    assert!(
        csv.starts_with("id,text,status,owner,due_on,raised_by\n"),
        "{csv}"
    );
    assert!(csv.contains("Rehearse the rollback,done,fac@example.com,2027-05-01,Account 1, timeline entry 1; Account 3") || csv.contains("\"Account 1, timeline entry 1; Account 3\""), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "formulas are defused: {csv}");
    let md = b
        .get(&format!("/reviews/{}/items.md", r.id))
        .text()
        .unwrap();
    assert!(md.starts_with("# Action items: Checkout outage\n"), "{md}");
    assert!(
        md.contains("- [x] Rehearse the rollback (fac@example.com, due 2027-05-01, raised by Account 1, timeline entry 1; Account 3)"),
        "{md}"
    );
    assert!(md.contains("- [ ] "), "{md}");
    // The pre-read lists them, on the page's download and through the API.
    for pre in [
        b.get(&format!("/reviews/{}/preread.md", r.id))
            .text()
            .unwrap(),
        api.get(&format!("/reviews/{}/preread", r.id)).text,
    ] {
        assert!(pre.contains("## Action items"), "{pre}");
        assert!(pre.contains("- [x] Rehearse the rollback"), "{pre}");
    }
    // The review page links to them; the items page lists them with their links.
    let page = b.get(&format!("/reviews/{}", r.id)).text().unwrap();
    assert!(page.contains(&format!("/reviews/{}/items", r.id)), "{page}");
    let page = b.get(&format!("/reviews/{}/items", r.id)).text().unwrap();
    assert!(
        page.contains("Raised by: Account 1, timeline entry 1; Account 3"),
        "{page}"
    );
    // The form records one, links ticked; the status form moves it.
    let action = format!("/reviews/{}/items", r.id);
    let res = b.submit(
        &action,
        &action,
        &[("text", "From the form"), ("links", "2"), ("links", "2.2")],
    );
    assert_eq!(res.status(), 303);
    let all = items(&api, &r);
    let made = all.iter().find(|i| i["text"] == "From the form").unwrap();
    assert_eq!(
        made["links"],
        json!([{ "account": 2 }, { "account": 2, "entry": 2 }])
    );
    let res = b.submit(
        &action,
        &format!("/review-items/{}", made["id"].as_str().unwrap()),
        &[("status", "dropped")],
    );
    assert_eq!(res.status(), 303);
    assert_eq!(
        items(&api, &r)
            .iter()
            .filter(|i| i["status"] == "dropped")
            .count(),
        1
    );
}

#[test]
fn action_items_never_reveal_anything_of_an_unreleased_review() {
    let app = TestApp::spawn();
    let api = facilitator(&app);
    let r = open_review(&api, &["ann", "bob", "cat", "dan"]);
    write(&app, &r, 0);
    write(&app, &r, 1);
    let held_state = read(&api, &r);
    assert!(
        held_state["accounts"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "held below the threshold: {held_state}"
    );
    // A link to a held account is refused exactly as one to an account that does not exist.
    let held = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "x", "links": [{ "account": 1 }] }),
    );
    let absent = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "x", "links": [{ "account": 99 }] }),
    );
    assert_problem(&held, 422);
    assert_problem(&absent, 422);
    let strip = |s: &str| s.replace("99", "1");
    assert_eq!(
        strip(&held.json()["detail"].to_string()),
        strip(&absent.json()["detail"].to_string())
    );
    assert!(items(&api, &r).is_empty(), "nothing written");
    // Without links an item may be recorded; the page offers no account to tick.
    let ok = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "Fix the alerting" }),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
    let b = app.login(FACILITATOR, PASSWORD);
    let page = b.get(&format!("/reviews/{}/items", r.id)).text().unwrap();
    assert!(page.contains("nothing to link"), "{page}");
    assert!(!page.contains("name=\"links\""), "{page}");
    let md = b
        .get(&format!("/reviews/{}/items.md", r.id))
        .text()
        .unwrap();
    assert!(!md.contains("Account"), "{md}");
    // The form's forged link is refused the same way.
    let action = format!("/reviews/{}/items", r.id);
    let res = b.submit(&action, &action, &[("text", "Forged"), ("links", "1")]);
    assert_eq!(res.status(), 422);
    assert_eq!(items(&api, &r).len(), 1);
    // Once a third arrives and the batch is read, account 1 may be linked, entry 3 may not.
    write(&app, &r, 2);
    assert_eq!(read(&api, &r)["accounts"].as_array().unwrap().len(), 3);
    let fine = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "y", "links": [{ "account": 1, "entry": 2 }] }),
    );
    assert_eq!(fine.status, 201, "{}", fine.text);
    let no_entry = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "z", "links": [{ "account": 1, "entry": 3 }] }),
    );
    assert_problem(&no_entry, 422);
}

#[test]
fn writers_see_the_action_items_of_their_review_without_the_links() {
    let app = TestApp::spawn();
    let api = facilitator(&app);
    let r = open_review(&api, &["ann", "bob", "cat"]);
    let receipt = write(&app, &r, 0);
    write(&app, &r, 1);
    write(&app, &r, 2);
    read(&api, &r);
    let res = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "Name who may stop a release", "due_on": "2027-06-01",
                 "owner": FACILITATOR, "links": [{ "account": 2, "entry": 1 }] }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    // While the review is open, through the invite.
    let j = app
        .anon_api()
        .post("/participate", &json!({ "invite": r.people[1].1 }))
        .json();
    let items = j["review_items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{j}");
    assert_eq!(items[0]["text"], "Name who may stop a release");
    assert_eq!(items[0]["due_on"], "2027-06-01");
    assert!(items[0].get("links").is_none(), "{j}");
    let page = app
        .browser()
        .post_form("/p", &[("invite", &r.people[1].1)])
        .text()
        .unwrap();
    assert!(page.contains("Name who may stop a release"), "{page}");
    assert!(!page.contains("Account 2"), "{page}");
    // After the close, through the receipt.
    let close = api.post(&format!("/reviews/{}/close", r.id), &json!({}));
    assert_eq!(close.status, 200, "{}", close.text);
    let page = app
        .browser()
        .post_form("/p/followups", &[("receipt", &receipt)])
        .text()
        .unwrap();
    assert!(page.contains("What the review will change"), "{page}");
    assert!(page.contains("Name who may stop a release"), "{page}");
    assert!(!page.contains("Account 2"), "{page}");
    // Someone invited to another review sees nothing of it.
    let other = open_review(&api, &["dan"]);
    let j = app
        .anon_api()
        .post("/participate", &json!({ "invite": other.people[0].1 }))
        .json();
    assert!(j["review_items"].as_array().unwrap().is_empty(), "{j}");
}

#[test]
fn only_the_review_s_facilitators_and_admins_touch_its_items() {
    let app = TestApp::spawn();
    let api = facilitator(&app);
    let r = open_review(&api, &["ann", "bob", "cat"]);
    let res = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "Ours" }),
    );
    let id = res.json()["id"].as_str().unwrap().to_owned();
    app.staff(OTHER_FACILITATOR, Role::Facilitator);
    app.staff(LEADER, Role::Leader);
    for who in [OTHER_FACILITATOR, LEADER] {
        let other = app.api(&app.token_for(who));
        assert_problem(&other.get(&format!("/reviews/{}/items", r.id)), 403);
        assert_problem(
            &other.post(
                &format!("/reviews/{}/items", r.id),
                &json!({ "text": "Theirs" }),
            ),
            403,
        );
        assert_problem(
            &other.patch(
                &format!("/review-items/{id}"),
                &json!({ "status": "dropped" }),
            ),
            403,
        );
        let b = app.login(who, PASSWORD);
        assert_eq!(b.get(&format!("/reviews/{}/items.csv", r.id)).status(), 403);
        assert_eq!(b.get(&format!("/reviews/{}/items.md", r.id)).status(), 403);
    }
    let admin = app.api(&app.token_for(ADMIN_EMAIL));
    assert_eq!(admin.get(&format!("/reviews/{}/items", r.id)).status, 200);
    let all = items(&api, &r);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "planned");
}

#[test]
fn bad_item_input_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn();
    let api = facilitator(&app);
    let r = open_review(&api, &["ann", "bob", "cat"]);
    let many: Vec<Value> = (1..=21).map(|n| json!({ "account": n })).collect();
    for body in [
        json!({ "text": "" }),
        json!({ "text": "x".repeat(501) }),
        json!({ "text": "ok", "due_on": "01/05/2027" }),
        json!({ "text": "ok", "owner": "ann" }),
        json!({ "text": "ok", "links": [{ "account": 0 }] }),
        json!({ "text": "ok", "links": [{ "account": 1, "entry": 0 }] }),
        json!({ "text": "ok", "links": many }),
        json!({ "text": "ok", "links": "all" }),
    ] {
        assert_problem(&api.post(&format!("/reviews/{}/items", r.id), &body), 422);
    }
    assert!(items(&api, &r).is_empty());
    let ok = api.post(
        &format!("/reviews/{}/items", r.id),
        &json!({ "text": "ok" }),
    );
    let id = ok.json()["id"].as_str().unwrap().to_owned();
    for body in [
        json!({ "status": "later" }),
        json!({ "text": " " }),
        json!({ "due_on": "x" }),
    ] {
        assert_problem(&api.patch(&format!("/review-items/{id}"), &body), 422);
    }
    assert_eq!(items(&api, &r)[0]["status"], "planned");
    // The page says what was wrong, and keeps what was typed.
    let b = app.login(FACILITATOR, PASSWORD);
    let action = format!("/reviews/{}/items", r.id);
    let res = b.submit(&action, &action, &[("text", "Keep me"), ("due_on", "soon")]);
    assert_eq!(res.status(), 422);
    let body = res.text().unwrap();
    assert!(
        body.contains("YYYY-MM-DD") && body.contains("Keep me"),
        "{body}"
    );
    assert_eq!(items(&api, &r).len(), 1);
}

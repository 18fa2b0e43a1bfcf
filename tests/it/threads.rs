//! Anonymous conversations on pulse comments (issue 16, part 2): a comment's receipt, a
//! leader's reply once comments are shown, the writer reading and answering with the
//! receipt, through the API and the member pages, and retention.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::support::*;

const PEOPLE: [&str; 5] = [
    "Ada Quill",
    "Bram Stoke",
    "Cleo Marsh",
    "Dov Pike",
    "Esme Thorn",
];

pub(crate) fn admin_api(app: &TestApp) -> Api {
    app.admin();
    app.api(&app.token_for(ADMIN_EMAIL))
}

/// A team of five with threshold `k`, an open round, and the invites.
pub(crate) fn round_of_five(api: &Api, k: i64) -> (String, Round, Vec<(String, String)>) {
    let (team, invites) = team_with(api, "Harbour", k, &PEOPLE);
    let r = open_round(api, &team);
    (team, r, invites)
}

/// Answers with a comment; returns the comment's receipt.
pub(crate) fn comment(app: &TestApp, r: &Round, invite: &str, text: &str) -> String {
    let res = submit(app, r, invite, answers(r, [5; 7], Some(8)), Some(text));
    assert_eq!(res.status, 201, "{}", res.text);
    let j = res.json();
    assert_eq!(j["stored"]["comment"], text, "every existing field stays");
    j["comment_receipt"]
        .as_str()
        .expect("a comment gets a receipt")
        .to_owned()
}

pub(crate) fn close(api: &Api, r: &Round) {
    let c = api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(c.status, 200, "{}", c.text);
}

pub(crate) fn results(api: &Api, r: &Round) -> Value {
    let res = api.get(&format!("/rounds/{}/results", r.id));
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

/// The id of the thread whose comment is `text`, from the results.
pub(crate) fn thread_id(results: &Value, text: &str) -> String {
    results["comment_threads"]
        .as_array()
        .expect("comment_threads shown")
        .iter()
        .find(|t| t["text"] == text)
        .expect("the comment has a thread")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn thread_ids_in_db(app: &TestApp, round: &str) -> Vec<String> {
    use candor::db::schema::comment_threads;
    let mut conn = app.db.get_write().unwrap();
    comment_threads::table
        .filter(comment_threads::round_id.eq(round))
        .select(comment_threads::id)
        .load(&mut *conn)
        .unwrap()
}

#[test]
fn a_leader_replies_to_a_comment_and_its_writer_reads_and_answers_with_the_receipt() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    let texts: Vec<String> = (0..5).map(|i| format!("Comment number {i}")).collect();
    let receipts: Vec<String> = invites
        .iter()
        .zip(&texts)
        .map(|((_, inv), t)| comment(&app, &r, inv, t))
        .collect();
    // 160 random bits in Crockford base32, groups of four, every one different.
    for rc in &receipts {
        assert_eq!(rc.len(), 39, "{rc}");
        assert_eq!(rc.split('-').count(), 8);
    }
    let distinct: std::collections::BTreeSet<_> = receipts.iter().collect();
    assert_eq!(distinct.len(), 5);

    let anon = app.anon_api();
    // While the round is open, the writer sees their comment and cannot answer yet.
    let mine = anon.post("/comments/thread", &json!({ "receipt": receipts[0] }));
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json()["comment"]["text"], texts[0]);
    assert_eq!(mine.json()["can_reply"], false);
    assert_problem(
        &anon.post(
            "/comments/reply",
            &json!({ "receipt": receipts[0], "text": "early" }),
        ),
        409,
    );

    close(&api, &r);
    let res = results(&api, &r);
    // `comments` is exactly as before; `comment_threads` holds the same words with ids.
    let mut comments: Vec<String> = res["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    comments.sort();
    assert_eq!(comments, texts);
    let mut thread_texts: Vec<String> = res["comment_threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap().to_owned())
        .collect();
    thread_texts.sort();
    assert_eq!(thread_texts, texts);

    let id = thread_id(&res, &texts[0]);
    let reply = api.post(
        &format!("/rounds/{}/comments/{id}/replies", r.id),
        &json!({ "text": "Thanks, we will change the handover." }),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let today = app.clock.today().to_string();
    assert_eq!(
        reply.json()["replies"],
        json!([{ "from": "staff", "text": "Thanks, we will change the handover.", "on": today }])
    );

    // The writer reads the reply and answers; the answer carries no day.
    let mine = anon.post("/comments/thread", &json!({ "receipt": receipts[0] }));
    assert_eq!(mine.status, 200);
    let m = mine.json();
    assert_eq!(m["can_reply"], true);
    assert_eq!(m["comment"]["replies"][0]["from"], "staff");
    let answer = anon.post(
        "/comments/reply",
        &json!({ "receipt": receipts[0], "text": "A checklist would help most." }),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let after = results(&api, &r);
    let t = after["comment_threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        t["replies"],
        json!([
            { "from": "staff", "text": "Thanks, we will change the handover.", "on": today },
            { "from": "writer", "text": "A checklist would help most." }
        ])
    );
    // Another writer's receipt opens their own comment, with none of this conversation.
    let other = anon.post("/comments/thread", &json!({ "receipt": receipts[1] }));
    assert_eq!(other.json()["comment"]["text"], texts[1]);
    assert_eq!(other.json()["comment"]["replies"], json!([]));
    // An answer without a comment gets no receipt.
    let (team2, inv2) = team_with(&api, "Quay", 3, &["x", "y", "z"]);
    let r2 = open_round(&api, &team2);
    let plain = submit(&app, &r2, &inv2[0].1, answers(&r2, [4; 7], None), None);
    assert_eq!(plain.status, 201);
    assert!(
        plain.json().get("comment_receipt").is_none(),
        "{}",
        plain.text
    );
}

#[test]
fn a_reply_is_impossible_while_comments_are_suppressed() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    // Four answer, two of them comment: the round is shown, its comments are not (2 < 3).
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().take(4).enumerate() {
        if i < 2 {
            receipts.push(comment(&app, &r, inv, &format!("quiet words {i}")));
        } else {
            assert_eq!(
                submit(&app, &r, inv, answers(&r, [4; 7], Some(7)), None).status,
                201
            );
        }
    }
    let ids = thread_ids_in_db(&app, &r.id);
    assert_eq!(ids.len(), 2);
    // Open: no reply, whatever id is named.
    let url = |id: &str| format!("/rounds/{}/comments/{id}/replies", r.id);
    assert_problem(&api.post(&url(&ids[0]), &json!({ "text": "hi" })), 409);
    close(&api, &r);
    let res = results(&api, &r);
    assert_eq!(res["status"], "shown");
    assert!(res.get("comments").is_none() && res.get("comment_threads").is_none());
    // Closed but suppressed: the ids the leader cannot see do not open a reply either.
    let ids = thread_ids_in_db(&app, &r.id);
    for id in &ids {
        let refused = api.post(&url(id), &json!({ "text": "hi" }));
        assert_problem(&refused, 409);
        assert!(refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("not shown"));
    }
    // The writer cannot answer either; nothing was stored.
    let anon = app.anon_api();
    let mine = anon.post("/comments/thread", &json!({ "receipt": receipts[0] }));
    assert_eq!(mine.json()["can_reply"], false);
    assert_problem(
        &anon.post(
            "/comments/reply",
            &json!({ "receipt": receipts[0], "text": "hello?" }),
        ),
        409,
    );
    assert!(crate::attacks::dump_table(&app, "comment_replies").is_empty());
    // And the leader's page says so plainly, with no reply form.
    let b = app.admin_browser();
    let page = b.get(&format!("/rounds/{}", r.id)).text().unwrap();
    assert!(page.contains("they are shown only when at least"), "{page}");
    assert!(!page.contains("/replies"));
    let refused = b.submit(
        &format!("/rounds/{}", r.id),
        &url(&ids[0]),
        &[("text", "hi")],
    );
    assert_eq!(refused.status(), 409);
    assert!(refused.text().unwrap().contains("not shown"));
}

#[test]
fn a_round_under_its_threshold_takes_no_reply() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 5);
    let rc = comment(&app, &r, &invites[0].1, "alone here");
    close(&api, &r);
    assert_eq!(results(&api, &r)["status"], "suppressed");
    let id = &thread_ids_in_db(&app, &r.id)[0];
    assert_problem(
        &api.post(
            &format!("/rounds/{}/comments/{id}/replies", r.id),
            &json!({ "text": "hi" }),
        ),
        409,
    );
    assert_problem(
        &app.anon_api()
            .post("/comments/reply", &json!({ "receipt": rc, "text": "x" })),
        409,
    );
}

#[test]
fn bad_replies_get_clear_errors_and_leaders_of_other_teams_are_refused() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().enumerate() {
        receipts.push(comment(&app, &r, inv, &format!("words {i}")));
    }
    close(&api, &r);
    let id = thread_id(&results(&api, &r), "words 0");
    let url = format!("/rounds/{}/comments/{id}/replies", r.id);
    assert_problem(&api.post(&url, &json!({ "text": "   " })), 422);
    assert_problem(&api.post(&url, &json!({ "text": "x".repeat(2001) })), 422);
    assert_problem(&api.post(&url, &json!({})), 422);
    assert_problem(
        &api.post(
            &format!("/rounds/{}/comments/no-such-comment/replies", r.id),
            &json!({ "text": "hi" }),
        ),
        404,
    );
    // A comment of another round is not found under this one.
    let (t2, inv2) = team_with(&api, "Other", 3, &["p", "q", "r"]);
    let r2 = open_round(&api, &t2);
    for (i, (_, inv)) in inv2.iter().enumerate() {
        comment(&app, &r2, inv, &format!("elsewhere {i}"));
    }
    close(&api, &r2);
    let other = thread_id(&results(&api, &r2), "elsewhere 0");
    assert_problem(
        &api.post(
            &format!("/rounds/{}/comments/{other}/replies", r.id),
            &json!({ "text": "hi" }),
        ),
        404,
    );
    // A leader of another team may not reply.
    let _ = app.staff("lead@example.com", candor::auth::model::Role::Leader);
    let stranger = app.api(&app.token_for("lead@example.com"));
    assert_problem(&stranger.post(&url, &json!({ "text": "hi" })), 403);
    // The writer's bad answers: empty, too long.
    let anon = app.anon_api();
    assert_problem(
        &anon.post(
            "/comments/reply",
            &json!({ "receipt": receipts[0], "text": "" }),
        ),
        422,
    );
    assert_problem(
        &anon.post(
            "/comments/reply",
            &json!({ "receipt": receipts[0], "text": "y".repeat(2001) }),
        ),
        422,
    );
    assert!(crate::attacks::dump_table(&app, "comment_replies").is_empty());
}

#[test]
fn a_writer_s_answer_naming_someone_is_held_until_they_confirm() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().enumerate() {
        receipts.push(comment(&app, &r, inv, &format!("note {i}")));
    }
    close(&api, &r);
    let anon = app.anon_api();
    let held = anon.post(
        "/comments/reply",
        &json!({ "receipt": receipts[2], "text": "Ask Bram about it, or mail me at c@example.org" }),
    );
    assert_problem(&held, 422);
    let detail = held.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("bram") && detail.contains("email"),
        "{detail}"
    );
    assert!(crate::attacks::dump_table(&app, "comment_replies").is_empty());
    let sent = anon.post(
        "/comments/reply",
        &json!({ "receipt": receipts[2], "text": "Ask Bram about it", "confirm_identifying": true }),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
}

#[test]
fn a_replaced_answer_replaces_its_comment_s_thread_and_receipt() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    let token = member_token(&app, "rounds", &r.id, &invites[0].1, &r.key).unwrap();
    let post = |c: Option<&str>, replace: bool| {
        app.anon_api().post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": token, "answers": answers(&r, [3; 7], Some(5)), "comment": c, "replace": replace }),
        )
    };
    let first = post(Some("first thought"), false);
    assert_eq!(first.status, 201);
    let old = first.json()["comment_receipt"].as_str().unwrap().to_owned();
    let second = post(Some("second thought"), true);
    assert_eq!(second.status, 200, "{}", second.text);
    let new = second.json()["comment_receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old, new);
    let anon = app.anon_api();
    assert_problem(
        &anon.post("/comments/thread", &json!({ "receipt": old })),
        403,
    );
    let mine = anon.post("/comments/thread", &json!({ "receipt": new }));
    assert_eq!(mine.json()["comment"]["text"], "second thought");
    assert_eq!(thread_ids_in_db(&app, &r.id).len(), 1);
    // Replaced by an answer without a comment: no thread and no receipt remain.
    let third = post(None, true);
    assert_eq!(third.status, 200);
    assert!(third.json().get("comment_receipt").is_none());
    assert!(thread_ids_in_db(&app, &r.id).is_empty());
    assert_problem(
        &anon.post("/comments/thread", &json!({ "receipt": new })),
        403,
    );
}

#[test]
fn the_member_pages_show_the_receipt_and_carry_the_conversation_without_javascript() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    // The no-JavaScript route: the thank-you page shows the receipt once.
    let b = app.browser();
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().take(3).enumerate() {
        let text = format!("fallback comment {i}");
        let mut form: Vec<(String, String)> = vec![
            ("invite".into(), inv.clone()),
            ("comment".into(), text.clone()),
        ];
        for q in r.questions.iter().take(7) {
            form.push((format!("q_{}", q["id"].as_str().unwrap()), "4".into()));
        }
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let page = b.post_form(&format!("/p/rounds/{}/fallback", r.id), &refs);
        assert_eq!(page.status(), 201);
        let html = page.text().unwrap();
        assert!(html.contains("shown only this once"), "{html}");
        let start = html.find("id=\"receipt\">").expect("receipt shown") + 13;
        let receipt = html[start..start + 39].to_owned();
        assert_eq!(receipt.split('-').count(), 8, "{receipt}");
        receipts.push(receipt);
    }
    close(&api, &r);
    // The leader's results page shows the conversations with a reply form, and a reply
    // sent from it lands under its comment.
    let lead = app.admin_browser();
    let page = lead.get(&format!("/rounds/{}", r.id)).text().unwrap();
    assert!(page.contains("Conversations on comments"), "{page}");
    let id = thread_id(&results(&api, &r), "fallback comment 1");
    let sent = lead.submit(
        &format!("/rounds/{}", r.id),
        &format!("/rounds/{}/comments/{id}/replies", r.id),
        &[("text", "We hear you; more on Monday.")],
    );
    assert_eq!(sent.status(), 303);
    assert!(lead
        .get(&format!("/rounds/{}", r.id))
        .text()
        .unwrap()
        .contains("We hear you; more on Monday."));
    let empty = lead.submit(
        &format!("/rounds/{}", r.id),
        &format!("/rounds/{}/comments/{id}/replies", r.id),
        &[("text", "  ")],
    );
    assert_eq!(empty.status(), 422);
    assert!(empty.text().unwrap().contains("Write something first."));

    // The writer, with no JavaScript: the receipt form, their thread, their answer.
    let m = app.browser();
    let form = m.get("/p/comments");
    assert_eq!(form.status(), 200);
    assert!(form.text().unwrap().contains("name=\"receipt\""));
    let thread = m.post_form("/p/comments", &[("receipt", &receipts[1])]);
    assert_eq!(thread.status(), 200);
    let html = thread.text().unwrap();
    assert!(html.contains("fallback comment 1") && html.contains("We hear you; more on Monday."));
    assert!(html.contains("action=\"/p/comments/reply\""));
    // The warning about identifying details, then the confirmed answer.
    let warned = m.post_form(
        "/p/comments/reply",
        &[
            ("receipt", &receipts[1]),
            ("text", "Cleo knows the details"),
        ],
    );
    assert_eq!(warned.status(), 200);
    let w = warned.text().unwrap();
    assert!(
        w.contains("may identify someone") && w.contains("Send anyway"),
        "{w}"
    );
    assert!(crate::attacks::dump_table(&app, "comment_replies").len() == 1);
    let stored = m.post_form(
        "/p/comments/reply",
        &[
            ("receipt", &receipts[1]),
            ("text", "Cleo knows the details"),
            ("confirm_identifying", "1"),
        ],
    );
    assert_eq!(stored.status(), 201);
    assert!(stored.text().unwrap().contains("Your answer is stored"));
    assert!(lead
        .get(&format!("/rounds/{}", r.id))
        .text()
        .unwrap()
        .contains("Cleo knows the details"));
    // A wrong receipt: the form again, never echoing what was typed.
    let wrong = m.post_form("/p/comments", &[("receipt", "SECRETGUESS-1234")]);
    assert_eq!(wrong.status(), 403);
    let w = wrong.text().unwrap();
    assert!(w.contains("does not match any comment") && !w.contains("SECRETGUESS"));
}

#[test]
fn after_retention_receipts_and_replies_are_deleted_and_scrubbed() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (_, r, invites) = round_of_five(&api, 3);
    let mut receipts = vec![];
    for (i, (_, inv)) in invites.iter().enumerate() {
        receipts.push(comment(&app, &r, inv, &format!("kept words {i}")));
    }
    close(&api, &r);
    let id = thread_id(&results(&api, &r), "kept words 0");
    let marker = "REPLY-MARKER-vq83kd";
    assert_eq!(
        api.post(
            &format!("/rounds/{}/comments/{id}/replies", r.id),
            &json!({ "text": marker }),
        )
        .status,
        201
    );
    let anon = app.anon_api();
    assert_eq!(
        anon.post(
            "/comments/reply",
            &json!({ "receipt": receipts[0], "text": "WRITER-MARKER-p2m7zt" })
        )
        .status,
        201
    );
    // Within retention nothing goes.
    let set_closed = |days: i64| {
        use candor::db::schema::rounds;
        let mut conn = app.db.get_write().unwrap();
        diesel::update(rounds::table.find(&r.id))
            .set(rounds::closed_on.eq(Some(app.clock.today() - time::Duration::days(days))))
            .execute(&mut *conn)
            .unwrap();
    };
    set_closed(179);
    app.replica().periodic();
    assert_eq!(thread_ids_in_db(&app, &r.id).len(), 5);
    set_closed(181);
    app.replica().periodic();
    assert!(thread_ids_in_db(&app, &r.id).is_empty());
    assert!(crate::attacks::dump_table(&app, "comment_replies").is_empty());
    // The receipt opens nothing now, with the one answer every wrong receipt gets.
    let gone = anon.post("/comments/thread", &json!({ "receipt": receipts[0] }));
    let wrong = anon.post("/comments/thread", &json!({ "receipt": "0000" }));
    assert_problem(&gone, 403);
    assert_eq!(gone.text, wrong.text);
    // The comments stay in the results; their conversations are gone.
    let res = results(&api, &r);
    assert_eq!(res["comments"].as_array().unwrap().len(), 5);
    assert_eq!(res["comment_threads"], json!([]));
    // And their old row images: the scrub completed and no marker is left in the files.
    let done = crate::attacks_scrub::scrub_until_done(&api);
    assert_eq!(done.json()["scrub"]["pending"], false, "{}", done.text);
    let raw = crate::attacks_scrub::raw_bytes(&app);
    assert_eq!(crate::attacks_scrub::count(&raw, marker.as_bytes()), 0);
    assert_eq!(
        crate::attacks_scrub::count(&raw, b"WRITER-MARKER-p2m7zt"),
        0
    );
}

//! Issue 15's bugs, over HTTP against the real app: the follow-up form redirects after its
//! POST, the add-question form keeps what was typed, the member landing does not offer a
//! form that would refuse, a member form's address opened by GET explains the way back, and
//! the account form carries the invitees' name parts for its warning.

use serde_json::{json, Value};

use crate::support::*;

fn day_before_yesterday() -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(2);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A review by the admin with invitees; returns (id, key, [(label, invite)]).
fn review(api: &Api, people: &[&str]) -> (String, Value, Vec<(String, String)>) {
    let r = api.post(
        "/reviews",
        &json!({ "title": "Queue backlog", "incident_date": day_before_yesterday(),
                 "summary": "Jobs piled up.", "invitees": people, "threshold": 3 }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    let id = j["id"].as_str().expect("id").to_owned();
    (id.clone(), j["key"].clone(), review_invites(api, &id))
}

fn write_account(app: &TestApp, id: &str, key: &Value, invite: &str, text: &str) {
    let token = member_token(app, "reviews", id, invite, key).expect("token");
    let res = app.anon_api().post(
        &format!("/reviews/{id}/accounts"),
        &json!({ "token": token, "account": { "expected": text } }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
}

fn location(res: &reqwest::blocking::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asking a follow-up answers 303 to the review page: reloading the page that follows sends
/// nothing again, so the question is asked once and the pre-read holds it once.
#[test]
fn asking_a_follow_up_redirects_so_a_reload_does_not_ask_it_again() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (id, key, people) = review(&api, &["ann", "bea", "cid"]);
    for (i, (_, invite)) in people.iter().enumerate() {
        write_account(
            &app,
            &id,
            &key,
            invite,
            &format!("writer {i} expected a page"),
        );
    }
    let state = api.get(&format!("/reviews/{id}/accounts")).json();
    let account = state["accounts"][0]["id"]
        .as_str()
        .expect("account id")
        .to_owned();
    let page = format!("/reviews/{id}");
    let res = admin.submit(
        &page,
        &format!("/reviews/{id}/accounts/{account}/questions"),
        &[("text", "What did the pager say?")],
    );
    assert_eq!(
        res.status(),
        303,
        "a POST that asked is answered by a redirect"
    );
    let to = location(&res);
    assert!(to.starts_with(&page), "{to}");
    // The page it leads to says what happened; loading it twice asks nothing more.
    for _ in 0..2 {
        let shown = admin.get(&to);
        assert_eq!(shown.status(), 200);
        let html = shown.text().expect("body");
        assert!(html.contains("Question added."), "{html}");
    }
    let after = api.get(&format!("/reviews/{id}/accounts")).json();
    let asked: usize = after["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["followups"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(asked, 1, "{after}");
    let md = api.get(&format!("/reviews/{id}/preread")).text;
    assert_eq!(md.matches("What did the pager say?").count(), 1, "{md}");
    // A refused question still comes back on the page with its error, not a redirect.
    let empty = admin.submit(
        &page,
        &format!("/reviews/{id}/accounts/{account}/questions"),
        &[("text", "   ")],
    );
    assert_eq!(empty.status(), 422);
    // The message key is a fixed word: anything else in the address shows nothing.
    let odd = admin
        .get(&format!("{page}?done=%3Cscript%3E"))
        .text()
        .expect("body");
    assert!(!odd.contains("<script>") && !odd.contains("Question added."));
}

/// A refused question comes back with its kind, text, options and "required" as typed, and
/// the options field says it is needed for single choice instead of "(optional)".
#[test]
fn the_add_question_form_keeps_what_was_typed_when_it_is_refused() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Form", 3, &["a", "b", "c"]);
    let page = format!("/teams/{team}/questions");
    let blank = admin.get(&page).text().expect("body");
    assert!(blank.contains("Options, for single choice"), "{blank}");
    let options_label = blank
        .split("for=\"f-options\"")
        .nth(1)
        .and_then(|s| s.split("</label>").next())
        .expect("options label")
        .to_owned();
    assert!(!options_label.contains("optional"), "{options_label}");
    for (kind, text, options) in [
        ("choice", "Which day suits the retro?", "Only Monday"),
        ("scale5", "", ""),
        ("text", &"x".repeat(400) as &str, ""),
    ] {
        let res = admin.submit(
            &page,
            &page,
            &[
                ("kind", kind),
                ("text", text),
                ("options", options),
                ("required", "1"),
            ],
        );
        assert_eq!(res.status(), 422, "{kind}");
        let html = res.text().expect("body");
        assert!(
            html.contains(&format!("<option value=\"{kind}\" selected>")),
            "the kind {kind} is still chosen:\n{html}"
        );
        let others = ["scale7", "scale5", "choice", "text"]
            .iter()
            .filter(|k| **k != kind && html.contains(&format!("<option value=\"{k}\" selected>")))
            .count();
        assert_eq!(others, 0, "one kind selected");
        let text_field = html
            .split("id=\"f-text\"")
            .nth(1)
            .and_then(|s| s.split('>').next())
            .expect("text input")
            .to_owned();
        assert!(
            text_field.contains(&format!("value=\"{text}\"")),
            "the text is kept: {text_field}"
        );
        if !options.is_empty() {
            assert!(html.contains(&format!(">{options}</textarea>")), "{html}");
        }
        assert!(
            html.contains("name=\"required\" value=\"1\" checked"),
            "required stays ticked"
        );
    }
    // Nothing was added by the refused forms; an accepted one starts the form afresh.
    let ok = admin.submit(
        &page,
        &page,
        &[
            ("kind", "choice"),
            ("text", "Which day?"),
            ("options", "Mon\nFri"),
        ],
    );
    assert_eq!(ok.status(), 201);
    let html = ok.text().expect("body");
    assert!(
        !html.contains("<option value=\"choice\" selected>"),
        "{html}"
    );
    assert!(!html.contains(">Mon\nFri</textarea>"), "{html}");
}

/// After taking part, the member's list says so instead of offering "Answer" (which only led
/// to "already taken part"); before, it offers it. Only the member's own state differs.
#[test]
fn the_member_list_says_taken_part_instead_of_offering_a_form_that_refuses() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Landing", 3, &["dee", "eli", "fay"]);
    let round = open_round(&api, &team);
    let b = app.browser();
    let list = |invite: &str| {
        let res = b.post_form("/p", &[("invite", invite)]);
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none());
        res.text().expect("body")
    };
    let form_action = format!("action=\"/p/rounds/{}\"", round.id);
    let before = list(&people[0].1);
    assert!(
        before.contains(&form_action) && before.contains(">Answer<"),
        "{before}"
    );
    assert!(!before.contains("You have taken part"));
    let res = submit(
        &app,
        &round,
        &people[0].1,
        answers(&round, [4; 7], Some(8)),
        None,
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let after = list(&people[0].1);
    assert!(after.contains("You have taken part"), "{after}");
    // The only form left is the hidden "Change my answer", which bulletin.js shows only in a
    // browser that kept this round's spent token (G17).
    // The other hidden form, "Finish my answer", is shown only in a browser that asked for
    // its token and never sent the answer (a lost response; lockout.rs, browser/results.rs).
    let hidden_change = format!("{form_action} hidden data-change=\"{}\"", round.id);
    let hidden_finish = format!("{form_action} hidden data-finish=\"{}\"", round.id);
    assert_eq!(
        after.matches(&form_action).count(),
        after.matches(&hidden_change).count() + after.matches(&hidden_finish).count(),
        "no visible form that would refuse: {after}"
    );
    assert!(!after.contains(">Answer<"));
    // Someone who has not taken part still gets the form.
    let other = list(&people[1].1);
    assert!(other.contains(&form_action) && !other.contains("You have taken part"));
    // A token fetched but not yet spent counts as taking part too: the form would refuse.
    member_token(&app, "rounds", &round.id, &people[2].1, &round.key).expect("token");
    assert!(list(&people[2].1).contains("You have taken part"));
}

/// A member's form address opened by GET (back, bookmark, reload) is a page that says how to
/// get back in, anonymous like the rest of `/p`, never a 404.
#[test]
fn a_member_form_address_opened_by_get_explains_the_way_back() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Back button", 3, &["gus", "hal", "ivy"]);
    let round = open_round(&api, &team);
    let (review_id, _, _) = review(&api, &["jo", "kim", "lee"]);
    for path in [
        format!("/p/rounds/{}", round.id),
        format!("/p/reviews/{review_id}"),
        "/p/rounds/no-such-round".to_owned(),
    ] {
        let b = app.browser();
        b.cookies
            .borrow_mut()
            .insert("candor_session".into(), "stale".into());
        let res = b.get(&path);
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
        let html = res.text().expect("body");
        assert!(
            html.contains("Open your invitation again"),
            "{path}: {html}"
        );
        assert!(
            html.contains("action=\"/p\""),
            "the code form posts to /p: {html}"
        );
        // The same page whatever the id: it says nothing about what exists.
        assert!(!html.contains(&round.id) && !html.contains(&review_id));
    }
}

/// The account form carries the name parts of everyone invited, for the warning before
/// sending (issue 15: the review form did not check invitee names), and the same list for
/// every writer (G14): words only, no emails, no domains, no roster order.
#[test]
fn the_account_form_carries_invitee_name_parts_the_same_for_every_writer() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (id, _, people) = review(
        &api,
        &[
            "Bob Diaz <bob.diaz@corp.example>",
            "Zoe Lopez",
            "ann@corp.example",
        ],
    );
    let form = |invite: &str| {
        let res = app
            .browser()
            .post_form(&format!("/p/reviews/{id}"), &[("invite", invite)]);
        assert_eq!(res.status(), 200);
        res.text().expect("body").replace(invite, "INVITE")
    };
    let first = form(&people[0].1);
    let names = first
        .split("data-names=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("data-names")
        .replace("&quot;", "\"");
    let names: Vec<String> = serde_json::from_str(&names).expect("a JSON list");
    assert_eq!(names, ["ann", "bob", "diaz", "lopez", "zoe"]);
    assert!(!first.contains("corp.example") && !first.contains("Bob Diaz"));
    assert_eq!(first, form(&people[2].1), "every writer gets the same page");
}

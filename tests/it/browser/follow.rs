//! Issue 16 in a real browser: a member opens their invite and sees, on their landing page,
//! the action a leader recorded after the last round ("you said, we did"), with its status
//! and a day only, at phone and desk width, with axe at 0 violations.

use serde_json::json;

use super::*;

#[test]
fn a_member_sees_a_leader_s_action_on_their_landing_page() {
    let c = chrome_or_skip!(
        "a_member_sees_a_leader_s_action_on_their_landing_page",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Loop", 3, &["ann", "bob", "cat"]);
    let round = crate::support::open_round(&api, &team);
    for (_, invite) in &people {
        let answers = crate::support::answers(&round, [5; 7], Some(8));
        let r = crate::support::submit(&app, &round, invite, answers, None);
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let closed = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    let a = api.post(
        &format!("/rounds/{}/actions", round.id),
        &json!({ "text": "Hand over on-call in a short call", "due_on": "2027-01-15", "owner": ADMIN_EMAIL }),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let p = api.patch(&format!("/actions/{id}"), &json!({ "status": "doing" }));
    assert_eq!(p.status, 200, "{}", p.text);

    let mut problems = vec![];
    for width in [390, 1280] {
        c.set_width(width, 900);
        c.goto(&format!("{}/p#{}", app.base, people[0].1));
        c.wait_text("What you are invited to");
        c.wait_text("You said, we did");
        let text = c.text();
        assert!(text.contains("Hand over on-call in a short call"), "{text}");
        assert!(text.contains("In progress"), "{text}");
        assert!(text.contains("due 2027-01-15"), "{text}");
        check_layout(&c, "member-landing-actions", &mut problems);
    }
    assert_layout(
        "a_member_sees_a_leader_s_action_on_their_landing_page",
        &problems,
    );
}

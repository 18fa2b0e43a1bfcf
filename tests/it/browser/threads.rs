//! Issue 16 in a real browser: a member writes a comment and leaves with its receipt, a
//! leader replies under the round's results, the member comes back with the receipt, reads
//! the reply and answers. Every page state passes axe at a phone's width.

use serde_json::json;

use super::*;

#[test]
fn a_member_answers_a_leader_s_reply_to_their_comment_with_the_receipt() {
    let test = "a_member_answers_a_leader_s_reply_to_their_comment_with_the_receipt";
    let c = chrome_or_skip!(test, true);
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Talkback", 3, &["kim", "lou", "max"]);
    let round = open_round(&api, &team);
    c.set_width(390, 900);
    let mut layout = Vec::new();

    // The member answers in the browser with a comment and is shown its receipt once.
    open_round_form(&c, &app.base, &people[0].1, &round.id, true, None);
    answer_every_question(&c);
    c.type_into(&c.find("#f-comment"), "Releases on Fridays wear us out.");
    submit_answers(&c);
    c.wait_text("Thank you: your answers are in");
    let receipt = c.wait("the comment's receipt", || {
        let el = c.try_find("css selector", "#comment-receipt #receipt")?;
        let text = c.js("return arguments[0].textContent", &[el.arg()]);
        text.as_str().filter(|t| t.len() >= 32).map(str::to_owned)
    });
    assert!(!c.url().contains(&receipt), "the receipt is never in a URL");
    check_layout(&c, "member-stored-receipt", &mut layout);
    // Two colleagues comment through the API, so the comments reach the threshold.
    for (i, (_, secret)) in people.iter().enumerate().skip(1) {
        let token = member_token(&app, "rounds", &round.id, secret, &round.key)
            .unwrap_or_else(|r| panic!("{}", r.text));
        let values: Vec<Value> = round
            .questions
            .iter()
            .map(|q| {
                let v = if q["kind"] == "enps" { 7 } else { 4 };
                json!({ "question_id": q["id"], "value": v })
            })
            .collect();
        let res = app.anon_api().post(
            &format!("/rounds/{}/answers", round.id),
            &json!({ "token": token, "answers": values, "comment": format!("colleague {i}") }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let closed = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);

    // The leader replies under the results, in the browser.
    c.goto(&format!("{}/login", app.base));
    c.type_into(&c.find("#f-email"), ADMIN_EMAIL);
    c.type_into(&c.find("#f-password"), PASSWORD);
    c.click(&c.find("form[action=\"/login\"] button[type=submit]"));
    c.wait("signed in", || (!c.url().ends_with("/login")).then_some(()));
    c.goto(&format!("{}/rounds/{}", app.base, round.id));
    c.wait_text("Conversations on comments");
    check_layout(&c, "round-conversations", &mut layout);
    let results = api.get(&format!("/rounds/{}/results", round.id)).json();
    let id = results["comment_threads"]
        .as_array()
        .expect("threads")
        .iter()
        .find(|t| t["text"] == "Releases on Fridays wear us out.")
        .expect("the browser's comment")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    c.type_into(
        &c.find(&format!("#r-{id}")),
        "Agreed: no more Friday releases from next month.",
    );
    c.click(&c.find(&format!("#c-{id} button[type=submit]")));
    c.wait_text("Agreed: no more Friday releases from next month.");

    // The member comes back with only the receipt.
    c.goto(&format!("{}/p/comments", app.base));
    check_layout(&c, "comment-receipt-form", &mut layout);
    c.type_into(&c.find("#f-receipt"), &receipt.to_lowercase());
    c.click(&c.find("form[action=\"/p/comments\"] button[type=submit]"));
    c.wait_text("Agreed: no more Friday releases from next month.");
    check_layout(&c, "comment-thread", &mut layout);
    c.type_into(
        &c.find("#f-text"),
        "Thank you, that will help the whole team.",
    );
    c.click(&c.find("form[action=\"/p/comments/reply\"] button[type=submit]"));
    c.wait_text("Your answer is stored");
    check_layout(&c, "comment-answered", &mut layout);
    assert_eq!(cookie(&c), "", "no cookie on the member's pages");
    let after = api.get(&format!("/rounds/{}/results", round.id)).json();
    let thread = after["comment_threads"]
        .as_array()
        .expect("threads")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("thread")
        .clone();
    assert_eq!(thread["replies"][1]["from"], "writer");
    assert_eq!(
        thread["replies"][1]["text"],
        "Thank you, that will help the whole team."
    );
    assert_layout(test, &layout);
}

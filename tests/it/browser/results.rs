//! Issue 15 in a real browser, the rest: choosing questions when opening a round, the share
//! bars on results, small multiples and the items-by-round table on a team's trend, and the
//! paged pulse index, each at phone and desk width with 0 axe violations; and a member whose
//! token response was lost on the way (a network failure, then a closed tab) still answers,
//! once.

use serde_json::{json, Value};

use super::*;

fn sign_in(c: &Chrome, base: &str) {
    c.goto(&format!("{base}/login"));
    c.type_into(&c.find("#f-email"), ADMIN_EMAIL);
    c.type_into(&c.find("#f-password"), PASSWORD);
    c.click(&c.find("form[action=\"/login\"] button[type=submit]"));
    c.wait("leaving the login page", || {
        (!c.url().ends_with("/login")).then_some(())
    });
}

/// Three members answer the round (varied answers), then it closes.
fn answer_and_close(app: &TestApp, api: &Api, round: &Round, secrets: &[String], shift: i64) {
    for (i, secret) in secrets.iter().take(3).enumerate() {
        let token = member_token(app, "rounds", &round.id, secret, &round.key)
            .unwrap_or_else(|r| panic!("token: {}", r.text));
        let values: Vec<Value> = round
            .questions
            .iter()
            .map(|q| {
                let v = if q["kind"] == "enps" {
                    6 + i as i64
                } else {
                    (shift + 2 * i as i64) % 7 + 1
                };
                json!({ "question_id": q["id"], "value": v })
            })
            .collect();
        let res = app.anon_api().post(
            &format!("/rounds/{}/answers", round.id),
            &json!({ "token": token, "answers": values }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let closed = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
}

#[test]
fn results_trends_the_picker_and_the_paged_index_fit_a_phone_and_a_desk() {
    let test = "results_trends_the_picker_and_the_paged_index_fit_a_phone_and_a_desk";
    let c = chrome_or_skip!(test, true);
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Payments", 3, &["Ana", "Ben", "Cy", "Dee"]);
    let secrets: Vec<String> = people.iter().map(|(_, s)| s.clone()).collect();
    // Six shown rounds (a trend that crowds one chart, so small multiples), then enough
    // closed rounds to page the index, one of them answered by too few to show.
    let mut shown = String::new();
    for k in 0..6 {
        app.clock.advance(time::Duration::days(7));
        let r = open_round(&api, &team);
        answer_and_close(&app, &api, &r, &secrets, k);
        shown = r.id;
    }
    for _ in 0..16 {
        app.clock.advance(time::Duration::days(1));
        let r = open_round(&api, &team);
        api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    }
    sign_in(&c, &app.base);

    let mut layout = Vec::new();
    for width in [390_i64, 1280] {
        c.set_width(width, 900);
        // The team's pulse page: the picker in the open-round form, the trend's small
        // multiples and the items-by-round table in its labelled scroll region.
        c.goto(&format!("{}/teams/{team}/rounds", app.base));
        c.wait_text("Open a round");
        let multiples = c.js(
            "return document.querySelectorAll('svg.multiples').length",
            &[],
        );
        assert!(
            multiples.as_i64().unwrap_or(0) >= 1,
            "small multiples drawn"
        );
        let table = c.js(
            "const t = document.querySelector('table.items-by-round');
             const r = t && t.closest('[role=region]');
             return r ? [r.getAttribute('aria-label'), r.tabIndex, r.getBoundingClientRect().right <= window.innerWidth + 1] : null;",
            &[],
        );
        assert_eq!(
            table[1], 0,
            "the table's scroll region takes focus: {table}"
        );
        assert_eq!(
            table[2], true,
            "the region stays inside the screen: {table}"
        );
        assert!(c
            .text()
            .contains("Mistakes are not held against people on this team."));
        check_layout(&c, "trend", &mut layout);

        // The shown round's results: a share bar beside each scale item's mean.
        c.goto(&format!("{}/rounds/{shown}", app.base));
        c.wait_text("favourable");
        let bars = c.js("return document.querySelectorAll('.share-bar').length", &[]);
        assert_eq!(bars, 7, "one share bar per scale item");
        let drawn = c.js(
            "return [...document.querySelectorAll('.share-bar rect.fav')].some((r) => r.getBoundingClientRect().width > 1)",
            &[],
        );
        assert_eq!(
            drawn, true,
            "the bars are drawn: no inline style for the CSP to drop"
        );
        check_layout(&c, "round", &mut layout);

        // The pulse index, both pages: score and participation, no sideways scroll.
        c.goto(&format!("{}/rounds", app.base));
        c.wait_text("Page 1 of 2");
        let rows = c.js(
            "return document.querySelectorAll('table.reflow tbody tr').length",
            &[],
        );
        assert_eq!(rows, 20);
        check_layout(&c, "rounds", &mut layout);
        c.click(&c.find("a[rel=next]"));
        c.wait_text("Page 2 of 2");
        assert!(
            c.text().contains("3 of 4"),
            "participation of a shown round"
        );
        check_layout(&c, "rounds-page-2", &mut layout);
    }

    // Opening a round through the picker, at phone width: eNPS unticked, a question added.
    c.set_width(390, 900);
    c.goto(&format!("{}/teams/{team}/rounds", app.base));
    c.wait_text("Open a round");
    let enps = c.find_xpath("//fieldset[contains(@class,'picker')]//label[contains(., '(eNPS)')]");
    c.click(&enps);
    c.type_into(
        &c.find("#f-new_text"),
        "I know what our team is trying to achieve.",
    );
    check_layout(&c, "picker", &mut layout);
    c.click(&c.find("form[action$=\"/rounds\"] button[type=submit]"));
    let round = c.wait("the new round's page", || {
        let url = c.url();
        let id = url.split("/rounds/").nth(1)?.to_owned();
        (!id.is_empty() && !url.contains("/teams/")).then_some(id)
    });
    let detail = api.get(&format!("/rounds/{round}")).json();
    let questions = detail["questions"].as_array().expect("questions");
    assert!(
        questions.iter().all(|q| q["kind"] != "enps"),
        "eNPS left out"
    );
    assert!(questions
        .iter()
        .any(|q| q["text"] == "I know what our team is trying to achieve."));
    assert_eq!(questions.len(), 8, "seven items and the leader's own");
    assert_layout(test, &layout);
}

/// Makes the next token request's response get lost after the server answered it: the
/// request is sent and signed, the page sees a network failure.
const LOSE_NEXT_TOKEN_RESPONSE: &str = "
  const real = window.fetch.bind(window);
  let lose = true;
  window.fetch = async (url, opts) => {
    const res = await real(url, opts);
    if (lose && String(url).endsWith('/tokens')) { lose = false; throw new TypeError('Failed to fetch'); }
    return res;
  };";

#[test]
fn a_member_whose_token_response_was_lost_finishes_their_answer_and_it_counts_once() {
    let test = "a_member_whose_token_response_was_lost_finishes_their_answer_and_it_counts_once";
    let c = chrome_or_skip!(test, true);
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Flaky", 3, &["Ana", "Ben", "Cy"]);
    let round = open_round(&api, &team);
    let secret = &people[0].1;
    let mut layout = Vec::new();
    c.set_width(390, 900);

    // The token request reaches the server and is signed; its response is lost.
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    answer_every_question(&c);
    c.js(LOSE_NEXT_TOKEN_RESPONSE, &[]);
    submit_answers(&c);
    let alert = alert_text(&c);
    assert!(alert.contains("connection failed"), "{alert}");
    assert_eq!(
        issued(&app, &round.id),
        1,
        "the server issued, the page never saw it"
    );
    assert_eq!(answered(&api, &round.id), 0);

    // The member closes the tab and comes back through their link: the page says they took
    // part, and offers to finish what this browser started.
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    c.wait("the offer to finish", || {
        (c.js(
            "const o = document.getElementById('unfinished-offer'); return !!o && !o.hidden",
            &[],
        ) == true)
            .then_some(())
    });
    check_layout(&c, "member-unfinished", &mut layout);
    c.click(&c.find("#finish-answer"));
    answer_every_question(&c);
    submit_answers(&c);
    c.wait_text("Thank you");
    assert_eq!(answered(&api, &round.id), 1, "the answer counts");
    assert_eq!(issued(&app, &round.id), 1, "with the one token issued");
    let left = c.js(
        "return Object.keys(localStorage).filter((k) => k.startsWith('candor-pending-')).length",
        &[],
    );
    assert_eq!(left, 0, "no blinding state is left behind");
    assert_layout(test, &layout);
}

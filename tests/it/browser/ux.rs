//! Issue 15 in a real browser: a writer's token is never fetched for a form the server would
//! refuse; the warnings about identifying details offer "Let me edit it" and check names and
//! follow-up replies; scales, legends and the invite table fit a phone; and every member page
//! state passes axe at phone and desk width.

use serde_json::{json, Value};

use super::*;

fn incident_day() -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(2);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn issued_for(app: &TestApp, scope: &str) -> i64 {
    let mut conn = app.db.get_write().expect("conn");
    candor::tokens::store::count_issued(&mut conn, &scope.into()).expect("count issued")
}

/// The writer opens their account form in the browser, from the list of what is open.
fn open_account_form(c: &Chrome, base: &str, secret: &str, review: &str) {
    c.goto(&format!("{base}/p#{secret}"));
    c.wait_text("What you are invited to");
    c.click(&c.find(&format!(
        "form.card[action=\"/p/reviews/{review}\"] button[type=submit]"
    )));
    c.wait("the account form", || {
        c.try_find("css selector", "#account-form")
    });
    c.wait_text("will send your account the untraceable way");
}

fn status_text(c: &Chrome) -> String {
    c.js("return document.getElementById('status').innerText", &[])
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Issue 15's lock-out: an empty or over-long account, or a bad time, is refused in the
/// browser before any token is requested, so the writer's one token is never spent on a form
/// the server would refuse; the same writer then writes and sends their account. The name
/// warning names the invitee as typed and offers "Let me edit it".
#[test]
fn a_writer_is_never_locked_out_by_a_form_the_server_would_refuse() {
    let c = chrome_or_skip!(
        "a_writer_is_never_locked_out_by_a_form_the_server_would_refuse",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let r = api.post("/reviews", &json!({ "title": "Cache stampede", "incident_date": incident_day(),
        "summary": "The cache fell over.", "invitees": ["Ola Nowak", "Pia Berg", "Quinn Ray"], "threshold": 3 }));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let people = review_invites(&api, &id);
    let secret = &people[0].1;
    c.set_width(390, 900);
    open_account_form(&c, &app.base, secret, &id);

    // Empty: refused here, nothing requested.
    c.click(&c.find("#submit-account"));
    c.wait("the empty-form message", || {
        status_text(&c)
            .contains("The account is empty")
            .then_some(())
    });
    assert!(status_text(&c).contains("Nothing was sent yet"));
    // A time without words, and a field over its limit: both named, still nothing requested.
    c.js(
        "document.querySelector('[name=timeline_time]').value = '09:40';
         document.getElementById('f-hard').value = 'x'.repeat(Number(document.getElementById('account-form').dataset.maxField) + 1);",
        &[],
    );
    c.click(&c.find("#submit-account"));
    c.wait("the field messages", || {
        let t = status_text(&c);
        (t.contains("Entry 1: say what happened") && t.contains("the limit is")).then_some(())
    });
    assert_eq!(
        issued_for(&app, &id),
        0,
        "no token was fetched for a refused form"
    );
    let mut layout = Vec::new();
    check_layout(&c, "account-form-refused", &mut layout);

    // A real account that names an invitee: the warning names them as typed.
    c.js("document.getElementById('f-hard').value = '';", &[]);
    c.type_into(
        &c.find("textarea[name=timeline_text]"),
        "Pia restarted the cache and it came back.",
    );
    c.click(&c.find("#submit-account"));
    let warning = c.wait("the identifying-details warning", || {
        let t = c.js(
            "const w = document.getElementById('identifying'); return w.hidden ? null : w.innerText;",
            &[],
        );
        t.as_str().map(str::to_owned)
    });
    assert!(
        warning.contains("a name of someone invited: Pia"),
        "the name as the writer typed it: {warning}"
    );
    assert!(
        !status_text(&c).contains("Nothing was sent yet"),
        "the fixed problems are no longer listed"
    );
    check_layout(&c, "account-form-warning", &mut layout);
    c.click(&c.find_xpath("//div[@id='identifying']//button[text()='Let me edit it']"));
    assert_eq!(issued_for(&app, &id), 0, "editing sends nothing");
    c.type_into(
        &c.find("textarea[name=timeline_text]"),
        "A colleague restarted the cache and it came back.",
    );
    c.click(&c.find("#submit-account"));
    c.wait_text("Your account is stored");
    assert_eq!(issued_for(&app, &id), 1);
    check_layout(&c, "account-stored", &mut layout);
    assert_layout(
        "a_writer_is_never_locked_out_by_a_form_the_server_would_refuse",
        &layout,
    );
}

/// Follow-up replies and additions are checked for identifying details before they are
/// sent (issue 15: a phone number went through), with "Let me edit it".
#[test]
fn a_follow_up_reply_with_a_phone_number_is_flagged_before_it_is_sent() {
    let c = chrome_or_skip!(
        "a_follow_up_reply_with_a_phone_number_is_flagged_before_it_is_sent",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let r = api.post(
        "/reviews",
        &json!({ "title": "Disk full", "incident_date": incident_day(),
        "summary": "Logs filled the disk.", "invitees": ["r1", "r2", "r3"], "threshold": 3 }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let rj = r.json();
    let id = rj["id"].as_str().expect("id").to_owned();
    let mut receipts = Vec::new();
    for (i, (_, secret)) in review_invites(&api, &id).iter().enumerate() {
        let token = member_token(&app, "reviews", &id, secret, &rj["key"]).expect("token");
        let res = app.anon_api().post(
            &format!("/reviews/{id}/accounts"),
            &json!({ "token": token, "account": { "expected": format!("marker-{i}: alerts") } }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        receipts.push(res.json()["receipt"].as_str().expect("receipt").to_owned());
    }
    let state = api.get(&format!("/reviews/{id}/accounts")).json();
    let mine = state["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a.to_string().contains("marker-0"))
        .expect("the first writer's account")
        .clone();
    let asked = api.post(
        &format!(
            "/reviews/{id}/accounts/{}/questions",
            mine["id"].as_str().expect("id")
        ),
        &json!({ "text": "Who did you call?" }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);

    let mut layout = Vec::new();
    for width in [390_i64, 1280] {
        c.set_width(width, 900);
        c.goto(&format!("{}/p/followups", app.base));
        check_layout(&c, "followups-receipt", &mut layout);
        c.type_into(&c.find("#f-receipt"), &receipts[0]);
        c.click(&c.find("form[action=\"/p/followups\"] button[type=submit]"));
        c.wait_text("Who did you call?");
        check_layout(&c, "followups", &mut layout);
        let reply = c.find("textarea[id^=r-]");
        c.type_into(&reply, "I rang the vendor on +44 20 7946 0958.");
        c.click(&c.find("form[action=\"/p/followups/reply\"] button[type=submit]"));
        let warning = c.wait("the warning", || {
            let t = c.js(
                "const w = document.querySelector('form[action=\"/p/followups/reply\"] .identifying'); return w && !w.hidden ? w.innerText : null;",
                &[],
            );
            t.as_str().map(str::to_owned)
        });
        assert!(warning.contains("a phone number"), "{warning}");
        check_layout(&c, "followups-warning", &mut layout);
        let reply_state = api.get(&format!("/reviews/{id}/accounts")).json();
        assert!(
            !reply_state.to_string().contains("7946"),
            "nothing was sent before the writer chose"
        );
        c.click(
            &c.find_xpath("//form[@action='/p/followups/reply']//button[text()='Let me edit it']"),
        );
    }
    let reply = c.find("textarea[id^=r-]");
    c.type_into(&reply, "I rang the vendor's support line.");
    c.click(&c.find("form[action=\"/p/followups/reply\"] button[type=submit]"));
    c.wait_text("Your reply is stored.");
    assert_layout(
        "a_follow_up_reply_with_a_phone_number_is_flagged_before_it_is_sent",
        &layout,
    );
}

/// Every scale is one row of equal boxes; every legend sits inside its box.
const SCALE_ROWS: &str = "return [...document.querySelectorAll('.scale')].map((s) => {
    const tops = [...s.querySelectorAll('label')].map((l) => Math.round(l.getBoundingClientRect().top));
    const widths = [...s.querySelectorAll('label')].map((l) => Math.round(l.getBoundingClientRect().width));
    return { n: tops.length, rows: new Set(tops).size, widest: Math.max(...widths), narrowest: Math.min(...widths) };
  });";
const LEGENDS_OUTSIDE: &str = "return [...document.querySelectorAll('fieldset')].filter((f) => {
    const l = f.querySelector('legend'); if (!l) return false;
    return l.getBoundingClientRect().top < f.getBoundingClientRect().top + 1;
  }).map((f) => f.querySelector('legend').innerText.slice(0, 60));";

/// At phone width the pulse form's scales (7 points) and eNPS (11) are one row each, the
/// legends do not ride on their borders, the fingerprint is one click away instead of
/// pushing the first question down, and the pulse warning offers "Let me edit it".
#[test]
fn the_pulse_form_fits_a_phone_and_its_warning_lets_the_member_edit() {
    let c = chrome_or_skip!(
        "the_pulse_form_fits_a_phone_and_its_warning_lets_the_member_edit",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Phones", 3, &["Una Moss", "Vic", "Wen"]);
    let round = open_round(&api, &team);
    let mut layout = Vec::new();
    for width in [320_i64, 390, 1280] {
        c.set_width(width, 844);
        open_round_form(
            &c,
            &app.base,
            &people[0].1,
            &round.id,
            true,
            Some(&mut layout),
        );
        c.wait_text("cannot be traced to you");
        let rows = c.js(SCALE_ROWS, &[]);
        let rows = rows.as_array().expect("scales").clone();
        assert_eq!(rows.len(), round.questions.len(), "{rows:?}");
        for r in &rows {
            assert_eq!(r["rows"], 1, "a scale wrapped at {width}px: {r}");
            let (w, n) = (
                r["widest"].as_i64().unwrap_or(0),
                r["narrowest"].as_i64().unwrap_or(0),
            );
            assert!(
                w - n <= 1,
                "boxes of one scale differ in width at {width}px: {r}"
            );
        }
        assert!(rows.iter().any(|r| r["n"] == 11), "eNPS is there: {rows:?}");
        let outside = c.js(LEGENDS_OUTSIDE, &[]);
        assert_eq!(outside, json!([]), "legends on their border at {width}px");
        // The first question starts within the first screen of a phone.
        let top = c.js(
            "return Math.round(document.querySelector('#answer fieldset').getBoundingClientRect().top)",
            &[],
        );
        assert!(
            top.as_i64().unwrap_or(i64::MAX) < 844,
            "first question at {top}px"
        );
        check_layout(&c, "member-form", &mut layout);
    }
    // The warning offers to edit: the member edits, and nothing was sent meanwhile.
    answer_every_question(&c);
    c.type_into(&c.find("#f-comment"), "Una knows why the deploy failed.");
    submit_answers(&c);
    let warning = alert_text(&c);
    assert!(
        warning.contains("a name from the roster (una)"),
        "{warning}"
    );
    check_layout(&c, "member-form-warning", &mut layout);
    c.click(&c.find_xpath("//div[@id='warning-slot']//button[text()='Let me edit it']"));
    let focused = c.js(
        "return document.activeElement && document.activeElement.id",
        &[],
    );
    assert_eq!(
        focused,
        json!("f-comment"),
        "editing puts the member back in their text"
    );
    assert_eq!(issued_for(&app, &round.id), 0);
    c.type_into(
        &c.find("#f-comment"),
        "Someone knows why the deploy failed.",
    );
    submit_answers(&c);
    c.wait_text("Thank you: your answers are in");
    check_layout(&c, "member-stored", &mut layout);
    // Back on the list, the round is no longer offered.
    c.goto(&format!("{}/p#{}", app.base, people[0].1));
    c.wait_text("You have taken part");
    check_layout(&c, "member-list-taken-part", &mut layout);
    // And a form address opened by GET explains the way back.
    c.goto(&format!("{}/p/rounds/{}", app.base, round.id));
    c.wait_text("Open your invitation again");
    check_layout(&c, "member-reopen", &mut layout);
    assert_layout(
        "the_pulse_form_fits_a_phone_and_its_warning_lets_the_member_edit",
        &layout,
    );
}

/// At phone width the invite table keeps every person's buttons on screen.
#[test]
fn the_invite_table_keeps_its_buttons_on_a_phone_screen() {
    let c = chrome_or_skip!("the_invite_table_keeps_its_buttons_on_a_phone_screen", true);
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(
        &api,
        "Wide",
        3,
        &[
            "dominique.van-der-berghe-longname@engineering.example.com",
            "Eli",
            "Fay",
        ],
    );
    // Sign the browser in.
    c.goto(&format!("{}/login", app.base));
    c.type_into(&c.find("#f-email"), ADMIN_EMAIL);
    c.type_into(&c.find("#f-password"), PASSWORD);
    c.click(&c.find("form[action=\"/login\"] button[type=submit]"));
    c.wait("leaving the login page", || {
        (!c.url().ends_with("/login")).then_some(())
    });
    let mut layout = Vec::new();
    for width in [320_i64, 390] {
        c.set_width(width, 900);
        c.goto(&format!("{}/teams/{team}", app.base));
        c.wait_text("Invite links");
        let off: Value = c.js(
            "return [...document.querySelectorAll('table.roster button, table.roster input')]
               .filter((b) => { const r = b.getBoundingClientRect(); return r.right > window.innerWidth || r.left < 0; })
               .map((b) => b.innerText || b.value);",
            &[],
        );
        assert_eq!(off, json!([]), "off-screen at {width}px");
        check_layout(&c, "team", &mut layout);
    }
    // Irreversible actions take a second click that first says what will happen.
    let member = |label: &str| {
        c.find_xpath(&format!(
            "//tr[td[1][normalize-space()='{label}']]//details[summary[normalize-space()='New link']]"
        ))
    };
    let details = member("Eli");
    c.click(
        &c.find_xpath(
            "//tr[td[1][normalize-space()='Eli']]//summary[normalize-space()='New link']",
        ),
    );
    let said = c.js("return arguments[0].innerText", &[details.arg()]);
    assert!(
        said.as_str()
            .unwrap_or_default()
            .contains("Eli's current link stops working at once"),
        "{said}"
    );
    check_layout(&c, "team-confirm-new-link", &mut layout);
    c.click(&c.find_xpath(
        "//tr[td[1][normalize-space()='Eli']]//button[normalize-space()='Make a new link']",
    ));
    c.wait_text("Eli has a new link; the old one no longer works.");
    assert_layout(
        "the_invite_table_keeps_its_buttons_on_a_phone_screen",
        &layout,
    );
}

//! Delivery for reviews, chat webhook forms and mailed staff links (issue 14), against the
//! same real SMTP server and webhook receiver as `delivery.rs`: reminders reach every invitee
//! alike, follow-up notices reach every invitee with the same text (writer or not, batched),
//! webhook forms never show a saved URL's secret path, and a renewed set-password link goes
//! to its owner only.

use candor::auth::model::Role;
use serde_json::{json, Value};

use crate::delivery::{app_with_mail, outbox_rows, secret_in, wait_until, Hook, Mail, Smtp};
use crate::support::*;

const FACILITATOR: &str = "fac@example.org";

fn incident_day() -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(2))
        .date()
        .to_string()
}

/// A review opened through the API by a facilitator; returns (id, key).
fn open_review(
    api: &Api,
    invitees: &[&str],
    threshold: i64,
    deadline: Option<String>,
) -> (String, Value) {
    let mut body = json!({
        "title": "Checkout outage",
        "incident_date": incident_day(),
        "summary": "Checkout failed after a config push.",
        "invitees": invitees,
        "threshold": threshold,
    });
    if let Some(d) = deadline {
        body["deadline"] = json!(d);
    }
    let r = api.post("/reviews", &body);
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    (j["id"].as_str().unwrap().to_owned(), j["key"].clone())
}

/// Runs the reviews' scheduled delivery job once on the app's own clock, as a replica's timer
/// would (a state of its own on the same database, email on). Retried like a timer tick: on
/// SQLite a second writer can meet SQLITE_BUSY_SNAPSHOT once.
fn tick(app: &TestApp, smtp: &Smtp) -> usize {
    let mut settings = candor::config::Settings::for_database(app.url.clone(), app.dir.clone());
    settings.base_url = app.base.clone();
    settings.mail = Some(smtp.settings());
    let mut state = candor::build_state(settings).unwrap();
    state.clock = app.clock.clone();
    let mut last = None;
    for _ in 0..5 {
        match actix_web::rt::System::new()
            .block_on(candor::delivery::reviews::due_review_events(&state))
        {
            Ok(n) => return n,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the review job failed five times: {last:?}");
}

fn write_account(app: &TestApp, id: &str, key: &Value, secret: &str, text: &str) -> String {
    let token = member_token(app, "reviews", id, secret, key).expect("a token");
    let res = app.anon_api().post(
        &format!("/reviews/{id}/accounts"),
        &json!({ "token": token, "account": {
            "timeline": [{ "text": format!("{text}: saw the alert") }],
            "expected": format!("{text}: expected the canary to catch it"),
        }}),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["receipt"].as_str().unwrap().to_owned()
}

fn mails_with(smtp: &Smtp, subject_start: &str) -> Vec<Mail> {
    smtp.messages()
        .into_iter()
        .filter(|m| m.subject.starts_with(subject_start))
        .collect()
}

#[test]
fn a_review_reminder_reaches_every_invitee_alike_wrote_or_not_and_keeps_mailed_links_theirs() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    let admin = app.admin();
    app.staff(FACILITATOR, Role::Facilitator);
    let api = app.api(&app.token_for(FACILITATOR));
    let invitees = [
        "r1@example.org",
        "r2@example.org",
        "r3@example.org",
        "r4@example.org",
        "Nadia without an address",
    ];
    let (id, key) = open_review(&api, &invitees, 3, None);
    let sent = api.post(&format!("/reviews/{id}/invites/send"), &json!({}));
    assert_eq!(sent.status, 202, "{}", sent.text);
    let invites = smtp.wait_for(4);
    // Two of the four write.
    let mut receipts = vec![];
    for m in invites.iter().take(2) {
        receipts.push(write_account(
            &app,
            &id,
            &key,
            &secret_in(&m.body),
            "writer",
        ));
    }

    let r = api.post(&format!("/reviews/{id}/remind"), &json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(
        r.json()["queued"],
        4,
        "every invitee with an address, wrote or not"
    );
    smtp.wait_for(8);
    let reminders = mails_with(&smtp, "Reminder");
    assert_eq!(reminders.len(), 4);
    let mut tos: Vec<&str> = reminders.iter().map(|m| m.to.as_str()).collect();
    tos.sort();
    assert_eq!(tos, invitees[..4]);
    // The same text for everyone once their own link is blanked: nothing tells who wrote.
    let blanked: Vec<String> = reminders
        .iter()
        .map(|m| m.body.replace(&secret_in(&m.body), "SECRET"))
        .collect();
    assert!(blanked.iter().all(|b| *b == blanked[0]), "{blanked:?}");
    assert!(
        blanked[0].contains("whether or not they wrote"),
        "{}",
        blanked[0]
    );
    for m in &reminders {
        for r in &receipts {
            assert!(!m.body.contains(r.as_str()));
        }
        // Each reminder's link is the one mailed before: it works and is still theirs alone.
        let p = app
            .anon_api()
            .post("/participate", &json!({ "invite": secret_in(&m.body) }));
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.json()["custody"], "member");
        assert_eq!(p.json()["open"][0]["id"], id.as_str());
    }
    // Staff views never show a mailed link, the reminder's included.
    let page = admin.get(&format!("/reviews/{id}")).text().unwrap();
    let mut seen = page.clone();
    seen.push_str(&api.get(&format!("/reviews/{id}/invites")).text);
    seen.push_str(
        &admin
            .get(&format!("/reviews/{id}/invites.csv"))
            .text()
            .unwrap(),
    );
    for m in &reminders {
        assert!(
            !seen.contains(&secret_in(&m.body)),
            "a mailed link shown to staff"
        );
    }
    // The page offers the reminder and says why everyone gets it.
    assert!(page.contains("Remind everyone invited"), "{page}");
    assert!(page.contains("whether or not they wrote"));
    let res = admin.post_form(
        &format!("/reviews/{id}/remind"),
        &[("_csrf", &csrf_from(&page))],
    );
    assert_eq!(res.status(), 200);
    smtp.wait_for(12);
    // Someone who does not facilitate it may not remind its invitees.
    app.staff("other.fac@example.org", Role::Facilitator);
    let other = app.api(&app.token_for("other.fac@example.org"));
    assert_problem(
        &other.post(&format!("/reviews/{id}/remind"), &json!({})),
        403,
    );
    // A closed review reminds nobody.
    let c = api.post(&format!("/reviews/{id}/close"), &json!({}));
    assert_eq!(c.status, 200, "{}", c.text);
    assert_problem(&api.post(&format!("/reviews/{id}/remind"), &json!({})), 409);
}

#[test]
fn without_smtp_a_review_reminder_is_refused_and_nothing_is_queued() {
    let app = TestApp::spawn();
    app.admin();
    app.staff(FACILITATOR, Role::Facilitator);
    let api = app.api(&app.token_for(FACILITATOR));
    let (id, _) = open_review(
        &api,
        &["x1@example.org", "x2@example.org", "x3@example.org"],
        3,
        None,
    );
    let r = api.post(&format!("/reviews/{id}/remind"), &json!({}));
    assert_problem(&r, 409);
    assert!(r.text.contains("CANDOR_SMTP_URL"), "{}", r.text);
    assert_eq!(outbox_rows(&app), 0);
}

#[test]
fn the_scheduled_review_reminder_goes_out_once_two_days_before_the_deadline() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    app.staff(FACILITATOR, Role::Facilitator);
    let api = app.api(&app.token_for(FACILITATOR));
    let deadline = (time::OffsetDateTime::now_utc() + time::Duration::days(5))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (id, _) = open_review(
        &api,
        &["d1@example.org", "d2@example.org", "d3@example.org", "Dee"],
        3,
        Some(deadline),
    );
    assert_eq!(tick(&app, &smtp), 0, "five days before: nothing yet");
    app.clock.advance(time::Duration::days(4));
    assert_eq!(
        tick(&app, &smtp),
        3,
        "within two days: everyone with an address"
    );
    assert_eq!(tick(&app, &smtp), 0, "a second timer queues nothing more");
    let mails = smtp.wait_for(3);
    std::thread::sleep(std::time::Duration::from_secs(6));
    let after = smtp.messages();
    assert_eq!(after.len(), 3, "one reminder each, once: {mails:?}");
    for m in &after {
        assert!(m.subject.starts_with("Reminder"), "{}", m.subject);
        assert!(m.body.contains("Checkout outage"));
        let p = app
            .anon_api()
            .post("/participate", &json!({ "invite": secret_in(&m.body) }));
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.json()["open"][0]["id"], id.as_str());
    }
    // Past the deadline nothing more is scheduled.
    app.clock.advance(time::Duration::days(2));
    assert_eq!(tick(&app, &smtp), 0);
}

#[test]
fn every_invitee_gets_the_same_follow_up_notice_once_per_batch_writer_or_not() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    app.staff(FACILITATOR, Role::Facilitator);
    let api = app.api(&app.token_for(FACILITATOR));
    let invitees = [
        "f1@example.org",
        "f2@example.org",
        "f3@example.org",
        "f4@example.org",
        "Fay without an address",
    ];
    let (id, key) = open_review(&api, &invitees, 3, None);
    let links = review_invites(&api, &id);
    // Three write (the release threshold), two do not.
    let mut receipts = vec![];
    for (i, (_, secret)) in links.iter().take(3).enumerate() {
        receipts.push(write_account(
            &app,
            &id,
            &key,
            secret,
            &format!("writer{i}"),
        ));
    }
    let accounts = api.get(&format!("/reviews/{id}/accounts")).json();
    assert_eq!(accounts["status"], "released", "{accounts}");
    let ids: Vec<String> = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    // Two questions in one sitting: one notice per invitee, after the batching window.
    for (n, account) in ids.iter().take(2).enumerate() {
        let q = api.post(
            &format!("/reviews/{id}/accounts/{account}/questions"),
            &json!({ "text": format!("question marker {n}: what did the canary show?") }),
        );
        assert_eq!(q.status, 201, "{}", q.text);
    }
    assert_eq!(tick(&app, &smtp), 0, "nothing before the window has passed");
    app.clock.advance(time::Duration::minutes(31));
    let q = api.post(
        &format!("/reviews/{id}/accounts/{}/questions", ids[2]),
        &json!({ "text": "question marker 2: and after?" }),
    );
    assert_eq!(
        q.status, 201,
        "a question while a notice is pending adds nothing"
    );
    assert_eq!(
        tick(&app, &smtp),
        4,
        "one notice to each invitee with an address"
    );
    assert_eq!(tick(&app, &smtp), 0, "and only once");
    let notices = smtp.wait_for(4);
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(
        smtp.messages().len(),
        4,
        "one message per invitee, not per question"
    );
    let mut tos: Vec<&str> = notices.iter().map(|m| m.to.as_str()).collect();
    tos.sort();
    assert_eq!(tos, invitees[..4], "writers and non-writers alike");
    // Exactly the same text for everyone: nothing names, targets or tells a writer.
    for m in &notices {
        assert_eq!(m.subject, notices[0].subject);
        assert_eq!(m.body, notices[0].body);
    }
    let body = &notices[0].body;
    assert!(
        body.contains(&format!("{}/p/followups", app.base)),
        "{body}"
    );
    assert!(body.contains("If you wrote an account"), "{body}");
    for needle in ["marker", "writer", "canary", "/p#"] {
        assert!(!body.contains(needle), "{needle} in the notice: {body}");
    }
    for r in &receipts {
        assert!(!body.contains(r.as_str()));
    }
    // The page the notice names works with a writer's receipt and shows the question.
    let f = app
        .anon_api()
        .post("/followups", &json!({ "receipt": receipts[0] }));
    assert_eq!(f.status, 200, "{}", f.text);
    wait_until("the outbox to empty", || outbox_rows(&app) == 0);

    // A question after the notice went out starts a new batch: one more message each.
    let q = api.post(
        &format!("/reviews/{id}/accounts/{}/questions", ids[0]),
        &json!({ "text": "one more" }),
    );
    assert_eq!(q.status, 201);
    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(tick(&app, &smtp), 4);
    let all = smtp.wait_for(8);
    assert!(all.iter().all(|m| m.body == notices[0].body));
    // A notice pending when the review closes is dropped, not sent.
    let q = api.post(
        &format!("/reviews/{id}/accounts/{}/questions", ids[1]),
        &json!({ "text": "last one" }),
    );
    assert_eq!(q.status, 201);
    assert_eq!(
        api.post(&format!("/reviews/{id}/close"), &json!({})).status,
        200
    );
    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(tick(&app, &smtp), 0);
}

#[test]
fn webhook_forms_set_test_and_clear_and_never_show_the_secret_path_back() {
    let hook = Hook::start(200);
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team_id, _) = team_with(
        &api,
        "Hooked",
        3,
        &["h1@example.org", "h2@example.org", "h3@example.org"],
    );
    let page = admin.get(&format!("/teams/{team_id}")).text().unwrap();
    assert!(page.contains("Chat announcements") && page.contains("No chat webhook is set"));
    let csrf = csrf_from(&page);
    let action = format!("/teams/{team_id}/webhook");
    // A bad URL: an error page that keeps what was typed; nothing saved.
    for (bad, why) in [
        ("ftp://hooks.example.org/x", "https://"),
        ("http://hooks.example.org/x", "https://"),
        ("https://user:pw@hooks.example.org/x", "no user name"),
        (
            &*format!("https://hooks.example.org/{}", "x".repeat(600)),
            "too long",
        ),
    ] {
        let res = admin.post_form(&action, &[("_csrf", &csrf), ("webhook_url", bad)]);
        assert_eq!(res.status(), 422, "{bad}");
        let text = res.text().unwrap();
        assert!(text.contains(why), "{why}: {text}");
        assert!(
            text.contains(&format!("value=\"{bad}\"")),
            "the input is kept"
        );
    }
    assert!(admin
        .get(&format!("/teams/{team_id}"))
        .text()
        .unwrap()
        .contains("No chat webhook is set"));
    // Without the form's token: refused.
    assert_eq!(
        admin
            .post_form(&action, &[("webhook_url", &hook.url)])
            .status(),
        403
    );
    // Saved: the page shows the host and an ellipsis, never the path.
    let res = admin.post_form(&action, &[("_csrf", &csrf), ("webhook_url", &hook.url)]);
    assert_eq!(res.status(), 303, "back to the team page");
    let page = admin.get(&format!("/teams/{team_id}")).text().unwrap();
    assert!(page.contains("127.0.0.1/…"), "{page}");
    assert!(
        !page.contains("secret-hook-token"),
        "the secret path shown back"
    );
    assert!(!api
        .get(&format!("/teams/{team_id}"))
        .text
        .contains("secret-hook-token"));
    // The test post arrives: a fixed sentence, no counts, no names, no links.
    let res = admin.post_form(&format!("{action}/test"), &[("_csrf", &csrf)]);
    assert_eq!(res.status(), 200);
    let posts = hook.wait_for(1);
    let v: Value = serde_json::from_str(&posts[0]).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1, "only {{\"text\"}}: {v}");
    let text = v["text"].as_str().unwrap();
    assert!(text.contains("test post"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_ascii_digit()),
        "no count: {text}"
    );
    assert!(
        !text.contains("example.org") && !text.contains("/p#"),
        "{text}"
    );
    // Another leader can neither set nor test this team's webhook.
    let other = app.staff("lead2@example.org", Role::Leader);
    let ocsrf = csrf_from(&other.get("/teams").text().unwrap());
    assert_eq!(
        other
            .post_form(&action, &[("_csrf", &ocsrf), ("webhook_url", "")])
            .status(),
        403
    );
    assert_eq!(
        other
            .post_form(&format!("{action}/test"), &[("_csrf", &ocsrf)])
            .status(),
        403
    );
    // Cleared by the form's remove button.
    let res = admin.post_form(&action, &[("_csrf", &csrf), ("webhook_url", "")]);
    assert_eq!(res.status(), 303);
    let page = admin.get(&format!("/teams/{team_id}")).text().unwrap();
    assert!(page.contains("No chat webhook is set"));
    assert_eq!(
        admin
            .post_form(&format!("{action}/test"), &[("_csrf", &csrf)])
            .status(),
        409,
        "nothing to test"
    );

    // The instance default, on the admins' instance page.
    let page = admin.get("/admin/instance").text().unwrap();
    assert!(page.contains("Chat announcements (default)"), "{page}");
    let res = admin.post_form(
        "/admin/delivery/webhook",
        &[("_csrf", &csrf), ("webhook_url", "nonsense")],
    );
    assert_eq!(res.status(), 422);
    assert!(res.text().unwrap().contains("value=\"nonsense\""));
    let res = admin.post_form(
        "/admin/delivery/webhook",
        &[("_csrf", &csrf), ("webhook_url", &hook.url)],
    );
    assert_eq!(res.status(), 303);
    let page = admin.get("/admin/instance").text().unwrap();
    assert!(
        page.contains("127.0.0.1/…") && !page.contains("secret-hook-token"),
        "{page}"
    );
    admin.post_form("/admin/delivery/webhook/test", &[("_csrf", &csrf)]);
    hook.wait_for(2);
    // The team without its own webhook now tests against the default.
    admin.post_form(&format!("{action}/test"), &[("_csrf", &csrf)]);
    hook.wait_for(3);
    // Leaders cannot touch the default.
    assert_eq!(
        other
            .post_form(
                "/admin/delivery/webhook",
                &[("_csrf", &ocsrf), ("webhook_url", "")]
            )
            .status(),
        403
    );
    let res = admin.post_form(
        "/admin/delivery/webhook",
        &[("_csrf", &csrf), ("webhook_url", " ")],
    );
    assert_eq!(res.status(), 303);
    assert!(admin
        .get("/admin/instance")
        .text()
        .unwrap()
        .contains("No chat webhook is set"));
}

#[test]
fn staff_set_password_links_are_mailed_to_their_owner_and_never_shown_to_the_admin() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    let admin = app.admin();
    let page = admin.get("/admin/staff").text().unwrap();
    assert!(page.contains("Invite by email"), "{page}");
    let csrf = csrf_from(&page);
    let res = admin.post_form(
        "/admin/staff",
        &[
            ("_csrf", &csrf),
            ("email", "new.fac@example.org"),
            ("role", "facilitator"),
        ],
    );
    assert_eq!(res.status(), 201);
    let page = res.text().unwrap();
    assert!(
        page.contains("mailed to") && page.contains("new.fac@example.org"),
        "{page}"
    );
    assert!(!page.contains("/welcome/"), "the admin never sees the link");
    let first = smtp.wait_for(1);
    assert_eq!(first[0].to, "new.fac@example.org");
    let path_of = |m: &Mail| -> String {
        let at = m.body.find("/welcome/").expect("a set-password link");
        m.body[at..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect()
    };
    let first_path = path_of(&first[0]);
    // The admin renews it: mailed again, and the page says where, not what.
    let staff = app.api(&app.token_for(ADMIN_EMAIL)).get("/staff").json();
    let id = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == "new.fac@example.org")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = admin.post_form(&format!("/admin/staff/{id}/link"), &[("_csrf", &csrf)]);
    assert_eq!(res.status(), 200);
    let page = res.text().unwrap();
    assert!(
        page.contains("mailed to") && !page.contains("/welcome/"),
        "{page}"
    );
    let all = smtp.wait_for(2);
    let renewed = all
        .iter()
        .find(|m| path_of(m) != first_path)
        .expect("a new link");
    assert_eq!(renewed.to, "new.fac@example.org");
    assert_eq!(
        app.browser().get(&path_of(renewed)).status(),
        200,
        "the mailed link works"
    );
    assert_ne!(
        app.browser().get(&first_path).status(),
        200,
        "the earlier one does not"
    );
    // A bad address is refused with the form kept, and nothing is mailed.
    let res = admin.post_form(
        "/admin/staff",
        &[
            ("_csrf", &csrf),
            ("email", "not-an-address"),
            ("role", "leader"),
        ],
    );
    assert_eq!(res.status(), 422);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(smtp.messages().len(), 2);

    // Without email the admin still gets the link to hand over, as before.
    let quiet = TestApp::spawn();
    let qadmin = quiet.admin();
    let page = qadmin.get("/admin/staff").text().unwrap();
    let res = qadmin.post_form(
        "/admin/staff",
        &[
            ("_csrf", &csrf_from(&page)),
            ("email", "q@example.org"),
            ("role", "leader"),
        ],
    );
    assert_eq!(res.status(), 201);
    assert!(res.text().unwrap().contains("/welcome/"));
}

/// The real binary with a trace log: invites, writers, a reminder, follow-up questions and
/// their notice go through it, and its log holds no recipient, no link, no receipt and
/// nothing a writer wrote (G4).
#[test]
fn review_messages_leave_no_recipient_link_receipt_or_writer_in_the_log() {
    let smtp = Smtp::start();
    let bin = crate::binary::Prepared::new();
    let http = crate::delivery::free_port();
    let base = format!("http://127.0.0.1:{http}");
    let log = bin.dir.join("serve.log");
    let mut server = bin.serve_mailing(http, smtp.port, &log);
    let api = bin.api(http, true);
    let anon = bin.api(http, false);
    let invitees = [
        "l1@example.org",
        "l2@example.org",
        "l3@example.org",
        "l4@example.org",
    ];
    let (id, key) = open_review(&api, &invitees, 3, None);
    assert_eq!(
        api.post(&format!("/reviews/{id}/invites/send"), &json!({}))
            .status,
        202
    );
    let invites = smtp.wait_for(4);
    // Three write, through the blind-token client.
    let key_json: candor::tokens::crypto::KeyJson = serde_json::from_value(key).unwrap();
    let mut receipts = vec![];
    for m in invites.iter().take(3) {
        let req =
            candor::tokens::crypto::ClientRequest::new(&key_json, &key_json.fingerprint).unwrap();
        let res = anon.post(
            &format!("/reviews/{id}/tokens"),
            &json!({ "invite": secret_in(&m.body), "blinded_message": req.blinded_message }),
        );
        assert_eq!(res.status, 200, "{}", res.text);
        let sig = res.json()["blind_signature"].as_str().unwrap().to_owned();
        let token = serde_json::to_value(req.finalize(&sig).unwrap()).unwrap();
        let res = anon.post(
            &format!("/reviews/{id}/accounts"),
            &json!({ "token": token, "account": { "expected": "logmarker of a writer" } }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        receipts.push(res.json()["receipt"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        api.post(&format!("/reviews/{id}/remind"), &json!({}))
            .status,
        202
    );
    let accounts = api.get(&format!("/reviews/{id}/accounts")).json();
    let account = accounts["accounts"][0]["id"].as_str().unwrap().to_owned();
    let q = api.post(
        &format!("/reviews/{id}/accounts/{account}/questions"),
        &json!({ "text": "questionmarker?" }),
    );
    assert_eq!(q.status, 201, "{}", q.text);
    // The notice's window passes on a timer of this test's own (the binary's clock is real).
    let mut settings = candor::config::Settings::for_database(bin.url.clone(), bin.dir.clone());
    settings.base_url = base.clone();
    settings.mail = Some(smtp.settings());
    let state = candor::build_state(settings).unwrap();
    state.clock.advance(time::Duration::minutes(31));
    let queued = actix_web::rt::System::new()
        .block_on(candor::delivery::reviews::due_review_events(&state))
        .unwrap();
    assert_eq!(queued, 4);
    let all = smtp.wait_for(12);
    server.kill().unwrap();
    server.wait().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("outbox"),
        "the worker logged its counts: {logs}"
    );
    for m in &all {
        if m.body.contains("/p#") {
            assert!(!logs.contains(&secret_in(&m.body)), "a link in the log");
        }
    }
    for needle in invitees
        .iter()
        .copied()
        .chain(["logmarker", "questionmarker"])
    {
        assert!(!logs.contains(needle), "{needle} in the log");
    }
    for r in &receipts {
        assert!(!logs.contains(r.as_str()), "a receipt in the log");
    }
}

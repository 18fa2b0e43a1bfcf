//! Delivery (issue 14) against a real SMTP server (Debian's python3-aiosmtpd, storing what it
//! receives in a Maildir) and a real local HTTP receiver for webhooks: invites arrive and
//! each link works, staff never see a mailed link, reminders reach every roster member alike,
//! a killed server resends what it had not sent, two replicas never send one message twice,
//! and chat posts hold counts only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use candor::delivery::model::MailSettings;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::binary::Prepared;
use crate::support::*;

pub(crate) const FROM: &str = "Candor <candor@example.org>";

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port for a test SMTP server: from 20000-29999 (below the ephemeral range that port-0
/// binds draw from), starting at a random point and never handed out twice in this process.
fn smtp_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    if NEXT.load(Ordering::Relaxed) == 0 {
        let base = 20_000 + (std::process::id() % 9_000) as u16;
        let _ = NEXT.compare_exchange(0, base, Ordering::Relaxed, Ordering::Relaxed);
    }
    loop {
        let p = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = 20_000 + (p - 20_000) % 10_000;
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

/// The python that has aiosmtpd (Debian's, when a version manager shadows `python3`).
fn python() -> String {
    for p in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return p.to_owned();
        }
    }
    panic!(
        "python3-aiosmtpd is missing: .ci/test-deps installs it (apt-get install python3-aiosmtpd)"
    );
}

/// One message as the SMTP server received it, its body decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A real SMTP server on a local port; what it accepts lands in a Maildir.
pub struct Smtp {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Smtp {
    /// A server on a port of its own. `free_port` hands out a port the OS just freed, which a
    /// parallel test (or another process's) server can take before aiosmtpd binds it; the
    /// connect check would then find *that* server and this test would wait for mail that
    /// goes to another mailbox. So the port comes from a range below the OS's ephemeral
    /// ports, unique within this process, and the server must still be running (it exits at
    /// once when its bind fails) before it is used; otherwise it is retried on another port.
    pub fn start() -> Self {
        for _ in 0..20 {
            let mut smtp = Self::start_on(smtp_port());
            std::thread::sleep(Duration::from_millis(300));
            if smtp.child.try_wait().unwrap().is_none() {
                return smtp;
            }
        }
        panic!("aiosmtpd could not bind a port");
    }

    pub fn start_on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("candor-smtp-{port}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { port, dir, child }
    }

    pub fn settings(&self) -> MailSettings {
        mail_settings(self.port)
    }

    pub fn messages(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return vec![];
        };
        entries
            .flatten()
            .map(|e| parse_mail(&std::fs::read_to_string(e.path()).unwrap()))
            .collect()
    }

    /// Waits until at least `n` messages arrived and returns them all. Four minutes at most:
    /// a send the SMTP server refuses is retried after 10, 20, 40 and 80 s (the outbox's
    /// backoff), and on a loaded machine a first attempt is sometimes refused (a CI run saw
    /// none of three reminders within 90 s; a quiet rerun once took 15 s longer than the
    /// rest, one backoff). What the tests check is that each message arrives, once.
    pub fn wait_for(&self, n: usize) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(240),
                "{} of {n} messages arrived",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn mail_settings(port: u16) -> MailSettings {
    MailSettings::from_parts(Some(&format!("smtp://127.0.0.1:{port}")), Some(FROM))
        .unwrap()
        .unwrap()
}

fn header(head: &str, name: &str) -> String {
    let mut out = String::new();
    let mut on = false;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if on {
                out.push_str(line.trim_start());
            }
            continue;
        }
        on = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case(name) {
                out = v.trim().to_owned();
                on = true;
            }
        }
    }
    out
}

fn parse_mail(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let encoding = header(head, "Content-Transfer-Encoding").to_ascii_lowercase();
    let body = match encoding.as_str() {
        "base64" => {
            use base64::Engine;
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => {
            let soft = body.replace("=\n", "");
            let bytes = soft.as_bytes();
            let mut out = vec![];
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
                    let hex = std::str::from_utf8(&bytes[i + 1..(i + 3).min(bytes.len())]).unwrap();
                    if let Ok(b) = u8::from_str_radix(hex, 16) {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).unwrap()
        }
        _ => body.to_owned(),
    };
    Mail {
        to: header(head, "To"),
        subject: header(head, "Subject"),
        body,
    }
}

/// The invite secret in a message (the fragment of its `/p#` link).
pub(crate) fn secret_in(body: &str) -> String {
    let at = body.find("/p#").expect("a link in the message") + 3;
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A real HTTP server that records every POST body and answers `status`.
pub struct Hook {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Hook {
    pub fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(vec![]));
        let seen = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = l.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_ok() {
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                }
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/T000/B000/secret-hook-token"),
            bodies,
        }
    }

    pub fn wait_for(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let got = self.bodies.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} of {n} webhook posts arrived: {got:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

pub(crate) fn app_with_mail(smtp: &Smtp) -> TestApp {
    let mail = smtp.settings();
    TestApp::spawn_with(move |s| s.mail = Some(mail))
}

/// A team made through the API without listing its invites (listing would show them).
pub(crate) fn team(
    api: &Api,
    name: &str,
    threshold: i64,
    roster: &[&str],
) -> (String, Vec<(String, String)>) {
    let t = api.post(
        "/teams",
        &json!({ "name": name, "threshold": threshold, "roster": roster }),
    );
    assert_eq!(t.status, 201, "{}", t.text);
    let j = t.json();
    let members = j["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (j["id"].as_str().unwrap().to_owned(), members)
}

pub(crate) fn outbox_rows(app: &TestApp) -> i64 {
    use candor::db::schema::outbox;
    let mut c = app.db.get_write().unwrap();
    outbox::table.count().get_result(&mut *c).unwrap()
}

pub(crate) fn outbox_bodies(app: &TestApp) -> Vec<String> {
    use candor::db::schema::outbox;
    let mut c = app.db.get_write().unwrap();
    outbox::table.select(outbox::body).load(&mut *c).unwrap()
}

pub(crate) fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn mailed_invites_arrive_each_link_works_and_staff_never_see_one() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let roster = [
        "ann@example.org",
        "Bob Stone <bob@example.org>",
        "cy@example.org",
        "Dana without an address",
    ];
    let (team_id, members) = team(&api, "Platform", 3, &roster);
    let round = open_round(&api, &team_id);

    let r = api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json()["queued"], 3);
    assert_eq!(r.json()["skipped"], 1);

    let mails = smtp.wait_for(3);
    assert_eq!(mails.len(), 3, "one message per member with an address");
    let mut tos: Vec<String> = mails.iter().map(|m| m.to.clone()).collect();
    tos.sort();
    assert_eq!(
        tos,
        ["ann@example.org", "bob@example.org", "cy@example.org"]
    );
    let fingerprint = round.key["fingerprint"].as_str().unwrap();
    let mut secrets = vec![];
    for m in &mails {
        assert!(
            m.body.contains(fingerprint),
            "the invite names the round key's fingerprint: {}",
            m.body
        );
        assert!(m.body.contains("What Candor stores"), "{}", m.body);
        for label in roster {
            assert!(
                !m.body.contains(label),
                "no label in any invite: {}",
                m.body
            );
        }
        let secret = secret_in(&m.body);
        let p = app
            .anon_api()
            .post("/participate", &json!({ "invite": secret }));
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(
            p.json()["custody"],
            "member",
            "a mailed link only the member has"
        );
        assert_eq!(p.json()["open"][0]["id"], round.id.as_str());
        secrets.push(secret);
    }
    // Each link answers the round.
    for s in &secrets {
        let res = submit(
            &app,
            &round,
            s,
            answers(&round, [5, 5, 5, 5, 5, 5, 5], Some(8)),
            None,
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    // The outbox kept no row, and so no secret, once the server accepted the messages.
    wait_until("the outbox to empty", || outbox_rows(&app) == 0);

    // The staff API lists mailed links without a URL, custody member; others with one.
    let invites = api.get(&format!("/teams/{team_id}/invites")).json();
    for i in invites.as_array().unwrap() {
        if i["label"] == "Dana without an address" {
            assert!(i["url"].is_string());
            assert_eq!(i["custody"], "staff");
        } else {
            assert!(i.get("url").is_none(), "a mailed link is never listed: {i}");
            assert_eq!(i["custody"], "member");
        }
    }
    // No staff page, export or API view shows a mailed secret: "Show all links", each
    // "Show link", the CSV, the team page, the invites API again.
    let page = admin.get(&format!("/teams/{team_id}")).text().unwrap();
    let csrf = csrf_from(&page);
    let mut seen = String::new();
    seen.push_str(&page);
    seen.push_str(
        &admin
            .post_form(
                &format!("/teams/{team_id}/invites/show"),
                &[("_csrf", &csrf)],
            )
            .text()
            .unwrap(),
    );
    for (id, _) in &members {
        seen.push_str(
            &admin
                .post_form(
                    &format!("/teams/{team_id}/invites/show"),
                    &[("_csrf", &csrf), ("member_id", id)],
                )
                .text()
                .unwrap(),
        );
    }
    seen.push_str(
        &admin
            .get(&format!("/teams/{team_id}/invites.csv"))
            .text()
            .unwrap(),
    );
    seen.push_str(&api.get(&format!("/teams/{team_id}/invites")).text);
    seen.push_str(&api.get(&format!("/teams/{team_id}")).text);
    for s in &secrets {
        assert!(
            !seen.contains(s.as_str()),
            "a mailed link was shown to staff"
        );
    }
    assert!(
        seen.contains("Sent by email"),
        "the page says the link went by email"
    );
    // Still in the member's custody after all that.
    let p = app
        .anon_api()
        .post("/participate", &json!({ "invite": secrets[0] }));
    assert_eq!(p.json()["custody"], "member");

    // Regenerating for staff hands staff a new link (custody staff) and kills the mailed one.
    let ann = &members
        .iter()
        .find(|(_, l)| l == "ann@example.org")
        .unwrap()
        .0;
    let ann_secret = secrets
        .iter()
        .zip(&mails)
        .find(|(_, m)| m.to == "ann@example.org")
        .unwrap()
        .0;
    let regen = api.post(
        &format!("/teams/{team_id}/members/{ann}/invite"),
        &json!({}),
    );
    assert_eq!(regen.status, 200, "{}", regen.text);
    assert_eq!(regen.json()["custody"], "staff");
    let fresh = secret_of(regen.json()["url"].as_str().unwrap());
    let old = app
        .anon_api()
        .post("/participate", &json!({ "invite": ann_secret }));
    assert!(old.status >= 400 && old.status < 500, "{}", old.text);
    let p = app
        .anon_api()
        .post("/participate", &json!({ "invite": fresh }));
    assert_eq!(p.json()["custody"], "staff");
}

#[test]
fn a_link_staff_have_seen_is_replaced_before_it_is_mailed() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team_id, members) = team(&api, "Seen", 3, &["eve@example.org", "fay@example.org"]);
    // Staff list the links first: both are now in staff custody.
    let listed = api.get(&format!("/teams/{team_id}/invites")).json();
    let staff_secrets: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| secret_of(i["url"].as_str().unwrap()))
        .collect();
    // Mail only Eve.
    let eve = &members
        .iter()
        .find(|(_, l)| l == "eve@example.org")
        .unwrap()
        .0;
    let r = api.post(
        &format!("/teams/{team_id}/invites/send"),
        &json!({ "member_ids": [eve] }),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json()["queued"], 1);
    let mails = smtp.wait_for(1);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "eve@example.org");
    let mailed = secret_in(&mails[0].body);
    assert!(
        !staff_secrets.contains(&mailed),
        "the mailed link is one staff never saw"
    );
    let p = app
        .anon_api()
        .post("/participate", &json!({ "invite": mailed }));
    assert_eq!(p.json()["custody"], "member");
    // An id from elsewhere, or a body that is not the documented JSON, queues nothing.
    let bad = api.post(
        &format!("/teams/{team_id}/invites/send"),
        &json!({ "member_ids": ["not-a-member"] }),
    );
    assert_problem(&bad, 422);
    let garbled = api.post_raw(
        &format!("/teams/{team_id}/invites/send"),
        "application/json",
        b"{\"member_ids\": [".to_vec(),
    );
    assert!(
        garbled.status == 400 || garbled.status == 422,
        "{}",
        garbled.text
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.messages().len(), 1, "nothing more was sent");
}

#[test]
fn a_reminder_reaches_every_roster_member_alike_answered_or_not() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let roster = [
        "a1@example.org",
        "a2@example.org",
        "a3@example.org",
        "a4@example.org",
    ];
    let (team_id, _) = team(&api, "Reminded", 3, &roster);
    let round = open_round(&api, &team_id);
    api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
    let invites = smtp.wait_for(4);
    // Two of the four answer.
    for m in invites.iter().take(2) {
        let res = submit(
            &app,
            &round,
            &secret_in(&m.body),
            answers(&round, [4; 7], None),
            None,
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let r = api.post(&format!("/rounds/{}/remind", round.id), &json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(
        r.json()["queued"],
        4,
        "every roster member, answered or not"
    );
    let all = smtp.wait_for(8);
    let reminders: Vec<&Mail> = all
        .iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .collect();
    assert_eq!(reminders.len(), 4);
    let mut tos: Vec<&str> = reminders.iter().map(|m| m.to.as_str()).collect();
    tos.sort();
    assert_eq!(tos, roster);
    // The same text for everyone once their own link is blanked: nothing tells who answered.
    let blanked: Vec<String> = reminders
        .iter()
        .map(|m| m.body.replace(&secret_in(&m.body), "SECRET"))
        .collect();
    assert!(blanked.iter().all(|b| *b == blanked[0]), "{blanked:?}");
    assert!(blanked[0].contains("whether or not they answered"));
    // The round's page offers the reminder and says why everyone gets it.
    let page = admin.get(&format!("/rounds/{}", round.id)).text().unwrap();
    assert!(page.contains("Remind everyone on the roster"));
    assert!(page.contains("whether or not they have answered"));
    // By the page too.
    let res = admin.post_form(
        &format!("/rounds/{}/remind", round.id),
        &[("_csrf", &csrf_from(&page))],
    );
    assert_eq!(res.status(), 200);
    smtp.wait_for(12);
}

#[test]
fn without_smtp_sending_is_refused_and_the_pages_say_how_to_turn_it_on() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team_id, _) = team(
        &api,
        "Quiet",
        3,
        &["q@example.org", "r@example.org", "s@example.org"],
    );
    let round = open_round(&api, &team_id);
    let r = api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
    assert_problem(&r, 409);
    assert!(r.text.contains("CANDOR_SMTP_URL"), "{}", r.text);
    assert_problem(
        &api.post(&format!("/rounds/{}/remind", round.id), &json!({})),
        409,
    );
    let page = admin.get(&format!("/teams/{team_id}")).text().unwrap();
    assert!(page.contains("Email delivery is off") && page.contains("CANDOR_SMTP_URL"));
    let page = admin.get(&format!("/rounds/{}", round.id)).text().unwrap();
    assert!(page.contains("Email delivery is off"));
    assert_eq!(outbox_rows(&app), 0);
    // Another leader's team is not found out through send: forbidden, nothing queued.
    let other = app.staff("lead@example.org", candor::auth::model::Role::Leader);
    let page = other.get("/teams").text().unwrap();
    let res = other.post_form(
        &format!("/teams/{team_id}/invites/send"),
        &[("_csrf", &csrf_from(&page))],
    );
    assert_eq!(res.status(), 403);
}

#[test]
fn two_replicas_on_one_database_never_send_a_message_twice() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    let mail = smtp.settings();
    let _replica = app.replica_with(move |s| s.mail = Some(mail));
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let people: Vec<String> = (0..60).map(|i| format!("p{i:02}@example.org")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let (team_id, _) = team(&api, "Many", 3, &refs);
    for _ in 0..3 {
        let r = api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let got = smtp.wait_for(180);
    wait_until("the outbox to empty", || outbox_rows(&app) == 0);
    std::thread::sleep(Duration::from_millis(500));
    let got_after = smtp.messages();
    assert_eq!(got.len(), 180);
    assert_eq!(got_after.len(), 180, "each message exactly once");
    for p in &people {
        assert_eq!(got_after.iter().filter(|m| &m.to == p).count(), 3);
    }
}

#[test]
fn webhooks_get_counts_only_at_or_above_the_threshold_and_a_failure_shows_without_its_secret() {
    let hook = Hook::start(200);
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let roster = [
        "w1@example.org",
        "Wanda Two",
        "w3@example.org",
        "w4@example.org",
    ];
    let (team_id, _) = team_with(&api, "Chatty", 3, &roster);
    let p = api.patch(
        &format!("/teams/{team_id}"),
        &json!({ "webhook_url": hook.url }),
    );
    assert_eq!(p.status, 200, "{}", p.text);
    assert_problem(
        &api.patch(
            &format!("/teams/{team_id}"),
            &json!({ "webhook_url": "ftp://x" }),
        ),
        422,
    );
    let round = open_round(&api, &team_id);
    let opened = hook.wait_for(1);
    let posted: Value = serde_json::from_str(&opened[0]).unwrap();
    assert!(
        posted["text"].as_str().unwrap().contains("is open"),
        "{posted}"
    );
    let invites = api.get(&format!("/teams/{team_id}/invites")).json();
    let secrets: Vec<String> = invites
        .as_array()
        .unwrap()
        .iter()
        .map(|i| secret_of(i["url"].as_str().unwrap()))
        .collect();
    for s in secrets.iter().take(3) {
        let res = submit(
            &app,
            &round,
            s,
            answers(&round, [6; 7], Some(9)),
            Some("the marker comment"),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let c = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
    assert_eq!(c.status, 200, "{}", c.text);
    let posts = hook.wait_for(2);
    assert!(
        posts
            .iter()
            .any(|p| p.contains("has closed") && p.contains("3 of 4 answered")),
        "{posts:?}"
    );
    // A round under the threshold: it closes without a count.
    let round2 = open_round(&api, &team_id);
    let res = submit(
        &app,
        &round2,
        &secrets[0],
        answers(&round2, [2; 7], None),
        None,
    );
    assert_eq!(res.status, 201);
    api.post(&format!("/rounds/{}/close", round2.id), &json!({}));
    // Posts queued together are sent together, so they may arrive in any order.
    let posts = hook.wait_for(4);
    let closed: Vec<&String> = posts.iter().filter(|p| p.contains("has closed")).collect();
    assert_eq!(closed.len(), 2, "{posts:?}");
    assert_eq!(
        closed.iter().filter(|p| !p.contains("answered")).count(),
        1,
        "the round under k closed without a count: {posts:?}"
    );
    for body in &posts {
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 1, "only {{\"text\"}}: {v}");
        for needle in roster
            .iter()
            .copied()
            .chain(["marker", "/p#", "example.org"])
        {
            assert!(!body.contains(needle), "{needle} in a webhook post: {body}");
        }
        for s in &secrets {
            assert!(!body.contains(s.as_str()));
        }
    }

    // A webhook that refuses (404) is given up at once and shown to admins without its body
    // or the hook's token.
    let refusing = Hook::start(404);
    api.patch(
        &format!("/teams/{team_id}"),
        &json!({ "webhook_url": refusing.url }),
    );
    open_round(&api, &team_id);
    refusing.wait_for(1);
    let mut status = Value::Null;
    wait_until("the failure to be recorded", || {
        status = api.get("/delivery").json();
        status["failed"].as_array().is_some_and(|f| !f.is_empty())
    });
    let text = status.to_string();
    assert!(!text.contains("secret-hook-token"), "{text}");
    assert!(status["failed"][0]["last_error"]
        .as_str()
        .unwrap()
        .contains("404"));
    assert!(
        outbox_bodies(&app).iter().all(String::is_empty),
        "a failed row keeps no body"
    );
}

#[test]
fn a_killed_server_resends_what_it_had_not_sent_and_logs_no_recipient() {
    let port = free_port();
    let bin = Prepared::new();
    let http = free_port();
    let log1 = bin.dir.join("first.log");
    let mut first = bin.serve_mailing(http, port, &log1);
    let api = bin.api(http, true);
    let roster = ["k1@example.org", "k2@example.org", "k3@example.org"];
    let (team_id, _) = team(&api, "Crash", 3, &roster);
    let r = api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    // No mail server yet: the worker tries, fails, and the rows wait for their retry.
    let db = candor::db::Db::connect(&bin.url, 2).unwrap();
    let attempted = || {
        use candor::db::schema::outbox;
        let mut c = db.get_write().unwrap();
        let tries: Vec<(i32, Option<String>)> = outbox::table
            .select((outbox::attempts, outbox::claim))
            .load(&mut *c)
            .unwrap();
        tries.len() == 3 && tries.iter().all(|(t, claim)| *t >= 1 && claim.is_none())
    };
    wait_until("a failed first attempt", attempted);
    first.kill().unwrap();
    first.wait().unwrap();
    let smtp = Smtp::start_on(port);
    let log2 = bin.dir.join("second.log");
    let mut second = bin.serve_mailing(http, port, &log2);
    let mails = smtp.wait_for(3);
    second.kill().unwrap();
    second.wait().unwrap();
    let mut tos: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    tos.sort();
    assert_eq!(
        tos, roster,
        "each queued message arrives once after the restart"
    );
    let logs = std::fs::read_to_string(&log1).unwrap() + &std::fs::read_to_string(&log2).unwrap();
    for m in &mails {
        assert!(!logs.contains(&secret_in(&m.body)), "a link in the logs");
    }
    for r in roster {
        assert!(!logs.contains(r), "a recipient in the logs: {logs}");
    }
}

/// Not a pass/fail test (speed belongs in bench/): how many messages per second go through
/// the outbox to a real SMTP server, as a ratio to the same server's rate for the same
/// messages sent straight through the same transport (lettre's pool, 32 at once, as the
/// worker sends) in the same run, so the figure says what the outbox costs, not how fast this
/// machine or the Python server is. `cargo test --test integration outbox_throughput --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn outbox_throughput() {
    let n = 1000;
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let people: Vec<String> = (0..n).map(|i| format!("m{i:04}@example.org")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let (team_id, _) = team(&api, "Throughput", 3, &refs);
    open_round(&api, &team_id);
    let queued_at = Instant::now();
    let r = api.post(&format!("/teams/{team_id}/invites/send"), &json!({}));
    assert_eq!(r.status, 202);
    let queue_time = queued_at.elapsed();
    smtp.wait_for(n);
    let total = queued_at.elapsed();
    let invite = smtp.messages()[0].body.clone();
    // The baseline: the same number of messages of the same size, straight to the server.
    let settings = smtp.settings();
    let body = invite.clone();
    let direct = actix_web::rt::System::new().block_on(async move {
        let mailer = candor::delivery::send::Mailer::new(&settings).unwrap();
        let start = Instant::now();
        let all: Vec<usize> = (0..n).collect();
        for chunk in all.chunks(32) {
            let sends = chunk.iter().map(|i| {
                let to = format!("d{i:04}@example.org");
                let body = body.clone();
                let mailer = &mailer;
                async move { mailer.send_text(&to, "Direct", &body).await }
            });
            for r in futures_util::future::join_all(sends).await {
                r.unwrap();
            }
        }
        start.elapsed()
    });
    smtp.wait_for(2 * n);
    let outbox_rate = n as f64 / total.as_secs_f64();
    let direct_rate = n as f64 / direct.as_secs_f64();
    println!(
        "outbox: {n} invites queued in {:.2} s (one transaction), all delivered after {:.2} s: {:.0} messages/s end to end",
        queue_time.as_secs_f64(),
        total.as_secs_f64(),
        outbox_rate
    );
    println!(
        "direct: {n} messages of the same size through the same transport in {:.2} s: {:.0} messages/s; outbox/direct = {:.2}",
        direct.as_secs_f64(),
        direct_rate,
        outbox_rate / direct_rate
    );
    println!("one delivered invite:\n{invite}");
}

/// A process without `CANDOR_SMTP_URL` beside one with it (a half-configured rollout, or a
/// replica started for the API alone) leaves mail to the one that can send it: before,
/// its worker claimed the mail, failed with "email delivery is off" and pushed it back by a
/// retry's wait, again at every poll, so a reminder could wait minutes (the flake this test
/// pins down). Its webhooks it still sends.
#[test]
fn a_process_without_smtp_leaves_mail_to_one_that_has_it() {
    use candor::db::schema::outbox;
    use candor::delivery::model::{Channel, Outgoing};
    let hook = Hook::start(200);
    let app = TestApp::spawn();
    {
        let mut c = app.db.get_write().unwrap();
        for (channel, recipient) in [
            (Channel::Mail, "queued@example.org".to_owned()),
            (Channel::Webhook, hook.url.clone()),
        ] {
            let m = Outgoing {
                channel,
                purpose: "reminder",
                recipient,
                subject: "Queued before".into(),
                body: "A message queued while another process had a mail server".into(),
            };
            candor::delivery::store::enqueue(&mut c, &m).unwrap();
        }
    }
    // The mail-less worker's next poll claims what it can send: the webhook. Both rows were
    // due in that same claim, so once the post arrives the mail row was passed over.
    hook.wait_for(1);
    let mail_row: (i32, Option<String>, Option<String>) = {
        let mut c = app.db.get_write().unwrap();
        outbox::table
            .filter(outbox::channel.eq("mail"))
            .select((outbox::attempts, outbox::claim, outbox::last_error))
            .first(&mut *c)
            .unwrap()
    };
    assert_eq!(
        mail_row,
        (0, None, None),
        "a worker that cannot send mail must not claim it"
    );
    let smtp = Smtp::start();
    let mail = smtp.settings();
    let _replica = app.replica_with(move |s| s.mail = Some(mail));
    let mails = smtp.wait_for(1);
    assert_eq!(mails[0].to, "queued@example.org");
    wait_until("the sent mail's row deleted", || outbox_rows(&app) == 0);
}

#[test]
fn the_scheduled_reminder_and_closing_notice_go_out_once_whichever_replica_runs_them() {
    let smtp = Smtp::start();
    let hook = Hook::start(200);
    let app = app_with_mail(&smtp);
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let roster = [
        "s1@example.org",
        "s2@example.org",
        "s3@example.org",
        "Sam No Address",
    ];
    let (team_id, _) = team(&api, "Scheduled", 3, &roster);
    api.patch(
        &format!("/teams/{team_id}"),
        &json!({ "webhook_url": hook.url }),
    );
    let closes = time::OffsetDateTime::now_utc() + time::Duration::hours(12);
    let closes = closes
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let r = api.post(
        &format!("/teams/{team_id}/rounds"),
        &json!({ "template": "psychological-safety", "closes_at": closes }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    hook.wait_for(1);
    // Two replicas' timers (and one of them twice) run the schedule.
    let mail = smtp.settings();
    let replica = app.replica_with(move |s| s.mail = Some(mail));
    replica.periodic();
    replica.periodic();
    app.replica_with(|_| {}).periodic();
    let mails = smtp.wait_for(3);
    let posts = hook.wait_for(2);
    std::thread::sleep(Duration::from_secs(6));
    let mails_after = smtp.messages();
    assert_eq!(mails.len(), 3);
    assert_eq!(mails_after.len(), 3, "one reminder each, once");
    assert!(mails_after
        .iter()
        .all(|m| m.subject.starts_with("Reminder")));
    let posts_after = hook.bodies.lock().unwrap().clone();
    assert_eq!(
        posts_after.len(),
        2,
        "one opening and one closing notice: {posts_after:?}"
    );
    let closing = posts
        .iter()
        .find(|p| p.contains("closes"))
        .expect("a closing notice");
    assert!(
        !closing.contains("answered"),
        "no count under the threshold: {closing}"
    );
}

#[test]
fn review_invitations_are_mailed_and_never_shown_to_facilitators_again() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let day = (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .date()
        .to_string();
    let r = api.post(
        "/reviews",
        &json!({ "title": "Outage", "incident_date": day, "summary": "What happened",
                 "invitees": ["ops1@example.org", "ops2@example.org", "ops3@example.org", "Pat on call"] }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let review = r.json();
    let id = review["id"].as_str().unwrap();
    let sent = api.post(&format!("/reviews/{id}/invites/send"), &json!({}));
    assert_eq!(sent.status, 202, "{}", sent.text);
    assert_eq!(sent.json()["queued"], 3);
    assert_eq!(sent.json()["skipped"], 1);
    let mails = smtp.wait_for(3);
    let fingerprint = review["key"]["fingerprint"].as_str().unwrap();
    let mut secrets = vec![];
    for m in &mails {
        assert!(
            m.body.contains("Outage") && m.body.contains(fingerprint),
            "{}",
            m.body
        );
        let s = secret_in(&m.body);
        let p = app.anon_api().post("/participate", &json!({ "invite": s }));
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.json()["custody"], "member");
        assert_eq!(p.json()["open"][0]["kind"], "review");
        secrets.push(s);
    }
    let mut seen = api.get(&format!("/reviews/{id}/invites")).text;
    seen.push_str(&admin.get(&format!("/reviews/{id}")).text().unwrap());
    seen.push_str(
        &admin
            .get(&format!("/reviews/{id}/invites.csv"))
            .text()
            .unwrap(),
    );
    for s in &secrets {
        assert!(
            !seen.contains(s.as_str()),
            "a mailed review link was shown to staff"
        );
    }
    let listed = api.get(&format!("/reviews/{id}/invites")).json();
    let pat = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Pat on call")
        .unwrap();
    assert_eq!(
        pat["custody"], "staff",
        "the unmailed link is handed to staff as before"
    );
    assert!(pat["url"].is_string());
    for s in &secrets {
        let p = app.anon_api().post("/participate", &json!({ "invite": s }));
        assert_eq!(
            p.json()["custody"],
            "member",
            "still only theirs after the views"
        );
    }
}

#[test]
fn a_staff_invitation_can_be_mailed_so_no_admin_holds_the_link() {
    let smtp = Smtp::start();
    let app = app_with_mail(&smtp);
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let r = api.post(
        "/staff",
        &json!({ "email": "new.lead@example.org", "role": "leader", "send_email": true }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.json().get("set_password_url").is_none_or(Value::is_null),
        "{}",
        r.text
    );
    let mails = smtp.wait_for(1);
    assert_eq!(mails[0].to, "new.lead@example.org");
    let at = mails[0]
        .body
        .find("/welcome/")
        .expect("a set-password link");
    let path: String = mails[0].body[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(!api.get("/staff").text.contains(&path));
    let page = app.browser().get(&path);
    assert_eq!(page.status(), 200, "the mailed link works");
    // Without email the option is refused rather than silently showing the link.
    let quiet = TestApp::spawn();
    quiet.admin();
    let qapi = quiet.api(&quiet.token_for(ADMIN_EMAIL));
    let r = qapi.post(
        "/staff",
        &json!({ "email": "x@example.org", "role": "leader", "send_email": true }),
    );
    assert_problem(&r, 409);
}

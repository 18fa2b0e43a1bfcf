//! The routing's own guarantees, each attacked as a class rather than route by route:
//! every member route (enumerated from the app's member table) strips cookies and writes no
//! log line, no anonymous API operation lives outside that table, and every staff form
//! (enumerated by crawling the staff pages) is refused without its CSRF token.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

/// Every member route in the app's table, as (method, concrete path): ids filled with a
/// value that exists nowhere, catch-alls with a made-up tail.
fn member_requests() -> Vec<(String, String, String)> {
    candor::app::member_routes()
        .paths()
        .iter()
        .map(|p| {
            let path = p
                .pattern
                .replace("{tail:.*}", "no-such-thing")
                .replace("{id}", "nosuchid");
            (p.method.to_string(), path, p.pattern.to_owned())
        })
        .collect()
}

fn send(
    client: &reqwest::blocking::Client,
    base: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
) -> reqwest::blocking::Response {
    let url = format!("{base}{path}");
    let mut req = match method {
        "GET" => client.get(&url),
        _ => client.post(&url),
    };
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if method == "POST" {
        req = if path.starts_with("/api/") {
            req.json(&json!({ "invite": "nope" }))
        } else {
            req.form(&[("invite", "nope")])
        };
    }
    req.send().unwrap()
}

/// G5 as a class: every route in the member table answers the same with or without a real
/// staff session cookie, and sets no cookie, so no member handler can read or set one.
#[test]
fn every_member_route_ignores_a_staff_session_and_sets_no_cookie() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let session = admin
        .cookies
        .borrow()
        .get("candor_session")
        .cloned()
        .unwrap();
    let cookie = format!("candor_session={session}; candor_form=x");
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let requests = member_requests();
    assert!(requests.len() >= 20, "the member table: {requests:?}");
    for (method, path, pattern) in &requests {
        let plain = send(&client, &app.base, method, path, None);
        let cookied = send(&client, &app.base, method, path, Some(&cookie));
        for res in [&plain, &cookied] {
            assert!(
                res.headers().get("set-cookie").is_none(),
                "{method} {pattern} set a cookie"
            );
            assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        }
        assert_eq!(
            plain.status(),
            cookied.status(),
            "{method} {pattern}: a staff session changed the answer"
        );
        assert!(
            plain.status().as_u16() < 500,
            "{method} {pattern}: {}",
            plain.status()
        );
        assert!(!cookied.text().unwrap().contains(ADMIN_EMAIL));
    }
    // The control: the same cookie on a staff page is a signed-in page.
    let staff = send(&client, &app.base, "GET", "/account", Some(&cookie));
    assert_eq!(staff.status(), 200, "the session used above is real");
}

/// G4 as a class: the real binary, at its most verbose, writes no request line for any
/// member route (good or refused, before or after routing), while a staff request is logged.
#[test]
fn every_member_route_writes_no_log_line() {
    let (url, dir, pg) = fresh_database();
    let db_url = match &url {
        candor::db::DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        candor::db::DbUrl::Postgres(u) => u.clone(),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_candor"))
        .arg("serve")
        .env("DATABASE_URL", &db_url)
        .env("CANDOR_BIND", format!("127.0.0.1:{port}"))
        .env("CANDOR_BASE_URL", &base)
        .env("CANDOR_LOG", "trace")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut staff_requests = 0;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().is_ok() {
            staff_requests += 1;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(staff_requests, 1, "the server never answered");
    for (method, path, _) in member_requests() {
        send(&client, &base, &method, &path, Some("candor_session=x"));
        // Control characters the input guard refuses before routing, in a path id and in
        // a form or JSON value: still a member's request, still unlogged.
        if path.contains("nosuchid") {
            let bad = path.replace("nosuchid", "no%01such");
            send(&client, &base, &method, &bad, None);
        }
        if method == "POST" {
            let url = format!("{base}{path}");
            if path.starts_with("/api/") {
                client
                    .post(&url)
                    .json(&json!({ "invite": "a\u{1}b" }))
                    .send()
                    .unwrap();
            } else {
                client
                    .post(&url)
                    .form(&[("invite", "a\u{1}b")])
                    .send()
                    .unwrap();
            }
        }
    }
    send(&client, &base, "GET", "/login", None);
    staff_requests += 1;
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("candor::http")).collect();
    assert_eq!(
        lines.len(),
        staff_requests,
        "only the staff requests are logged:\n{}",
        lines.join("\n")
    );
    assert!(lines.iter().any(|l| l.contains("/login")), "{log}");
    if let Some((admin_url, name)) = pg {
        use diesel::Connection;
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
            use diesel::connection::SimpleConnection;
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// "METHOD /path" with every path parameter written `{}`.
fn shape(method: &str, pattern: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in pattern.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    format!("{} {out}", method.to_uppercase())
}

/// A member API route cannot be added outside the member scope unnoticed: the operations
/// the API document marks as needing no credentials (`security: []`) are exactly the member
/// table's `/api/v1` routes, apart from signing in, which is staff's and logged.
#[test]
fn the_documented_anonymous_operations_are_exactly_the_member_scope() {
    let app = TestApp::spawn();
    let doc: Value = app.anon_api().get("/openapi.json").json();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security") == Some(&json!([])) && path != "/login" {
                documented.insert(shape(method, &format!("/api/v1{path}")));
            }
        }
    }
    let routed: BTreeSet<String> = candor::app::member_routes()
        .paths()
        .iter()
        .filter(|p| p.pattern.starts_with("/api/"))
        .map(|p| shape(p.method.as_str(), p.pattern))
        .collect();
    assert_eq!(documented, routed);
}

/// Member pages link only to member routes: every form, script and link on the pages a
/// member sees is in the member table, so a page cannot send a member out of the scope.
#[test]
fn member_pages_lead_only_to_member_routes() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, invites) = team_with(&api, "Pages", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let paths = candor::app::member_routes().paths();
    let client = reqwest::blocking::Client::new();
    let invite = invites[0].1.as_str();
    let pages = [
        client.get(format!("{}/p", app.base)).send().unwrap(),
        client
            .post(format!("{}/p", app.base))
            .form(&[("invite", invite)])
            .send()
            .unwrap(),
        client
            .post(format!("{}/p/rounds/{}", app.base, r.id))
            .form(&[("invite", invite)])
            .send()
            .unwrap(),
        client
            .get(format!("{}/p/followups", app.base))
            .send()
            .unwrap(),
        client
            .get(format!("{}/transparency", app.base))
            .send()
            .unwrap(),
    ];
    let mut seen = 0;
    for page in pages {
        assert_eq!(page.status(), 200);
        let html = page.text().unwrap();
        for (attr, method) in [("action=\"", "POST"), ("src=\"", "GET"), ("href=\"", "GET")] {
            for part in html.split(attr).skip(1) {
                let target = part.split('"').next().unwrap().replace("&amp;", "&");
                if !target.starts_with('/') || target.starts_with("//") {
                    continue;
                }
                let path = target.split(['?', '#']).next().unwrap();
                assert!(
                    paths.is_anonymous(&method.parse().unwrap(), path),
                    "a member page leads to {method} {path}, outside the member scope"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 5, "the pages had links and forms to check");
}

/// The POST forms on one page: (action, names of their fields).
fn post_forms(html: &str) -> Vec<String> {
    let mut out = vec![];
    for part in html.split("<form").skip(1) {
        let tag = part.split('>').next().unwrap_or_default();
        if !tag.contains("method=\"post\"") {
            continue;
        }
        if let Some(a) = tag.split("action=\"").nth(1) {
            out.push(a.split('"').next().unwrap().replace("&amp;", "&"));
        }
    }
    out
}

fn audit_lines(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.db.get_write().unwrap();
    candor::db::schema::audit_log::table
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// CSRF as a class: every POST form reachable from the staff pages (found by crawling them
/// as an admin with a team, an open round, a review, a group, another staff member and an
/// API token in place) is refused without its token and with a wrong one, and changes
/// nothing; and so are the sign-in forms.
#[test]
fn every_staff_form_is_refused_without_its_csrf_token() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Forms", 3, &["a", "b", "c"]);
    allow_reviews(&api, &team);
    open_round(&api, &team);
    let day = time::OffsetDateTime::now_utc().date() - time::Duration::days(2);
    let review = api.post("/reviews", &json!({ "title": "Outage", "incident_date": day.to_string(), "summary": "s", "team_ids": [team] }));
    assert_eq!(review.status, 201, "{}", review.text);
    let group = api.post(
        "/metrics/groups",
        &json!({ "name": "All", "team_ids": [team] }),
    );
    assert_eq!(group.status, 201, "{}", group.text);
    let staff = api.post(
        "/staff",
        &json!({ "email": "lead@example.com", "role": "leader" }),
    );
    assert_eq!(staff.status, 201, "{}", staff.text);
    // Crawl every staff page reachable from the home page.
    let mut queue = VecDeque::from([
        "/teams".to_owned(),
        "/reviews".to_owned(),
        "/metrics".to_owned(),
        "/admin/staff".to_owned(),
    ]);
    let mut visited = BTreeSet::new();
    let mut actions = BTreeSet::new();
    while let Some(page) = queue.pop_front() {
        if !visited.insert(page.clone()) || visited.len() > 300 {
            continue;
        }
        let res = admin.get(&page);
        if res.status() != 200 {
            continue;
        }
        let html = res.text().unwrap();
        actions.extend(post_forms(&html));
        for part in html.split("href=\"").skip(1) {
            let link = part.split('"').next().unwrap().replace("&amp;", "&");
            let link = link.split('#').next().unwrap().to_owned();
            let skip = ["/p", "/static", "/api", "/transparency"];
            if link.starts_with('/')
                && !link.starts_with("//")
                && !skip.iter().any(|s| link.starts_with(s))
                && !link.ends_with(".csv")
                && !link.ends_with(".md")
                && !link.ends_with(".json")
            {
                queue.push_back(link);
            }
        }
    }
    assert!(
        actions.len() >= 20,
        "the crawl found the staff forms: {actions:?}"
    );
    let before = audit_lines(&app);
    for action in &actions {
        for token in [None, Some("wrong-token")] {
            let mut fields = vec![("name", "x"), ("label", "x"), ("email", "x@example.com")];
            if let Some(t) = token {
                fields.push(("_csrf", t));
            }
            let res = admin.post_form(action, &fields);
            assert_eq!(
                res.status(),
                403,
                "POST {action} with {token:?} as its token was not refused"
            );
        }
    }
    assert_eq!(
        audit_lines(&app),
        before,
        "a refused form changed something"
    );
    // The forms still work with the real token (the crawl saw real forms).
    assert_eq!(admin.get("/account").status(), 200, "still signed in");
    // The sign-in forms, bound to their own cookie, are refused the same way.
    let guest = app.browser();
    guest.get("/login");
    for token in [None, Some("wrong-token")] {
        let mut fields = vec![("email", ADMIN_EMAIL), ("password", PASSWORD)];
        if let Some(t) = token {
            fields.push(("_csrf", t));
        }
        assert_eq!(guest.post_form("/login", &fields).status(), 403);
    }
    // A token sent twice is refused even when one copy is right.
    let page = admin.get("/account").text().unwrap();
    let right = csrf_from(&page);
    let res = admin.post_form(
        "/account/tokens",
        &[("_csrf", "wrong"), ("_csrf", &right), ("label", "twice")],
    );
    assert_eq!(res.status(), 403);
}

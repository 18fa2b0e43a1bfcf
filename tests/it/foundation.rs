//! Foundation: setup, sign-in, CSRF, roles, teams, rosters, invite links, API tokens, errors.

use candor::auth::model::Role;
use serde_json::json;

use crate::support::*;

#[test]
fn the_first_visit_leads_to_setup_and_setup_needs_the_printed_code() {
    let app = TestApp::spawn();
    let b = app.browser();
    let res = b.get("/");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/setup");
    let page = b.get("/setup").text().unwrap();
    let csrf = csrf_from(&page);
    let wrong = b.post_form(
        "/setup",
        &[
            ("_csrf", &csrf),
            ("code", "not-the-code"),
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    );
    assert_eq!(wrong.status(), 403);
    assert!(wrong
        .text()
        .unwrap()
        .contains("not the one the server printed"));
    let admin = app.admin();
    let teams = admin.get("/teams");
    assert_eq!(teams.status(), 200);
    // Once an admin exists, setup is closed for good.
    let again = app.browser().get("/setup");
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()["location"], "/login");
}

#[test]
fn setup_refuses_short_passwords_and_bad_emails_next_to_the_field() {
    let app = TestApp::spawn();
    let b = app.browser();
    let csrf = csrf_from(&b.get("/setup").text().unwrap());
    let res = b.post_form(
        "/setup",
        &[
            ("_csrf", &csrf),
            ("code", app.setup_code.as_deref().unwrap()),
            ("email", "nope"),
            ("password", "short"),
            ("confirm", "short"),
        ],
    );
    assert_eq!(res.status(), 422);
    let html = res.text().unwrap();
    assert!(
        html.contains("f-email-error") && html.contains("f-password-error"),
        "{html}"
    );
    let mut conn = app.db.get_write().unwrap();
    assert_eq!(
        candor::auth::store::count_staff(&mut conn).unwrap(),
        0,
        "nothing half-written"
    );
}

#[test]
fn login_and_logout_work_and_cookies_are_http_only_and_strict() {
    let app = TestApp::spawn();
    app.admin();
    let b = app.browser();
    let csrf = csrf_from(&b.get("/login").text().unwrap());
    let res = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(res.status(), 303);
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let session = set
        .iter()
        .find(|c| c.starts_with("candor_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain http base URL: no Secure flag"
    );
    assert_eq!(b.get("/teams").status(), 200);
    let out = b.submit("/teams", "/logout", &[]);
    assert_eq!(out.status(), 303);
    let after = b.get("/teams");
    assert_eq!(after.status(), 303, "signed out");
}

#[test]
fn an_https_base_url_makes_cookies_secure() {
    use clap::Parser;
    // The flag is derived from the base URL the operator gives, never set by hand.
    let derive = |base: &str| {
        let cli =
            candor::config::Cli::try_parse_from(["candor", "serve", "--base-url", base]).unwrap();
        candor::config::Settings::from_args(&cli.settings).unwrap()
    };
    assert!(!derive("http://candor.example").secure_cookies);
    let derived = derive("https://candor.example/");
    assert!(derived.secure_cookies);
    let app = TestApp::spawn_with(|s| {
        s.base_url = derived.base_url.clone();
        s.secure_cookies = derived.secure_cookies;
    });
    let b = app.browser();
    let res = b.get("/setup");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[test]
fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn();
    app.admin();
    let b = app.browser();
    let csrf = csrf_from(&b.get("/login").text().unwrap());
    let wrong = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", ADMIN_EMAIL),
            ("password", "wrong password!!"),
        ],
    );
    let unknown = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", "ghost@example.com"),
            ("password", "wrong password!!"),
        ],
    );
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (a, b) = (wrong.text().unwrap(), unknown.text().unwrap());
    assert!(a.contains("The email or the password is wrong."));
    assert_eq!(
        a.replace(ADMIN_EMAIL, "X"),
        b.replace("ghost@example.com", "X")
    );
}

#[test]
fn repeated_failures_are_throttled_briefly_and_success_clears_the_count() {
    let app = TestApp::spawn();
    app.admin();
    let b = app.browser();
    let csrf = csrf_from(&b.get("/login").text().unwrap());
    let mut statuses = vec![];
    for _ in 0..6 {
        statuses.push(
            b.post_form(
                "/login",
                &[
                    ("_csrf", &csrf),
                    ("email", ADMIN_EMAIL),
                    ("password", "wrong password!!"),
                ],
            )
            .status()
            .as_u16(),
        );
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(
        statuses[5], 429,
        "the sixth try within the lockout is refused: {statuses:?}"
    );
    let locked = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(
        locked.status(),
        429,
        "even the right password waits out the lockout"
    );
    assert!(locked.headers().contains_key("retry-after"));
    // The lockout is short: after it, the real password works and clears the count.
    app.clock.advance(time::Duration::seconds(2));
    let ok = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(ok.status(), 303);
}

#[test]
fn forms_without_a_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let res = admin.post_form(
        "/teams",
        &[
            ("name", "Platform"),
            ("threshold", "5"),
            ("roster", "a\nb\nc"),
        ],
    );
    assert_eq!(res.status(), 403);
    assert!(res.text().unwrap().contains("did not come from Candor"));
    let forged = admin.post_form(
        "/teams",
        &[
            ("_csrf", "forged"),
            ("name", "Platform"),
            ("threshold", "5"),
            ("roster", "a\nb\nc"),
        ],
    );
    assert_eq!(forged.status(), 403);
    let login = app
        .browser()
        .post_form("/login", &[("email", ADMIN_EMAIL), ("password", PASSWORD)]);
    assert_eq!(login.status(), 403, "the login form has a CSRF token too");
    let token = app.token_for(ADMIN_EMAIL);
    assert_eq!(app.api(&token).get("/teams").json(), json!([]));
}

fn create_team(b: &Browser, name: &str, roster: &str) -> String {
    let res = b.submit(
        "/teams",
        "/teams",
        &[("name", name), ("threshold", "5"), ("roster", roster)],
    );
    assert_eq!(res.status(), 303, "team created");
    res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/teams/")
        .to_owned()
}

#[test]
fn a_leader_creates_a_team_and_gets_one_invite_link_per_member() {
    let app = TestApp::spawn();
    app.admin();
    let leader = app.staff("lead@example.com", Role::Leader);
    let id = create_team(
        &leader,
        "Platform",
        "Ann\nbob@example.com\n\nCy\nDee\nEve\n",
    );
    // Links stay hidden until asked for (G13); showing them marks them seen by staff.
    let page = leader.get(&format!("/teams/{id}")).text().unwrap();
    assert_eq!(page.matches("/p#").count(), 0, "no link shown unasked");
    assert_eq!(page.matches("not yet seen by staff").count(), 5);
    let shown = leader.submit(
        &format!("/teams/{id}"),
        &format!("/teams/{id}/invites/show"),
        &[],
    );
    assert_eq!(shown.status(), 200);
    let page = shown.text().unwrap();
    assert_eq!(page.matches("/p#").count(), 5, "one link per person");
    assert_eq!(page.matches("not yet seen by staff").count(), 0);
    let csv = leader.get(&format!("/teams/{id}/invites.csv"));
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().unwrap();
    assert_eq!(body.lines().count(), 6);
    assert!(body.starts_with("label,url\n"));
    // The secret in each link is never stored: only keyed hashes are.
    let secret = body
        .lines()
        .nth(1)
        .unwrap()
        .split("/p#")
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(secret.len() >= 22, "at least 128 bits");
    let members = {
        let mut conn = app.db.get_write().unwrap();
        candor::teams::store::list_members(&mut conn, &id.as_str().into()).unwrap()
    };
    assert!(members
        .iter()
        .all(|m| m.invite_hash != secret && m.invite_nonce != secret));
}

#[test]
fn regenerating_a_link_invalidates_the_old_one() {
    let app = TestApp::spawn();
    app.admin();
    let token = app.token_for(ADMIN_EMAIL);
    let api = app.api(&token);
    let team = api
        .post("/teams", &json!({"name": "Ops", "roster": ["a", "b", "c"]}))
        .json();
    let tid = team["id"].as_str().unwrap();
    let before = api.get(&format!("/teams/{tid}/invites")).json();
    let mid = before[0]["member_id"].as_str().unwrap();
    let old = before[0]["url"]
        .as_str()
        .unwrap()
        .split('#')
        .nth(1)
        .unwrap()
        .to_owned();
    let fresh = api.post(&format!("/teams/{tid}/members/{mid}/invite"), &json!({}));
    assert_eq!(fresh.status, 200);
    let new = fresh.json()["url"]
        .as_str()
        .unwrap()
        .split('#')
        .nth(1)
        .unwrap()
        .to_owned();
    assert_ne!(old, new);
    let mut conn = app.db.get_write().unwrap();
    assert!(
        candor::teams::store::member_by_invite(&mut conn, &app.keys, &old)
            .unwrap()
            .is_none()
    );
    assert!(
        candor::teams::store::member_by_invite(&mut conn, &app.keys, &new)
            .unwrap()
            .is_some()
    );
}

#[test]
fn bad_team_input_gets_a_clear_error_and_writes_nothing() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    assert_problem(
        &api.post(
            "/teams",
            &json!({"name": "T", "threshold": 2, "roster": ["a"]}),
        ),
        422,
    );
    assert_problem(
        &api.post("/teams", &json!({"name": "", "roster": ["a"]})),
        422,
    );
    assert_problem(
        &api.post("/teams", &json!({"name": "T", "roster": ["a", "A "]})),
        422,
    );
    assert_problem(
        &api.post("/teams", &json!({"name": "T", "roster": ["a", " "]})),
        422,
    );
    assert_problem(&api.post("/teams", &json!({"name": "x".repeat(101)})), 422);
    assert_problem(&api.post("/teams", &json!({"name": 5})), 422);
    assert_problem(
        &api.post_raw("/teams", "application/json", b"{not json".to_vec()),
        400,
    );
    assert_problem(&api.post_raw("/teams", "text/plain", b"{}".to_vec()), 400);
    assert_problem(
        &api.post_raw("/teams", "application/json", vec![b' '; 300 * 1024]),
        413,
    );
    assert_eq!(api.get("/teams").json(), json!([]), "nothing half-written");
    assert_eq!(
        api.post("/teams", &json!({"name": "T", "roster": ["a"]}))
            .status,
        201
    );
    let dup = api.post("/teams", &json!({"name": "t", "roster": ["b"]}));
    assert_problem(&dup, 422);
    assert!(dup.text.contains("already exists"));
    assert_eq!(api.get("/teams").json().as_array().unwrap().len(), 1);
    let t = &api.get("/teams").json()[0];
    assert_eq!(
        t["members"].as_array().unwrap().len(),
        1,
        "the refused duplicate left no members behind"
    );
}

#[test]
fn a_roster_with_a_duplicate_line_is_refused_on_the_page() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let res = admin.submit(
        "/teams",
        "/teams",
        &[("name", "Web"), ("threshold", "5"), ("roster", "Ann\nann")],
    );
    assert_eq!(res.status(), 422);
    assert!(res.text().unwrap().contains("repeats entry 1"));
    let low = admin.submit(
        "/teams",
        "/teams",
        &[("name", "Web"), ("threshold", "2"), ("roster", "Ann")],
    );
    assert_eq!(low.status(), 422);
    assert!(low.text().unwrap().contains("at least 3"));
}

#[test]
fn leader_a_can_neither_read_nor_change_team_b() {
    let app = TestApp::spawn();
    app.admin();
    let a = app.staff("a@example.com", Role::Leader);
    let b = app.staff("b@example.com", Role::Leader);
    let team_b = create_team(&b, "B team", "x\ny\nz");
    create_team(&a, "A team", "p\nq\nr");
    assert_eq!(a.get(&format!("/teams/{team_b}")).status(), 403);
    assert_eq!(a.get(&format!("/teams/{team_b}/invites.csv")).status(), 403);
    let res = a.submit(
        "/teams",
        &format!("/teams/{team_b}/members"),
        &[("roster", "intruder")],
    );
    assert_eq!(res.status(), 403);
    let api_a = app.api(&app.token_for("a@example.com"));
    assert_problem(&api_a.get(&format!("/teams/{team_b}")), 403);
    assert_problem(&api_a.get(&format!("/teams/{team_b}/invites")), 403);
    assert_problem(
        &api_a.post(
            &format!("/teams/{team_b}/members"),
            &json!({"roster": ["intruder"]}),
        ),
        403,
    );
    assert_problem(
        &api_a.patch(&format!("/teams/{team_b}"), &json!({"threshold": 9})),
        403,
    );
    let listed = api_a.get("/teams").json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "A team");
    // An admin sees both.
    let admin = app.api(&app.token_for(ADMIN_EMAIL));
    assert_eq!(admin.get("/teams").json().as_array().unwrap().len(), 2);
    // A facilitator runs reviews, not teams.
    app.staff("f@example.com", Role::Facilitator);
    let f = app.api(&app.token_for("f@example.com"));
    assert_problem(
        &f.post("/teams", &json!({"name": "F", "roster": ["a"]})),
        403,
    );
}

#[test]
fn admins_invite_staff_with_a_one_time_link_change_roles_and_deactivate() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let created = api.post(
        "/staff",
        &json!({"email": "New@Example.com", "role": "leader"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let link = created.json()["set_password_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = link.trim_start_matches(&app.base).to_owned();
    let b = app.browser();
    let form = b.get(&path);
    assert_eq!(form.status(), 200);
    let csrf = csrf_from(&form.text().unwrap());
    let set = b.post_form(
        &path,
        &[
            ("_csrf", &csrf),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    );
    assert_eq!(set.status(), 303);
    assert_eq!(b.get("/teams").status(), 200, "signed in as the new leader");
    assert_eq!(
        app.browser().get(&path).status(),
        410,
        "the link works once"
    );
    assert_problem(
        &api.post(
            "/staff",
            &json!({"email": "new@example.com", "role": "leader"}),
        ),
        422,
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.patch(&format!("/staff/{id}"), &json!({"role": "facilitator"}))
            .json()["role"],
        "facilitator"
    );
    assert_eq!(
        api.patch(&format!("/staff/{id}"), &json!({"active": false}))
            .status,
        200
    );
    assert_eq!(
        b.get("/account").status(),
        303,
        "a deactivated user's session ends"
    );
    // The last admin cannot be demoted.
    let me = api.get("/me").json();
    assert_problem(
        &api.patch(
            &format!("/staff/{}", me["id"].as_str().unwrap()),
            &json!({"role": "leader"}),
        ),
        409,
    );
}

#[test]
fn the_audit_log_records_staff_actions_and_only_admins_read_it() {
    let app = TestApp::spawn();
    let admin = app.admin();
    create_team(&admin, "Audit me", "a\nb\nc");
    let log = admin.get("/admin/audit").text().unwrap();
    assert!(
        log.contains("setup.admin_created") && log.contains("team.created"),
        "{log}"
    );
    let leader = app.staff("l@example.com", Role::Leader);
    assert_eq!(leader.get("/admin/audit").status(), 403);
    assert_eq!(leader.get("/admin/staff").status(), 403);
}

#[test]
fn api_tokens_authenticate_scripts_and_bad_tokens_get_401_problems() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let res = admin.submit("/account", "/account/tokens", &[("label", "report script")]);
    assert_eq!(res.status(), 201);
    let html = res.text().unwrap();
    let token = html
        .split("cnd_")
        .nth(1)
        .map(|t| format!("cnd_{}", t.split('<').next().unwrap()))
        .expect("token shown once");
    let me = app.api(&token).get("/me");
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
    assert_problem(&app.api("cnd_wrong").get("/me"), 401);
    assert_problem(&app.anon_api().get("/teams"), 401);
    // Revoked tokens stop working.
    let page = admin.get("/account").text().unwrap();
    let id = page
        .split("/account/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    admin.submit("/account", &format!("/account/tokens/{id}/revoke"), &[]);
    assert_problem(&app.api(&token).get("/me"), 401);
}

#[test]
fn cookie_authenticated_api_writes_need_the_csrf_header() {
    let app = TestApp::spawn();
    app.admin();
    let client = reqwest::blocking::Client::new();
    let login = client
        .post(format!("{}/api/v1/login", app.base))
        .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = login.json::<serde_json::Value>().unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/api/v1/teams", app.base);
    let without = client
        .post(&url)
        .header("cookie", &cookie)
        .json(&json!({"name": "N", "roster": ["a"]}))
        .send()
        .unwrap();
    assert_eq!(without.status(), 403);
    let with = client
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "N", "roster": ["a"]}))
        .send()
        .unwrap();
    assert_eq!(with.status(), 201);
    let read = client.get(&url).header("cookie", &cookie).send().unwrap();
    assert_eq!(read.status(), 200);
}

#[test]
fn every_response_carries_the_security_headers_and_errors_have_pages() {
    let app = TestApp::spawn();
    let b = app.browser();
    for path in [
        "/setup",
        "/healthz",
        "/static/style.css",
        "/nowhere",
        "/api/v1/nowhere",
        "/api/v1/openapi.json",
    ] {
        let res = b.get(path);
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("http"), "no third-party source: {csp}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    let page = b.get("/nowhere");
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().unwrap().contains("Not found"));
    let api = app.anon_api().get("/nowhere");
    assert_problem(&api, 404);
}

#[test]
fn healthz_reports_the_database() {
    let app = TestApp::spawn();
    let r = app.anon_api();
    let res = r
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().unwrap()["database"], "ok");
}

#[test]
fn the_openapi_document_lists_every_path_and_each_one_exists() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let doc = api.get("/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/teams") && paths.contains_key("/teams/{team_id}/invites"));
    for (path, ops) in paths {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in ops.as_object().unwrap().keys() {
            let url = format!("{}{concrete}", api.base);
            let req = api
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .bearer_auth(api.token.as_deref().unwrap());
            let res = req
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .unwrap();
            let is_route_miss = res.status() == 404
                && res.text().unwrap().contains("\"detail\":\"not found\"")
                && !path.contains('{');
            assert!(
                !is_route_miss,
                "{method} {path} is documented but not routed"
            );
        }
    }
}

#[test]
fn the_cli_creates_an_admin_from_the_environment_and_prints_a_token() {
    let app = TestApp::spawn();
    use crate::binary::{cli, BIN};
    cli(&app.url, &["admin", "create", "--email", "cli@example.com"]);
    let token = cli(&app.url, &["token", "create", "--email", "cli@example.com"])
        .trim()
        .to_owned();
    assert_eq!(app.api(&token).get("/me").json()["role"], "admin");
    let bad = std::process::Command::new(BIN)
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported DATABASE_URL scheme"));
}

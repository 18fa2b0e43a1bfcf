//! Issue 15's guidance for staff: each role's navigation lists only the pages it can open,
//! error pages keep the navigation and say what to do, and signing in returns to the page
//! that asked for it (only ever a page of this site).

use candor::auth::model::Role;

use crate::support::*;

fn nav(html: &str) -> String {
    html.split("<nav aria-label=\"Main\">")
        .nth(1)
        .and_then(|s| s.split("</nav>").next())
        .unwrap_or_default()
        .to_owned()
}

fn location(res: &reqwest::blocking::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn each_role_is_shown_only_the_pages_it_can_open_and_errors_keep_the_way_on() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let leader = app.staff("lead@example.com", Role::Leader);
    let facilitator = app.staff("fac@example.com", Role::Facilitator);
    for (who, b, start) in [
        ("admin", &admin, "/teams"),
        ("leader", &leader, "/teams"),
        ("facilitator", &facilitator, "/reviews"),
    ] {
        let home = b.get("/");
        assert_eq!(location(&home), start, "{who} starts on their own page");
        let page = b.get(start).text().expect("body");
        let links = nav(&page);
        assert!(!links.is_empty(), "{who}: {page}");
        assert!(links.contains("API tokens for scripts"), "{links}");
        // Every page the navigation offers opens for this role.
        for href in links
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let res = b.get(href);
            assert_eq!(res.status(), 200, "{who} is offered {href}");
        }
        // And every page it leaves out is one this role cannot open.
        for href in ["/teams", "/rounds", "/metrics", "/reviews", "/admin/staff"] {
            if !links.contains(&format!("href=\"{href}\"")) {
                let res = b.get(href);
                assert_eq!(res.status(), 403, "{who} is not offered {href}");
                let html = res.text().expect("body");
                assert_eq!(nav(&html), links, "the error page keeps {who}'s navigation");
                assert!(html.contains("Your role cannot open this page"), "{html}");
                assert!(html.contains(&format!("href=\"{start}\"")), "{html}");
            }
        }
    }
    let facilitator_links = nav(&facilitator.get("/reviews").text().expect("body"));
    for hidden in ["/teams", "/rounds", "/metrics", "/admin/"] {
        assert!(!facilitator_links.contains(hidden), "{facilitator_links}");
    }
    let leader_links = nav(&leader.get("/teams").text().expect("body"));
    assert!(!leader_links.contains("/reviews") && !leader_links.contains("/admin/"));
    // A missing page keeps the navigation too, and says what may have happened.
    let missing = leader.get("/teams/no-such-team");
    assert_eq!(missing.status(), 404);
    let html = missing.text().expect("body");
    assert_eq!(nav(&html), leader_links);
    assert!(html.contains("The link may be old"), "{html}");
    // Member pages never carry staff navigation, even for a browser signed in as staff.
    let member = admin.post_form("/p", &[("invite", "not-an-invite")]);
    assert!(member.status().is_client_error());
    let html = member.text().expect("body");
    assert!(
        nav(&html).is_empty() && !html.contains("Sign out"),
        "{html}"
    );
}

#[test]
fn signing_in_returns_to_the_page_that_asked_and_only_to_our_own_pages() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Return", 3, &["a", "b", "c"]);
    let b = app.browser();
    let wanted = format!("/teams/{team}/questions");
    let asked = b.get(&wanted);
    assert_eq!(asked.status(), 303);
    let to = location(&asked);
    assert_eq!(to, format!("/login?next={wanted}"));
    let page = b.get(&to).text().expect("body");
    assert!(
        page.contains(&format!("name=\"next\" value=\"{wanted}\"")),
        "{page}"
    );
    let csrf = csrf_from(&page);
    let signed = b.post_form(
        "/login",
        &[
            ("_csrf", &csrf),
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
            ("next", &wanted),
        ],
    );
    assert_eq!(signed.status(), 303);
    assert_eq!(location(&signed), wanted);
    assert_eq!(b.get(&wanted).status(), 200);
    // A return address that is not one of our pages is dropped: the start page instead.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/login",
        "/teams?x=<script>",
    ] {
        let b = app.browser();
        let page = b
            .get(&format!("/login?next={}", evil.replace('?', "%3F")))
            .text()
            .expect("body");
        assert!(!page.contains("name=\"next\""), "{evil}: {page}");
        let csrf = csrf_from(&page);
        let res = b.post_form(
            "/login",
            &[
                ("_csrf", &csrf),
                ("email", ADMIN_EMAIL),
                ("password", PASSWORD),
                ("next", evil),
            ],
        );
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/", "{evil}");
    }
    // POSTs are not remembered: a form sent while signed out is not replayed.
    let posted = app
        .browser()
        .post_form(&format!("/teams/{team}/members"), &[]);
    assert_eq!(location(&posted), "/login");
}

/// The first page after setup says what Candor is for and what to do first; each step ticks
/// itself off from what exists, and the card goes once everything is done. A leader is not
/// given the review step (reviews are not theirs to open).
#[test]
fn the_getting_started_checklist_ticks_itself_off_and_then_goes() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let done = |b: &Browser| -> Option<(usize, usize)> {
        let html = b.get("/teams").text().expect("body");
        let card = html.split("id=\"getting-started\"").nth(1)?;
        let line = card.split(" steps done.").next()?;
        let tail: Vec<&str> = line.rsplit(' ').take(3).collect();
        Some((tail[2].parse().ok()?, tail[0].parse().ok()?))
    };
    assert_eq!(done(&admin), Some((0, 5)));
    let first = admin.get("/teams").text().expect("body");
    assert!(
        first.contains("Nobody, not even whoever runs Candor"),
        "{first}"
    );
    let made = api.post(
        "/teams",
        &serde_json::json!({ "name": "First", "threshold": 3, "roster": ["a", "b", "c"] }),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let team = made.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(done(&admin), Some((1, 5)));
    let page = format!("/teams/{team}");
    let shown = admin.submit(&page, &format!("{page}/invites/show"), &[]);
    assert!(shown.status().is_success() || shown.status().is_redirection());
    assert_eq!(done(&admin), Some((2, 5)));
    let people: Vec<(String, String)> = api
        .get(&format!("/teams/{team}/invites"))
        .json()
        .as_array()
        .expect("invites")
        .iter()
        .map(|i| (String::new(), secret_of(i["url"].as_str().expect("url"))))
        .collect();
    let team_page = admin.get(&page).text().expect("body");
    assert!(
        team_page.contains("open the first pulse round"),
        "{team_page}"
    );
    let round = open_round(&api, &team);
    assert_eq!(done(&admin), Some((3, 5)));
    let team_page = admin.get(&page).text().expect("body");
    assert!(!team_page.contains("open the first pulse round"));
    for (_, invite) in &people {
        let res = submit(&app, &round, invite, answers(&round, [5; 7], Some(9)), None);
        assert_eq!(res.status, 201, "{}", res.text);
    }
    assert_eq!(
        api.post(
            &format!("/rounds/{}/close", round.id),
            &serde_json::json!({})
        )
        .status,
        200
    );
    assert_eq!(done(&admin), Some((4, 5)));
    let leader = app.staff("lead@example.com", Role::Leader);
    assert_eq!(
        done(&leader),
        Some((0, 4)),
        "a leader's own teams, no review step"
    );
    let review = api.post(
        "/reviews",
        &serde_json::json!({ "title": "T", "incident_date": "2026-11-20", "summary": "S",
                             "invitees": ["x", "y", "z"] }),
    );
    assert_eq!(review.status, 201, "{}", review.text);
    assert_eq!(done(&admin), None, "all done: the card is gone");
}

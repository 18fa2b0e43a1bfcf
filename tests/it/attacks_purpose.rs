//! G12 (credentials per purpose), G13 (custody of invite links) and the review release rule
//! at close. The attacker is an insider: a facilitator or a leader collecting every link
//! their role can see, then trying each one on every purpose.

use std::collections::{BTreeMap, BTreeSet};

use candor::auth::model::Role;
use serde_json::{json, Value};

use crate::support::*;

const FACILITATOR: &str = "fac@example.com";
const LEADER: &str = "lead@example.com";

/// Every invite secret a staff member can obtain from a page, an export or the API, with
/// where it came from.
fn harvest(b: &Browser, api: &Api, pages: &[&str], apis: &[&str]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut scan = |from: &str, body: &str| {
        for part in body.split("/p#").skip(1) {
            let secret: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !secret.is_empty() {
                out.insert((from.to_owned(), secret));
            }
        }
    };
    for p in pages {
        let r = b.get(p);
        let body = r.text().unwrap_or_default();
        scan(p, &body);
        // Pages that hide links until asked: ask.
        if body.contains("/invites/show\"") {
            let shown = b.submit(p, &format!("{p}/invites/show"), &[]);
            scan(&format!("{p} (shown)"), &shown.text().unwrap_or_default());
        }
    }
    for p in apis {
        let r = api.get(p);
        scan(&format!("api {p}"), &r.text);
    }
    out
}

/// What a credential answers for: every scope `/participate` lists, and every scope a
/// token can be minted for among `scopes`.
fn reach(app: &TestApp, secret: &str, scopes: &[(&str, &str, &Value)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let p = app
        .anon_api()
        .post("/participate", &json!({ "invite": secret }));
    if p.status == 200 {
        for o in p.json()["open"].as_array().unwrap() {
            out.insert(format!("listed {}", o["id"].as_str().unwrap()));
        }
    }
    for (kind, id, key) in scopes {
        if member_token(app, kind, id, secret, key).is_ok() {
            out.insert(format!("token {id}"));
        }
    }
    out
}

/// Who looks, through which session and token, at which pages and API paths.
type View<'a> = (&'a str, &'a Browser, &'a Api, Vec<String>, Vec<String>);

#[test]
fn g12_no_credential_a_role_can_see_answers_for_a_purpose_it_was_not_made_for() {
    let app = TestApp::spawn();
    app.admin();
    let admin_api = app.api(&app.token_for(ADMIN_EMAIL));
    let admin = app.admin_browser();
    let leader = app.staff(LEADER, Role::Leader);
    let leader_api = app.api(&app.token_for(LEADER));
    let fac = app.staff(FACILITATOR, Role::Facilitator);
    let fac_api = app.api(&app.token_for(FACILITATOR));
    let roster = ["ann", "ben", "cat", "dan"];
    let (team, _) = team_with(&leader_api, "Payments", 3, &roster);
    let round = open_round(&leader_api, &team);

    // Without the team's consent a facilitator can neither pick nor name the team.
    assert!(!fac
        .get("/reviews/new")
        .text()
        .unwrap()
        .contains(&format!("value=\"{team}\"")));
    let body = json!({ "title": "Outage", "incident_date": "2026-11-20", "summary": "x", "team_ids": [team], "invitees": ["zoe"], "threshold": 3 });
    assert_problem(&fac_api.post("/reviews", &body), 422);
    // The leader consents; later withdrawing consent closes the door again.
    allow_reviews(&leader_api, &team);
    let review = fac_api.post("/reviews", &body);
    assert_eq!(review.status, 201, "{}", review.text);
    let review = review.json();
    let rid = review["id"].as_str().unwrap().to_owned();
    let r = leader_api.patch(
        &format!("/teams/{team}"),
        &json!({ "reviews_allowed": false }),
    );
    assert_eq!(r.status, 200);
    assert_problem(&fac_api.post("/reviews", &body), 422);
    // An admin may always invite a team.
    let by_admin = admin_api.post("/reviews", &json!({ "title": "Admin's", "incident_date": "2026-11-20", "summary": "x", "team_ids": [team], "threshold": 3 }));
    assert_eq!(by_admin.status, 201, "{}", by_admin.text);
    let by_admin = by_admin.json();
    let rid2 = by_admin["id"].as_str().unwrap().to_owned();

    let scopes: Vec<(&str, &str, &Value)> = vec![
        ("rounds", round.id.as_str(), &round.key),
        ("reviews", rid.as_str(), &review["key"]),
        ("reviews", rid2.as_str(), &by_admin["key"]),
    ];
    let team_pages = [
        format!("/teams/{team}"),
        format!("/teams/{team}/invites.csv"),
    ];
    let review_pages = |id: &str| {
        [
            format!("/reviews/{id}"),
            format!("/reviews/{id}/invites.csv"),
        ]
    };
    let team_apis = [format!("/teams/{team}/invites")];
    let review_apis = |id: &str| [format!("/reviews/{id}/invites")];
    let refs = |v: &[String]| v.iter().map(String::clone).collect::<Vec<_>>();

    // Every role, every view it can open.
    let mut by_purpose: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let views: Vec<View> = vec![
        (
            "leader: team",
            &leader,
            &leader_api,
            refs(&team_pages),
            refs(&team_apis),
        ),
        (
            "admin: team",
            &admin,
            &admin_api,
            refs(&team_pages),
            refs(&team_apis),
        ),
        (
            "facilitator: review",
            &fac,
            &fac_api,
            refs(&review_pages(&rid)),
            refs(&review_apis(&rid)),
        ),
        (
            "admin: review",
            &admin,
            &admin_api,
            refs(&review_pages(&rid)),
            refs(&review_apis(&rid)),
        ),
        (
            "admin: admin's review",
            &admin,
            &admin_api,
            refs(&review_pages(&rid2)),
            refs(&review_apis(&rid2)),
        ),
        // A facilitator trying the team's own views, and a leader trying the review's.
        (
            "facilitator: team",
            &fac,
            &fac_api,
            refs(&team_pages),
            refs(&team_apis),
        ),
        (
            "leader: review",
            &leader,
            &leader_api,
            refs(&review_pages(&rid)),
            refs(&review_apis(&rid)),
        ),
    ];
    for (who, b, api, pages, apis) in &views {
        let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
        let apis: Vec<&str> = apis.iter().map(String::as_str).collect();
        let found = harvest(b, api, &pages, &apis);
        let purpose = who.split(": ").nth(1).unwrap().to_owned();
        for (_, secret) in found {
            by_purpose
                .entry(format!("{who} -> {purpose}"))
                .or_default()
                .insert(secret);
        }
    }
    // A facilitator sees no team link, a leader no review link.
    assert!(
        !by_purpose.contains_key("facilitator: team -> team"),
        "{by_purpose:?}"
    );
    assert!(
        !by_purpose.contains_key("leader: review -> review"),
        "{by_purpose:?}"
    );
    let team_links = &by_purpose["leader: team -> team"];
    assert_eq!(team_links.len(), roster.len());
    assert_eq!(team_links, &by_purpose["admin: team -> team"]);
    let review_links = &by_purpose["facilitator: review -> review"];
    assert_eq!(
        review_links.len(),
        roster.len() + 1,
        "the team and the pasted zoe"
    );
    let admin_review_links = &by_purpose["admin: admin's review -> admin's review"];
    assert!(team_links.is_disjoint(review_links));
    assert!(review_links.is_disjoint(admin_review_links));

    // Each credential answers for exactly its own purpose, on every scope there is.
    for secret in team_links {
        let got = reach(&app, secret, &scopes);
        let want: BTreeSet<String> = [
            format!("listed {}", round.id),
            format!("token {}", round.id),
        ]
        .into();
        assert_eq!(got, want, "a team link reaches beyond its team's rounds");
    }
    for (links, id) in [(review_links, &rid), (admin_review_links, &rid2)] {
        for secret in links {
            let got = reach(&app, secret, &scopes);
            let want: BTreeSet<String> = [format!("listed {id}"), format!("token {id}")].into();
            assert_eq!(got, want, "a review link reaches beyond its review");
        }
    }

    // The team's link reveals nothing about reviews on any member page it opens.
    for secret in team_links {
        let b = app.browser();
        for body in [
            b.post_form("/p", &[("invite", secret)]).text().unwrap(),
            b.post_form(&format!("/p/rounds/{}", round.id), &[("invite", secret)])
                .text()
                .unwrap(),
        ] {
            for needle in [
                rid.as_str(),
                rid2.as_str(),
                "Outage",
                "Admin's",
                "data-issued",
            ] {
                assert!(
                    !body.contains(needle),
                    "a team link's page mentions {needle}"
                );
            }
        }
    }
}

#[test]
fn g13_every_view_that_shows_a_link_marks_it_and_the_member_is_told() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let admin = app.admin_browser();
    let roster = ["ann", "ben", "cat", "dan", "eve", "fay"];
    let t = api.post(
        "/teams",
        &json!({ "name": "Custody", "threshold": 3, "roster": roster }),
    );
    assert_eq!(t.status, 201);
    let team = t.json()["id"].as_str().unwrap().to_owned();
    // The links as only their owners would have them (delivered to them, never shown):
    // derived from the stored rows the way delivery does.
    let secrets = || -> BTreeMap<String, String> {
        let mut conn = app.db.get_write().unwrap();
        candor::teams::store::list_members(&mut conn, &team.as_str().into())
            .unwrap()
            .into_iter()
            .map(|m| {
                (
                    m.label.clone(),
                    candor::teams::store::invite_secret(&app.keys, &m.id, &m.invite_nonce),
                )
            })
            .collect()
    };
    let ids = || -> BTreeMap<String, String> {
        let mut conn = app.db.get_write().unwrap();
        candor::teams::store::list_members(&mut conn, &team.as_str().into())
            .unwrap()
            .into_iter()
            .map(|m| (m.label, m.id.into_string()))
            .collect()
    };
    let custody = |secret: &str| -> String {
        let r = app
            .anon_api()
            .post("/participate", &json!({ "invite": secret }));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["custody"].as_str().unwrap().to_owned()
    };
    let all_member = |why: &str| {
        for (label, s) in secrets() {
            assert_eq!(custody(&s), "member", "{label} after {why}");
        }
    };
    // Views that do not show links leave custody with the member.
    all_member("creating the team");
    admin.get(&format!("/teams/{team}"));
    api.get(&format!("/teams/{team}"));
    api.get("/teams");
    all_member("opening the team page and the team API");
    let page = admin.get(&format!("/teams/{team}")).text().unwrap();
    assert!(!page.contains("/p#"), "links are hidden until asked for");
    let b = app.browser();
    let list = b
        .post_form("/p", &[("invite", &secrets()["ann"])])
        .text()
        .unwrap();
    assert!(list.contains("Only you have this link"), "{list}");

    // Each view that shows a link marks exactly the links it showed.
    let id = ids();
    let show_one = admin.submit(
        &format!("/teams/{team}"),
        &format!("/teams/{team}/invites/show"),
        &[("member_id", &id["ann"])],
    );
    assert_eq!(show_one.status(), 200);
    assert_eq!(show_one.text().unwrap().matches("/p#").count(), 1);
    let regen = api.post(
        &format!("/teams/{team}/members/{}/invite", id["ben"]),
        &json!({}),
    );
    assert_eq!(regen.status, 200, "{}", regen.text);
    assert_eq!(regen.json()["custody"], "staff");
    let s = secrets();
    assert_eq!(custody(&s["ann"]), "staff");
    assert_eq!(custody(&s["ben"]), "staff");
    for label in ["cat", "dan", "eve", "fay"] {
        assert_eq!(custody(&s[label]), "member", "{label}");
    }
    let list = b.post_form("/p", &[("invite", &s["ann"])]).text().unwrap();
    assert!(list.contains("Staff have seen this link"), "{list}");
    // A new link made without showing it is back in the member's sole custody.
    let regen_page = admin.submit(
        &format!("/teams/{team}"),
        &format!("/teams/{team}/members/{}/regenerate", id["ann"]),
        &[],
    );
    assert_eq!(regen_page.status(), 200);
    assert!(!regen_page.text().unwrap().contains("/p#"));
    assert_eq!(custody(&secrets()["ann"]), "member");
    // Every bulk view marks every link: the CSV, the show-all button, the invites API.
    for view in ["csv", "show", "api"] {
        let t = api.post(
            "/teams",
            &json!({ "name": format!("Bulk {view}"), "roster": ["x", "y", "z"] }),
        );
        let tid = t.json()["id"].as_str().unwrap().to_owned();
        match view {
            "csv" => assert_eq!(
                admin.get(&format!("/teams/{tid}/invites.csv")).status(),
                200
            ),
            "show" => assert_eq!(
                admin
                    .submit(
                        &format!("/teams/{tid}"),
                        &format!("/teams/{tid}/invites/show"),
                        &[]
                    )
                    .status(),
                200
            ),
            _ => assert_eq!(api.get(&format!("/teams/{tid}/invites")).status, 200),
        }
        let mut conn = app.db.get_write().unwrap();
        let members = candor::teams::store::list_members(&mut conn, &tid.as_str().into()).unwrap();
        drop(conn);
        for m in members {
            let s = candor::teams::store::invite_secret(&app.keys, &m.id, &m.invite_nonce);
            assert_eq!(custody(&s), "staff", "{view}: {}", m.label);
        }
    }
    // Review links: the review's page shows them, so they are in staff custody.
    let review = api.post("/reviews", &json!({ "title": "R", "incident_date": "2026-11-20", "summary": "x", "invitees": ["p", "q", "r"], "threshold": 3 }));
    let rid = review.json()["id"].as_str().unwrap().to_owned();
    for (_, secret) in review_invites(&api, &rid) {
        assert_eq!(custody(&secret), "staff");
    }

    // Someone used cat's link first (the n-1 attack): cat is told what that means.
    let round = open_round(&api, &team);
    let s = secrets();
    member_token(&app, "rounds", &round.id, &s["cat"], &round.key).unwrap();
    let second = member_token(&app, "rounds", &round.id, &s["cat"], &round.key).unwrap_err();
    assert_eq!(second.status, 409);
    assert!(
        second.text.contains("someone else used your link"),
        "{}",
        second.text
    );
    let page = b
        .post_form(&format!("/p/rounds/{}", round.id), &[("invite", &s["cat"])])
        .text()
        .unwrap();
    assert!(
        page.contains("You have not taken part?") && page.contains("new link"),
        "{page}"
    );
}

#[test]
fn g6_closing_a_review_early_releases_nothing_under_the_threshold() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let admin = app.admin_browser();
    let deadline = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // Every threshold and every count under it, closed through the API and through the page.
    for k in 3..=4usize {
        for n in 1..k {
            for via_page in [false, true] {
                let people: Vec<String> = (0..k + 1).map(|i| format!("p{i}")).collect();
                let r = api.post("/reviews", &json!({ "title": format!("Early {k} {n} {via_page}"), "incident_date": "2026-11-20", "summary": "x", "invitees": people, "threshold": k, "deadline": deadline }));
                assert_eq!(r.status, 201, "{}", r.text);
                let r = r.json();
                let id = r["id"].as_str().unwrap().to_owned();
                let links = review_invites(&api, &id);
                let mut markers = vec![];
                for (i, (_, secret)) in links.iter().take(n).enumerate() {
                    let token = member_token(&app, "reviews", &id, secret, &r["key"]).unwrap();
                    let marker = format!("lonely{k}x{n}x{i}x{via_page}");
                    let res = app.anon_api().post(
                        &format!("/reviews/{id}/accounts"),
                        &json!({ "token": token, "account": { "timeline": [{ "text": marker }] } }),
                    );
                    assert_eq!(res.status, 201, "{}", res.text);
                    markers.push(marker);
                }
                if via_page {
                    let page = admin.get(&format!("/reviews/{id}")).text().unwrap();
                    assert!(
                        page.contains("stay held") || page.contains("stays held"),
                        "{page}"
                    );
                    let closed = admin.submit(
                        &format!("/reviews/{id}"),
                        &format!("/reviews/{id}/close"),
                        &[("confirm", "yes")],
                    );
                    assert_eq!(closed.status(), 303, "closing redirects (PRG)");
                } else {
                    let closed = api.post(&format!("/reviews/{id}/close"), &json!({}));
                    assert_eq!(closed.status, 200, "{}", closed.text);
                }
                // Every view a facilitator has: the page, the accounts API, the pre-read.
                let views = [
                    admin.get(&format!("/reviews/{id}")).text().unwrap(),
                    api.get(&format!("/reviews/{id}/accounts")).text,
                    api.get(&format!("/reviews/{id}/preread")).text,
                    admin
                        .get(&format!("/reviews/{id}/preread.md"))
                        .text()
                        .unwrap_or_default(),
                ];
                for v in &views {
                    for m in &markers {
                        assert!(!v.contains(m), "k={k} n={n}: an early close released {m}");
                    }
                }
                let acc = api.get(&format!("/reviews/{id}/accounts")).json();
                assert_eq!(acc["received"], n as i64);
                assert_eq!(acc["status"], "held", "{acc}");
                // The review's own invitees go with it: their links open nothing any more.
                for (_, secret) in &links {
                    let p = app
                        .anon_api()
                        .post("/participate", &json!({ "invite": secret }));
                    assert_ne!(p.status, 200, "a closed review's link still works");
                }
            }
        }
    }
}

#[test]
fn g6_raising_the_threshold_floor_lifts_every_existing_threshold() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Small", 3, &["a", "b", "c", "d"]);
    let r = open_round(&api, &team);
    for (_, invite) in &people {
        assert_eq!(
            submit(&app, &r, invite, answers(&r, [6; 7], None), None).status,
            201
        );
    }
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(
        api.get(&format!("/rounds/{}/results", r.id)).json()["status"],
        "shown"
    );
    let review = api.post("/reviews", &json!({ "title": "R", "incident_date": "2026-11-20", "summary": "x", "invitees": ["x", "y", "z"], "threshold": 3 }));
    let rid = review.json()["id"].as_str().unwrap().to_owned();

    // The operator raises the floor to 5 and restarts (a second process on the same data).
    let mut settings = candor::config::Settings::for_database(app.url.clone(), app.dir.clone());
    settings.threshold_floor = 5;
    candor::build_state(settings).expect("restart with a higher floor");

    assert_eq!(api.get(&format!("/teams/{team}")).json()["threshold"], 5);
    let results = api.get(&format!("/rounds/{}/results", r.id)).json();
    assert_eq!(results["status"], "suppressed", "{results}");
    assert_eq!(api.get(&format!("/reviews/{rid}")).json()["threshold"], 5);
    let heat = api.get("/metrics/heatmap").json();
    let row = heat["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == team.as_str())
        .unwrap()
        .clone();
    assert_ne!(row["status"], "shown", "{row}");
}

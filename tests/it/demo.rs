//! `candor demo` on a fresh instance: it must leave something worth looking at (issue 15):
//! most heat-map cells shown and one team honestly hidden, comments shown, two reviews with
//! accounts, follow-ups and replies, "bad news shared" above zero, and a login that works.

use crate::support::*;
use serde_json::Value;

fn run_demo(app: &TestApp, months: &str) -> String {
    crate::binary::cli(&app.url, &["demo", "--months", months])
}

/// The printed login, `Sign in as EMAIL with the password PASSWORD (...)`.
fn printed_login(out: &str) -> (String, String) {
    let line = out
        .lines()
        .find(|l| l.starts_with("Sign in as "))
        .unwrap_or_else(|| panic!("no login printed: {out}"));
    let rest = line.trim_start_matches("Sign in as ");
    let (email, rest) = rest.split_once(" with the password ").expect(line);
    let password = rest.split_whitespace().next().expect(line);
    (email.to_owned(), password.to_owned())
}

#[test]
fn the_demo_on_a_fresh_instance_prints_a_login_that_signs_in_and_an_address_to_open() {
    let app = TestApp::spawn();
    let out = run_demo(&app, "2");
    assert!(out.contains("/metrics"), "the address to open: {out}");
    let (email, password) = printed_login(&out);
    let b = app.login(&email, &password);
    let page = b.get("/metrics").text().unwrap();
    assert!(page.contains("Engineering (demo)"), "{page}");
    // The setup code is spent: nobody else can claim the instance after the demo.
    let setup = app.browser().get("/setup");
    let body = setup.text().unwrap_or_default();
    assert!(!body.contains("name=\"code\""), "setup still open: {body}");
}

#[test]
fn the_demo_names_the_existing_admin_and_creates_no_other() {
    let app = TestApp::spawn();
    app.admin();
    let out = run_demo(&app, "1");
    assert!(
        out.contains(&format!("Sign in as {ADMIN_EMAIL}")) && !out.contains("password"),
        "{out}"
    );
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let staff = api.get("/staff").json();
    assert_eq!(staff.as_array().map_or(0, Vec::len), 1, "{staff}");
}

#[test]
fn the_demo_shows_most_cells_hides_one_team_honestly_and_shows_comments_and_reviews() {
    let app = TestApp::spawn();
    app.admin();
    run_demo(&app, "3");
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let h = api.get("/metrics/heatmap").json();
    let teams = h["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 5, "{h}");
    let shown: Vec<&Value> = teams.iter().filter(|t| t["status"] == "shown").collect();
    assert_eq!(shown.len(), 4, "four of five teams shown: {h}");
    let hidden: Vec<&Value> = teams.iter().filter(|t| t["status"] != "shown").collect();
    assert_eq!(hidden[0]["name"], "Support (demo)", "{h}");
    assert!(
        hidden[0]["score"].is_null(),
        "a hidden team has no score: {h}"
    );
    assert_eq!(h["groups"][0]["status"], "shown", "{h}");
    for t in &shown {
        assert_eq!(
            t["items"].as_array().unwrap().len(),
            7,
            "every item cell: {t}"
        );
        let r = api
            .get(&format!(
                "/rounds/{}/results",
                t["round_id"].as_str().unwrap()
            ))
            .json();
        let comments = r["comments"].as_array().map_or(0, Vec::len);
        assert!(comments >= 5, "comments shown for {}: {r}", t["name"]);
    }
    // Results that read at a glance, on the pages the demo fills.
    let b = app.login(ADMIN_EMAIL, PASSWORD);
    let metrics = b.get("/metrics").text().unwrap();
    let heat = metrics
        .split("<svg class=\"heat\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .expect("the heat map");
    let fills: std::collections::HashSet<&str> = heat
        .split("fill=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|f| f.starts_with('#') && *f != "#111111" && *f != "#333333" && *f != "#eeeeee")
        .collect();
    assert!(
        !fills.is_empty() && fills.len() <= 5,
        "cells coloured in at most five bands: {fills:?}"
    );
    let legend = metrics
        .split("class=\"heat-legend\"")
        .nth(1)
        .expect("legend");
    assert_eq!(
        legend
            .split("</ul>")
            .next()
            .unwrap()
            .matches("<li>")
            .count(),
        5
    );
    let team = shown[0]["team_id"].as_str().unwrap();
    let pulse = b.get(&format!("/teams/{team}/rounds")).text().unwrap();
    assert!(
        pulse.contains("chart multiples"),
        "items as small multiples"
    );
    let round = b
        .get(&format!(
            "/rounds/{}",
            shown[0]["round_id"].as_str().unwrap()
        ))
        .text()
        .unwrap();
    assert_eq!(
        round.matches(" favourable · ").count(),
        7,
        "shares next to each scale item's mean"
    );
    // "Bad news shared": the closed reviews count, with its accounts and follow-ups.
    let b = api.get("/metrics/trends").json()["bad_news"].clone();
    assert_eq!(b["reviews_held"], 2, "{b}");
    assert!(b["accounts"].as_i64().unwrap() >= 3, "{b}");
    assert!(b["followups_answered"].as_i64().unwrap() >= 1, "{b}");
    // Two reviews, each with released accounts and a thread with a reply.
    let reviews = api.get("/reviews").json();
    let reviews = reviews.as_array().unwrap();
    assert_eq!(reviews.len(), 2, "{reviews:?}");
    for r in reviews {
        let a = api
            .get(&format!("/reviews/{}/accounts", r["id"].as_str().unwrap()))
            .json();
        assert_eq!(a["status"], "released", "{a}");
        let accounts = a["accounts"].as_array().unwrap();
        assert!(accounts.len() >= 3, "{a}");
        let replies = accounts
            .iter()
            .flat_map(|x| x["followups"].as_array().unwrap())
            .filter(|f| f["reply"].is_string())
            .count();
        assert!(replies >= 1, "a follow-up with its reply: {a}");
    }
}

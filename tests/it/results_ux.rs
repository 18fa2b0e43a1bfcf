//! Issue 15, the rest of results at a glance, over HTTP: the paged pulse index with score and
//! participation, shares in the API wherever item means are, reverse-scored items in their
//! "higher is safer" wording, and a member's error page that leads back to the member's entry.

use serde_json::{json, Value};

use crate::support::*;

/// A team of `n`, one round answered by `answering` of them and closed.
fn closed_round(
    app: &TestApp,
    api: &Api,
    team: &str,
    people: &[(String, String)],
    answering: usize,
) -> Round {
    let r = open_round(api, team);
    for (i, (_, invite)) in people.iter().take(answering).enumerate() {
        let v = 1 + (i as i64 % 7);
        let res = submit(
            app,
            &r,
            invite,
            answers(&r, [v, 6, 2, 5, v, 6, 7], Some(8)),
            None,
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let closed = api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    assert_eq!(closed.status, 200, "{}", closed.text);
    r
}

/// A page's status and body.
struct Page {
    status: u16,
    text: String,
}

fn page(res: reqwest::blocking::Response) -> Page {
    Page {
        status: res.status().as_u16(),
        text: res.text().expect("body"),
    }
}

fn roster(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("person{i}")).collect()
}

#[test]
fn the_pulse_index_pages_by_twenty_with_score_and_participation() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let names = roster(3);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Paged", 3, &refs);
    // One shown round, one suppressed round, then enough open-and-closed empty rounds to fill
    // two pages; each round opens a moment after the last so the order is certain.
    let shown = closed_round(&app, &api, &team, &people, 3);
    app.clock.advance(time::Duration::minutes(1));
    let hidden = closed_round(&app, &api, &team, &people, 1);
    for _ in 0..20 {
        app.clock.advance(time::Duration::minutes(1));
        let r = open_round(&api, &team);
        api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    }
    app.clock.advance(time::Duration::minutes(1));
    let open = open_round(&api, &team);

    let first = page(admin.get("/rounds"));
    assert_eq!(first.status, 200);
    let html = &first.text;
    assert_eq!(
        html.matches("href=\"/rounds/").count(),
        20,
        "twenty rounds a page"
    );
    assert!(html.contains("23 rounds"), "the total is said");
    assert!(
        html.contains(&format!("/rounds/{}", open.id)),
        "newest first"
    );
    assert!(html.contains("Page 1 of 2") && html.contains("/rounds?page=2"));
    assert!(
        html.contains("after close"),
        "an open round has no score yet"
    );

    let second = page(admin.get("/rounds?page=2"));
    assert_eq!(second.status, 200);
    let html = &second.text;
    assert_eq!(html.matches("href=\"/rounds/").count(), 3);
    assert!(html.contains("/rounds?page=1") && !html.contains("/rounds?page=3"));
    let row = |id: &str| {
        let at = html.find(&format!("/rounds/{id}\"")).expect("row");
        html[at..].split("</tr>").next().expect("row").to_owned()
    };
    let shown_row = row(&shown.id);
    assert!(shown_row.contains("3 of 3"), "{shown_row}");
    let score = api.get(&format!("/rounds/{}/results", shown.id)).json()["score"]
        .as_f64()
        .expect("score");
    assert!(shown_row.contains(&format!("{score:.2}")), "{shown_row}");
    let hidden_row = row(&hidden.id);
    assert!(
        hidden_row.contains("1 of 3") && hidden_row.contains("hidden: fewer than 3"),
        "{hidden_row}"
    );
    // Each cell names its column for the phone layout, where rows become cards.
    assert!(hidden_row.contains("data-label=\"Score\""));

    // A page past the end shows the last page; a page that is not a number is a clear 400.
    assert!(page(admin.get("/rounds?page=99"))
        .text
        .contains("Page 2 of 2"));
    assert_eq!(page(admin.get("/rounds?page=abc")).status, 400);
}

#[test]
fn shares_are_in_the_api_wherever_item_means_are_and_never_for_a_suppressed_round() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let names = roster(4);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Shares", 3, &refs);
    let shown = closed_round(&app, &api, &team, &people, 4);
    let hidden = closed_round(&app, &api, &team, &people, 2);

    let results = api.get(&format!("/rounds/{}/results", shown.id)).json();
    assert_eq!(results["status"], "shown");
    let items = results["items"].as_array().expect("items");
    let scale: Vec<&Value> = items.iter().filter(|i| i["kind"] == "scale").collect();
    assert_eq!(scale.len(), 7);
    for i in &scale {
        let s = &i["shares"];
        let sum = s["favourable"].as_f64().unwrap()
            + s["neutral"].as_f64().unwrap()
            + s["unfavourable"].as_f64().unwrap();
        assert!((sum - 100.0).abs() < 1e-9, "{i}");
    }
    // Item 3 (reverse-scored) was answered 2 by all four: disagreeing is favourable.
    let third = scale[2];
    assert_eq!(third["reverse"], true);
    assert_eq!(third["shares"]["favourable"], 100.0);
    // Item 2 was answered 6 by all: favourable. eNPS has no shares.
    assert_eq!(scale[1]["shares"]["favourable"], 100.0);
    assert!(items
        .iter()
        .filter(|i| i["kind"] != "scale")
        .all(|i| i.get("shares").is_none()));

    let suppressed = api.get(&format!("/rounds/{}/results", hidden.id)).json();
    assert_eq!(suppressed["status"], "suppressed");
    assert!(
        !suppressed.to_string().contains("favourable"),
        "{suppressed}"
    );

    let trend = api.get(&format!("/teams/{team}/trend")).json();
    let points = trend.as_array().expect("points");
    let p_shown = points
        .iter()
        .find(|p| p["round_id"] == shown.id.as_str())
        .expect("shown");
    let t_items = p_shown["items"].as_array().expect("items on the trend");
    assert_eq!(t_items.len(), 7);
    assert!(t_items
        .iter()
        .all(|i| i["shares"]["favourable"].is_f64() && i["mean"].is_f64()));
    // In the trend, the reverse-scored item reads as higher is safer, and its mean is scored.
    assert_eq!(
        t_items[2]["text"],
        "Nobody on this team is pushed aside for being different."
    );
    assert_eq!(t_items[2]["mean"], 6.0);
    let p_hidden = points
        .iter()
        .find(|p| p["round_id"] == hidden.id.as_str())
        .expect("hidden");
    assert!(p_hidden.get("items").is_none() && !p_hidden.to_string().contains("favourable"));

    // The document describes the shares.
    let doc = app.anon_api().get("/openapi.json").json();
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["Shares"]["properties"]["favourable"].is_object(),
        "Shares schema"
    );
    assert!(
        schemas["TrendItem"]["properties"]["shares"].is_object(),
        "TrendItem schema"
    );
}

#[test]
fn the_items_by_round_table_reads_higher_is_safer_in_a_labelled_scroll_region() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let names = roster(3);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (team, people) = team_with(&api, "Wording", 3, &refs);
    closed_round(&app, &api, &team, &people, 3);
    let page = page(admin.get(&format!("/teams/{team}/rounds")));
    assert_eq!(page.status, 200);
    let html = &page.text;
    let table = html
        .split("table class=\"items-by-round\"")
        .nth(1)
        .expect("items-by-round table")
        .split("</table>")
        .next()
        .expect("table");
    for safer in [
        "Mistakes are not held against people on this team.",
        "Nobody on this team is pushed aside for being different.",
        "Asking others on this team for help is easy.",
    ] {
        assert!(table.contains(safer), "{safer}");
    }
    assert!(
        !table.contains("held against them"),
        "not the negative wording"
    );
    let before = html
        .split("table class=\"items-by-round\"")
        .next()
        .expect("before");
    let region = before.rsplit("<div").next().expect("wrapper");
    assert!(
        region.contains("tabindex=\"0\"")
            && region.contains("role=\"region\"")
            && region.contains("aria-label="),
        "{region}"
    );
}

#[test]
fn a_member_error_page_leads_back_to_the_member_entry_never_to_staff_pages() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Lost", 3, &["ann", "bea", "cid"]);
    let r = open_round(&api, &team);
    let member = app.browser();
    let cases = [
        page(member.get("/p/no-such-page")),
        page(member.post_form(
            "/p/rounds/no-such-round",
            &[("invite", people[0].1.as_str())],
        )),
        page(member.post_form(
            &format!("/p/rounds/{}", r.id),
            &[("invite", "not-an-invite")],
        )),
    ];
    for page in cases {
        assert!(page.status >= 400, "{}", page.status);
        assert!(page.text.contains("href=\"/p\""), "{}", page.text);
        assert!(
            !page.text.contains("href=\"/\""),
            "no way into the staff side: {}",
            page.text
        );
        assert!(!page.text.contains("Back to the start"));
    }
    // Staff-side errors keep theirs.
    let staff = page(app.browser().get("/no-such-page"));
    assert_eq!(staff.status, 404);
    assert!(staff.text.contains("Back to the start"));
}

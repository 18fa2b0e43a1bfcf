//! Culture metrics: heat map, groups, trends, exports, who sees what, and the differencing
//! attacker who tries to solve for suppressed teams from everything a leader can see.

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::support::*;

fn admin_api(app: &TestApp) -> Api {
    app.admin();
    app.api(&app.token_for(ADMIN_EMAIL))
}

/// A team of `size` whose first `answering` members answer a round, closed.
fn team_round(
    app: &TestApp,
    api: &Api,
    name: &str,
    size: usize,
    answering: usize,
    score: i64,
) -> (String, String) {
    let people: Vec<String> = (0..size).map(|i| format!("{name}-{i}")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let (team, invites) = team_with(api, name, 5, &refs);
    let r = open_round(api, &team);
    for (_, invite) in invites.iter().take(answering) {
        let res = submit(
            app,
            &r,
            invite,
            answers(
                &r,
                [8 - score, score, 8 - score, score, 8 - score, score, score],
                Some(9),
            ),
            None,
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r.id), &json!({}))
            .status,
        200
    );
    (team, r.id)
}

/// Moves a closed round (and every group membership) back in time, as if it had run then.
fn backdate(app: &TestApp, round: &str, day: time::Date) {
    use candor::db::schema::{group_teams, rounds};
    let mut conn = app.db.get_write().unwrap();
    let at = time::PrimitiveDateTime::new(day, time::Time::MIDNIGHT);
    diesel::update(rounds::table.find(round))
        .set((rounds::opens_at.eq(at), rounds::closed_on.eq(Some(day))))
        .execute(&mut *conn)
        .unwrap();
    let early =
        time::PrimitiveDateTime::new(time::macros::date!(2020 - 01 - 01), time::Time::MIDNIGHT);
    diesel::update(group_teams::table)
        .set(group_teams::added_at.eq(early))
        .execute(&mut *conn)
        .unwrap();
    candor::metrics::store::bump_version(&mut conn).unwrap();
}

fn row<'a>(h: &'a Value, kind: &str, name: &str) -> &'a Value {
    h[kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {h}"))
}

#[test]
fn the_heat_map_hides_small_teams_and_every_group_that_would_reveal_them() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    assert_eq!(
        api.post("/metrics/groups", &json!({ "name": "Big", "team_ids": [] }))
            .status,
        201
    );
    let (a, _) = team_round(&app, &api, "A", 6, 5, 6);
    let (b, _) = team_round(&app, &api, "B", 6, 6, 4);
    let (c, _) = team_round(&app, &api, "C", 6, 2, 2);
    let groups = api.get("/metrics/groups").json();
    let big = groups[0]["id"].as_str().unwrap().to_owned();
    for t in [&a, &b, &c] {
        assert_eq!(
            api.post(
                &format!("/metrics/groups/{big}/teams"),
                &json!({ "team_id": t })
            )
            .status,
            201
        );
    }
    let ab = api.post(
        "/metrics/groups",
        &json!({ "name": "AB", "team_ids": [a, b] }),
    );
    assert_eq!(ab.status, 201, "{}", ab.text);
    // Memberships were added after the rounds opened: no group covers them yet.
    let h = api.get("/metrics/heatmap").json();
    assert_eq!(row(&h, "groups", "Big")["status"], "none");
    // As if the groups had existed before the rounds:
    for round in api
        .get(&format!("/teams/{a}/rounds"))
        .json()
        .as_array()
        .unwrap()
        .iter()
        .chain(
            api.get(&format!("/teams/{b}/rounds"))
                .json()
                .as_array()
                .unwrap(),
        )
        .chain(
            api.get(&format!("/teams/{c}/rounds"))
                .json()
                .as_array()
                .unwrap(),
        )
    {
        backdate(
            &app,
            round["id"].as_str().unwrap(),
            time::macros::date!(2026 - 08 - 10),
        );
    }
    let h = api.get("/metrics/heatmap").json();
    assert_eq!(row(&h, "teams", "A")["status"], "shown");
    assert!((row(&h, "teams", "A")["score"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    assert_eq!(row(&h, "teams", "C")["status"], "suppressed");
    assert!(row(&h, "teams", "C").get("score").is_none());
    assert_eq!(
        row(&h, "teams", "C")["answered"],
        2,
        "counts are not answers: participation shows"
    );
    assert_eq!(row(&h, "groups", "AB")["status"], "shown");
    assert_eq!(
        row(&h, "groups", "Big")["status"],
        "suppressed",
        "Big minus A minus B would be C"
    );
    // The CSV export holds exactly the same figures.
    let csv = api.get("/metrics/export.csv").text;
    let c_line = csv.lines().find(|l| l.contains(",C,")).unwrap();
    assert!(c_line.contains(",suppressed,2,6,,,,"), "{c_line}");
    let big_line = csv.lines().find(|l| l.contains(",Big,")).unwrap();
    assert!(big_line.contains(",suppressed,"), "{big_line}");
    // The page shows the heat map as SVG with a table, and marks hidden cells.
    let admin = app.admin_browser();
    let page = admin.get("/metrics").text().unwrap();
    assert!(
        page.contains("<svg class=\"heat\"")
            && page.contains("hidden")
            && page.contains("<table class=\"heat\"")
    );
}

#[test]
fn a_leader_sees_only_their_teams_and_groups_made_only_of_them() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    app.staff("lead@example.com", candor::auth::model::Role::Leader);
    let lead = app.api(&app.token_for("lead@example.com"));
    let (mine, _) = team_round(&app, &lead, "Mine", 5, 5, 5);
    let (other, _) = team_round(&app, &api, "Other", 5, 5, 3);
    api.post(
        "/metrics/groups",
        &json!({ "name": "Just mine", "team_ids": [mine] }),
    );
    api.post(
        "/metrics/groups",
        &json!({ "name": "Mixed", "team_ids": [mine, other] }),
    );
    let h = lead.get("/metrics/heatmap").json();
    let names: Vec<&str> = h["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Mine"]);
    let groups: Vec<&str> = h["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, vec!["Just mine"]);
    assert_problem(&lead.get("/metrics/groups"), 403);
    assert_eq!(
        api.get("/metrics/heatmap").json()["teams"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_group_changed_today_does_not_change_a_figure_already_shown() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let (a, ra) = team_round(&app, &api, "A", 5, 5, 6);
    let (b, rb) = team_round(&app, &api, "B", 5, 5, 2);
    let g = api
        .post("/metrics/groups", &json!({ "name": "G", "team_ids": [a] }))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    backdate(&app, &ra, time::macros::date!(2026 - 07 - 10));
    backdate(&app, &rb, time::macros::date!(2026 - 07 - 10));
    let before = api.get("/metrics/heatmap?period=2026-Q3").json();
    assert!((row(&before, "groups", "G")["score"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    // Adding B today covers only B's rounds opened from today.
    assert_eq!(
        api.post(
            &format!("/metrics/groups/{g}/teams"),
            &json!({ "team_id": b })
        )
        .status,
        201
    );
    let after = api.get("/metrics/heatmap?period=2026-Q3").json();
    assert_eq!(
        row(&after, "groups", "G")["score"],
        row(&before, "groups", "G")["score"]
    );
}

#[test]
fn trends_span_quarters_with_gaps_and_say_whether_a_change_is_noise() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    let people: Vec<String> = (0..6).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let (team, invites) = team_with(&api, "T", 5, &refs);
    let mut rounds = vec![];
    for (q, (n, v)) in [(6, 4), (2, 6), (6, 6)].iter().enumerate() {
        let r = open_round(&api, &team);
        for (i, (_, inv)) in invites.iter().take(*n).enumerate() {
            let v = v - (i as i64 % 2);
            assert_eq!(
                submit(
                    &app,
                    &r,
                    inv,
                    answers(&r, [8 - v, v, 8 - v, v, 8 - v, v, v], None),
                    None
                )
                .status,
                201
            );
        }
        api.post(&format!("/rounds/{}/close", r.id), &json!({}));
        rounds.push((r.id, q));
    }
    for (id, q) in &rounds {
        let month = [time::Month::February, time::Month::May, time::Month::August][*q];
        backdate(
            &app,
            id,
            time::Date::from_calendar_date(2026, month, 10).unwrap(),
        );
    }
    let t = api.get("/metrics/trends").json();
    let line = t["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "T")
        .unwrap()
        .clone();
    let points = line["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(
        points[1]["status"], "suppressed",
        "two answers: a gap, not a zero"
    );
    assert!(points[1]["score"].is_null());
    let change = &line["change"];
    assert!(
        (change["delta"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{change}"
    );
    assert_eq!(change["within_noise"], false);
}

/// THREAT-MODEL G7, attack 5: everything a leader can see (heat maps for every period,
/// trends, exports, per-team results) as linear equations over per-round answer sums; no
/// set of suppressed teams under the threshold together lies in their span. (The exact
/// attacker over random instances is `attacks_g7`.)
#[test]
fn g7_the_differencing_attacker_solves_for_no_suppressed_team() {
    let app = TestApp::spawn();
    let api = admin_api(&app);
    // Teams of different sizes; some under the threshold of 5. Groups that overlap.
    let plan = [("A", 6), ("B", 5), ("C", 2), ("D", 3), ("E", 7), ("F", 4)];
    let mut team_ids = std::collections::BTreeMap::new();
    for (name, n) in plan {
        let (team, _) = team_round(&app, &api, name, 7, n, 3 + (n as i64 % 4));
        team_ids.insert(name, team);
    }
    let ids = |names: &[&str]| {
        names
            .iter()
            .map(|n| team_ids[n].clone())
            .collect::<Vec<_>>()
    };
    for (g, members) in [
        ("ABC", vec!["A", "B", "C"]),
        ("AB", vec!["A", "B"]),
        ("CD", vec!["C", "D"]),
        ("DEF", vec!["D", "E", "F"]),
        ("EF", vec!["E", "F"]),
        ("ALL", vec!["A", "B", "C", "D", "E", "F"]),
        ("CDE", vec!["C", "D", "E"]),
    ] {
        assert_eq!(
            api.post(
                "/metrics/groups",
                &json!({ "name": g, "team_ids": ids(&members) })
            )
            .status,
            201
        );
    }
    for t in team_ids.values() {
        for r in api
            .get(&format!("/teams/{t}/rounds"))
            .json()
            .as_array()
            .unwrap()
        {
            backdate(
                &app,
                r["id"].as_str().unwrap(),
                time::macros::date!(2026 - 09 - 01),
            );
        }
    }
    // The attacker knows the structure: which team's round is in which group (worst case).
    let atoms: Vec<&str> = plan.iter().map(|(n, _)| *n).collect();
    let n_of: std::collections::BTreeMap<&str, i64> =
        plan.iter().map(|(n, k)| (*n, *k as i64)).collect();
    let mut equations: Vec<(Vec<f64>, f64)> = vec![];
    let mut publish = |members: Vec<&str>, score: Option<f64>, answered: i64| {
        if let Some(s) = score {
            let v: Vec<f64> = atoms
                .iter()
                .map(|a| if members.contains(a) { 1.0 } else { 0.0 })
                .collect();
            equations.push((v, s * answered as f64));
        }
    };
    for period in ["latest", "2026-Q3"] {
        let h = api.get(&format!("/metrics/heatmap?period={period}")).json();
        for t in h["teams"].as_array().unwrap() {
            publish(
                vec![t["name"].as_str().unwrap()],
                t["score"].as_f64(),
                t["answered"].as_i64().unwrap_or(0),
            );
        }
        for g in h["groups"].as_array().unwrap() {
            let name = g["name"].as_str().unwrap();
            let members: Vec<&str> = name.split("").filter(|s| !s.is_empty()).collect();
            let members: Vec<&str> = if name == "ALL" {
                atoms.clone()
            } else {
                members
            };
            publish(
                members,
                g["score"].as_f64(),
                g["answered"].as_i64().unwrap_or(0),
            );
        }
        // The export must say nothing the heat map does not.
        let csv = api
            .get(&format!("/metrics/export.csv?period={period}"))
            .text;
        for line in csv.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            let from_api = h[if cols[0] == "team" { "teams" } else { "groups" }]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == cols[2])
                .unwrap();
            assert_eq!(
                cols[8].parse::<f64>().ok().map(|x| (x * 1e4).round()),
                from_api["score"].as_f64().map(|x| (x * 1e4).round()),
                "{line}"
            );
        }
    }
    for t in api.get("/metrics/trends").json()["trends"]
        .as_array()
        .unwrap()
    {
        let name = t["name"].as_str().unwrap();
        if t["kind"] == "team" {
            for p in t["points"].as_array().unwrap() {
                publish(
                    vec![name],
                    p["score"].as_f64(),
                    p["answered"].as_i64().unwrap_or(0),
                );
            }
        }
    }
    for (name, team) in &team_ids {
        for r in api
            .get(&format!("/teams/{team}/rounds"))
            .json()
            .as_array()
            .unwrap()
        {
            let res = api
                .get(&format!("/rounds/{}/results", r["id"].as_str().unwrap()))
                .json();
            publish(
                vec![name],
                res["score"].as_f64(),
                res["answered"].as_i64().unwrap_or(0),
            );
        }
    }
    let rows: Vec<Vec<f64>> = equations.iter().map(|(v, _)| v.clone()).collect();
    let suppressed: Vec<usize> = (0..atoms.len()).filter(|i| n_of[atoms[*i]] < 5).collect();
    assert!(!suppressed.is_empty());
    // Every set of suppressed teams with fewer than five answers together, not only pairs.
    let targets: Vec<Vec<usize>> = (1u32..1 << suppressed.len())
        .map(|mask| {
            (0..suppressed.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| suppressed[i])
                .collect::<Vec<usize>>()
        })
        .filter(|set| set.iter().map(|i| n_of[atoms[*i]]).sum::<i64>() < 5)
        .collect();
    for t in targets {
        let e: Vec<f64> = (0..atoms.len())
            .map(|i| if t.contains(&i) { 1.0 } else { 0.0 })
            .collect();
        assert!(
            !in_span(&rows, &e),
            "the attacker can solve for {:?} from what a leader sees",
            t.iter().map(|i| atoms[*i]).collect::<Vec<_>>()
        );
    }
    // And something was published: the defence is not to show nothing.
    assert!(rows.len() >= 4, "{} equations", rows.len());
}

/// Gaussian elimination, written independently of the product's own.
fn in_span(rows: &[Vec<f64>], target: &[f64]) -> bool {
    let rank = |m: &[Vec<f64>]| {
        let mut m: Vec<Vec<f64>> = m.to_vec();
        let cols = target.len();
        let mut r = 0;
        for c in 0..cols {
            let Some(p) = (r..m.len()).max_by(|a, b| m[*a][c].abs().total_cmp(&m[*b][c].abs()))
            else {
                break;
            };
            if m[p][c].abs() < 1e-9 {
                continue;
            }
            m.swap(r, p);
            let pivot_row = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r {
                    let f = row[c] / pivot_row[c];
                    for (x, p) in row.iter_mut().zip(&pivot_row) {
                        *x -= f * p;
                    }
                }
            }
            r += 1;
            if r == m.len() {
                break;
            }
        }
        r
    };
    let mut with = rows.to_vec();
    with.push(target.to_vec());
    rank(&with) == rank(rows)
}

//! The question picker on the open-round form (issue 15): the leader sees what a round will
//! ask and chooses it there, in the same request that opens the round.

use crate::support::*;
use serde_json::Value;

fn kinds(round: &Value) -> Vec<String> {
    round["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            format!(
                "{}:{}",
                q["kind"].as_str().unwrap(),
                q["text"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_open_round_form_picks_the_questions_and_adds_one_of_the_leaders_own() {
    let app = TestApp::spawn();
    let b = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Pickers", 3, &["a", "b", "c"]);
    let page = b.get(&format!("/teams/{team}/rounds")).text().unwrap();
    assert!(
        page.contains("always asked"),
        "the scale is shown as always asked"
    );
    let enps = page
        .split("name=\"keep\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("eNPS offered with a tick box")
        .to_owned();
    assert!(page.contains(" (eNPS)"), "{page}");
    // eNPS left unticked, a question of our own added: one POST opens the round.
    let res = b.submit(
        &format!("/teams/{team}/rounds"),
        &format!("/teams/{team}/rounds"),
        &[
            ("title", "Picked"),
            ("picker", "1"),
            ("new_text", "Deploys on Fridays feel safe"),
        ],
    );
    assert_eq!(res.status(), 303);
    let round_id = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/rounds/")
        .to_owned();
    let round = api.get(&format!("/rounds/{round_id}")).json();
    let asked = kinds(&round);
    assert_eq!(asked.len(), 8, "{asked:?}");
    assert!(!asked.iter().any(|k| k.starts_with("enps")), "{asked:?}");
    assert!(asked.contains(&"scale:Deploys on Fridays feel safe".to_owned()));
    assert!(!enps.is_empty());
    // The form now offers the new question ticked, and eNPS is gone from the list.
    let page = b.get(&format!("/teams/{team}/rounds")).text().unwrap();
    assert!(page.contains("Deploys on Fridays feel safe") && !page.contains(" (eNPS)"));
}

#[test]
fn a_refused_pick_opens_nothing_changes_nothing_and_keeps_the_choices() {
    let app = TestApp::spawn();
    let b = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Careful", 3, &["a", "b", "c"]);
    let page = b.get(&format!("/teams/{team}/rounds")).text().unwrap();
    let enps = page
        .split("name=\"keep\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let long = "x".repeat(5000);
    for (closes, text) in [("not a time", "A fine question"), ("", long.as_str())] {
        let res = b.submit(
            &format!("/teams/{team}/rounds"),
            &format!("/teams/{team}/rounds"),
            &[
                ("title", "Refused"),
                ("closes_at", closes),
                ("picker", "1"),
                ("keep", &enps),
                ("new_text", text),
            ],
        );
        assert_eq!(res.status(), 422, "a clear 4xx page");
        let body = res.text().unwrap();
        assert!(body.contains("always asked") && body.contains(" (eNPS)"));
        assert!(
            body.contains(&format!("value=\"{enps}\" id=\"pick-{enps}\" checked")),
            "the tick is kept"
        );
    }
    // Nothing half-written: no round, eNPS still on the questionnaire, no new question.
    let rounds = api.get(&format!("/teams/{team}/rounds")).json();
    assert_eq!(rounds.as_array().map_or(0, Vec::len), 0, "{rounds}");
    let page = b.get(&format!("/teams/{team}/rounds")).text().unwrap();
    assert!(page.contains(" (eNPS)") && !page.contains("A fine question"));
}

#[test]
fn a_validated_scale_item_warns_and_keeps_its_wording_until_the_change_is_confirmed() {
    let app = TestApp::spawn();
    let b = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Wording", 3, &["a", "b", "c"]);
    let questions = format!("/teams/{team}/questions");
    // The team's first visit writes its built-in questionnaire.
    b.get(&format!("/teams/{team}/rounds"));
    let page = b.get(&questions).text().unwrap();
    assert!(
        page.contains("validated in research"),
        "warned before any change"
    );
    let action = page
        .split("action=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|a| a.starts_with(&format!("{questions}/")))
        .unwrap()
        .to_owned();
    let res = b.submit(
        &questions,
        &action,
        &[("text", "Mistakes are fine here"), ("action", "save")],
    );
    assert_eq!(res.status(), 422, "refused without the tick");
    assert!(res.text().unwrap().contains("Tick the box"));
    let page = b.get(&questions).text().unwrap();
    assert!(
        !page.contains("Mistakes are fine here"),
        "wording unchanged"
    );
    let res = b.submit(
        &questions,
        &action,
        &[
            ("text", "Mistakes are fine here"),
            ("action", "save"),
            ("confirm_validated", "1"),
        ],
    );
    assert_eq!(res.status(), 200);
    assert!(b
        .get(&questions)
        .text()
        .unwrap()
        .contains("Mistakes are fine here"));
}

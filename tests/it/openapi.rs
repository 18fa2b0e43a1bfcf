//! The generated OpenAPI document against the running app: it is well formed (every `$ref`
//! resolves, every path parameter is declared, operation ids are unique), what it says about
//! credentials is what the server does, its answers match what the server sends, and the
//! docs page shows all of it. `.ci/fuzz` then runs schemathesis and a validator against it.

use serde_json::{json, Value};

use crate::support::*;

fn document(app: &TestApp) -> Value {
    let doc = app.anon_api().get("/openapi.json");
    assert_eq!(doc.status, 200, "{}", doc.text);
    assert!(doc.content_type.starts_with("application/json"));
    doc.json()
}

/// Every operation as (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_well_formed_every_ref_resolves_and_every_path_parameter_is_declared() {
    let app = TestApp::spawn();
    let doc = document(&app);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut all = vec![];
    refs(&doc, &mut all);
    assert!(all.len() > 50, "the document references its schemas");
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    let mut ids = std::collections::HashSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap().to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} twice");
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let in_template: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, in_template, "{method} {path}: path parameters");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} documents no success"
        );
        for (status, r) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    r["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status} is problem+json"
                );
            }
        }
        if op.get("requestBody").is_some() {
            assert!(responses.contains_key("422") && responses.contains_key("400"));
        }
    }
    assert!(ids.len() >= 45, "{} operations", ids.len());
    // Every link leads to an operation that exists and takes the parameter it fills.
    let mut links = 0;
    for (method, path, op) in operations(&doc) {
        for r in op["responses"].as_object().unwrap().values() {
            for link in r["links"].as_object().into_iter().flat_map(|l| l.values()) {
                links += 1;
                let target = link["operationId"].as_str().unwrap();
                let (_, _, t) = operations(&doc)
                    .into_iter()
                    .find(|(_, _, o)| o["operationId"] == target)
                    .unwrap_or_else(|| {
                        panic!("{method} {path} links to {target}, which is not there")
                    });
                for p in link["parameters"].as_object().unwrap().keys() {
                    assert!(
                        t["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x["name"] == *p),
                        "{target} takes no {p}"
                    );
                }
            }
        }
    }
    assert!(links >= 20, "{links} links");
}

#[test]
fn what_the_document_says_about_credentials_is_what_the_server_does() {
    let app = TestApp::spawn();
    let doc = document(&app);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    let anon = app.anon_api();
    let mut anonymous = vec![];
    for (method, path, op) in operations(&doc) {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let documented_anonymous = op["security"] == json!([]);
        let mut req = anon
            .client
            .request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{concrete}", anon.base),
            )
            .header("content-type", "application/json")
            .body("{}");
        if documented_anonymous {
            // An anonymous route never sees a cookie, so one sent changes nothing, and it
            // never sets one.
            req = req.header("cookie", "candor_session=a-session-it-must-not-read");
        }
        let res = req.send().unwrap();
        let status = res.status().as_u16();
        let sets_cookie = res.headers().contains_key("set-cookie");
        if documented_anonymous {
            anonymous.push(format!("{method} {path}"));
            assert_ne!(status, 401, "{method} {path} is documented anonymous");
            assert!(
                !sets_cookie,
                "{method} {path} is anonymous yet sets a cookie"
            );
        } else {
            assert!(
                op.get("security").is_none(),
                "{method} {path}: staff security is the default"
            );
            assert_eq!(status, 401, "{method} {path} is documented for staff only");
            assert!(op["responses"]["401"].is_object());
        }
    }
    for member in [
        "post /participate",
        "post /rounds/{round_id}/tokens",
        "post /rounds/{round_id}/answers",
        "post /reviews/{review_id}/tokens",
        "post /reviews/{review_id}/accounts",
        "post /followups",
        "post /followups/reply",
        "post /followups/add",
        "post /comments/thread",
        "post /comments/reply",
        "get /keys",
        "get /transparency",
        "get /rounds/{round_id}/bulletin",
        "get /reviews/{review_id}/bulletin",
        "post /login",
    ] {
        assert!(
            anonymous.iter().any(|a| a == member),
            "{member} is not anonymous: {anonymous:?}"
        );
    }
    assert_eq!(anonymous.len(), 15, "{anonymous:?}");
}

#[test]
fn documented_answers_match_what_the_server_sends() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let doc = document(&app);
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    let (team_id, _) = team_with(&api, "Documented", 3, &["a", "b", "c"]);
    let team = api.get(&format!("/teams/{team_id}")).json();
    let round = open_round(&api, &team_id);
    let results = api.get(&format!("/rounds/{}/results", round.id)).json();
    // Each required field of the schema is in the answer, and the answer has no field the
    // schema does not name.
    let fits = |value: &Value, s: &Value, what: &str| {
        for r in s["required"].as_array().unwrap() {
            assert!(value.get(r.as_str().unwrap()).is_some(), "{what} lacks {r}");
        }
        for k in value.as_object().unwrap().keys() {
            assert!(
                s["properties"].get(k).is_some(),
                "{what} does not document {k}"
            );
        }
    };
    fits(&team, &schema("Team"), "Team");
    fits(&team["members"][0], &schema("Member"), "Member");
    let open = &schema("RoundResults")["oneOf"][0];
    assert_eq!(open["properties"]["status"]["enum"], json!(["open"]));
    fits(&results, open, "open results");
}

#[test]
fn a_documented_path_asked_with_another_method_is_405_with_its_methods() {
    let app = TestApp::spawn();
    let anon = app.anon_api();
    let res = anon
        .client
        .put(format!("{}/teams", anon.base))
        .send()
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, POST");
    let res = anon
        .client
        .delete(format!("{}/rounds/abc/answers", anon.base))
        .send()
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_problem(&anon.get("/teams/abc/nothing-here"), 404);
}

#[test]
fn a_json_body_that_is_not_an_object_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team_id, _) = team_with(&api, "Arrays", 3, &["a", "b", "c"]);
    // serde reads a struct from an array of its fields: `[null, null]` once opened a round.
    for body in ["[null, null]", "[]", "\"x\"", "3", "null"] {
        let r = api.post_raw(
            &format!("/teams/{team_id}/rounds"),
            "application/json",
            body.into(),
        );
        assert_problem(&r, 422);
    }
    let anon = app.anon_api();
    assert_problem(
        &anon.post_raw("/participate", "application/json", b"[\"x\"]".to_vec()),
        422,
    );
    assert_eq!(
        api.get(&format!("/teams/{team_id}/rounds")).json(),
        json!([])
    );
}

#[test]
fn the_docs_page_shows_every_operation_which_ones_are_anonymous_and_every_schema() {
    let app = TestApp::spawn();
    let doc = document(&app);
    let page = app.browser().get("/api/docs");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().unwrap();
    assert!(!html.contains("<script"), "the page needs no JavaScript");
    for (method, path, _) in operations(&doc) {
        let shown = format!("{} /api/v1{}", method.to_uppercase(), path);
        assert!(html.contains(&shown), "{shown} is not on the page");
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    let participate = html.split("id=\"op-post-participate\"").nth(1).unwrap();
    assert!(
        participate[..400].contains("Anonymous"),
        "{}",
        &participate[..400]
    );
    let teams = html.split("id=\"op-get-teams\"").nth(1).unwrap();
    assert!(!teams[..400].contains("Anonymous"));
    // The staff API-tokens page links to it.
    let admin = app.admin();
    assert!(admin
        .get("/account")
        .text()
        .unwrap()
        .contains("href=\"/api/docs\""));
}

/// Every documented path asked with a method it does not document is 405 with `Allow`, whatever
/// the body: the input guard must not answer first with a 422 about a body no handler would
/// read (schemathesis ST204 found `TRACE` and `PUT` with `null` answered 422).
#[test]
fn every_documented_path_answers_an_undocumented_method_405_whatever_the_body() {
    let app = TestApp::spawn();
    app.admin();
    let token = app.token_for(ADMIN_EMAIL);
    let doc = document(&app);
    let client = reqwest::blocking::Client::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["GET", "POST", "PATCH", "PUT", "DELETE", "TRACE"] {
            if item.get(method.to_lowercase()).is_some() {
                continue;
            }
            for body in ["null", "[1]", "{\"a\": \"b\\u0000c\"}"] {
                let res = client
                    .request(
                        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{}/api/v1{concrete}", app.base),
                    )
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .unwrap();
                assert_eq!(res.status().as_u16(), 405, "{method} {path} {body}");
                assert!(res.headers().get("allow").is_some(), "{method} {path}");
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} requests");
}

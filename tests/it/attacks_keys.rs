//! The attacker against round keys and member pages: a server that varies any part of a key
//! for one member (G11), a member page that says something about other members (G14), and
//! a private key that outlives its close in some process's memory (G3).

use serde_json::{json, Value};

use crate::support::*;
use candor::tokens::crypto::{self, check_listed, ClientRequest, KeyJson, ListedKey};

/// A roster whose labels carry emails, domains and full names.
const ROSTER: [&str; 4] = [
    "Ana Lopez <ana.lopez@corp-one.example>",
    "bob.stone@corp-two.example",
    "Cyrus Wu",
    "Dee Park <dee@corp-three.example>",
];

/// A change to one directory entry.
type Tweak = dyn Fn(&mut ListedKey);

fn key_of(v: &Value) -> KeyJson {
    serde_json::from_value(v.clone()).expect("key json")
}

fn directory(api: &Api) -> Vec<ListedKey> {
    let r = api.get("/keys");
    assert_eq!(r.status, 200, "{}", r.text);
    serde_json::from_value(r.json()["keys"].clone()).expect("directory shape")
}

/// What a member's client does with the key it was served for `kind`/`id`, the fingerprint
/// its page showed and the directory it re-read: blind only if every check passes.
fn client_accepts(
    dir: &[ListedKey],
    kind: &str,
    id: &str,
    key: &KeyJson,
    shown: &str,
) -> Result<(), String> {
    ClientRequest::new(key, shown)?;
    check_listed(dir, kind, id, key)
}

/// The value of `data-<name>="..."` in a page.
fn attr(page: &str, name: &str) -> String {
    let marker = format!("data-{name}=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("the page has data-{name}"))
        + marker.len();
    page[start..].split('"').next().expect("value").to_owned()
}

fn form_post(url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = reqwest::blocking::Client::new()
        .post(url)
        .form(fields)
        .send()
        .expect("POST");
    (res.status().as_u16(), res.text().expect("body"))
}

fn get(url: &str) -> (u16, String) {
    let res = reqwest::blocking::get(url).expect("GET");
    (res.status().as_u16(), res.text().expect("body"))
}

/// G11: for every field of a key a server could vary for one member (the modulus, the
/// exponent, the fingerprint the page shows, the id the key is filed under, its kind) the
/// client refuses, because the directory it re-reads on its own request lists one key per
/// id for everyone. And what the server does serve, to every member, on the page and in the
/// API, is exactly the listed key.
#[test]
fn g11_every_key_field_a_server_could_vary_for_one_member_is_refused_by_the_clients() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Keys", 3, &ROSTER);
    let a = open_round(&api, &team);
    let b = open_round(&api, &team);
    let dir = directory(&app.anon_api());
    let (ka, kb) = (key_of(&a.key), key_of(&b.key));
    let (fa, fb) = (ka.fingerprint.clone(), kb.fingerprint.clone());

    // The server's half: every member is served exactly the listed key, on the page and in
    // the API, and the directory lists it with the pinned exponent.
    for r in [&a, &b] {
        let listed = dir
            .iter()
            .find(|k| k.kind == "round" && k.id == r.id)
            .expect("every open round is listed");
        assert_eq!(
            (listed.status.as_str(), listed.e.as_str(), listed.n_bits),
            ("open", "AQAB", 2048)
        );
        assert_eq!(listed.fingerprint, r.key["fingerprint"]);
        assert_eq!(listed.n, r.key["n"]);
        for (_, invite) in &people {
            let (status, page) = form_post(
                &format!("{}/p/rounds/{}", app.base, r.id),
                &[("invite", invite)],
            );
            assert_eq!(status, 200, "{page}");
            let served = KeyJson {
                n: attr(&page, "key-n"),
                e: attr(&page, "key-e"),
                fingerprint: attr(&page, "fingerprint"),
            };
            assert_eq!(attr(&page, "scope"), r.id);
            assert_eq!(
                client_accepts(&dir, "round", &r.id, &served, &served.fingerprint),
                Ok(())
            );
            let open = app
                .anon_api()
                .post("/participate", &json!({ "invite": invite }))
                .json();
            let item = open["open"]
                .as_array()
                .expect("open")
                .iter()
                .find(|i| i["id"] == r.id)
                .expect("listed for the member")
                .clone();
            assert_eq!(key_of(&item["key"]), served);
        }
    }

    // The attacker's half: what a server could serve one member instead.
    let with_e = |e: &[u8]| KeyJson {
        e: candor::secret::b64(e),
        ..ka.clone()
    };
    let (ida, idb, fa, fb) = (a.id.as_str(), b.id.as_str(), fa.as_str(), fb.as_str());
    let attacks: Vec<(&str, &str, &str, KeyJson, &str)> = vec![
        (
            "the modulus",
            "round",
            ida,
            KeyJson {
                n: kb.n.clone(),
                ..ka.clone()
            },
            fa,
        ),
        ("the exponent (3)", "round", ida, with_e(&[3]), fa),
        ("the exponent (65539)", "round", ida, with_e(&[1, 0, 3]), fa),
        (
            "the exponent (2^32 + 1)",
            "round",
            ida,
            with_e(&[1, 0, 0, 0, 1]),
            fa,
        ),
        (
            "the fingerprint attribute",
            "round",
            ida,
            KeyJson {
                fingerprint: fb.to_owned(),
                ..ka.clone()
            },
            fb,
        ),
        ("the fingerprint shown", "round", ida, ka.clone(), fb),
        (
            "modulus and fingerprint together",
            "round",
            ida,
            kb.clone(),
            fb,
        ),
        (
            "the key id (A's key filed under B)",
            "round",
            idb,
            ka.clone(),
            fa,
        ),
        (
            "the key id (one made up)",
            "round",
            "not-a-round",
            ka.clone(),
            fa,
        ),
        ("the kind", "review", ida, ka.clone(), fa),
    ];
    for (what, kind, id, key, shown) in &attacks {
        assert!(
            client_accepts(&dir, kind, id, key, shown).is_err(),
            "a key with {what} varied was accepted"
        );
    }
    // The honest key passes the same checks, so each refusal above is the varied field's.
    assert_eq!(client_accepts(&dir, "round", ida, &ka, fa), Ok(()));
    // A directory that lists the round as closed, another exponent, or another modulus
    // under the same fingerprint, is refused as well.
    let other_n = kb.n.clone();
    let tweaks: Vec<Box<Tweak>> = vec![
        Box::new(|k| k.status = "closed".into()),
        Box::new(|k| k.e = "Aw".into()),
        Box::new(|k| k.n_bits = 4096),
        Box::new(move |k| k.n = other_n.clone()),
    ];
    for tweak in &tweaks {
        let mut d = dir.clone();
        d.iter_mut().filter(|k| k.id == ida).for_each(tweak);
        assert!(client_accepts(&d, "round", ida, &ka, fa).is_err());
    }
    // Nothing above reached the server: no token was issued for either round.
    let mut conn = app.db.get_write().expect("conn");
    for r in [&a, &b] {
        assert_eq!(
            candor::tokens::store::count_issued(&mut conn, &r.id.as_str().into()).expect("count"),
            0
        );
    }
}

/// G11: the directory is public and cookieless, lists open and recently closed round and
/// review keys by kind and id (nothing else: no title, no team), keeps a closed key's public
/// part for 30 days, and drops it after.
#[test]
fn g11_the_key_directory_lists_open_and_recently_closed_keys_and_nothing_else() {
    use candor::db::schema::rounds;
    use diesel::prelude::*;
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Directory team", 3, &ROSTER);
    let r1 = api.post(
        &format!("/teams/{team}/rounds"),
        &json!({ "template": "psychological-safety", "title": "Round about the reorg" }),
    );
    assert_eq!(r1.status, 201, "{}", r1.text);
    let r1 = r1.json();
    let r2 = open_round(&api, &team);
    let rv = api.post(
        "/reviews",
        &json!({ "title": "Payroll outage", "incident_date": "2026-01-05",
                 "summary": "Payroll failed.", "team_ids": [team] }),
    );
    assert_eq!(rv.status, 201, "{}", rv.text);
    let rv = rv.json();
    let anon = app.anon_api();

    let body = anon.get("/keys");
    assert_eq!(body.status, 200);
    for secret_word in ["reorg", "Payroll", "Directory team", "corp-one", "Ana"] {
        assert!(
            !body.text.contains(secret_word),
            "the directory names {secret_word}"
        );
    }
    let dir = directory(&anon);
    let entry = |kind: &str, id: &Value| {
        dir.iter()
            .find(|k| k.kind == kind && k.id == id.as_str().expect("id"))
            .cloned()
    };
    let e1 = entry("round", &r1["id"]).expect("round listed");
    assert_eq!(e1.fingerprint, r1["key"]["fingerprint"]);
    assert_eq!(e1.status, "open");
    let ev = entry("review", &rv["id"]).expect("review listed");
    assert_eq!(ev.fingerprint, rv["key"]["fingerprint"]);
    assert_eq!(dir.len(), 3);
    for k in &dir {
        assert_eq!((k.e.as_str(), k.n_bits), ("AQAB", 2048));
        let n = candor::secret::unb64(&k.n).expect("n");
        assert_eq!(crypto::fingerprint(&n), k.fingerprint);
    }
    // Each entry carries exactly these fields.
    for k in body.json()["keys"].as_array().expect("keys") {
        let mut fields: Vec<&String> = k.as_object().expect("object").keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            ["e", "fingerprint", "id", "kind", "n", "n_bits", "status"]
        );
    }

    // Cookieless: a staff session sent along changes nothing and no cookie comes back.
    let session = admin
        .cookies
        .borrow()
        .get("candor_session")
        .cloned()
        .expect("session");
    let res = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/keys", app.base))
        .header("cookie", format!("candor_session={session}"))
        .send()
        .expect("GET");
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(res.text().expect("body"), body.text);

    // Closed: still listed, as closed, with the same fingerprint.
    assert_eq!(
        api.post(&format!("/rounds/{}/close", r2.id), &json!({}))
            .status,
        200
    );
    assert_eq!(
        api.post(
            &format!("/reviews/{}/close", rv["id"].as_str().unwrap()),
            &json!({})
        )
        .status,
        200
    );
    let dir = directory(&anon);
    let closed = dir
        .iter()
        .find(|k| k.id == r2.id)
        .expect("a closed round stays listed");
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.fingerprint, r2.key["fingerprint"]);
    let closed_review = dir
        .iter()
        .find(|k| k.id == rv["id"].as_str().unwrap())
        .expect("a closed review stays listed");
    assert_eq!(closed_review.status, "closed");
    // Closed more than 30 days ago: gone from the directory.
    {
        let mut conn = app.db.get_write().expect("conn");
        let long_ago = time::OffsetDateTime::now_utc().date() - time::Duration::days(31);
        diesel::update(rounds::table.find(&r2.id))
            .set(rounds::closed_on.eq(Some(long_ago)))
            .execute(&mut conn)
            .expect("age the round");
    }
    let dir = directory(&anon);
    assert!(
        dir.iter().all(|k| k.id != r2.id),
        "a key closed 31 days ago is still listed"
    );
    assert!(dir.iter().any(|k| k.id == rv["id"].as_str().unwrap()));
}

/// Hole 10: the public transparency page (and its API) says how many rounds and reviews are
/// open and lists their fingerprints; it never names them. An open review's title names an
/// incident to anyone on the internet.
#[test]
fn g11_the_transparency_page_shows_counts_and_fingerprints_never_titles() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Transparent team", 3, &ROSTER);
    let r = api.post(
        &format!("/teams/{team}/rounds"),
        &json!({ "template": "psychological-safety", "title": "Round about the layoffs" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = r.json();
    let rv = api.post(
        "/reviews",
        &json!({ "title": "Breach of the HR database", "incident_date": "2026-01-05",
                 "summary": "It leaked.", "invitees": ["x", "y", "z"] }),
    );
    assert_eq!(rv.status, 201, "{}", rv.text);
    let rv = rv.json();
    let (status, page) = get(&format!("{}/transparency", app.base));
    assert_eq!(status, 200);
    let json = app.anon_api().get("/transparency");
    assert_eq!(json.status, 200);
    for body in [&page, &json.text] {
        for title in ["layoffs", "Breach", "HR database", "Transparent team"] {
            assert!(!body.contains(title), "the transparency page names {title}");
        }
        for fp in [&r["key"]["fingerprint"], &rv["key"]["fingerprint"]] {
            assert!(body.contains(fp.as_str().expect("fingerprint")));
        }
    }
    let j = json.json();
    assert_eq!(
        (j["open_rounds"].as_i64(), j["open_reviews"].as_i64()),
        (Some(1), Some(1))
    );
    for k in j["keys"].as_array().expect("keys") {
        assert!(k.get("title").is_none(), "{k}");
    }
    assert!(
        page.contains("<strong>1</strong> pulse round and <strong>1</strong> review"),
        "{page}"
    );
}

/// G14: every page and API response a member gets is the same for every member of the team
/// once their own invite secret is blanked out, and none carries another member's email,
/// domain or full label. The name warning gets what it needs (lowercase name parts) and no
/// more.
#[test]
fn g14_member_pages_carry_nothing_about_other_members() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Lookalikes", 3, &ROSTER);
    let round = open_round(&api, &team);
    let rv = api.post(
        "/reviews",
        &json!({ "title": "Checkout outage", "incident_date": "2026-01-05",
                 "summary": "Checkout failed.", "team_ids": [team] }),
    );
    assert_eq!(rv.status, 201, "{}", rv.text);
    let review_id = rv.json()["id"].as_str().expect("id").to_owned();
    let review_invites = api.get(&format!("/reviews/{review_id}/invites")).json();
    let review_secret = |label: &str| {
        review_invites
            .as_array()
            .expect("invites")
            .iter()
            .find(|i| i["label"] == label)
            .and_then(|i| i["url"].as_str())
            .map(secret_of)
            .expect("a review invite for each team member")
    };
    let base = &app.base;
    let answers_of = |r: &Round| -> Vec<(String, String)> {
        answers(r, [4; 7], Some(8))
            .iter()
            .map(|a| {
                (
                    format!("q_{}", a["question_id"].as_str().expect("id")),
                    a["value"].to_string(),
                )
            })
            .collect()
    };

    // Everything the member-facing side answers, for one member.
    let bodies = |invite: &str, review_invite: &str| -> Vec<(String, u16, String)> {
        let mut out = vec![];
        let mut push = |what: &str, (status, body): (u16, String)| {
            out.push((what.to_owned(), status, body));
        };
        push("GET /p", get(&format!("{base}/p")));
        push(
            "POST /p",
            form_post(&format!("{base}/p"), &[("invite", invite)]),
        );
        push(
            "POST /p (review invite)",
            form_post(&format!("{base}/p"), &[("invite", review_invite)]),
        );
        push(
            "the round form",
            form_post(
                &format!("{base}/p/rounds/{}", round.id),
                &[("invite", invite)],
            ),
        );
        push(
            "the fallback re-render of an invalid answer",
            form_post(
                &format!("{base}/p/rounds/{}/fallback", round.id),
                &[("invite", invite), ("comment", "nothing else")],
            ),
        );
        let mut fields: Vec<(String, String)> = answers_of(&round);
        fields.push(("invite".into(), invite.into()));
        fields.push(("comment".into(), "Ana and Lopez said so".into()));
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        push(
            "the fallback re-render with a name warning",
            form_post(&format!("{base}/p/rounds/{}/fallback", round.id), &fields),
        );
        push(
            "the review form",
            form_post(
                &format!("{base}/p/reviews/{review_id}"),
                &[("invite", review_invite)],
            ),
        );
        push("GET /p/followups", get(&format!("{base}/p/followups")));
        let participate = app
            .anon_api()
            .post("/participate", &json!({ "invite": invite }));
        push(
            "POST /api/v1/participate",
            (participate.status, participate.text),
        );
        let participate = app
            .anon_api()
            .post("/participate", &json!({ "invite": review_invite }));
        push(
            "POST /api/v1/participate (review invite)",
            (participate.status, participate.text),
        );
        push("GET /transparency", get(&format!("{base}/transparency")));
        push(
            "GET /api/v1/transparency",
            get(&format!("{base}/api/v1/transparency")),
        );
        push("GET /api/v1/keys", get(&format!("{base}/api/v1/keys")));
        out
    };

    let (label0, invite0) = &people[0];
    let (label1, invite1) = &people[1];
    let seen0 = bodies(invite0, &review_secret(label0));
    let seen1 = bodies(invite1, &review_secret(label1));
    let blank = |body: &str, secrets: [&str; 2]| {
        secrets
            .iter()
            .fold(body.to_owned(), |b, s| b.replace(s, "SECRET"))
    };
    let forbidden: Vec<String> = ROSTER
        .iter()
        .flat_map(|label| {
            let mut f = vec![label.to_lowercase()];
            for word in label.split_whitespace() {
                let w = word.trim_matches(['<', '>']);
                if let Some((local, domain)) = w.split_once('@') {
                    f.extend([w.to_lowercase(), domain.to_lowercase()]);
                    // A local part of several words ("ana.lopez") may only appear split.
                    if !local.chars().all(char::is_alphabetic) {
                        f.push(local.to_lowercase());
                    }
                }
            }
            f
        })
        .collect();
    let review0 = review_secret(label0);
    let review1 = review_secret(label1);
    for ((what, s0, b0), (_, s1, b1)) in seen0.iter().zip(&seen1) {
        assert!(*s0 < 500, "{what} answered {s0}: {b0}");
        assert_eq!(s0, s1, "{what}: a different status for two members");
        let (b0, b1) = (
            blank(b0, [invite0, &review0]),
            blank(b1, [invite1, &review1]),
        );
        assert!(
            b0 == b1,
            "{what} differs between two members:\n{b0}\n----\n{b1}"
        );
        let lower = b0.to_lowercase();
        for f in &forbidden {
            assert!(!lower.contains(f.as_str()), "{what} carries {f:?}");
        }
    }
    // The round form warns about names with normalised parts only: sorted, no emails.
    let form = &seen0
        .iter()
        .find(|(w, ..)| w == "the round form")
        .expect("form")
        .2;
    let names: Vec<String> =
        serde_json::from_str(&attr(form, "names").replace("&quot;", "\"")).expect("data-names");
    assert_eq!(
        names,
        ["ana", "bob", "cyrus", "dee", "lopez", "park", "stone"]
    );
    // The fallback's server-side warning still fires on a name.
    let warned = &seen0
        .iter()
        .find(|(w, ..)| w == "the fallback re-render with a name warning")
        .expect("warning")
        .2;
    assert!(warned.contains("a name from the roster (ana)"), "{warned}");
}

/// G3: a closed key leaves the memory of every process on the database, not only the one
/// that closed it: a replica forgets it on its next request for that scope and, for every
/// scope, on its next periodic run.
#[test]
fn g3_a_closed_key_leaves_every_replicas_memory() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Replicated", 3, &ROSTER);
    let r1 = open_round(&api, &team);
    let r2 = open_round(&api, &team);
    let replica = app.replica();
    // Members reach replica B: it signs, so it holds both private keys.
    let issue = |r: &Round, invite: &str| {
        let key = key_of(&r.key);
        let req = ClientRequest::new(&key, &key.fingerprint).expect("blind");
        replica.anon_api().post(
            &format!("/rounds/{}/tokens", r.id),
            &json!({ "invite": invite, "blinded_message": req.blinded_message }),
        )
    };
    assert_eq!(issue(&r1, &people[0].1).status, 200);
    assert_eq!(issue(&r2, &people[0].1).status, 200);
    assert!(replica.key_cache.holds_secret(&r1.id) && replica.key_cache.holds_secret(&r2.id));
    assert_eq!(replica.key_cache.secrets_held(), 2);

    // Replica A closes both; B was not told.
    for r in [&r1, &r2] {
        assert_eq!(
            api.post(&format!("/rounds/{}/close", r.id), &json!({}))
                .status,
            200
        );
    }
    assert_eq!(
        replica.key_cache.secrets_held(),
        2,
        "B still holds the keys: nothing has reached it yet"
    );

    // A request to B for the closed round: refused, and B forgets that key.
    assert_problem(&issue(&r1, &people[1].1), 410);
    assert!(!replica.key_cache.holds_secret(&r1.id));
    assert!(replica.key_cache.holds_secret(&r2.id));

    // B's periodic job forgets every other closed key, with no request for it.
    replica.periodic();
    assert!(!replica.key_cache.holds_secret(&r2.id));
    assert_eq!(replica.key_cache.secrets_held(), 0);

    // An open round's key is kept by the sweep: B can still sign for it.
    let r3 = open_round(&api, &team);
    assert_eq!(issue(&r3, &people[0].1).status, 200);
    replica.periodic();
    assert!(replica.key_cache.holds_secret(&r3.id));
}

//! The attacker suite (issue 7, docs/threat-model.md). Each test names the guarantee of
//! THREAT-MODEL.md it attacks and must fail to link anyone.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};

use crate::support::*;

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Text)]
    v: String,
}

/// Every value of every column of a table, as text (the dump).
pub(crate) fn dump_table(app: &TestApp, table: &str) -> Vec<Vec<String>> {
    let mut conn = app.db.get_write().unwrap();
    let cols: Vec<String> = if app.is_postgres() {
        diesel::sql_query(format!("SELECT column_name::text AS v FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"))
            .load::<Cell>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|c| c.v)
            .collect()
    } else {
        diesel::sql_query(format!(
            "SELECT name AS v FROM pragma_table_info('{table}')"
        ))
        .load::<Cell>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|c| c.v)
        .collect()
    };
    let order = if app.is_postgres() {
        " ORDER BY ctid"
    } else {
        ""
    };
    let mut rows = vec![];
    let all: Vec<Cell> = diesel::sql_query(format!(
        "SELECT {} AS v FROM {table}{order}",
        cols.iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
            .collect::<Vec<_>>()
            .join(" || '\u{1f}' || ")
    ))
    .load(&mut *conn)
    .unwrap();
    for c in all {
        rows.push(c.v.split('\u{1f}').map(str::to_owned).collect());
    }
    rows
}

pub(crate) fn tables(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.get_write().unwrap();
    let sql = if app.is_postgres() {
        "SELECT table_name::text AS v FROM information_schema.tables WHERE table_schema = 'public'"
    } else {
        "SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    diesel::sql_query(sql)
        .load::<Cell>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|c| c.v)
        .collect()
}

/// Spearman rank correlation between submission order and physical order, pooled within
/// groups (rounds): rows of different rounds are told apart by their round id anyway, so
/// only the order inside a round could betray who answered when. `physical` lists
/// submission indices in the order they were found; `group` maps an index to its round.
fn spearman(physical: &[usize], group: impl Fn(usize) -> usize) -> f64 {
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in physical {
        by_group.entry(group(*i)).or_default().push(*i);
    }
    let (mut d2, mut denom) = (0.0, 0.0);
    for found in by_group.values() {
        let n = found.len() as f64;
        let mut submitted = found.clone();
        submitted.sort_unstable();
        for (physical_rank, i) in found.iter().enumerate() {
            let submitted_rank = submitted.iter().position(|x| x == i).unwrap_or(0);
            d2 += (physical_rank as f64 - submitted_rank as f64).powi(2);
        }
        denom += n * (n * n - 1.0);
    }
    1.0 - 6.0 * d2 / denom
}

const MEMBERS: usize = 12;
/// Rank correlation that a shuffle of 24 rows (pooled over two rounds of 12, or one review
/// of 24) exceeds with probability around 1e-4; an order kept from submission scores 1.
const MAX_RHO: f64 = 0.8;

pub(crate) struct Scenario {
    round_ids: Vec<String>,
    review_id: String,
    /// Submission order: (member label, marker) in the order they were sent.
    order: Vec<(String, String)>,
    invites: Vec<(String, String)>,
}

/// Two teams of twelve; every member answers a pulse round and writes an account in a
/// known order with pauses, each text carrying a marker the attacker can find.
pub(crate) fn scenario(app: &TestApp, api: &Api, close: bool) -> Scenario {
    let mut round_ids = vec![];
    let mut invites = vec![];
    let mut rounds = vec![];
    let mut team_ids = vec![];
    for t in ["North", "South"] {
        let people: Vec<String> = (0..MEMBERS).map(|i| format!("{t}-{i:02}")).collect();
        let refs: Vec<&str> = people.iter().map(String::as_str).collect();
        let (team, inv) = team_with(api, t, 5, &refs);
        let r = open_round(api, &team);
        round_ids.push(r.id.clone());
        rounds.push(r);
        team_ids.push(team);
        invites.extend(inv);
    }
    let review = api.post("/reviews", &json!({ "title": "Outage", "incident_date": "2026-11-20", "summary": "The database fell over.", "team_ids": team_ids, "threshold": 3 }));
    assert_eq!(review.status, 201, "{}", review.text);
    let review = review.json();
    let review_id = review["id"].as_str().unwrap().to_owned();
    // Each person writes with the review's own link (G12), found by their label.
    let review_links: std::collections::HashMap<String, String> =
        review_invites(api, &review_id).into_iter().collect();
    let mut order = vec![];
    for (i, (label, invite)) in invites.iter().enumerate() {
        let r = &rounds[i / MEMBERS];
        let marker = format!("mark{i:02}x{}", &label[..1]);
        let res = submit(
            app,
            r,
            invite,
            answers(r, [1 + (i as i64 % 7); 7], Some((i % 11) as i64)),
            Some(&format!("pulse {marker}")),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        let token = member_token(
            app,
            "reviews",
            &review_id,
            &review_links[label],
            &review["key"],
        )
        .unwrap();
        let acc = app.anon_api().post(&format!("/reviews/{review_id}/accounts"), &json!({ "token": token, "account": { "timeline": [{ "time": format!("10:{:02}", i % 60), "text": format!("account {marker}") }], "surprised": "it broke" } }));
        assert_eq!(acc.status, 201, "{}", acc.text);
        order.push((label.clone(), marker));
        if i % 6 == 5 {
            // A pause between batches, on the app's own clock: were any time the clock gives
            // stored with an answer or account, the batches would sort apart and the rank
            // test below would see the order (the clock adds no time to anonymous records).
            app.clock.advance(time::Duration::hours(2));
        }
    }
    if close {
        for r in &round_ids {
            assert_eq!(
                api.post(&format!("/rounds/{r}/close"), &json!({})).status,
                200
            );
        }
        assert_eq!(
            api.post(&format!("/reviews/{review_id}/close"), &json!({}))
                .status,
            200
        );
    }
    Scenario {
        round_ids,
        review_id,
        order,
        invites,
    }
}

fn marker_order(rows: &[Vec<String>], order: &[(String, String)]) -> Vec<usize> {
    rows.iter()
        .filter_map(|row| {
            order
                .iter()
                .position(|(_, m)| row.iter().any(|v| v.contains(m.as_str())))
        })
        .collect()
}

/// G1, G2, G3, attack 1: from a full dump after close, nothing links a member to an answer
/// or an account: no shared value, no member id, no time, no order.
#[test]
fn g1_g2_g3_a_dump_after_close_links_no_member_to_any_answer_or_account() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let s = scenario(&app, &api, true);
    a_dump_links_nobody(&app, &s);
}

/// What precedes `needle` in the stored record of each live row holding it, from the row's
/// key on: SQLite stores a record's text values one after another, and every column before
/// the marker's is text (responses: id, round, answers; comment_threads: id, round, receipt
/// hash; accounts: id, review).
fn live_images(app: &TestApp, kind: &str, needle: &str) -> Vec<String> {
    let (tables, col): (&[&str], [usize; 2]) = if kind == "pulse" {
        (&["responses", "comment_threads"], [3, 3])
    } else {
        (&["accounts"], [2, 2])
    };
    let mut out = vec![];
    for (t, c) in tables.iter().zip(col) {
        for row in dump_table(app, t) {
            if let Some(k) = row[c].find(needle) {
                out.push(format!("{}{}", row[..c].concat(), &row[c][..k]));
            }
        }
    }
    out
}

/// Waits until the close-time scrub owed by the last close has completed, running it as the
/// server's 30-second tick would. A close's own scrub pass gives up when a reader holds an
/// older snapshot at that moment (the outbox worker, a page read by the test itself), and the
/// scrub stays pending, shown to admins, until a later pass finishes: the dump checks hold
/// from then on (G17), so that is when the attacker's copy is taken. It must settle: a scrub
/// that never completes with nobody holding a snapshot fails here.
pub(crate) fn scrub_settled(app: &TestApp) {
    for _ in 0..100 {
        let status = candor::db::scrub::run(&app.db).expect("scrub pass");
        if !status.pending {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the close-time scrub is still pending after 100 passes");
}

/// The dump checks of attack 1, on any instance that ran `scenario` and has closed every
/// round and review since: grow.rs runs them on instances moved by `candor copy` and
/// brought back by `candor restore`.
pub(crate) fn a_dump_links_nobody(app: &TestApp, s: &Scenario) {
    scrub_settled(app);
    let anonymous = [
        "responses",
        "spent_tokens",
        "accounts",
        "followups",
        "round_results",
        // Comment conversations (issue 16): a thread per comment, its receipt's keyed hash
        // and replies; attacks_threads.rs attacks them on their own.
        "comment_threads",
        "comment_replies",
    ];
    let identifying = [
        "members",
        "eligibility",
        "issuances",
        "teams",
        "staff_users",
        // Delivery: addresses and (until sent) links; which links were mailed.
        "outbox",
        "mailed_links",
    ];
    // Every table is accounted for: a new one must be classified here before it ships.
    let staff_side = [
        "instance_settings",
        "staff_sessions",
        "password_links",
        "api_tokens",
        "throttles",
        "audit_log",
        "team_leaders",
        "signing_keys",
        "team_questions",
        "rounds",
        "round_questions",
        "reviews",
        "review_facilitators",
        "team_groups",
        "group_teams",
        "team_webhooks",
        "round_events",
        // Closing the loop (issue 16): what staff committed to; never written for a member.
        "round_actions",
        "review_items",
        "review_item_links",
        "review_events",
        "review_notices",
        "__diesel_schema_migrations",
    ];
    for t in tables(app) {
        assert!(
            anonymous.contains(&t.as_str())
                || identifying.contains(&t.as_str())
                || staff_side.contains(&t.as_str()),
            "unclassified table {t}"
        );
    }
    // What names a person: every member column but the team, every staff column, and the
    // member side of the roster tables. (Round and review ids are shared on purpose: an
    // answer says which round it belongs to, not whose it is.)
    let mut person_values: BTreeSet<String> = BTreeSet::new();
    for row in dump_table(app, "members") {
        person_values.extend(
            row.into_iter()
                .enumerate()
                .filter(|(i, v)| *i != 1 && v.len() >= 8)
                .map(|(_, v)| v),
        );
    }
    for row in dump_table(app, "staff_users") {
        person_values.extend(row.into_iter().filter(|v| v.len() >= 8));
    }
    for t in ["eligibility", "issuances"] {
        for row in dump_table(app, t) {
            person_values.insert(row[1].clone());
        }
    }
    // Invite secrets and labels too: the attacker knows who holds which.
    for (label, invite) in &s.invites {
        person_values.insert(label.clone());
        person_values.insert(invite.clone());
    }
    for t in anonymous {
        for row in dump_table(app, t) {
            for v in row {
                for p in &person_values {
                    assert!(
                        !(v.contains(p.as_str()) && p.len() >= 8),
                        "{t} holds {p:?}, a value of the identifying side"
                    );
                }
            }
        }
    }
    // No participation record survives the close.
    assert!(dump_table(app, "issuances").is_empty(), "G3");
    // Anonymous tables have no column that could order or time them.
    let mut conn = app.db.get_write().unwrap();
    for t in ["responses", "spent_tokens", "accounts", "followups"] {
        let types: Vec<Cell> = if app.is_postgres() {
            diesel::sql_query(format!("SELECT data_type::text AS v FROM information_schema.columns WHERE table_name = '{t}'")).load(&mut *conn).unwrap()
        } else {
            diesel::sql_query(format!("SELECT type AS v FROM pragma_table_info('{t}')"))
                .load(&mut *conn)
                .unwrap()
        };
        for c in types {
            let ty = c.v.to_lowercase();
            assert!(
                !ty.contains("time") && !ty.contains("date") && !ty.contains("serial"),
                "{t} has a {ty} column"
            );
        }
        if !app.is_postgres() {
            assert!(
                diesel::sql_query(format!("SELECT rowid AS v FROM {t}"))
                    .load::<Cell>(&mut *conn)
                    .is_err(),
                "{t} must be WITHOUT ROWID"
            );
        }
    }
    drop(conn);
    // Row order against submission order: indistinguishable from a shuffle. Responses are
    // compared within each round, accounts within the one review.
    let round_of = |i: usize| i / MEMBERS;
    for t in ["responses", "accounts"] {
        let physical = marker_order(&dump_table(app, t), &s.order);
        assert_eq!(physical.len(), s.order.len(), "every {t} row found");
        let rho = if t == "responses" {
            spearman(&physical, round_of)
        } else {
            spearman(&physical, |_| 0)
        };
        assert!(
            rho.abs() < MAX_RHO,
            "{t} physical order correlates with submission order: rho {rho}"
        );
    }
    if app.is_postgres() {
        // One rewrite transaction per round: every response of a round has the same xmin.
        let mut conn = app.db.get_write().unwrap();
        for r in &s.round_ids {
            let xmins: Vec<Cell> = diesel::sql_query(format!(
                "SELECT DISTINCT xmin::text AS v FROM responses WHERE round_id = '{r}'"
            ))
            .load(&mut *conn)
            .unwrap();
            assert_eq!(
                xmins.len(),
                1,
                "responses of one round carry one xmin after close"
            );
        }
        let xmins: Vec<Cell> = diesel::sql_query(format!(
            "SELECT DISTINCT xmin::text AS v FROM accounts WHERE review_id = '{}'",
            s.review_id
        ))
        .load(&mut *conn)
        .unwrap();
        assert_eq!(
            xmins.len(),
            1,
            "accounts of one review carry one xmin after close"
        );
    } else {
        // The file itself: each marker once (no stale copy in a free page), in no telling
        // order, and nothing left in the WAL.
        let path = match &app.url {
            candor::db::DbUrl::Sqlite(p) => p.clone(),
            candor::db::DbUrl::Postgres(_) => unreachable!(),
        };
        let mut bytes = vec![];
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let wal = std::fs::read(format!("{path}-wal")).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let wal_text = String::from_utf8_lossy(&wal);
        // Comments are also kept, shuffled, in each round's stored aggregate: those copies
        // sit inside the aggregate's "comments" list and are told apart.
        let in_aggregate: Vec<(usize, usize)> = text
            .match_indices("\"comments\":[")
            .map(|(p, _)| (p, p + text[p..].find(']').unwrap_or(0)))
            .collect();
        for kind in ["pulse", "account"] {
            let mut positions = vec![];
            for (i, (_, m)) in s.order.iter().enumerate() {
                let needle = format!("{kind} {m}");
                let all: Vec<usize> = text.match_indices(&needle).map(|(p, _)| p).collect();
                let hits: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|p| !in_aggregate.iter().any(|(a, b)| a < p && p < b))
                    .collect();
                // A comment lives in its response and in its conversation's thread
                // (comment_threads), both rewritten in random order at close. Each hit must
                // be the image of one of those live rows, byte for byte from the row's key
                // to the marker: a pre-close image (another key, a locator, a replaced
                // answer) matches none and fails. An identical second image of a live row is
                // tolerated: SQLite's secure_delete zeroes deleted cells and freed pages, but
                // not the gap a page split leaves when it moves a cell, so later inserts of
                // random keys can leave a copy of a row as it is now (seen once in six runs
                // of the restored instance in grow.rs). Such a copy holds nothing the live row
                // does not, and where it sits follows the key order, not who wrote it.
                let live: Vec<String> = live_images(app, kind, &needle);
                let imaged: BTreeSet<&String> = hits
                    .iter()
                    .map(|p| {
                        live.iter()
                            .find(|img| {
                                p >= &img.len()
                                    && text.as_bytes()[p - img.len()..*p] == *img.as_bytes()
                            })
                            .unwrap_or_else(|| {
                                panic!(
                                    "{needle} at page {} is no image of a live row: {:?}",
                                    p / 4096,
                                    String::from_utf8_lossy(
                                        &text.as_bytes()
                                            [p.saturating_sub(200)..(p + 40).min(text.len())]
                                    )
                                )
                            })
                    })
                    .collect();
                let expected = if kind == "pulse" { 2 } else { 1 };
                assert_eq!(
                    imaged.len(),
                    expected,
                    "{needle}: live rows imaged in the file"
                );
                assert!(hits.len() >= expected);
                assert!(
                    hits.len() <= 2 * expected,
                    "{needle} appears {} times in the database file outside aggregates",
                    hits.len()
                );
                assert!(
                    all.len() - hits.len() <= 1,
                    "{needle}: a stale copy of an aggregate"
                );
                assert!(!wal_text.contains(&needle), "{needle} lingers in the WAL");
                positions.push((hits[0], i));
            }
            positions.sort();
            let physical: Vec<usize> = positions.into_iter().map(|(_, i)| i).collect();
            let rho = if kind == "pulse" {
                spearman(&physical, round_of)
            } else {
                spearman(&physical, |_| 0)
            };
            assert!(
                rho.abs() < MAX_RHO,
                "{kind} page order correlates with submission order: rho {rho}"
            );
        }
    }
}

/// Attack 2, the live-operator residual risk: while open, a dump shows who was issued a
/// token and how many answered, exactly as docs/threat-model.md says, and still no link.
#[test]
fn while_open_a_dump_shows_who_took_part_but_not_what_they_answered() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    scenario(&app, &api, false);
    let issued = dump_table(&app, "issuances");
    assert_eq!(
        issued.len(),
        4 * MEMBERS,
        "one row per member for their round and for the review: the documented residual"
    );
    // The rows name (scope, member) and the keyed hash of the blinded message signed for
    // them (issue 15: a lost response is signed again), and nothing else. The blinded message
    // is uniformly random without the member's blinding factor, so its hash is found in no
    // anonymous table.
    assert!(issued.iter().all(|r| r.len() == 3));
    let blinded: Vec<&String> = issued
        .iter()
        .map(|r| &r[2])
        .filter(|v| !v.is_empty() && v.as_str() != "NULL")
        .collect();
    assert!(
        !blinded.is_empty(),
        "the scripted members blinded their tokens"
    );
    for t in ["responses", "spent_tokens", "accounts"] {
        for row in dump_table(&app, t) {
            for b in &blinded {
                assert!(
                    !row.iter().any(|v| v.contains(b.as_str())),
                    "{t} holds a blinded hash"
                );
            }
        }
    }
    for row in dump_table(&app, "responses") {
        assert_eq!(
            row.len(),
            4,
            "id, round, answers, comment: no member, no time"
        );
    }
    let responses = dump_table(&app, "responses");
    assert_eq!(responses.len(), 2 * MEMBERS);
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind(format!("{ip}:0"))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// G4, attack 3: everything the real binary writes at the most verbose level, during a
/// whole scenario driven from a distinct client address with a marker user agent, referrer,
/// forwarded-for header and query strings, holds none of them, nor any secret or answer.
#[test]
fn g4_the_logs_hold_no_address_agent_referrer_query_secret_or_answer() {
    let (url, dir, pg) = fresh_database();
    let db_url = match &url {
        candor::db::DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        candor::db::DbUrl::Postgres(u) => u.clone(),
    };
    let bin = env!("CARGO_BIN_EXE_candor");
    let out = std::process::Command::new(bin)
        .args(["admin", "create", "--email", ADMIN_EMAIL])
        .env("DATABASE_URL", &db_url)
        .env("CANDOR_ADMIN_PASSWORD", PASSWORD)
        .env("CANDOR_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut logs = String::from_utf8_lossy(&out.stderr).into_owned();
    let token = std::process::Command::new(bin)
        .args(["token", "create", "--email", ADMIN_EMAIL])
        .env("DATABASE_URL", &db_url)
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let port = free_port("127.0.0.2");
    let base = format!("http://127.0.0.2:{port}");
    let mut child = std::process::Command::new(bin)
        .arg("serve")
        .env("DATABASE_URL", &db_url)
        .env("CANDOR_BIND", format!("127.0.0.2:{port}"))
        .env("CANDOR_BASE_URL", &base)
        .env("CANDOR_LOG", "trace")
        .env("RUST_LOG", "trace")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The client speaks from another loopback address, with marker headers everywhere.
    let client = reqwest::blocking::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .user_agent("CandorAttackUA/9.9")
        .default_headers({
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("x-forwarded-for", "203.0.113.77".parse().unwrap());
            h.insert(
                "referer",
                "https://referrer.example/from-ref-page".parse().unwrap(),
            );
            h
        })
        .build()
        .unwrap();
    for _ in 0..100 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let api = Api {
        base: format!("{base}/api/v1"),
        token: Some(token),
        client: client.clone(),
    };
    let (team, invites) = team_with(&api, "Logged", 3, &["alpha", "beta", "gamma"]);
    let r = open_round(&api, &team);
    let anon = Api {
        base: format!("{base}/api/v1"),
        token: None,
        client: client.clone(),
    };
    let mut secrets = vec![];
    for (_, invite) in &invites {
        let key: candor::tokens::crypto::KeyJson = serde_json::from_value(r.key.clone()).unwrap();
        let req = candor::tokens::crypto::ClientRequest::new(&key, &key.fingerprint).unwrap();
        let sig = anon
            .post(
                &format!("/rounds/{}/tokens?q=querysecret", r.id),
                &json!({ "invite": invite, "blinded_message": req.blinded_message }),
            )
            .json();
        let tok = req
            .finalize(sig["blind_signature"].as_str().unwrap())
            .unwrap();
        secrets.push(tok.signature.clone());
        secrets.push(tok.message.clone());
        secrets.push(invite.clone());
        let res = anon.post(&format!("/rounds/{}/answers?q=querysecret", r.id), &json!({ "token": tok, "answers": answers(&r, [3; 7], None), "comment": "answer-text-marker" }));
        assert_eq!(res.status, 201);
        let again = anon.post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": tok, "answers": answers(&r, [3; 7], None) }),
        );
        assert_eq!(
            again.status, 409,
            "errors on anonymous routes are not logged either"
        );
        let replaced = anon.post(
            &format!("/rounds/{}/answers?q=querysecret", r.id),
            &json!({ "token": tok, "answers": answers(&r, [4; 7], None), "comment": "answer-text-marker", "replace": true }),
        );
        assert_eq!(
            replaced.status, 200,
            "a replacement is not logged either (G17)"
        );
        let page = client
            .post(format!("{base}/p?from=querysecret"))
            .form(&[("invite", invite.as_str())])
            .send()
            .unwrap();
        assert_eq!(page.status(), 200);
    }
    let _ = client.get(format!("{base}/teams?q=querysecret")).send();
    let _ = client
        .post(format!("{base}/login?q=querysecret"))
        .form(&[
            ("email", "x@example.com"),
            ("password", "querysecret-password"),
        ])
        .send();
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let bulletin = anon.get(&format!("/rounds/{}/bulletin?q=querysecret", r.id));
    assert_eq!(
        bulletin.status, 200,
        "reading the bulletin is not logged (G16)"
    );
    let _ = child.kill();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = child.wait();
    logs.push_str(&err);
    logs.push_str(&out);
    assert!(
        logs.contains("request"),
        "the log captured staff requests: {logs}"
    );
    for needle in [
        "127.0.0.3",
        "CandorAttackUA",
        "203.0.113.77",
        "referrer.example",
        "querysecret",
        "answer-text-marker",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(secrets)
    {
        assert!(
            !logs.contains(&needle),
            "the log contains {needle:?}:\n{logs}"
        );
    }
    // Anonymous routes write no line at all.
    for route in [
        "/p",
        "/rounds/{id}/tokens",
        "/rounds/{id}/answers",
        "/rounds/{id}/bulletin",
        "participate",
    ] {
        assert!(
            !logs.lines().any(|l| l.contains("route=")
                && l.contains(route)
                && !l.contains("/api/v1/rounds/{id}/close")),
            "an anonymous route was logged: {route}"
        );
    }
    if let Some((admin_url, name)) = pg {
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
            use diesel::connection::SimpleConnection;
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// G5, attack 4: anonymous pages and endpoints set no cookie, ignore a staff session sent
/// to them, carry the security headers, load nothing from another origin, and put no secret
/// in a URL.
#[test]
fn g5_anonymous_routes_set_no_cookie_ignore_a_staff_session_and_leak_no_secret_in_urls() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, invites) = team_with(&api, "Cookies", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let session = admin
        .cookies
        .borrow()
        .get("candor_session")
        .cloned()
        .expect("staff session");
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let invite = &invites[0].1;
    type Request<'a> = (&'a str, String, Option<Vec<(&'a str, &'a str)>>);
    let requests: Vec<Request> = vec![
        ("GET", "/p".into(), None),
        ("POST", "/p".into(), Some(vec![("invite", invite.as_str())])),
        (
            "POST",
            format!("/p/rounds/{}", r.id),
            Some(vec![("invite", invite.as_str())]),
        ),
        ("GET", "/transparency".into(), None),
        ("GET", "/p/followups".into(), None),
        ("GET", "/static/js/pulse.js".into(), None),
    ];
    for (method, path, form) in requests {
        let url = format!("{}{path}", app.base);
        let with = |cookie: bool| {
            let mut req = if method == "GET" {
                client.get(&url)
            } else {
                client.post(&url)
            };
            if cookie {
                req = req.header("cookie", format!("candor_session={session}; candor_form=x"));
            }
            if let Some(f) = &form {
                req = req.form(f);
            }
            req.send().unwrap()
        };
        let (plain, cookied) = (with(false), with(true));
        for res in [&plain, &cookied] {
            assert!(
                res.headers().get("set-cookie").is_none(),
                "{path} set a cookie"
            );
            assert_eq!(res.headers()["referrer-policy"], "no-referrer");
            assert!(res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"));
            if let Some(loc) = res.headers().get("location") {
                assert!(
                    !loc.to_str().unwrap().contains(invite.as_str()),
                    "a secret in a redirect"
                );
            }
        }
        let (a, b) = (plain.status(), cookied.status());
        assert_eq!(a, b, "{path}: the staff cookie changed the answer");
        let body = cookied.text().unwrap();
        assert!(
            !body.contains(ADMIN_EMAIL),
            "{path} recognised the staff member"
        );
        // Nothing from another origin; no secret in any URL the page holds.
        for attr in ["src=\"", "href=\"", "action=\""] {
            for part in body.split(attr).skip(1) {
                let value = part.split('"').next().unwrap_or_default();
                assert!(
                    !value.starts_with("http") && !value.starts_with("//"),
                    "{path} loads {value}"
                );
                assert!(
                    !value.contains(invite.as_str()),
                    "{path} puts the invite in a URL: {value}"
                );
            }
        }
    }
    // The anonymous API ignores the cookie too: the same answer with or without it.
    let token = member_token(&app, "rounds", &r.id, &invites[1].1, &r.key).unwrap();
    let res = client
        .post(format!("{}/api/v1/rounds/{}/answers", app.base, r.id))
        .header("cookie", format!("candor_session={session}"))
        .json(&json!({ "token": token, "answers": answers(&r, [4; 7], None) }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("set-cookie").is_none());
}

/// G6, attack 5: through pages, API and exports, nothing before close, no figure under the
/// threshold, no comment under the comment threshold. (The differencing half of attack 5
/// is `metrics::g7_the_differencing_attacker_solves_for_no_suppressed_team`.)
#[test]
fn g6_leaders_see_nothing_before_close_nothing_under_the_threshold_and_no_lone_comment() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, invites) = team_with(&api, "Watch", 5, &["a", "b", "c", "d", "e", "f"]);
    let r = open_round(&api, &team);
    for (i, (_, invite)) in invites.iter().take(5).enumerate() {
        let comment = if i < 4 {
            Some(format!("lonely comment {i}"))
        } else {
            None
        };
        assert_eq!(
            submit(
                &app,
                &r,
                invite,
                answers(&r, [5; 7], Some(8)),
                comment.as_deref()
            )
            .status,
            201
        );
    }
    let everything = |app: &TestApp| -> String {
        let mut all = String::new();
        for p in [
            format!("/rounds/{}", r.id),
            format!("/teams/{team}/rounds"),
            format!("/teams/{team}/trend.csv"),
            "/metrics".into(),
            "/metrics/export.csv".into(),
            "/metrics/export.json".into(),
        ] {
            all.push_str(&admin.get(&p).text().unwrap());
        }
        for p in [
            format!("/rounds/{}/results", r.id),
            format!("/teams/{team}/trend"),
            "/metrics/heatmap".into(),
            "/metrics/export.csv".into(),
            "/metrics/trends".into(),
        ] {
            all.push_str(&app.api(&app.token_for(ADMIN_EMAIL)).get(&p).text);
        }
        all
    };
    let before = everything(&app);
    assert!(
        !before.contains("lonely comment") && !before.contains("\"score\""),
        "nothing before close"
    );
    api.post(&format!("/rounds/{}/close", r.id), &json!({}));
    let after = everything(&app);
    assert!(
        after.contains("\"score\""),
        "five answers reach the threshold of five"
    );
    assert!(
        !after.contains("lonely comment"),
        "four comments are under the threshold of five"
    );
}

/// G2, attack 6: tokens. Double spend, replay in another round, a token minted after close,
/// a key swapped for one member (refused by the client), and forged signatures.
#[test]
fn g2_tokens_cannot_be_double_spent_replayed_minted_late_swapped_or_forged() {
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, invites) = team_with(&api, "Tok", 3, &["a", "b", "c", "d"]);
    let r1 = open_round(&api, &team);
    let r2 = open_round(&api, &team);
    let anon = app.anon_api();
    let t = member_token(&app, "rounds", &r1.id, &invites[0].1, &r1.key).unwrap();
    let post = |r: &Round, t: &Value| {
        anon.post(
            &format!("/rounds/{}/answers", r.id),
            &json!({ "token": t, "answers": answers(r, [4; 7], None) }),
        )
    };
    assert_eq!(post(&r1, &t).status, 201);
    assert_problem(&post(&r1, &t), 409);
    assert_problem(&post(&r2, &t), 403);
    // A key swapped for one member: the client refuses a key whose fingerprint differs
    // from the one it was shown (the browser's module does the same: tests/js).
    let other: candor::tokens::crypto::KeyJson = serde_json::from_value(r2.key.clone()).unwrap();
    let shown = r1.key["fingerprint"].as_str().unwrap();
    assert!(candor::tokens::crypto::ClientRequest::new(&other, shown).is_err());
    // A signature made with a key that is not the round's.
    let rogue = candor::tokens::crypto::generate().unwrap();
    let req = candor::tokens::crypto::ClientRequest::new(&rogue.public, &rogue.public.fingerprint)
        .unwrap();
    let sk = candor::tokens::crypto::parse_secret(&rogue.secret_der).unwrap();
    let sig = candor::tokens::crypto::sign_blinded(
        &sk,
        &candor::secret::unb64(&req.blinded_message).unwrap(),
    )
    .unwrap();
    let forged = serde_json::to_value(req.finalize(&candor::secret::b64(&sig)).unwrap()).unwrap();
    assert_problem(&post(&r1, &forged), 403);
    // After close the private key is gone: nothing can be minted or redeemed.
    let late = member_token(&app, "rounds", &r1.id, &invites[1].1, &r1.key).unwrap();
    api.post(&format!("/rounds/{}/close", r1.id), &json!({}));
    assert_problem(
        &member_token(&app, "rounds", &r1.id, &invites[2].1, &r1.key).unwrap_err(),
        410,
    );
    assert_problem(&post(&r1, &late), 410);
    assert_eq!(
        api.get(&format!("/rounds/{}", r1.id)).json()["status"],
        "closed"
    );
}

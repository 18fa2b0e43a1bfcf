//! Test support: every test gets the real app on a fresh database (a SQLite file, or a new
//! PostgreSQL database when TEST_DATABASE_URL is set), served over HTTP on a free port.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;

use candor::config::Settings;
use candor::db::{Db, DbUrl};
use candor::secret::Keys;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub keys: Keys,
    /// The app's clock: tests move it (`clock.advance`) instead of sleeping.
    pub clock: candor::clock::Clock,
    pub url: DbUrl,
    pub setup_code: Option<String>,
    pub dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    pg_drop: Option<(String, String)>,
}

fn random_name() -> String {
    use rand::Rng;
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs the real server for `state` on its own thread and runtime, as `candor serve` does.
fn serve(
    state: candor::state::AppState,
    listener: TcpListener,
) -> (actix_web::dev::ServerHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = candor::server(state, listener).expect("server");
            tx.send(server.handle()).expect("handle");
            server.await.ok();
        })
    });
    (rx.recv().expect("server started"), thread)
}

/// A fresh database: a temporary SQLite file, or a new database on TEST_DATABASE_URL's server.
pub fn fresh_database() -> (DbUrl, PathBuf, Option<(String, String)>) {
    let dir = std::env::temp_dir().join(format!("candor-test-{}", random_name()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("candor_t_{}", random_name());
            let mut conn = PgConnection::establish(&admin_url)
                .expect("TEST_DATABASE_URL must accept connections");
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let (prefix, _) = admin_url
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL needs a database name");
            let url = format!("{prefix}/{name}");
            (DbUrl::Postgres(url), dir, Some((admin_url, name)))
        }
        None => {
            let file = dir.join("candor.db");
            (
                DbUrl::Sqlite(file.to_string_lossy().into_owned()),
                dir,
                None,
            )
        }
    }
}

impl TestApp {
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {})
    }

    pub fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let (url, dir, pg_drop) = fresh_database();
        Self::start_on(url, dir, pg_drop, tweak)
    }

    /// The app on a database that already exists (a copied or restored instance); `pg_drop`
    /// names a PostgreSQL database to drop, and `dir` is removed, when the app is dropped.
    pub fn start_on(
        url: DbUrl,
        dir: PathBuf,
        pg_drop: Option<(String, String)>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = Settings::for_database(url.clone(), dir.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        settings.base_url = format!("http://127.0.0.1:{port}");
        tweak(&mut settings);
        let state = candor::build_state(settings).expect("state");
        let setup_code = candor::auth::routes::prepare_setup(&state).expect("setup");
        let (db, keys, clock) = (state.db.clone(), state.keys.clone(), state.clock.clone());
        let (handle, thread) = serve(state, listener);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            db,
            keys,
            clock,
            url,
            setup_code,
            dir,
            handle,
            thread: Some(thread),
            pg_drop,
        }
    }

    /// The app on a fresh SQLite file whatever TEST_DATABASE_URL says (the source of a copy).
    pub fn spawn_sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("candor-test-{}", random_name()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("candor.db").to_string_lossy().into_owned();
        Self::start_on(DbUrl::Sqlite(file), dir, None, |_| {})
    }

    /// Stops the server and closes every connection, keeping the database and its
    /// directory, which the caller now owns.
    pub fn stop(mut self) -> (DbUrl, PathBuf) {
        self.pg_drop = None;
        // Drop removes `self.dir`; an empty path removes nothing.
        let dir = std::mem::take(&mut self.dir);
        (self.url.clone(), dir)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.url, DbUrl::Postgres(_))
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Completes first-run setup and returns the admin's signed-in browser.
    pub fn admin(&self) -> Browser {
        let b = self.browser();
        let page = b.get("/setup").text().expect("body");
        let csrf = csrf_from(&page);
        let res = b.post_form(
            "/setup",
            &[
                ("_csrf", &csrf),
                ("code", self.setup_code.as_deref().expect("fresh app")),
                ("email", ADMIN_EMAIL),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        );
        assert_eq!(res.status(), 303, "setup should sign the admin in");
        b
    }

    /// Creates a staff user with a password directly through the store, then signs them in.
    pub fn staff(&self, email: &str, role: candor::auth::model::Role) -> Browser {
        let hash = candor::auth::password::hash_now(PASSWORD).expect("hash");
        {
            // The SQLite writer pool holds one connection: give it back before the app needs it.
            let mut conn = self.db.get_write().expect("conn");
            candor::auth::store::insert_staff(&mut conn, email, Some(&hash), role)
                .expect("insert staff");
        }
        self.login(email, PASSWORD)
    }

    pub fn login(&self, email: &str, password: &str) -> Browser {
        let b = self.browser();
        let page = b.get("/login").text().expect("body");
        let res = b.post_form(
            "/login",
            &[
                ("_csrf", &csrf_from(&page)),
                ("email", email),
                ("password", password),
            ],
        );
        assert_eq!(res.status(), 303, "login of {email} should succeed");
        b
    }

    /// An API bearer token for an existing staff user.
    pub fn token_for(&self, email: &str) -> String {
        let mut conn = self.db.get_write().expect("conn");
        let row = candor::auth::store::find_staff_by_email(&mut conn, email)
            .expect("query")
            .expect("user exists");
        candor::auth::routes::create_token(&mut conn, &self.keys, &row.user(), "test")
            .expect("token")
    }

    pub fn api(&self, token: &str) -> Api {
        Api {
            base: format!("{}/api/v1", self.base),
            token: Some(token.to_owned()),
            client: client(),
        }
    }

    pub fn anon_api(&self) -> Api {
        Api {
            base: format!("{}/api/v1", self.base),
            token: None,
            client: client(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some((admin_url, name)) = self.pg_drop.take() {
            if let Ok(mut conn) = PgConnection::establish(&admin_url) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The test client. Two settings keep a loaded CI machine from failing a test for reasons
/// that are not the server's:
/// - an idle connection is dropped after one second, well before the server's 5-second
///   keep-alive closes it, so a request is never sent on a connection the server is closing
///   at that very moment (a race hyper cannot always retry; a CI run lost a GET to it);
/// - a request may take two minutes (reqwest's blocking default is 30 seconds) when two
///   cores run the whole suite, Chromium and PostgreSQL at once; a server that hangs still
///   fails the test.
fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("client")
}

/// A browser: keeps the cookies the server sets, follows no redirects.
pub struct Browser {
    pub base: String,
    client: Client,
    pub cookies: std::cell::RefCell<HashMap<String, String>>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: client(),
            cookies: Default::default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&self, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let s = v.to_str().unwrap_or_default();
            let first = s.split(';').next().unwrap_or_default();
            if let Some((k, val)) = first.split_once('=') {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.borrow_mut().remove(k);
                } else {
                    self.cookies
                        .borrow_mut()
                        .insert(k.to_owned(), val.to_owned());
                }
            }
        }
    }

    pub fn get(&self, path: &str) -> Response {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
        self.keep(res.headers());
        res
    }

    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .unwrap_or_else(|e| panic!("POST {path}: {e:?}"));
        self.keep(res.headers());
        res
    }

    /// Loads a page, takes its CSRF token and posts a form with it.
    pub fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let html = self.get(page).text().expect("body");
        let csrf = csrf_from(&html);
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all)
    }
}

pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a CSRF field");
    html[start..].split('"').next().expect("value").to_owned()
}

/// A JSON API client, bearer-authenticated or anonymous.
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub client: Client,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Api {
    fn send(&self, req: reqwest::blocking::RequestBuilder) -> Reply {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().unwrap_or_else(|e| panic!("request: {e:?}"));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Reply {
            status,
            content_type,
            headers,
            text: res.text().unwrap_or_default(),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base)))
    }

    pub fn post(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body))
    }

    pub fn patch(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(self.client.patch(format!("{}{path}", self.base)).json(body))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send(self.client.delete(format!("{}{path}", self.base)))
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header("content-type", content_type)
                .body(body),
        )
    }
}

/// Asserts a problem+json error with the given status.
pub fn assert_problem(r: &Reply, status: u16) {
    assert_eq!(
        r.status, status,
        "expected {status}, got {}: {}",
        r.status, r.text
    );
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "content type {}",
        r.content_type
    );
    let j = r.json();
    assert_eq!(j["status"], status);
    assert!(
        j["title"].is_string() && j["detail"].is_string(),
        "problem shape: {j}"
    );
}

/// The invite secret from an invite URL (`.../p#SECRET`).
pub fn secret_of(url: &str) -> String {
    url.split('#')
        .nth(1)
        .expect("invite url has a fragment")
        .to_owned()
}

/// A scripted member: blinds a token in "their browser" (the Rust client side), gets it
/// signed with their invite, and returns the finalized token.
pub fn member_token(
    app: &TestApp,
    scope: &str,
    scope_id: &str,
    invite: &str,
    key: &serde_json::Value,
) -> Result<serde_json::Value, Box<Reply>> {
    let key: candor::tokens::crypto::KeyJson =
        serde_json::from_value(key.clone()).expect("key json");
    let req = candor::tokens::crypto::ClientRequest::new(&key, &key.fingerprint).expect("blind");
    let res = app.anon_api().post(
        &format!("/{scope}/{scope_id}/tokens"),
        &serde_json::json!({ "invite": invite, "blinded_message": req.blinded_message }),
    );
    if res.status != 200 {
        return Err(Box::new(res));
    }
    let sig = res.json()["blind_signature"]
        .as_str()
        .expect("signature")
        .to_owned();
    Ok(serde_json::to_value(req.finalize(&sig).expect("finalize")).expect("token json"))
}

/// A team with a roster via the API; returns (team id, invite secrets in roster order).
pub fn team_with(
    api: &Api,
    name: &str,
    threshold: i64,
    people: &[&str],
) -> (String, Vec<(String, String)>) {
    let t = api.post(
        "/teams",
        &serde_json::json!({ "name": name, "threshold": threshold, "roster": people }),
    );
    assert_eq!(t.status, 201, "{}", t.text);
    let id = t.json()["id"].as_str().expect("id").to_owned();
    let invites = api.get(&format!("/teams/{id}/invites")).json();
    let mut out = vec![];
    for p in people {
        let i = invites
            .as_array()
            .expect("list")
            .iter()
            .find(|i| i["label"] == *p)
            .expect("invite for each person");
        out.push((p.to_string(), secret_of(i["url"].as_str().expect("url"))));
    }
    (id, out)
}

use serde_json::{json, Value};

/// An open pulse round as the API returned it.
pub struct Round {
    pub id: String,
    pub key: Value,
    pub questions: Vec<Value>,
}

pub fn open_round(api: &Api, team: &str) -> Round {
    let r = api.post(
        &format!("/teams/{team}/rounds"),
        &json!({ "template": "psychological-safety" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    assert_eq!(j["status"], "open");
    Round {
        id: j["id"].as_str().unwrap().into(),
        key: j["key"].clone(),
        questions: j["questions"].as_array().unwrap().clone(),
    }
}

/// Answers for the seven psychological-safety items in order, then eNPS.
pub fn answers(r: &Round, ps: [i64; 7], enps: Option<i64>) -> Vec<Value> {
    let mut out: Vec<Value> = r
        .questions
        .iter()
        .take(7)
        .zip(ps)
        .map(|(q, v)| json!({ "question_id": q["id"], "value": v }))
        .collect();
    if let Some(e) = enps {
        out.push(json!({ "question_id": r.questions[7]["id"], "value": e }));
    }
    out
}

pub fn submit(
    app: &TestApp,
    r: &Round,
    invite: &str,
    body_answers: Vec<Value>,
    comment: Option<&str>,
) -> Reply {
    let token = member_token(app, "rounds", &r.id, invite, &r.key).expect("token issued");
    app.anon_api().post(
        &format!("/rounds/{}/answers", r.id),
        &json!({ "token": token, "answers": body_answers, "comment": comment }),
    )
}

impl TestApp {
    /// A browser signed in as the admin made by `admin()`.
    pub fn admin_browser(&self) -> Browser {
        self.login(ADMIN_EMAIL, PASSWORD)
    }
}

/// A second app process on the same database, as a second replica behind a load balancer
/// would run: its own state, its own key cache, its own periodic job.
pub struct Replica {
    pub base: String,
    pub key_cache: std::sync::Arc<candor::tokens::KeyCache>,
    settings: Settings,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    /// Starts a second server on this app's database (migrations already applied, the same
    /// instance secret read from it).
    pub fn replica(&self) -> Replica {
        self.replica_with(|_| {})
    }

    /// A replica with settings of its own (email delivery, say) on this app's database.
    pub fn replica_with(&self, tweak: impl FnOnce(&mut Settings)) -> Replica {
        let mut settings = Settings::for_database(self.url.clone(), self.dir.clone());
        tweak(&mut settings);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        settings.base_url = self.base.clone();
        let state = candor::build_state(settings.clone()).expect("replica state");
        let key_cache = state.key_cache.clone();
        let (handle, thread) = serve(state, listener);
        Replica {
            base: format!("http://127.0.0.1:{port}"),
            key_cache,
            settings,
            handle,
            thread: Some(thread),
        }
    }
}

impl Replica {
    pub fn anon_api(&self) -> Api {
        Api {
            base: format!("{}/api/v1", self.base),
            token: None,
            client: client(),
        }
    }

    /// Runs this replica's periodic job once, as its 30-second timer would: the same key
    /// cache, the same database.
    ///
    /// A job that fails is retried at the next tick, as the real timer does: on SQLite two
    /// "replicas" share one file, and a writer that read before another process committed gets
    /// SQLITE_BUSY_SNAPSHOT for that tick (production SQLite is one process). A job that fails
    /// at every one of five ticks fails the test.
    pub fn periodic(&self) {
        let mut state = candor::build_state(self.settings.clone()).expect("state");
        state.key_cache = self.key_cache.clone();
        let mut outcome = actix_web::rt::System::new().block_on(candor::schedule::run(&state));
        for _ in 0..4 {
            if outcome.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            outcome = actix_web::rt::System::new().block_on(candor::schedule::run(&state));
        }
        assert!(
            outcome.is_ok(),
            "periodic jobs failed at five ticks in a row: {:?}",
            outcome.failed
        );
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A leader's or admin's consent for facilitators to invite this team to reviews (G12).
pub fn allow_reviews(api: &Api, team: &str) {
    let r = api.patch(
        &format!("/teams/{team}"),
        &serde_json::json!({ "reviews_allowed": true }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A review's own invite links, by label: a review never uses a team's links (G12).
pub fn review_invites(api: &Api, review_id: &str) -> Vec<(String, String)> {
    let r = api.get(&format!("/reviews/{review_id}/invites"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
        .as_array()
        .expect("invites")
        .iter()
        .map(|i| {
            (
                i["label"].as_str().expect("label").to_owned(),
                secret_of(i["url"].as_str().expect("url")),
            )
        })
        .collect()
}

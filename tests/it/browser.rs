//! Browser tests in headless Chromium: what a member and a staff member actually get in a
//! real browser, JavaScript (blinding, WebCrypto, the fragment hand-off) included.
//!
//! Chromium is driven over W3C WebDriver (plain JSON over HTTP) with the blocking `reqwest`
//! client the harness already uses: no WebDriver crate, no second async runtime. Each test
//! starts its own `chromedriver` on a free port and a Chromium with a fresh profile, both
//! torn down on drop. Without Chromium or chromedriver the tests print `SKIPPED` and pass,
//! unless `CANDOR_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes that a failure.
//!
//! The app is served on `http://127.0.0.1:<port>`: a secure context, so WebCrypto works.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::*;

// ------------------------------------------------------------------ WebDriver client

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a wait polls before the test fails: generous for a loaded 2-core CI machine.
const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);

/// A WebDriver element reference.
#[derive(Clone, Debug)]
struct El(String);

impl El {
    fn arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

#[derive(Debug)]
struct WdError {
    status: u16,
    error: String,
    message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.error, self.status, self.message)
    }
}

fn paths() -> (PathBuf, PathBuf) {
    let chromium = std::env::var_os("CANDOR_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver = std::env::var_os("CANDOR_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    (chromium, driver)
}

/// Whether this machine can run the browser tests. `Err` carries why not.
fn browser_available() -> Result<(PathBuf, PathBuf), String> {
    let (chromium, driver) = paths();
    let missing: Vec<String> = [&chromium, &driver]
        .iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok((chromium, driver))
    } else {
        Err(format!(
            "{} not found (install with .ci/browser-deps, or point CANDOR_CHROMIUM / CANDOR_CHROMEDRIVER at them)",
            missing.join(" and ")
        ))
    }
}

/// Writes to the real stderr: `eprintln!` output of a passing test is captured and never
/// shown, and a skip or a known bug must be seen.
fn loud(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn required() -> bool {
    std::env::var("CANDOR_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// Where screenshots go: `<target>/screenshots`, honouring CARGO_TARGET_DIR.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One chromedriver, one headless Chromium session with a fresh profile.
struct Chrome {
    test: &'static str,
    driver: Child,
    http: reqwest::blocking::Client,
    base: String,
    session: String,
    profile: PathBuf,
}

/// Starts Chromium for `test`, or returns `None` (after a loud SKIPPED line) when it is not
/// installed and not required. With `javascript: false`, page scripts never run.
fn chrome(test: &'static str, javascript: bool) -> Option<Chrome> {
    match browser_available() {
        Ok((chromium, driver)) => Some(Chrome::start(test, &chromium, &driver, javascript)),
        Err(why) if required() => panic!("CANDOR_REQUIRE_BROWSER=1 but {why}"),
        Err(why) => {
            loud(&format!(
                "\n********\nSKIPPED: browser test {test}: {why}. Set CANDOR_REQUIRE_BROWSER=1 to make this a failure.\n********"
            ));
            None
        }
    }
}

impl Chrome {
    fn start(test: &'static str, chromium: &Path, driver: &Path, javascript: bool) -> Self {
        let profile = std::env::temp_dir().join(format!(
            "candor-chromium-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let port = free_port();
        let log = std::fs::File::create(profile.join("chromedriver.log")).expect("driver log");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let mut me = Self {
            test,
            driver: child,
            http,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            profile,
        };
        // chromedriver is up when /status says ready.
        let started = Instant::now();
        loop {
            let ready = me
                .http
                .get(format!("{}/status", me.base))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            if let Ok(Some(status)) = me.driver.try_wait() {
                panic!("chromedriver exited ({status}) before it was ready");
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not become ready"
            );
            std::thread::sleep(POLL);
        }
        let mut options = json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                // Overlay-free: innerWidth is the layout width, and full-page captures match it.
                "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1280,900",
                format!("--user-data-dir={}", me.profile.join("profile").display()),
            ],
        });
        if !javascript {
            // Checked headless: page scripts do not run, WebDriver's own scripts still do.
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": { "browser": "ALL" },
        } } });
        let v = me
            .cmd(reqwest::Method::POST, "/session", Some(caps))
            .unwrap_or_else(|e| panic!("new Chromium session: {e}"));
        me.session = v["sessionId"].as_str().expect("session id").to_owned();
        me
    }

    fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let req = self.http.request(method, format!("{}{path}", self.base));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().map_err(|e| WdError {
            status: 0,
            error: "transport".into(),
            message: e.to_string(),
        })?;
        let status = res.status().as_u16();
        let v: Value = res.json().unwrap_or(Value::Null);
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(WdError {
                status,
                error: v["value"]["error"].as_str().unwrap_or("?").to_owned(),
                message: v["value"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
        }
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn post(&self, rest: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, &self.s(rest), Some(body))
            .unwrap_or_else(|e| panic!("WebDriver POST {rest}: {e}"))
    }

    fn get(&self, rest: &str) -> Value {
        self.cmd(reqwest::Method::GET, &self.s(rest), None)
            .unwrap_or_else(|e| panic!("WebDriver GET {rest}: {e}"))
    }

    fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    fn url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_owned()
    }

    /// Runs a script in the page (WebDriver's scripts run even with page JavaScript off).
    fn js(&self, script: &str, args: &[Value]) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    fn text(&self) -> String {
        self.js("return document.body ? document.body.innerText : ''", &[])
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn try_find(&self, using: &str, value: &str) -> Option<El> {
        self.cmd(
            reqwest::Method::POST,
            &self.s("/element"),
            Some(json!({ "using": using, "value": value })),
        )
        .ok()
        .and_then(|v| v[ELEMENT_KEY].as_str().map(|s| El(s.to_owned())))
    }

    /// Polls until `f` gives a value; fails with what the page shows.
    fn wait<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            if started.elapsed() > WAIT {
                let text = self.text();
                panic!(
                    "timed out after {WAIT:?} waiting for {what}\nat {}\npage text:\n{}",
                    self.url(),
                    text.chars().take(2000).collect::<String>()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn find(&self, css: &str) -> El {
        self.wait(&format!("element {css}"), || {
            self.try_find("css selector", css)
        })
    }

    fn find_xpath(&self, xpath: &str) -> El {
        self.wait(&format!("element {xpath}"), || {
            self.try_find("xpath", xpath)
        })
    }

    fn wait_text(&self, needle: &str) {
        self.wait(&format!("the text {needle:?}"), || {
            self.text().contains(needle).then_some(())
        });
    }

    fn click(&self, el: &El) {
        self.post(&format!("/element/{}/click", el.0), json!({}));
    }

    fn type_into(&self, el: &El, text: &str) {
        self.post(&format!("/element/{}/clear", el.0), json!({}));
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text }));
    }

    /// Sets the window so the page's viewport (`innerWidth`) is `width` CSS pixels.
    fn set_width(&self, width: i64, height: i64) {
        self.post("/window/rect", json!({ "width": width, "height": height }));
        let inner = self.js("return window.innerWidth", &[]).as_i64();
        assert_eq!(inner, Some(width), "viewport width after resizing");
    }

    fn new_tab(&self) -> String {
        let v = self.post("/window/new", json!({ "type": "tab" }));
        v["handle"].as_str().expect("window handle").to_owned()
    }

    fn current_tab(&self) -> String {
        self.get("/window").as_str().expect("handle").to_owned()
    }

    fn switch_to(&self, handle: &str) {
        self.post("/window", json!({ "handle": handle }));
    }

    /// Saves a PNG of the whole page (through the DevTools protocol) or, failing that, of
    /// the viewport, as `<target>/screenshots/<test>-<name>.png`.
    fn screenshot(&self, name: &str) -> PathBuf {
        self.try_screenshot(name)
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"))
    }

    /// The same without panicking, for use while a failed test unwinds.
    fn try_screenshot(&self, name: &str) -> Result<PathBuf, String> {
        use base64::Engine as _;
        let full = self
            .cmd(
                reqwest::Method::POST,
                &self.s("/goog/cdp/execute"),
                Some(json!({ "cmd": "Page.captureScreenshot", "params": {
                    "format": "png", "captureBeyondViewport": true } })),
            )
            .ok()
            .and_then(|v| v["data"].as_str().map(str::to_owned));
        let data = match full {
            Some(d) => d,
            None => self
                .cmd(reqwest::Method::GET, &self.s("/screenshot"), None)
                .map_err(|e| e.to_string())?
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        let path = screenshot_dir().join(format!("{}-{name}.png", self.test));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// What the page's console said (errors from our modules show up here).
    fn console(&self) -> String {
        self.cmd(
            reqwest::Method::POST,
            &self.s("/se/log"),
            Some(json!({ "type": "browser" })),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| format!("{} {}", e["level"], e["message"]))
        .collect::<Vec<_>>()
        .join("\n")
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            if std::thread::panicking() {
                // Leave what the browser showed when the test failed; nothing here may panic.
                let url = self
                    .cmd(reqwest::Method::GET, &self.s("/url"), None)
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .unwrap_or_default();
                let shot = self.try_screenshot("failure");
                let source = self
                    .cmd(reqwest::Method::GET, &self.s("/source"), None)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let html = screenshot_dir().join(format!("{}-failure.html", self.test));
                let _ = std::fs::write(&html, source);
                eprintln!(
                    "browser test {} failed at {url}: screenshot {:?}, page {}\nconsole:\n{}",
                    self.test,
                    shot,
                    html.display(),
                    self.console()
                );
            }
            let _ = self.cmd(reqwest::Method::DELETE, &self.s(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

// ------------------------------------------------------------------ helpers for the tests

/// Skips (or, in CI, fails) before any app is started when there is no browser.
macro_rules! chrome_or_skip {
    ($test:expr, $js:expr) => {
        match chrome($test, $js) {
            Some(c) => c,
            None => return,
        }
    };
}

struct Round {
    id: String,
    key: Value,
    questions: Vec<Value>,
}

fn open_round(api: &Api, team: &str) -> Round {
    let r = api.post(
        &format!("/teams/{team}/rounds"),
        &json!({ "template": "psychological-safety" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let j = r.json();
    Round {
        id: j["id"].as_str().expect("id").to_owned(),
        key: j["key"].clone(),
        questions: j["questions"].as_array().expect("questions").clone(),
    }
}

fn answered(api: &Api, round: &str) -> i64 {
    let r = api.get(&format!("/rounds/{round}/results")).json();
    assert_eq!(r["status"], "open", "{r}");
    r["answered"].as_i64().expect("answered")
}

fn issued(app: &TestApp, round: &str) -> i64 {
    let mut conn = app.db.get_write().expect("conn");
    candor::tokens::store::count_issued(&mut conn, &round.into()).expect("count issued")
}

fn is_issued(app: &TestApp, round: &str, invite: &str) -> bool {
    let mut conn = app.db.get_write().expect("conn");
    let member = candor::teams::store::member_by_invite(&mut conn, &app.keys, invite)
        .expect("query")
        .expect("member");
    candor::tokens::store::is_issued(&mut conn, &round.into(), &member.id).expect("query")
}

/// Opens the member's invite link and clicks "Answer" on the round; returns once the answer
/// form is there. With JavaScript on, the fragment is handed over by participate.js; without
/// it, the member types the code in, as the landing page tells them to.
/// With `layout`, the pages on the way are checked too (see `check_layout`).
fn open_round_form(
    c: &Chrome,
    base: &str,
    secret: &str,
    round: &str,
    javascript: bool,
    mut layout: Option<&mut Vec<Problem>>,
) {
    c.goto(&format!("{base}/p#{secret}"));
    if !javascript {
        c.wait_text("Your invitation");
        if let Some(p) = layout.as_deref_mut() {
            check_layout(c, "member-landing", p);
        }
        let field = c.find("#f-invite");
        let value = c.js("return arguments[0].value", &[field.arg()]);
        assert_eq!(value, "", "without JavaScript nothing reads the fragment");
        c.type_into(&field, secret);
        c.click(&c.find("#invite-form button[type=submit]"));
    }
    c.wait_text("What you are invited to");
    if let Some(p) = layout {
        check_layout(c, "member-list", p);
    }
    c.click(&c.find(&format!(
        "form[action=\"/p/rounds/{round}\"]:not([hidden]) button[type=submit]"
    )));
    c.wait(
        &format!("the answer form or a refusal for round {round}"),
        || {
            (c.try_find("css selector", "#answer").is_some()
                || c.text().contains("You have already taken part"))
            .then_some(())
        },
    );
}

/// Picks an answer in every radio group of the form by clicking its label, as a person
/// does, and checks the click took. Returns how many groups there were.
fn answer_every_question(c: &Chrome) -> usize {
    let groups = c.js(
        "const out = [];
         for (const fs of document.querySelectorAll('#answer fieldset')) {
           const radios = [...fs.querySelectorAll('input[type=radio]')];
           if (radios.length) out.push([radios[0].name, radios.map((r) => r.value)]);
         }
         return out;",
        &[],
    );
    let groups = groups.as_array().expect("radio groups").clone();
    assert!(!groups.is_empty(), "the form has scale questions");
    for (i, g) in groups.iter().enumerate() {
        let name = g[0].as_str().expect("name");
        let values = g[1].as_array().expect("values");
        // Vary the answers: a middle-to-high pick that differs between questions.
        let value = values[(values.len() / 2 + i) % values.len()]
            .as_str()
            .expect("value");
        let label = c.find_xpath(&format!(
            "//input[@type='radio' and @name='{name}' and @value='{value}']/parent::label"
        ));
        c.click(&label);
        let checked = c.js(
            "const r = document.querySelector(`input[name=\"${arguments[0]}\"]:checked`); return r && r.value;",
            &[json!(name)],
        );
        assert_eq!(
            checked, value,
            "clicking the label of {name}={value} selects it"
        );
    }
    groups.len()
}

fn submit_answers(c: &Chrome) {
    c.click(&c.find("#answer button[type=submit]"));
}

fn alert_text(c: &Chrome) -> String {
    c.wait("an error shown by the page", || {
        let t = c.js(
            "const a = document.querySelector('#warning-slot [role=alert]'); return a ? a.innerText : null;",
            &[],
        );
        t.as_str().map(str::to_owned)
    })
}

fn cookie(c: &Chrome) -> String {
    c.js("return document.cookie", &[])
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn assert_secret_not_in_address_bar(c: &Chrome, secret: &str) {
    let href = c.js("return window.location.href", &[]);
    let href = href.as_str().unwrap_or_default();
    assert!(
        !href.contains('#') && !href.contains(secret),
        "the address bar still shows the invite: {href}"
    );
}

// ------------------------------------------------------------------ member tests

#[test]
fn a_member_answers_in_the_browser_with_a_blinded_token_and_cannot_answer_twice() {
    let c = chrome_or_skip!(
        "a_member_answers_in_the_browser_with_a_blinded_token_and_cannot_answer_twice",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Browser team", 3, &["ana", "ben", "cy"]);
    let round = open_round(&api, &team);
    let secret = &people[0].1;
    let fingerprint = round.key["fingerprint"].as_str().expect("fingerprint");
    // Members answer on phones: the whole flow runs at a phone's width.
    c.set_width(390, 844);
    let mut layout = Vec::new();

    open_round_form(&c, &app.base, secret, &round.id, true, Some(&mut layout));
    assert_secret_not_in_address_bar(&c, secret);
    assert_eq!(cookie(&c), "", "member pages set no cookie");
    // Before anything is written, the page says which protection applies.
    c.wait("the unlinkable notice", || {
        let t = c.js(
            "const p = document.getElementById('protection'); return [p.className, p.innerText];",
            &[],
        );
        (t[0].as_str().unwrap_or_default().contains("good")
            && t[1]
                .as_str()
                .unwrap_or_default()
                .starts_with("Your answers cannot be traced to you."))
        .then_some(())
    });
    let text = c.text();
    assert!(!text.contains("kept confidential"), "{text}");
    let all_text = c.js("return document.body.textContent", &[]);
    assert!(
        all_text
            .as_str()
            .unwrap_or_default()
            .contains(&format!("Key fingerprint: {fingerprint}")),
        "the page carries the round's key fingerprint {fingerprint}, one click away:\n{text}"
    );
    check_layout(&c, "member-form", &mut layout);

    // A second tab with the same form, loaded before the first submission: the second try.
    let first = c.current_tab();
    let second = c.new_tab();
    c.switch_to(&second);
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    c.switch_to(&first);

    let n = answer_every_question(&c);
    assert_eq!(n, round.questions.len(), "every question is a scale here");
    c.type_into(
        &c.find("#f-comment"),
        "More time between releases would help.",
    );
    submit_answers(&c);
    c.wait_text("Thank you: your answers are in");
    c.wait_text("Sent the untraceable way");
    let stored = c.js(
        "return document.querySelectorAll('dl.stored dt').length",
        &[],
    );
    assert_eq!(
        stored,
        json!(n + 1),
        "the member sees each answer and the comment"
    );
    assert!(c.text().contains("More time between releases would help."));
    assert_eq!(cookie(&c), "");
    assert_secret_not_in_address_bar(&c, secret);
    check_layout(&c, "member-stored", &mut layout);
    assert_eq!(answered(&api, &round.id), 1);
    assert_eq!(issued(&app, &round.id), 1);
    let left = c.js(
        "return Object.keys(localStorage).filter((k) => k.startsWith('candor-token-')).length",
        &[],
    );
    assert_eq!(left, 0, "a spent token is not kept in the browser");

    // The stale tab tries again: the token request is refused (409) and nothing is stored.
    c.switch_to(&second);
    answer_every_question(&c);
    submit_answers(&c);
    let alert = alert_text(&c);
    assert!(alert.contains("already taken part"), "{alert}");
    assert!(!c.text().contains("Thank you"));
    assert_eq!(answered(&api, &round.id), 1, "no second answer");
    assert_eq!(issued(&app, &round.id), 1);

    // Coming back through the link later: the list says they took part and shows no form
    // that would only refuse them (issue 15); the change form is for a browser that kept its token.
    c.goto(&format!("{}/p#{secret}", app.base));
    c.wait_text("You have taken part");
    assert_eq!(
        c.js(
            "return [...document.querySelectorAll(`form[action='/p/rounds/${arguments[0]}']`)].every((f) => f.offsetParent === null)",
            &[json!(round.id)]
        ),
        json!(true),
        "no answer form is shown"
    );
    assert!(!c.text().contains("Change my answer"));
    assert_eq!(cookie(&c), "");
    assert_eq!(answered(&api, &round.id), 1);
    assert_layout(
        "a_member_answers_in_the_browser_with_a_blinded_token_and_cannot_answer_twice",
        &layout,
    );
}

#[test]
fn without_javascript_the_member_takes_the_confidential_fallback_and_is_told_so() {
    let c = chrome_or_skip!(
        "without_javascript_the_member_takes_the_confidential_fallback_and_is_told_so",
        false
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "No script team", 3, &["dee", "eli", "fay"]);
    let round = open_round(&api, &team);
    let secret = &people[1].1;
    let fingerprint = round.key["fingerprint"].as_str().expect("fingerprint");
    c.set_width(390, 844);
    let mut layout = Vec::new();

    open_round_form(&c, &app.base, secret, &round.id, false, Some(&mut layout));
    let protection = c.js(
        "return document.getElementById('protection').textContent",
        &[],
    );
    let protection = protection.as_str().unwrap_or_default();
    assert!(
        protection.starts_with("Your answers are kept confidential, with one limit.")
            && protection.contains("JavaScript is off"),
        "the page says, before anything is written, which way applies: {protection}"
    );
    let text = c.text();
    assert!(!text.contains("cannot be traced"), "{text}");
    let all_text = c.js("return document.body.textContent", &[]);
    assert!(all_text
        .as_str()
        .unwrap_or_default()
        .contains(&format!("Key fingerprint: {fingerprint}")));
    check_layout(&c, "member-form", &mut layout);

    answer_every_question(&c);
    submit_answers(&c);
    c.wait_text("Thank you: your answers are in");
    let text = c.text();
    assert!(text.contains("Sent the confidential way"), "{text}");
    assert_eq!(cookie(&c), "", "member pages set no cookie");
    assert!(!c.url().contains(secret.as_str()));
    check_layout(&c, "member-stored", &mut layout);
    assert_eq!(answered(&api, &round.id), 1);

    // The same member again, still without JavaScript: told they took part, no form.
    c.goto(&format!("{}/p#{secret}", app.base));
    c.wait_text("Your invitation");
    c.type_into(&c.find("#f-invite"), secret);
    c.click(&c.find("#invite-form button[type=submit]"));
    c.wait_text("You have taken part");
    assert_eq!(answered(&api, &round.id), 1);
    assert_layout(
        "without_javascript_the_member_takes_the_confidential_fallback_and_is_told_so",
        &layout,
    );
}

#[test]
fn a_key_swapped_for_one_member_is_refused_by_the_browser() {
    let c = chrome_or_skip!(
        "a_key_swapped_for_one_member_is_refused_by_the_browser",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Target", 3, &["gus", "hal", "ivy"]);
    let round = open_round(&api, &team);
    // A genuine, different 2048-bit key: the one a server would hand a member it wants to
    // single out.
    let (other_team, _) = team_with(&api, "Elsewhere", 3, &["jo", "kim", "lee"]);
    let other = open_round(&api, &other_team);
    let secret = &people[0].1;
    let shown = round.key["fingerprint"].as_str().expect("fingerprint");
    let other_fp = other.key["fingerprint"].as_str().expect("fingerprint");
    let other_n = other.key["n"].as_str().expect("n");
    assert_ne!(shown, other_fp);

    let other_id = other.id.as_str();
    // Each way a server could vary the key for one member, as a script run on the loaded
    // page, and what the refusal must name.
    //  - the form's fingerprint, its modulus, its exponent (the fingerprint covers n only, so
    //    e is pinned to 65537), or the id the key is filed under;
    //  - modulus and fingerprint together, as an operator serving one member a whole other
    //    page would: caught because the key directory, re-read on a request of its own,
    //    lists another key for this round;
    //  - the directory itself disagreeing with the page, missing the round, or unreadable.
    const SET: &str = "document.getElementById('answer').dataset[arguments[0]] = arguments[1];";
    const SET_TWO: &str = "const d = document.getElementById('answer').dataset; d[arguments[0]] = arguments[1]; d[arguments[2]] = arguments[3];";
    // Replaces the page's fetch so the directory read answers with `arguments[0]` applied.
    const DIRECTORY: &str = "const tweak = arguments[0], id = arguments[1], value = arguments[2];
        const real = window.fetch;
        window.fetch = async (url, opts) => {
          if (url !== '/api/v1/keys') return real(url, opts);
          if (tweak === 'fail') return new Response('{}', { status: 500 });
          const j = await (await real(url, opts)).json();
          if (tweak === 'fingerprint') j.keys.forEach((k) => { if (k.id === id) k.fingerprint = value; });
          if (tweak === 'drop') j.keys = j.keys.filter((k) => k.id !== id);
          if (tweak === 'e') j.keys.forEach((k) => { if (k.id === id) k.e = 'Aw'; });
          return new Response(JSON.stringify(j), { status: 200, headers: { 'content-type': 'application/json' } });
        };";
    let round_id = round.id.as_str();
    let swaps: Vec<(&str, &str, Vec<Value>, &str)> = vec![
        (
            "the form's fingerprint",
            SET,
            vec![json!("fingerprint"), json!(other_fp)],
            "fingerprint",
        ),
        (
            "the form's modulus",
            SET,
            vec![json!("keyN"), json!(other_n)],
            "fingerprint",
        ),
        (
            "the exponent (3)",
            SET,
            vec![json!("keyE"), json!("Aw")],
            "65537",
        ),
        (
            "the exponent (65539)",
            SET,
            vec![json!("keyE"), json!("AQAD")],
            "65537",
        ),
        (
            "the key id",
            SET,
            vec![json!("scope"), json!(other_id)],
            "key directory",
        ),
        (
            "the modulus and fingerprint together",
            SET_TWO,
            vec![
                json!("keyN"),
                json!(other_n),
                json!("fingerprint"),
                json!(other_fp),
            ],
            "key directory",
        ),
        (
            "the directory's fingerprint",
            DIRECTORY,
            vec![json!("fingerprint"), json!(round_id), json!(other_fp)],
            "key directory",
        ),
        (
            "the directory's entry",
            DIRECTORY,
            vec![json!("drop"), json!(round_id), json!(null)],
            "key directory",
        ),
        (
            "the directory's exponent",
            DIRECTORY,
            vec![json!("e"), json!(round_id), json!(null)],
            "65537",
        ),
        (
            "the directory's answer",
            DIRECTORY,
            vec![json!("fail"), json!(round_id), json!(null)],
            "could not be read",
        ),
    ];
    for (what, script, args, named) in &swaps {
        open_round_form(&c, &app.base, secret, &round.id, true, None);
        c.wait_text("cannot be traced to you");
        answer_every_question(&c);
        c.js(script, args);
        submit_answers(&c);
        let alert = alert_text(&c);
        assert!(
            alert.contains(named),
            "with {what} swapped the page names {named:?}: {alert}"
        );
        assert!(!c.text().contains("Thank you"));
        assert_eq!(
            answered(&api, &round.id),
            0,
            "{what} swapped: nothing stored"
        );
        assert_eq!(
            issued(&app, &round.id),
            0,
            "{what} swapped: the client refused before asking for a token"
        );
        assert!(!is_issued(&app, &round.id, secret));
        assert!(!is_issued(&app, &other.id, secret));
    }
    let mut layout = Vec::new();
    check_layout(&c, "member-form-refused", &mut layout);
    assert_layout(
        "a_key_swapped_for_one_member_is_refused_by_the_browser",
        &layout,
    );

    // The refusals cost the member nothing: with the key they were shown, they answer. The
    // directory was re-read at submit time on a request of its own, with no credentials.
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    c.wait_text("cannot be traced to you");
    answer_every_question(&c);
    c.js(
        "window.__reads = []; const real = window.fetch;
         window.fetch = (url, opts) => { window.__reads.push([url, opts || {}]); return real(url, opts); };",
        &[],
    );
    submit_answers(&c);
    c.wait_text("Sent the untraceable way");
    assert_eq!(answered(&api, &round.id), 1);
    let reads = c.js(
        "return window.__reads.map(([u, o]) => [u, o.method || 'GET', o.credentials, o.cache, o.referrerPolicy]);",
        &[],
    );
    assert_eq!(
        reads[0],
        json!(["/api/v1/keys", "GET", "omit", "no-store", "no-referrer"]),
        "{reads}"
    );
}

// ------------------------------------------------------------------ layout checks

/// Visible form controls without a label.
const UNLABELLED: &str = "return [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && el.getClientRects().length > 0)
  .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120));";

/// What sticks out past the right edge, for the failure message: anything outside a
/// `.scroll` wrapper, and absolutely positioned things inside one (they escape its clipping
/// when the wrapper is not their containing block).
const OVERFLOWING: &str = "const w = document.documentElement.clientWidth; const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right <= w + 1) continue;
    const inside = el.parentElement && el.parentElement.closest('.scroll');
    const pos = getComputedStyle(el).position;
    if (inside && pos !== 'absolute' && pos !== 'fixed') continue;
    if ([...el.children].some((c) => c.getBoundingClientRect().right > w + 1)) continue;
    out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).replace(/ /g, '.') : ''}${inside ? ' (absolute, inside .scroll)' : ''}: ${(el.innerText || el.textContent || '').trim().slice(0, 40)} right=${Math.round(r.right)}`);
  }
  return out.slice(0, 6);";

/// Layout bugs these checks found that are known and not fixed yet. Each is printed as KNOWN
/// PRODUCT BUG instead of failing; any other problem fails. Remove an entry with its fix.
/// (page, width, kind, why)
const KNOWN_LAYOUT_BUGS: &[(&str, i64, &str, &str)] = &[
    // Empty: the fingerprint now wraps, and `.scroll` is positioned.
];

struct Problem {
    page: String,
    width: i64,
    kind: &'static str,
    detail: String,
}

/// Checks the page now shown: nothing scrolls sideways (tables may, inside `.scroll`), every
/// visible control has a label, there is a heading. Saves a screenshot `<width>-<page>`.
fn check_layout(c: &Chrome, page: &str, problems: &mut Vec<Problem>) {
    c.wait(&format!("{page} to load"), || {
        (c.js("return document.readyState", &[]) == "complete").then_some(())
    });
    let dims = c.js(
        "return [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]",
        &[],
    );
    let (scroll, inner, client) = (
        dims[0].as_i64().unwrap_or(0),
        dims[1].as_i64().unwrap_or(0),
        dims[2].as_i64().unwrap_or(0),
    );
    let mut add = |kind: &'static str, detail: String| {
        problems.push(Problem {
            page: page.to_owned(),
            width: inner,
            kind,
            detail,
        })
    };
    if scroll > inner.min(client) + 1 {
        add(
            "scrolls sideways",
            format!(
                "scrollWidth {scroll} > innerWidth {inner}; sticking out: {}",
                c.js(OVERFLOWING, &[])
            ),
        );
    }
    let unlabelled = c.js(UNLABELLED, &[]);
    if unlabelled.as_array().is_some_and(|a| !a.is_empty()) {
        add("unlabelled control", unlabelled.to_string());
    }
    if !c
        .js("return !!document.querySelector('main h1')", &[])
        .as_bool()
        .unwrap_or(false)
    {
        add("no heading", c.text().chars().take(300).collect());
    }
    for v in a11y::violations(c) {
        add("accessibility", v);
    }
    c.screenshot(&format!("{inner}-{page}"));
}

/// Fails on any problem that is not a known, reported product bug; prints the known ones.
fn assert_layout(test: &str, problems: &[Problem]) {
    let mut unknown = Vec::new();
    for p in problems {
        let known = KNOWN_LAYOUT_BUGS
            .iter()
            .find(|(page, width, kind, _)| *page == p.page && *width == p.width && *kind == p.kind);
        match known {
            Some((_, _, _, why)) => loud(&format!(
                "KNOWN PRODUCT BUG ({test}): {} at {}px {}: {why} [{}]",
                p.page, p.width, p.kind, p.detail
            )),
            None => unknown.push(format!(
                "{} at {}px {}: {}",
                p.page, p.width, p.kind, p.detail
            )),
        }
    }
    assert!(
        unknown.is_empty(),
        "layout problems:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn staff_pages_fit_a_phone_and_a_desk() {
    let c = chrome_or_skip!("staff_pages_fit_a_phone_and_a_desk", true);
    let app = TestApp::spawn();

    // First run, in the browser.
    c.goto(&format!("{}/setup", app.base));
    c.type_into(&c.find("#f-code"), app.setup_code.as_deref().expect("code"));
    c.type_into(&c.find("#f-email"), ADMIN_EMAIL);
    c.type_into(&c.find("#f-password"), PASSWORD);
    c.type_into(&c.find("#f-confirm"), PASSWORD);
    c.click(&c.find("form[action=\"/setup\"] button[type=submit]"));
    c.wait("leaving the setup page", || {
        (!c.url().ends_with("/setup")).then_some(())
    });
    assert_eq!(cookie(&c), "", "the staff session cookie is HttpOnly");

    // A team with a roster, in the browser; a long name and a long address stress the layout.
    c.goto(&format!("{}/teams", app.base));
    c.type_into(
        &c.find("#f-name"),
        "Platform Reliability and Developer Experience",
    );
    c.type_into(&c.find("#f-threshold"), "3");
    let roster = [
        "Ana Lima",
        "ben.okafor@example.com",
        "Cy Park",
        "dominique.van-der-berghe-longname@engineering.example.com",
        "Eli",
        "Fay",
    ];
    c.type_into(&c.find("#f-roster"), &roster.join("\n"));
    c.click(&c.find("form[action=\"/teams\"] button[type=submit]"));
    let team = c.wait("the new team's page", || {
        let url = c.url();
        let id = url.split("/teams/").nth(1)?.to_owned();
        (!id.is_empty() && !id.contains('/')).then_some(id)
    });

    // Two rounds answered by three members each, then closed: results and a trend to draw.
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let invites = api.get(&format!("/teams/{team}/invites")).json();
    let secrets: Vec<String> = invites
        .as_array()
        .expect("invites")
        .iter()
        .map(|i| secret_of(i["url"].as_str().expect("url")))
        .collect();
    assert_eq!(secrets.len(), roster.len());
    let mut last_round = String::new();
    for (k, base) in [(0_i64, 3_i64), (1, 5)] {
        let round = open_round(&api, &team);
        for (i, secret) in secrets.iter().take(3).enumerate() {
            let token = member_token(&app, "rounds", &round.id, secret, &round.key)
                .unwrap_or_else(|r| panic!("token: {}", r.text));
            let values: Vec<Value> = round
                .questions
                .iter()
                .map(|q| {
                    let v = if q["kind"] == "enps" {
                        7 + i as i64
                    } else {
                        (base + i as i64 + k) % 7 + 1
                    };
                    json!({ "question_id": q["id"], "value": v })
                })
                .collect();
            let res = app.anon_api().post(
                &format!("/rounds/{}/answers", round.id),
                &json!({ "token": token, "answers": values, "comment": format!("comment {i}") }),
            );
            assert_eq!(res.status, 201, "{}", res.text);
        }
        let closed = api.post(&format!("/rounds/{}/close", round.id), &json!({}));
        assert_eq!(closed.status, 200, "{}", closed.text);
        last_round = round.id;
    }

    // A group and a review, so the metrics and review pages have something to lay out.
    assert_eq!(
        api.post(
            "/metrics/groups",
            &json!({ "name": "Engineering", "team_ids": [team] })
        )
        .status,
        201
    );
    let review = api.post("/reviews", &json!({ "title": "Checkout outage on a long November afternoon", "incident_date": "2026-11-20", "summary": "Payments failed for 40 minutes.", "team_ids": [team], "threshold": 3 }));
    assert_eq!(review.status, 201, "{}", review.text);
    let review = review.json()["id"].as_str().expect("review id").to_owned();
    let pages = [
        ("teams", "/teams".to_owned()),
        ("team", format!("/teams/{team}")),
        ("team-rounds", format!("/teams/{team}/rounds")),
        ("round", format!("/rounds/{last_round}")),
        ("staff", "/admin/staff".to_owned()),
        ("metrics", "/metrics".to_owned()),
        ("groups", "/metrics/groups".to_owned()),
        ("reviews", "/reviews".to_owned()),
        ("review", format!("/reviews/{review}")),
        // Issue 15: every staff page state the browser reaches gets axe too.
        ("rounds", "/rounds".to_owned()),
        ("questions", format!("/teams/{team}/questions")),
        ("review-new", "/reviews/new".to_owned()),
        ("api-tokens", "/account".to_owned()),
        ("audit", "/admin/audit".to_owned()),
        ("instance", "/admin/instance".to_owned()),
        ("about-score", "/about/score".to_owned()),
        ("transparency", "/transparency".to_owned()),
        ("not-found", "/teams/no-such-team".to_owned()),
    ];
    let mut problems = Vec::new();
    for width in [390_i64, 1280] {
        c.set_width(width, 900);
        for (name, path) in &pages {
            c.goto(&format!("{}{path}", app.base));
            check_layout(&c, name, &mut problems);
        }
    }
    assert_layout("staff_pages_fit_a_phone_and_a_desk", &problems);
}

/// Issue 5: a writer writes an account in the browser, leaves with the receipt, comes back
/// with it and answers the facilitator's follow-up question.
#[test]
fn a_writer_leaves_with_a_receipt_and_comes_back_to_answer_a_follow_up() {
    let c = chrome_or_skip!(
        "a_writer_leaves_with_a_receipt_and_comes_back_to_answer_a_follow_up",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, _) = team_with(&api, "Incident", 3, &["una", "vic", "wen"]);
    let review = api.post("/reviews", &json!({ "title": "Queue backlog", "incident_date": "2026-11-20", "summary": "Jobs piled up.", "team_ids": [team], "threshold": 3 }));
    assert_eq!(review.status, 201, "{}", review.text);
    let review = review.json();
    let id = review["id"].as_str().expect("id").to_owned();
    // The review's own links, never the team's (G12).
    let people = review_invites(&api, &id);
    // Two colleagues write through the API, so the third account reaches the threshold.
    for (_, secret) in people.iter().skip(1) {
        let token = member_token(&app, "reviews", &id, secret, &review["key"])
            .unwrap_or_else(|r| panic!("{}", r.text));
        let res = app.anon_api().post(&format!("/reviews/{id}/accounts"), &json!({ "token": token, "account": { "timeline": [{ "text": "I restarted the worker." }] } }));
        assert_eq!(res.status, 201, "{}", res.text);
    }
    c.set_width(390, 900);
    c.goto(&format!("{}/p#{}", app.base, people[0].1));
    c.wait_text("What you are invited to");
    c.click(&c.find(&format!(
        "form.card[action=\"/p/reviews/{id}\"] button[type=submit]"
    )));
    c.wait("the account form", || {
        c.try_find("css selector", "#account-form")
    });
    c.wait_text("will send your account the untraceable way");
    let mut layout = Vec::new();
    check_layout(&c, "account-form", &mut layout);
    c.type_into(
        &c.find("textarea[name=timeline_text]"),
        "The queue alarm fired; browser-marker-7 saw it first.",
    );
    c.type_into(&c.find("#f-expected"), "The autoscaler to add workers.");
    // The writer lets this browser keep the token for the bulletin check (G16).
    c.click(&c.find("#keep-token"));
    c.click(&c.find("#submit-account"));
    let receipt = c.wait("the receipt", || {
        let el = c.try_find("css selector", "#receipt")?;
        let text = c.js("return arguments[0].textContent", &[el.arg()]);
        text.as_str().filter(|t| t.len() >= 32).map(str::to_owned)
    });
    assert!(!c.url().contains(&receipt), "the receipt is never in a URL");
    // The facilitator reads the released accounts and asks the browser writer a question.
    let accounts = api.get(&format!("/reviews/{id}/accounts")).json();
    assert_eq!(accounts["status"], "released", "{accounts}");
    let mine = accounts["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a.to_string().contains("browser-marker-7"))
        .expect("the browser's account")
        .clone();
    let asked = api.post(
        &format!(
            "/reviews/{id}/accounts/{}/questions",
            mine["id"].as_str().expect("id")
        ),
        &json!({ "text": "What did the alarm say?" }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    // Later, with only the receipt.
    c.goto(&format!("{}/p/followups", app.base));
    c.type_into(&c.find("#f-receipt"), &receipt.to_lowercase());
    c.click(&c.find("form[action=\"/p/followups\"] button[type=submit]"));
    c.wait_text("What did the alarm say?");
    check_layout(&c, "followups", &mut layout);
    c.type_into(
        &c.find("textarea[id^=r-]"),
        "It said the backlog passed ten thousand jobs.",
    );
    c.click(&c.find("form[action=\"/p/followups/reply\"] button[type=submit]"));
    c.wait_text("ten thousand jobs");
    assert_eq!(cookie(&c), "", "no cookie on the member's pages");
    let after = api.get(&format!("/reviews/{id}/accounts")).json();
    let thread = after["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a.to_string().contains("browser-marker-7"))
        .expect("account")
        .clone();
    assert_eq!(
        thread["followups"][0]["reply"],
        "It said the backlog passed ten thousand jobs."
    );
    // After the review closes (its links are gone), the follow-ups page checks the kept token.
    let closed = api.post(&format!("/reviews/{id}/close"), &json!({}));
    assert!(closed.status < 300, "{}", closed.text);
    c.goto(&format!("{}/p/followups", app.base));
    c.wait_text("Your account was counted in review “Queue backlog”");
    assert_layout(
        "a_writer_leaves_with_a_receipt_and_comes_back_to_answer_a_follow_up",
        &layout,
    );
}

// ------------------------------------------------------------------ verifiable participation

/// Picks, in every radio group of the form, the first or the last value (by clicking it).
fn choose_everywhere(c: &Chrome, last: bool) {
    c.js(
        "for (const fs of document.querySelectorAll('#answer fieldset')) {
           const radios = [...fs.querySelectorAll('input[type=radio]')];
           if (radios.length) (arguments[0] ? radios[radios.length - 1] : radios[0]).click();
         }",
        &[json!(last)],
    );
}

fn kept_tokens(c: &Chrome) -> Value {
    c.js(
        "return Object.keys(localStorage).filter((k) => k.startsWith('candor-token-')).map((k) => JSON.parse(localStorage.getItem(k)));",
        &[],
    )
}

#[test]
fn a_member_changes_their_answer_and_after_close_sees_it_was_counted() {
    let c = chrome_or_skip!(
        "a_member_changes_their_answer_and_after_close_sees_it_was_counted",
        true
    );
    let app = TestApp::spawn();
    app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Verify team", 3, &["ana", "ben", "cy"]);
    let round = open_round(&api, &team);
    let secret = &people[0].1;
    c.set_width(390, 844);

    // Answer, keeping the token with consent.
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    let keep = c.find("#keep-token");
    c.wait("the consent to keep the token", || {
        (c.js("return !document.getElementById('keep-field').hidden", &[]) == json!(true))
            .then_some(())
    });
    c.click(&keep);
    choose_everywhere(&c, false);
    submit_answers(&c);
    c.wait_text("Thank you: your answers are in");
    c.wait_text("Only the last answer counts");
    let kept = kept_tokens(&c);
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{kept}");
    assert_eq!(kept[0]["spent"], true);
    assert!(
        kept[0].get("answers").is_none(),
        "nothing of the answer is kept: {kept}"
    );

    // Change it at once, from the same page.
    c.click(&c.find("#change-again"));
    choose_everywhere(&c, true);
    submit_answers(&c);
    c.wait_text("Your answer is changed");
    assert_eq!(
        answered(&api, &round.id),
        1,
        "a change is not a second answer"
    );

    // Come back through the link: the page offers the change again, and it replaces.
    open_round_form(&c, &app.base, secret, &round.id, true, None);
    c.wait_text("You have already taken part");
    c.wait_text("Only the last answer counts");
    c.click(&c.find("#change-answer"));
    choose_everywhere(&c, false);
    choose_everywhere(&c, true);
    submit_answers(&c);
    c.wait_text("Your answer is changed");
    assert_eq!(answered(&api, &round.id), 1);
    assert_eq!(cookie(&c), "");

    // Two more members answer 4 everywhere, and the round closes.
    let r = crate::support::Round {
        id: round.id.clone(),
        key: round.key.clone(),
        questions: round.questions.clone(),
    };
    for (_, invite) in &people[1..] {
        let res = submit(&app, &r, invite, answers(&r, [4; 7], Some(5)), None);
        assert_eq!(res.status, 201, "{}", res.text);
    }
    assert_eq!(
        api.post(&format!("/rounds/{}/close", round.id), &json!({}))
            .status,
        200
    );
    let results = api.get(&format!("/rounds/{}/results", round.id)).json();
    let item = results["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["question_id"] == round.questions[1]["id"])
        .expect("item 2")
        .clone();
    // The browser's last answer (7, the last value) counts, not the ones it replaced.
    assert_eq!(item["mean"].as_f64(), Some(5.0), "{results}");

    // The next visit checks the bulletin and says the answer was counted.
    c.goto(&format!("{}/p#{secret}", app.base));
    c.wait_text("What you are invited to");
    c.wait_text("Your answer was counted in round");
    let title = api.get(&format!("/rounds/{}", round.id)).json()["title"]
        .as_str()
        .expect("title")
        .to_owned();
    assert!(
        c.text()
            .contains(&format!("Your answer was counted in round “{title}”")),
        "{}",
        c.text()
    );
    c.wait("the kept token to be deleted", || {
        (kept_tokens(&c).as_array().map(Vec::len) == Some(0)).then_some(())
    });
    assert_eq!(cookie(&c), "");
}
// Declared last so the macros above are in scope in them.
mod a11y;
mod follow;
mod results;
mod threads;
mod ux;

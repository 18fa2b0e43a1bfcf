//! P9, the member's browser (issue 13): what one answer costs the member's own machine, and
//! what the member form weighs on the wire.
//!
//! - **Transfer**, measured with the driver's own client (so it runs everywhere, `--smoke`
//!   included): the form's HTML as a member gets it, then every stylesheet, script and module
//!   preload it links, each asked for with `Accept-Encoding: gzip` as a browser asks. Counted
//!   are body bytes on the wire (headers aside).
//! - **Client crypto**, in headless Chromium driven over the W3C WebDriver protocol (plain
//!   JSON over HTTP to `chromedriver`, as `tests/it/browser.rs` does): each sample is a fresh
//!   page load of a different member's form, then, in that page, the same module the form
//!   uses (`blindrsa.js`, already loaded by the page) imports the key, prepares, blinds,
//!   asks the server for the blind signature (timed apart: the network and the server's
//!   signing are not the browser's work), finalizes (which verifies) and verifies once more
//!   on its own. The browser's Resource Timing then says what the first and the second visit
//!   transferred (the second should be the HTML alone: the assets are cached for good).
//!   Where Chromium or chromedriver is missing the phase says so and is skipped.
//! - **Floor**: the same client steps in Rust in this process (`blind-rsa-signatures`, the
//!   crate the server uses), so the ratio says how far the browser's BigInt is from native.
//!
//! Nothing here asserts a time; the figures are printed in the table.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{http, Res, Row};

/// What P9 measured.
pub struct P9 {
    /// (HTML, CSS, JS) body bytes on the wire, gzip where the server offers it.
    pub wire: (usize, usize, usize),
    /// The same without compression.
    pub plain: usize,
    /// Client milliseconds per answer in Chromium, sorted, or why it was skipped.
    pub browser: Result<Timing, String>,
    /// The same steps in Rust in this process, median ms.
    pub native_ms: f64,
}

pub struct Timing {
    /// import + prepare + blind + finalize (finalize verifies), per sample, sorted.
    pub total: Vec<f64>,
    /// Medians of each step: import, prepare, blind, finalize, verify alone; and the
    /// server's part (the token request's round trip), which is not in `total`.
    pub steps: [f64; 6],
    /// Bytes the browser's Resource Timing reports for the first and the second visit
    /// (`transferSize`: headers and bodies, 0 for what came from its cache).
    pub first_visit: u64,
    pub second_visit: u64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Seeds a team of its own, opens a round for it and runs P9 with `samples` browser samples.
pub fn run(
    base: SocketAddr,
    database: &str,
    admin_id: &str,
    admin: &str,
    samples: usize,
) -> Res<P9> {
    let ctx = crate::seed::connect(database)?;
    let (team, invites) = crate::seed::team(&ctx, "Browser", admin_id, samples + 1, 5)?;
    drop(ctx);
    let round = crate::open_round(base, admin, &team)?;
    p9(base, &round.id, &invites, samples)
}

/// Runs P9 on an open round `round` whose members hold `invites` (one per sample, at least two).
fn p9(base: SocketAddr, round: &str, invites: &[String], samples: usize) -> Res<P9> {
    let (wire, plain) = transfer(base, round, invites.first().ok_or("P9 needs a member")?)?;
    let native_ms = native(samples.max(10))?;
    let browser = match browser_paths() {
        Err(why) => Err(why),
        Ok((chromium, driver)) => {
            let who = &invites[1..invites.len().min(samples + 1)];
            timing(base, round, who, &chromium, &driver)?.ok_or_else(|| "no samples".to_owned())
        }
    };
    Ok(P9 {
        wire,
        plain,
        browser,
        native_ms,
    })
}

/// The table rows: client crypto (or why it was skipped) and the form's transfer.
pub fn rows(p: &P9) -> Vec<Row> {
    let kb = |n: f64| format!("{:.1} KB", n / 1024.0);
    let (html, css, js) = p.wire;
    let total = (html + css + js) as f64;
    let crypto = match &p.browser {
        Ok(t) => {
            let p50 = t.total.get(t.total.len() / 2).copied().unwrap_or(f64::NAN);
            let max = t.total.last().copied().unwrap_or(f64::NAN);
            let [import, prepare, blind, finalize, verify, server] = t.steps;
            Row {
                id: "P9",
                what: format!(
                    "client crypto per answer in headless Chromium, p50 of {}",
                    t.total.len()
                ),
                value: format!(
                    "{} (max {}; import {import:.2}, prepare {prepare:.2}, blind {blind:.2}, finalize+verify {finalize:.2}, verify alone {verify:.2}; server round trip {server:.2} ms apart)",
                    crate::ms(p50),
                    crate::ms(max)
                ),
                target: "p50 <= 50 ms".into(),
                floor: format!("the same in Rust, in process {}", crate::ms(p.native_ms)),
                ratio: format!("{:.1}x", p50 / p.native_ms),
                met: crate::verdict(p50 <= 50.0),
            }
        }
        Err(why) => Row {
            id: "P9",
            what: "client crypto per answer in headless Chromium".into(),
            value: format!("skipped: {why}"),
            target: "p50 <= 50 ms".into(),
            floor: format!("the same in Rust, in process {}", crate::ms(p.native_ms)),
            ratio: "-".into(),
            met: "-".into(),
        },
    };
    let visits = match &p.browser {
        Ok(t) => format!(
            "; browser: first visit {}, second {} (headers included)",
            kb(t.first_visit as f64),
            kb(t.second_visit as f64)
        ),
        Err(_) => String::new(),
    };
    let form = Row {
        id: "P9",
        what: "member form transfer (HTML + CSS + JS, gzip)".into(),
        value: format!(
            "{} (HTML {}, CSS {}, JS {}){visits}",
            kb(total),
            kb(html as f64),
            kb(css as f64),
            kb(js as f64)
        ),
        target: "<= 40 KB".into(),
        floor: format!("uncompressed {}", kb(p.plain as f64)),
        ratio: format!("{:.2}", total / p.plain.max(1) as f64),
        met: crate::verdict(total <= 40.0 * 1024.0),
    };
    vec![crypto, form]
}

// ---------------------------------------------------------------- transfer

fn get_with(base: SocketAddr, path: &str, gzip: bool) -> Res<http::Response> {
    let headers = if gzip {
        "Accept-Encoding: gzip, deflate, br\r\n"
    } else {
        ""
    };
    let mut c = http::Conn::connect(base).map_err(|e| e.to_string())?;
    let r = c
        .send(&http::request("GET", path, headers, "", b""))
        .map_err(|e| e.to_string())?;
    if r.status != 200 {
        return Err(format!("P9: GET {path} answered {}", r.status));
    }
    Ok(r)
}

/// Every `src="..."` and `href="..."` under `/static/` in a page.
fn static_links(html: &str) -> Vec<String> {
    let mut out = vec![];
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let link = part.split('"').next().unwrap_or_default();
            if link.starts_with("/static/") && !out.iter().any(|l| l == link) {
                out.push(link.to_owned());
            }
        }
    }
    out
}

/// The relative module imports of a script (`from './token.js'`), as paths beside it.
fn imports(js: &str, at: &str) -> Vec<String> {
    let dir = at.rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
    js.split("from './")
        .skip(1)
        .filter_map(|p| p.split('\'').next())
        .map(|name| format!("{dir}/{name}"))
        .collect()
}

/// (HTML, CSS, JS) bytes with gzip offered, and the total without.
fn transfer(base: SocketAddr, round: &str, invite: &str) -> Res<((usize, usize, usize), usize)> {
    let form = http::post_form(&format!("/p/rounds/{round}"), &[("invite", invite)]);
    // The form page as a browser asks for it, gzip offered (the server must not take it).
    let mut req = String::from_utf8_lossy(&form).into_owned();
    req = req.replacen("\r\n", "\r\nAccept-Encoding: gzip, deflate, br\r\n", 1);
    let mut c = http::Conn::connect(base).map_err(|e| e.to_string())?;
    let page = c.send(req.as_bytes()).map_err(|e| e.to_string())?;
    if page.status != 200 {
        return Err(format!(
            "P9: the member form answered {}: {}",
            page.status,
            page.text()
        ));
    }
    let html = page.text();
    if !html.contains("id=\"answer\"") {
        return Err("P9: the member form has no answer form".into());
    }
    let mut todo = static_links(&html);
    let mut seen: Vec<String> = vec![];
    let (mut css, mut js, mut plain) = (0, 0, page.body.len());
    while let Some(link) = todo.pop() {
        if seen.contains(&link) {
            continue;
        }
        seen.push(link.clone());
        let wire = get_with(base, &link, true)?.body.len();
        let raw = get_with(base, &link, false)?;
        plain += raw.body.len();
        if link.ends_with(".css") {
            css += wire;
        } else {
            js += wire;
            todo.extend(imports(&raw.text(), &link));
        }
    }
    Ok(((page.body.len(), css, js), plain))
}

// ---------------------------------------------------------------- the floor

/// Median ms of the client's steps in Rust: blind (prepare included) and finalize (verify
/// included), with the signature made in process.
fn native(n: usize) -> Res<f64> {
    use candor::secret::unb64;
    use candor::tokens::crypto;
    let key = crypto::generate().map_err(|e| e.to_string())?;
    let sk = crypto::parse_secret(&key.secret_der).map_err(|e| e.to_string())?;
    let pk = std::sync::Arc::new(crate::public_key(&key.public)?);
    let mut times = vec![];
    for _ in 0..n {
        let t = Instant::now();
        let b = crate::Blinded::new(&pk)?;
        let blind = t.elapsed();
        let sig = crypto::sign_blinded(&sk, &unb64(&b.blinded_message).ok_or("blinded message")?)
            .map_err(|e| e.to_string())?;
        let sig = candor::secret::b64(&sig);
        let t = Instant::now();
        b.finalize(&sig)?;
        times.push((blind + t.elapsed()).as_secs_f64() * 1000.0);
    }
    Ok(median(&mut times))
}

// ---------------------------------------------------------------- Chromium

fn browser_paths() -> Result<(PathBuf, PathBuf), String> {
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    let chromium = pick("CANDOR_CHROMIUM", "/usr/bin/chromium");
    let driver = pick("CANDOR_CHROMEDRIVER", "/usr/bin/chromedriver");
    let missing: Vec<String> = [&chromium, &driver]
        .iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok((chromium, driver))
    } else {
        Err(format!(
            "{} not found (install with .ci/browser-deps, or set CANDOR_CHROMIUM / CANDOR_CHROMEDRIVER)",
            missing.join(" and ")
        ))
    }
}

/// One chromedriver and one headless Chromium session; both ended on drop.
struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Driver {
    fn start(chromium: &std::path::Path, driver: &std::path::Path) -> Res<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let profile = std::env::temp_dir().join(format!(
            "candor-bench-chromium-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&profile).map_err(|e| e.to_string())?;
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", driver.display()))?;
        let mut me = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            session: String::new(),
            profile,
        };
        let started = Instant::now();
        while me
            .call("GET", "/status", None)
            .map(|v| v["ready"] != true)
            .unwrap_or(true)
        {
            if started.elapsed() > Duration::from_secs(20) {
                return Err("chromedriver did not become ready in 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--no-default-browser-check",
                    "--disable-extensions",
                    format!("--user-data-dir={}", me.profile.join("profile").display()),
                ],
            },
        } } });
        let v = me.call("POST", "/session", Some(caps))?;
        me.session = v["sessionId"]
            .as_str()
            .ok_or("no WebDriver session id")?
            .to_owned();
        Ok(me)
    }

    /// One WebDriver command; its `value`, or the error it reported.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Res<Value> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut c = http::Conn::connect(self.addr).map_err(|e| e.to_string())?;
        let ct = if body.is_empty() && method != "POST" {
            ""
        } else {
            "application/json"
        };
        let res = c
            .send(&http::request(method, path, "", ct, body.as_bytes()))
            .map_err(|e| format!("WebDriver {method} {path}: {e}"))?;
        let v = res.json()?;
        if res.status != 200 {
            return Err(format!(
                "WebDriver {method} {path}: {}",
                v["value"]["message"].as_str().unwrap_or_default()
            ));
        }
        Ok(v["value"].clone())
    }

    fn post(&self, rest: &str, body: Value) -> Res<Value> {
        self.call(
            "POST",
            &format!("/session/{}{rest}", self.session),
            Some(body),
        )
    }

    fn js(&self, script: &str, args: Value) -> Res<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    fn js_async(&self, script: &str, args: Value) -> Res<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Polls `script` until it returns true.
    fn wait(&self, what: &str, script: &str) -> Res<()> {
        let started = Instant::now();
        while self.js(script, json!([]))? != true {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(format!("P9: timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

/// Opens a member's form as the member does (a POST of their invite from a page of the site).
const OPEN_FORM: &str = r#"
const [action, invite] = arguments;
const f = document.createElement('form');
f.method = 'post';
f.action = action;
const i = document.createElement('input');
i.type = 'hidden'; i.name = 'invite'; i.value = invite;
f.append(i);
document.body.append(f);
f.submit();
"#;

/// The loaded form page: done with its load, the form and its modules in place.
const LOADED: &str = r#"
return document.readyState === 'complete' && !!document.getElementById('answer')
  && !!document.querySelector('link[rel=modulepreload][href$="/blindrsa.js"]');
"#;

/// Bytes the page and everything it loaded took on the wire (Resource Timing).
const TRANSFERRED: &str = r#"
const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
return all.reduce((n, e) => n + (e.transferSize || 0), 0);
"#;

/// One answer's client work, timed step by step, in the page with the module it loaded.
const TIME_ONE: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const form = document.getElementById('answer');
  const url = document.querySelector('link[rel=modulepreload][href$="/blindrsa.js"]').href;
  const b = await import(url);
  const tokens = `/api/v1/rounds/${encodeURIComponent(form.dataset.scope)}/tokens`;
  const t0 = performance.now();
  const key = await b.importKey({ n: form.dataset.keyN, e: form.dataset.keyE, fingerprint: form.dataset.fingerprint }, form.dataset.fingerprint);
  const t1 = performance.now();
  const { prepared } = b.prepare(b.randomBytes(32));
  const t2 = performance.now();
  const { blindedMessage, inv } = await b.blind(key, prepared);
  const t3 = performance.now();
  const res = await fetch(tokens, { method: 'POST', credentials: 'omit', cache: 'no-store',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ invite: form.elements.invite.value, blinded_message: b.b64urlEncode(blindedMessage) }) });
  const data = await res.json();
  if (!res.ok) throw new Error(`token request: ${res.status} ${JSON.stringify(data)}`);
  const t4 = performance.now();
  const sig = await b.finalize(key, prepared, b.b64urlDecode(data.blind_signature), inv);
  const t5 = performance.now();
  const ok = await b.verify(key, sig, prepared);
  const t6 = performance.now();
  if (!ok) throw new Error('the finalized signature did not verify');
  done({ import: t1 - t0, prepare: t2 - t1, blind: t3 - t2, server: t4 - t3, finalize: t5 - t4, verify: t6 - t5 });
})().catch((e) => done({ error: String(e) }));
"#;

fn timing(
    base: SocketAddr,
    round: &str,
    invites: &[String],
    chromium: &std::path::Path,
    driver: &std::path::Path,
) -> Res<Option<Timing>> {
    if invites.is_empty() {
        return Ok(None);
    }
    let d = Driver::start(chromium, driver)?;
    let site = format!("http://{base}");
    let action = format!("/p/rounds/{round}");
    let mut total = vec![];
    let mut steps: [Vec<f64>; 6] = Default::default();
    let mut visits = vec![];
    for invite in invites {
        // A page of the site to post the invite from (as the member's landing page does).
        d.post("/url", json!({ "url": format!("{site}/p") }))?;
        d.js(OPEN_FORM, json!([action, invite]))?;
        d.wait("the member form", LOADED)?;
        visits.push(d.js(TRANSFERRED, json!([]))?.as_u64().unwrap_or(0));
        let v = d.js_async(TIME_ONE, json!([]))?;
        if let Some(e) = v["error"].as_str() {
            return Err(format!("P9 in Chromium: {e}"));
        }
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let s = [
            f("import"),
            f("prepare"),
            f("blind"),
            f("finalize"),
            f("verify"),
            f("server"),
        ];
        total.push(s[0] + s[1] + s[2] + s[3]);
        for (k, x) in s.iter().enumerate() {
            steps[k].push(*x);
        }
    }
    total.sort_by(f64::total_cmp);
    let steps = steps.map(|mut v| median(&mut v));
    Ok(Some(Timing {
        total,
        steps,
        first_visit: visits.first().copied().unwrap_or(0),
        second_visit: visits.get(1).copied().unwrap_or(0),
    }))
}

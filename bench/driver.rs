//! candor-bench: the load driver behind `bench/run` (issue 8). It seeds Candor's database
//! through the store layer, drives load over loopback with its own keep-alive HTTP client,
//! measures the floors served by `candor-floor` in the same run, and prints one table.
//!
//! Members are played here, as tests do: tokens are blinded in this process before any
//! timed phase (RFC 9474 with the same crate `candor::tokens::crypto::ClientRequest` uses,
//! see `Blinded`), so the server's clock only ever sees what a browser would send it.
//!
//! `bench/run` starts the servers and calls `candor-bench run ...`; `free-port`,
//! `pg-create` and `pg-drop` are its helpers.

mod browser;
mod http;
mod seed;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use candor::auth::model::Role;
use std::sync::Arc;

use blind_rsa_signatures::{BlindSignature, BlindingResult, DefaultRng};
use candor::secret::{b64, unb64};
use candor::tokens::crypto::{self, ClientRequest, KeyJson, PublicKey, TokenJson};
use http::Conn;
use rand::RngExt;
use serde_json::{json, Value};

type Res<T> = Result<T, String>;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("free-port") => free_port(),
        Some("pg-create") => pg_admin(&args[1..], true),
        Some("pg-drop") => pg_admin(&args[1..], false),
        Some("client-cost") => client_cost(),
        Some("run") => Opts::parse(&args[1..]).and_then(run),
        Some("seed") => seed_only(&args[1..]),
        _ => Err(
            "usage: candor-bench run|free-port|pg-create URL NAME|pg-drop URL NAME|seed --database URL --answers N"
                .into(),
        ),
    };
    match out {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("candor-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Seeds a database with the benchmark's history (100 teams, 12 closed rounds each) grown
/// to `--answers` answers, then exits: the instance `bench/copy` measures `candor copy` on.
fn seed_only(args: &[String]) -> Res<()> {
    let (url, answers) = match args {
        [d, url, a, n] if d == "--database" && a == "--answers" => (
            url,
            n.replace('_', "")
                .parse::<u64>()
                .map_err(|_| "--answers takes a number")?,
        ),
        _ => return Err("seed --database URL --answers N".into()),
    };
    candor::db::Db::connect(&candor::db::DbUrl::parse(url)?, 2)?.migrate()?;
    let ctx = seed::connect(url)?;
    seed::staff(&ctx, "bench-admin@example.com", Role::Admin)?;
    let (leader_id, _) = seed::staff(&ctx, "bench-leader@example.com", Role::Leader)?;
    let key = candor::tokens::crypto::generate().map_err(|e| e.to_string())?;
    let mut hist = seed::history(&ctx, &leader_id, 100, 12, answers.min(10_000), &key)?;
    seed::grow(&ctx, &mut hist, answers, true)?;
    println!(
        "{} teams, {} closed rounds, {} answers",
        hist.teams.len(),
        hist.rounds.len(),
        hist.answers
    );
    Ok(())
}

fn free_port() -> Res<()> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    println!("{}", l.local_addr().map_err(|e| e.to_string())?.port());
    Ok(())
}

/// Creates or drops a database on the server an admin URL points at; prints the new URL.
fn pg_admin(args: &[String], create: bool) -> Res<()> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let (url, name) = match args {
        [u, n] => (u, n),
        _ => return Err("pg-create|pg-drop ADMIN_URL NAME".into()),
    };
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!("{name}: lowercase letters, digits and _ only"));
    }
    let mut conn = diesel::PgConnection::establish(url).map_err(|e| format!("{url}: {e}"))?;
    if create {
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| e.to_string())?;
        let (prefix, _) = url
            .rsplit_once('/')
            .ok_or("the URL needs a database name")?;
        println!("{prefix}/{name}");
    } else {
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

// ---------------------------------------------------------------- options and scale

struct Opts {
    base: SocketAddr,
    floor: SocketAddr,
    database: String,
    server_pid: u32,
    floor_pid: u32,
    smoke: bool,
    large: bool,
    profile: String,
    /// `--only P1,P3`: the phases to run (P2 always runs: it mints P1's tokens).
    only: Option<Vec<String>>,
}

impl Opts {
    fn parse(args: &[String]) -> Res<Self> {
        let mut m: BTreeMap<&str, &str> = BTreeMap::new();
        let mut flags = vec![];
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--smoke" | "--large" => flags.push(a.as_str()),
                k if k.starts_with("--") => {
                    m.insert(k, it.next().ok_or(format!("{k} needs a value"))?);
                }
                _ => return Err(format!("unexpected argument {a}")),
            }
        }
        let need = |k: &str| m.get(k).copied().ok_or(format!("{k} is required"));
        let pid = |k: &str| -> Res<u32> { need(k)?.parse().map_err(|_| format!("{k}: not a pid")) };
        Ok(Self {
            base: http::parse_base(need("--base")?)?,
            floor: http::parse_base(need("--floor")?)?,
            database: need("--database")?.to_owned(),
            server_pid: pid("--server-pid")?,
            floor_pid: pid("--floor-pid")?,
            smoke: flags.contains(&"--smoke"),
            large: flags.contains(&"--large"),
            profile: m.get("--profile").copied().unwrap_or("release").to_owned(),
            only: m.get("--only").map(|v| {
                v.split(',')
                    .map(|x| x.trim().to_ascii_uppercase())
                    .filter(|x| !x.is_empty())
                    .collect()
            }),
        })
    }

    fn is_pg(&self) -> bool {
        self.database.starts_with("postgres")
    }

    /// Whether phase `id` runs (every phase without `--only`; P2 and P6 always do, since P1
    /// needs P2's tokens and P6 is sampled during P1).
    fn want(&self, id: &str) -> bool {
        match &self.only {
            None => true,
            Some(ids) => id == "P2" || id == "P6" || ids.iter().any(|x| x == id),
        }
    }
}

/// How big each phase is: the full run, or seconds of everything (`--smoke`).
struct Scale {
    conns: usize,
    floor_secs: f64,
    /// Tokens minted in P2, then spent by P1 (40%) and P7 (30% without, 30% with the flood).
    tokens: usize,
    token_teams: usize,
    p1_secs: f64,
    p7_secs: f64,
    journeys: usize,
    p3_secs: f64,
    p5_rounds: usize,
    p5_members: usize,
    hist_teams: usize,
    hist_rounds: usize,
    small: u64,
    large: u64,
    p4_requests: usize,
    flood_per_sec: u32,
}

impl Scale {
    fn new(o: &Opts) -> Self {
        let mut sc = Self::sized(o);
        // For trying the driver on fewer tokens: CANDOR_BENCH_TOKENS=10000 bench/run
        if let Some(n) = std::env::var("CANDOR_BENCH_TOKENS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            sc.tokens = n;
            sc.token_teams = n.div_ceil(5_000);
        }
        sc
    }

    fn sized(o: &Opts) -> Self {
        if o.smoke {
            Self {
                conns: 32,
                floor_secs: 1.0,
                tokens: 2_000,
                token_teams: 4,
                p1_secs: 1.0,
                p7_secs: 1.0,
                journeys: 100,
                p3_secs: 2.0,
                p5_rounds: 1,
                p5_members: 200,
                hist_teams: 10,
                hist_rounds: 3,
                small: 1_000,
                large: 10_000,
                p4_requests: 20,
                flood_per_sec: 100,
            }
        } else {
            Self {
                conns: 32,
                floor_secs: 5.0,
                tokens: 90_000,
                token_teams: 18,
                p1_secs: 5.0,
                p7_secs: 4.0,
                journeys: 2_500,
                p3_secs: 5.0,
                p5_rounds: 3,
                p5_members: 1_000,
                hist_teams: 100,
                hist_rounds: 12,
                small: 10_000,
                large: if o.large { 10_000_000 } else { 1_000_000 },
                p4_requests: 300,
                flood_per_sec: 100,
            }
        }
    }
}

// ---------------------------------------------------------------- driving load

#[derive(Default)]
struct Outcome {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    /// Per-request latencies in microseconds, sorted.
    lat: Vec<u32>,
    statuses: BTreeMap<u16, usize>,
    first_error: Option<String>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Percentile in milliseconds.
    fn pct(&self, p: f64) -> f64 {
        if self.lat.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * (self.lat.len() - 1) as f64).round() as usize;
        f64::from(self.lat[i.min(self.lat.len() - 1)]) / 1000.0
    }

    fn summary(&self) -> String {
        format!(
            "{} ok, {} failed in {:.2} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
            self.ok,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.pct(50.0),
            self.pct(99.0)
        )
    }
}

/// What one unit of work returned: the status that decides success, or an error text.
type Job<'a> = dyn Fn(&mut Conn, usize) -> Result<(u16, Option<String>), String> + Sync + 'a;

/// Runs `job(conn, i)` for i in 0..limit on `conns` keep-alive connections, each thread
/// taking the next i, until the count is done or `max_time` has passed. Every connection
/// is open before the clock starts.
fn drive(addr: SocketAddr, conns: usize, limit: usize, max_time: Duration, job: &Job) -> Outcome {
    let next = AtomicUsize::new(0);
    let barrier = Barrier::new(conns + 1);
    let (tx, rx) = mpsc::channel::<Outcome>();
    let mut started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..conns {
            let (next, barrier, tx) = (&next, &barrier, tx.clone());
            s.spawn(move || {
                let mut out = Outcome::default();
                let mut conn = Conn::connect(addr);
                barrier.wait();
                let t0 = Instant::now();
                let mut lat = Vec::with_capacity(4096);
                loop {
                    if t0.elapsed() >= max_time {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= limit {
                        break;
                    }
                    let c = match &mut conn {
                        Ok(c) => c,
                        Err(e) => {
                            out.failed += 1;
                            out.first_error.get_or_insert(format!("connect: {e}"));
                            conn = Conn::connect(addr);
                            continue;
                        }
                    };
                    let t = Instant::now();
                    match job(c, i) {
                        Ok((status, note)) => {
                            lat.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                            *out.statuses.entry(status).or_default() += 1;
                            if (200..300).contains(&status) {
                                out.ok += 1;
                            } else {
                                out.failed += 1;
                                if out.first_error.is_none() {
                                    out.first_error =
                                        Some(format!("{status}: {}", note.unwrap_or_default()));
                                }
                            }
                        }
                        Err(e) => {
                            out.failed += 1;
                            out.first_error.get_or_insert(e);
                            if let Ok(c) = &mut conn {
                                let _ = c.reconnect();
                            }
                        }
                    }
                }
                out.lat = lat;
                let _ = tx.send(out);
            });
        }
        barrier.wait();
        started = Instant::now();
    });
    let elapsed = started.elapsed();
    drop(tx);
    let mut total = Outcome {
        elapsed,
        ..Default::default()
    };
    for o in rx {
        total.ok += o.ok;
        total.failed += o.failed;
        total.lat.extend(o.lat);
        for (k, v) in o.statuses {
            *total.statuses.entry(k).or_default() += v;
        }
        if total.first_error.is_none() {
            total.first_error = o.first_error;
        }
    }
    total.lat.sort_unstable();
    total
}

/// Sends fixed requests (pre-built bytes) and expects 2xx.
fn drive_requests(
    addr: SocketAddr,
    conns: usize,
    reqs: &[Vec<u8>],
    cycle: bool,
    max_time: Duration,
) -> Outcome {
    let limit = if cycle { usize::MAX } else { reqs.len() };
    drive(addr, conns, limit, max_time, &|c, i| {
        let r = c.send(&reqs[i % reqs.len()]).map_err(|e| e.to_string())?;
        let note = (!(200..300).contains(&r.status)).then(|| r.text());
        Ok((r.status, note))
    })
}

/// One request on a fresh connection, for setup steps.
fn call(addr: SocketAddr, req: &[u8]) -> Res<http::Response> {
    Conn::connect(addr)
        .and_then(|mut c| c.send(req))
        .map_err(|e| format!("{addr}: {e}"))
}

fn expect(addr: SocketAddr, req: &[u8], status: u16) -> Res<Value> {
    let r = call(addr, req)?;
    if r.status != status {
        return Err(format!("expected {status}, got {}: {}", r.status, r.text()));
    }
    r.json()
}

fn wait_healthy(addr: SocketAddr, path: &str) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = call(addr, &http::get(path, None)) {
            if r.status < 500 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{addr} did not answer {path} within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A field of /proc/PID/status in kB (VmRSS, VmHWM).
fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU seconds a process has used (user + system), from /proc/PID/stat.
fn cpu_secs(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f` and returns the server's CPU milliseconds per successful request.
fn cpu_per(pid: u32, f: impl FnOnce() -> Outcome) -> (Outcome, f64) {
    let before = cpu_secs(pid);
    let out = f();
    let used = cpu_secs(pid) - before;
    let per = used * 1000.0 / out.ok.max(1) as f64;
    (out, per)
}

/// Runs `f` while sampling a process's resident set every 50 ms; returns the largest.
fn with_rss<T>(pid: u32, f: impl FnOnce() -> T) -> (T, u64) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut max = 0;
            while !stop.load(Ordering::Relaxed) {
                max = max.max(proc_kb(pid, "VmRSS:").unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            max
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        (out, sampler.join().unwrap_or(0))
    })
}

/// Runs `f` over items on every core, keeping order.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let chunk = items.len().div_ceil(n).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

// ---------------------------------------------------------------- the member's side

/// The round key as a member checks and uses it. Built with the exponent at its own
/// width: `crypto::public_from_components` gives e the modulus's 2048 bits, which makes
/// the constant-time r^e in blinding cost as much as a signature (5.7 ms against 0.7 ms
/// here, see `candor-bench client-cost`), and the driver shares the server's two cores.
fn public_key(key: &KeyJson) -> Res<PublicKey> {
    let n = unb64(&key.n).ok_or("n is not base64url")?;
    let e = unb64(&key.e).ok_or("e is not base64url")?;
    if crypto::fingerprint(&n) != key.fingerprint {
        return Err("key fingerprint mismatch".into());
    }
    let n =
        rsa::BoxedUint::from_be_slice(&n, (n.len() * 8) as u32).map_err(|e| format!("{e:?}"))?;
    let e = rsa::BoxedUint::from_be_slice(&e, 64).map_err(|e| format!("{e:?}"))?;
    let inner = rsa::RsaPublicKey::new(n, e).map_err(|e| e.to_string())?;
    Ok(PublicKey::new(inner))
}

/// The member's side of RFC 9474, as `crypto::ClientRequest` does it, on a shared key.
struct Blinded {
    message: Vec<u8>,
    blinded_message: String,
    state: BlindingResult,
    pk: Arc<PublicKey>,
}

impl Blinded {
    fn new(pk: &Arc<PublicKey>) -> Res<Self> {
        let message = candor::secret::random_bytes(crypto::MESSAGE_BYTES);
        let state = pk
            .blind(&mut DefaultRng, &message)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            blinded_message: b64(&state.blind_message.0),
            message,
            state,
            pk: pk.clone(),
        })
    }

    fn finalize(&self, blind_signature: &str) -> Res<TokenJson> {
        let sig = unb64(blind_signature).ok_or("blind signature is not base64url")?;
        let sig = self
            .pk
            .finalize(&BlindSignature(sig), &self.state, &self.message)
            .map_err(|e| e.to_string())?;
        let randomizer = self.state.msg_randomizer.ok_or("no randomizer")?;
        Ok(TokenJson {
            message: b64(&self.message),
            randomizer: b64(&randomizer.0),
            signature: b64(&sig.0),
        })
    }
}

struct OpenRound {
    id: String,
    pk: Arc<PublicKey>,
    questions: Vec<Value>,
}

fn open_round(addr: SocketAddr, admin: &str, team: &str) -> Res<OpenRound> {
    let j = expect(
        addr,
        &http::post_json(
            &format!("/api/v1/teams/{team}/rounds"),
            Some(admin),
            &json!({ "template": "psychological-safety" }),
        ),
        201,
    )?;
    let key: KeyJson = serde_json::from_value(j["key"].clone()).map_err(|e| e.to_string())?;
    Ok(OpenRound {
        id: j["id"].as_str().ok_or("round id")?.to_owned(),
        pk: Arc::new(public_key(&key)?),
        questions: j["questions"].as_array().cloned().unwrap_or_default(),
    })
}

fn answers_json(questions: &[Value]) -> Value {
    let mut rng = rand::rng();
    let a: Vec<Value> = questions
        .iter()
        .filter(|q| q["kind"] != "text")
        .map(|q| {
            let (lo, hi) = (
                q["min"].as_i64().unwrap_or(0),
                q["max"].as_i64().unwrap_or(0),
            );
            json!({ "question_id": q["id"], "value": rng.random_range(lo..=hi) })
        })
        .collect();
    Value::Array(a)
}

/// A member who will take part: which round, their invite, their blinded request.
struct Member {
    round: usize,
    invite: String,
    req: Blinded,
}

fn blind_all(rounds: &[OpenRound], who: &[(usize, String)]) -> Res<Vec<Member>> {
    par_map(who, |(r, invite)| {
        Blinded::new(&rounds[*r].pk).map(|req| Member {
            round: *r,
            invite: invite.clone(),
            req,
        })
    })
    .into_iter()
    .collect()
}

fn token_request(rounds: &[OpenRound], m: &Member) -> Vec<u8> {
    http::post_json(
        &format!("/api/v1/rounds/{}/tokens", rounds[m.round].id),
        None,
        &json!({ "invite": m.invite, "blinded_message": m.req.blinded_message }),
    )
}

/// Issues every member's token over HTTP; returns the run and the blind signatures.
fn mint(
    addr: SocketAddr,
    conns: usize,
    rounds: &[OpenRound],
    members: &[Member],
) -> (Outcome, Vec<Option<String>>) {
    let reqs: Vec<Vec<u8>> = members.iter().map(|m| token_request(rounds, m)).collect();
    let sigs: Vec<OnceLock<String>> = (0..members.len()).map(|_| OnceLock::new()).collect();
    let out = drive(
        addr,
        conns,
        reqs.len(),
        Duration::from_secs(900),
        &|c, i| {
            let r = c.send(&reqs[i]).map_err(|e| e.to_string())?;
            if r.status == 200 {
                let sig = r.json()?["blind_signature"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let _ = sigs[i].set(sig);
                Ok((200, None))
            } else {
                Ok((r.status, Some(r.text())))
            }
        },
    );
    (out, sigs.into_iter().map(|s| s.into_inner()).collect())
}

/// Finalizes each signed token and builds its submission (untimed).
fn submissions(
    rounds: &[OpenRound],
    members: &[Member],
    sigs: &[Option<String>],
) -> Res<Vec<Vec<u8>>> {
    let pairs: Vec<(&Member, &Option<String>)> = members.iter().zip(sigs).collect();
    par_map(&pairs, |(m, sig)| {
        let sig = sig.as_deref().ok_or("a token was not issued")?;
        let token = m.req.finalize(sig)?;
        let r = &rounds[m.round];
        Ok(http::post_json(
            &format!("/api/v1/rounds/{}/answers", r.id),
            None,
            &json!({ "token": token, "answers": answers_json(&r.questions) }),
        ))
    })
    .into_iter()
    .collect()
}

/// Wrong-password logins at `per_sec`, each from a new connection and for a new address
/// (so the per-address throttle never short-cuts the hash), until `stop`.
fn flood(addr: SocketAddr, per_sec: u32, stop: &AtomicBool) -> BTreeMap<u16, usize> {
    let (tx, rx) = mpsc::channel();
    let mut handles = vec![];
    let t0 = Instant::now();
    let mut k: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let due = t0 + Duration::from_secs_f64(k as f64 / f64::from(per_sec));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let tx = tx.clone();
        let email = format!("nobody{k}-{}@example.com", rand::rng().random::<u32>());
        handles.push(std::thread::spawn(move || {
            let req = http::post_json(
                "/api/v1/login",
                None,
                &json!({ "email": email, "password": "not the password" }),
            );
            let status = call(addr, &req).map(|r| r.status).unwrap_or(0);
            let _ = tx.send(status);
        }));
        k += 1;
    }
    for h in handles {
        let _ = h.join();
    }
    drop(tx);
    let mut out = BTreeMap::new();
    for s in rx {
        *out.entry(s).or_default() += 1;
    }
    out
}

// ---------------------------------------------------------------- P4

#[derive(Default)]
struct Pages {
    results: f64,
    trend: f64,
    csv: f64,
    heatmap: Option<f64>,
    export: Option<f64>,
}

/// p50 of each results page, one request at a time (unloaded latency), after a warm-up.
fn pages(addr: SocketAddr, token: &str, h: &seed::History, n: usize) -> Res<Pages> {
    let measure = |reqs: Vec<Vec<u8>>| -> Res<Option<f64>> {
        if call(addr, &reqs[0])?.status == 404 {
            return Ok(None);
        }
        drive_requests(
            addr,
            1,
            &reqs[..reqs.len().min(10)],
            false,
            Duration::from_secs(60),
        );
        let o = drive_requests(addr, 1, &reqs, false, Duration::from_secs(120));
        if o.failed > 0 {
            return Err(format!("P4: {}", o.first_error.unwrap_or_default()));
        }
        Ok(Some(o.pct(50.0)))
    };
    let pick = |v: &[String], i: usize| v[(i * 7919) % v.len()].clone();
    let per = |f: &dyn Fn(usize) -> String| {
        (0..n)
            .map(|i| http::get(&f(i), Some(token)))
            .collect::<Vec<_>>()
    };
    let need = |x: Option<f64>, what: &str| x.ok_or(format!("P4: {what} answered 404"));
    Ok(Pages {
        results: need(
            measure(per(&|i| {
                format!("/api/v1/rounds/{}/results", pick(&h.rounds, i))
            }))?,
            "results",
        )?,
        trend: need(
            measure(per(&|i| {
                format!("/api/v1/teams/{}/trend", pick(&h.teams, i))
            }))?,
            "trend",
        )?,
        csv: need(
            measure(per(&|i| format!("/teams/{}/trend.csv", pick(&h.teams, i))))?,
            "trend.csv",
        )?,
        heatmap: measure(per(&|_| "/api/v1/metrics/heatmap".into()))?,
        export: measure(per(&|_| "/api/v1/metrics/export.csv".into()))?,
    })
}

// ---------------------------------------------------------------- the run

struct Row {
    id: &'static str,
    what: String,
    value: String,
    target: String,
    floor: String,
    ratio: String,
    met: String,
}

fn verdict(ok: bool) -> String {
    if ok { "yes" } else { "**no**" }.into()
}

fn ms(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x < 10.0 {
        format!("{x:.2} ms")
    } else {
        format!("{x:.0} ms")
    }
}

fn per_s(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{out}/s")
}

fn count(n: u64) -> String {
    per_s(n as f64).trim_end_matches("/s").to_owned()
}

fn step(what: &str) {
    eprintln!("==> {what}");
}

fn memory(pid: u32) {
    eprintln!(
        "    Candor VmRSS {:.1} MB, VmHWM {:.1} MB",
        proc_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
        proc_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
}

fn run(o: Opts) -> Res<()> {
    let sc = Scale::new(&o);
    let backend = if o.is_pg() { "PostgreSQL" } else { "SQLite" };
    let failures: std::cell::RefCell<Vec<String>> = Default::default();
    let check = |what: &str, out: &Outcome| {
        eprintln!("    {what}: {}", out.summary());
        if out.failed > 0 {
            eprintln!(
                "    {what}: statuses {:?}, first error: {}",
                out.statuses,
                out.first_error.clone().unwrap_or_default()
            );
            failures.borrow_mut().push(format!(
                "{what}: {} failed, first: {}",
                out.failed,
                out.first_error.clone().unwrap_or_default()
            ));
        }
    };
    wait_healthy(o.base, "/healthz")?;
    wait_healthy(o.floor, "/page")?;
    let run_started = Instant::now();

    // Floors, with Candor idle.
    step("floors: static page, one-row insert, 1,000 inserts, blind signing");
    let fsecs = Duration::from_secs_f64(sc.floor_secs);
    let page_floor = drive_requests(o.floor, sc.conns, &[http::get("/page", None)], true, fsecs);
    check("page floor", &page_floor);
    let page_lat = drive_requests(
        o.floor,
        1,
        &[http::get("/page", None)],
        true,
        Duration::from_secs_f64(sc.floor_secs / 2.0),
    );
    let body = json!({ "body": "x".repeat(300) });
    let ((insert_floor, floor_cpu), floor_rss) = with_rss(o.floor_pid, || {
        cpu_per(o.floor_pid, || {
            drive_requests(
                o.floor,
                sc.conns,
                &[http::post_json("/insert", None, &body)],
                true,
                fsecs,
            )
        })
    });
    check("insert floor", &insert_floor);
    eprintln!("    floor server CPU: {floor_cpu:.3} ms per insert");
    let (verify_floor, verify_cpu) = cpu_per(o.floor_pid, || {
        drive_requests(
            o.floor,
            sc.conns,
            &[http::post_json("/verify-insert", None, &body)],
            true,
            fsecs,
        )
    });
    check("verify+insert floor", &verify_floor);
    eprintln!("    floor server CPU: {verify_cpu:.3} ms per verify and insert");
    let batch_floor = drive_requests(
        o.floor,
        1,
        &[http::request(
            "POST",
            "/insert/1000",
            "",
            "application/json",
            b"",
        )],
        true,
        Duration::from_secs_f64(sc.floor_secs / 2.0).max(Duration::from_millis(500)),
    );
    check("1,000-insert floor", &batch_floor);
    let sign_floor = sign_rate(sc.floor_secs.min(2.0))?;
    eprintln!("    blind signing in process: {sign_floor:.0}/s");

    // Seeding through the store layer.
    step("seeding staff and the history of closed rounds (P4, small)");
    let ctx = seed::connect(&o.database)?;
    let (admin_id, admin) = seed::staff(&ctx, "bench-admin@example.com", Role::Admin)?;
    let (leader_id, leader) = seed::staff(&ctx, "bench-leader@example.com", Role::Leader)?;
    let shared_key = candor::tokens::crypto::generate().map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut hist = if o.want("P4") {
        seed::history(
            &ctx,
            &leader_id,
            sc.hist_teams,
            sc.hist_rounds,
            sc.small,
            &shared_key,
        )?
    } else {
        seed::History::default()
    };
    eprintln!(
        "    {} teams, {} closed rounds, {} answers in {:.1} s",
        hist.teams.len(),
        hist.rounds.len(),
        hist.answers,
        t.elapsed().as_secs_f64()
    );
    step("P4 at the small seed");
    let small = if o.want("P4") {
        pages(o.base, &leader, &hist, sc.p4_requests)?
    } else {
        Pages::default()
    };
    let small_answers = hist.answers;

    step("teams and open rounds for P1, P2, P3, P5, P7");
    let per_team = sc.tokens.div_ceil(sc.token_teams);
    let mut rounds: Vec<OpenRound> = vec![];
    let mut who: Vec<Vec<(usize, String)>> = vec![];
    for t in 0..sc.token_teams {
        let (team, invites) = seed::team(&ctx, &format!("Load {t:02}"), &admin_id, per_team, 5)?;
        rounds.push(open_round(o.base, &admin, &team)?);
        who.push(invites.into_iter().map(|i| (t, i)).collect());
    }
    // Interleaved, so consecutive requests go to different rounds as they would in life.
    let mut pool: Vec<(usize, String)> = vec![];
    for i in 0..per_team {
        for w in &who {
            if let Some(x) = w.get(i) {
                pool.push(x.clone());
            }
        }
    }
    pool.truncate(sc.tokens);
    let journeys_n = if o.want("P3") { sc.journeys } else { 4 };
    let (team, invites) = seed::team(&ctx, "Journeys", &admin_id, journeys_n, 5)?;
    let p3_round = rounds.len();
    rounds.push(open_round(o.base, &admin, &team)?);
    let p3_who: Vec<(usize, String)> = invites.into_iter().map(|i| (p3_round, i)).collect();
    let mut p5_rounds = vec![];
    for t in 0..(if o.want("P5") { sc.p5_rounds } else { 0 }) {
        let (team, invites) = seed::team(&ctx, &format!("Close {t}"), &admin_id, sc.p5_members, 5)?;
        p5_rounds.push((rounds.len(), invites));
        rounds.push(open_round(o.base, &admin, &team)?);
    }
    drop(ctx);

    step(&format!(
        "blinding {} tokens in the driver (untimed)",
        pool.len() + p3_who.len()
    ));
    let t = Instant::now();
    let members = blind_all(&rounds, &pool)?;
    let p3_members = blind_all(&rounds, &p3_who)?;
    eprintln!("    {:.1} s", t.elapsed().as_secs_f64());

    step("P2: token issuance");
    let (p2, sigs) = mint(o.base, sc.conns, &rounds, &members);
    check("P2", &p2);
    memory(o.server_pid);
    let subs = submissions(&rounds, &members, &sigs)?;
    let n1 = subs.len() * 4 / 10;
    let n7 = (subs.len() - n1) / 2;
    let (s1, rest) = subs.split_at(n1);
    let (s7a, s7b) = rest.split_at(n7);

    step("P1 and P6: submissions at 32 connections, resident set sampled");
    let ((p1, p1_cpu), rss) = with_rss(o.server_pid, || {
        cpu_per(o.server_pid, || {
            drive_requests(
                o.base,
                sc.conns,
                s1,
                false,
                Duration::from_secs_f64(sc.p1_secs),
            )
        })
    });
    check("P1", &p1);
    memory(o.server_pid);
    eprintln!("    Candor CPU: {p1_cpu:.3} ms per answer");
    let hwm = proc_kb(o.server_pid, "VmHWM:").unwrap_or(0);

    let (p7_base, p7_flood, flood_statuses) = if o.want("P7") {
        step("P7: submissions without, then with, a flood of wrong-password logins");
        let p7_base = drive_requests(
            o.base,
            sc.conns,
            s7a,
            false,
            Duration::from_secs_f64(sc.p7_secs),
        );
        check("P7 without flood", &p7_base);
        let stop = AtomicBool::new(false);
        let (p7_flood, flood_statuses) = std::thread::scope(|s| {
            let f = s.spawn(|| flood(o.base, sc.flood_per_sec, &stop));
            std::thread::sleep(Duration::from_millis(500));
            let out = drive_requests(
                o.base,
                sc.conns,
                s7b,
                false,
                Duration::from_secs_f64(sc.p7_secs),
            );
            stop.store(true, Ordering::Relaxed);
            (out, f.join().unwrap_or_default())
        });
        check("P7 with flood", &p7_flood);
        eprintln!("    flood statuses: {flood_statuses:?}");
        memory(o.server_pid);
        if flood_statuses
            .keys()
            .any(|s| (200..300).contains(s) || *s == 0 || *s >= 500)
        {
            failures
                .borrow_mut()
                .push(format!("P7 flood: unexpected statuses {flood_statuses:?}"));
        }
        (p7_base, p7_flood, flood_statuses)
    } else {
        Default::default()
    };

    let mut p3_runs = vec![];
    if o.want("P3") {
        step("P3: whole member journeys");
        // A few journeys alone first: where a single member's time goes, without queueing.
        let (alone, busy) = p3_members.split_at(20.min(p3_members.len() / 4));
        for (label, conns, members) in [("alone", 1, alone), ("at 32 connections", sc.conns, busy)]
        {
            let step_us: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
            let out = journeys(
                o.base,
                conns,
                &rounds,
                members,
                Duration::from_secs_f64(sc.p3_secs),
                &step_us,
            );
            check(&format!("P3 {label}"), &out);
            let step_ms: Vec<f64> = step_us
                .iter()
                .map(|u| u.load(Ordering::Relaxed) as f64 / 1000.0 / out.ok.max(1) as f64)
                .collect();
            eprintln!(
                "    P3 {label}, mean ms per step: GET /p {:.2}, POST /p {:.2}, round form {:.2}, token {:.2}, answer {:.2}",
                step_ms[0], step_ms[1], step_ms[2], step_ms[3], step_ms[4]
            );
            p3_runs.push(out);
        }
    }
    let p3 = p3_runs.pop().unwrap_or_default();
    memory(o.server_pid);

    let (large, grow_secs) = if o.want("P4") {
        step(&format!(
            "seeding: growing the same rounds to {} answers (P4, large)",
            count(sc.large)
        ));
        let ctx = seed::connect(&o.database)?;
        let t = Instant::now();
        seed::grow(&ctx, &mut hist, sc.large, true)?;
        let grow_secs = t.elapsed().as_secs_f64();
        eprintln!(
            "    {} answers in {:.1} s ({:.0}/s)",
            count(hist.answers),
            grow_secs,
            (hist.answers - small_answers) as f64 / grow_secs
        );
        drop(ctx);
        step("P4 at the large seed");
        let large = pages(o.base, &leader, &hist, sc.p4_requests)?;
        memory(o.server_pid);
        (large, grow_secs)
    } else {
        (Pages::default(), 0.0)
    };

    step("P5: closing rounds of their whole roster");
    let mut closes = vec![];
    for (r, invites) in &p5_rounds {
        let who: Vec<(usize, String)> = invites.iter().map(|i| (*r, i.clone())).collect();
        let ms = blind_all(&rounds, &who)?;
        let (m, sigs) = mint(o.base, sc.conns, &rounds, &ms);
        check("P5 tokens", &m);
        let subs = submissions(&rounds, &ms, &sigs)?;
        let s = drive_requests(o.base, sc.conns, &subs, false, Duration::from_secs(300));
        check("P5 answers", &s);
        let t = Instant::now();
        expect(
            o.base,
            &http::post_json(
                &format!("/api/v1/rounds/{}/close", rounds[*r].id),
                Some(&admin),
                &json!({}),
            ),
            200,
        )?;
        closes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    closes.sort_by(f64::total_cmp);
    let close_ms = closes.get(closes.len() / 2).copied().unwrap_or(f64::NAN);
    let close_max = closes.last().copied().unwrap_or(f64::NAN);
    memory(o.server_pid);

    let p9 = if o.want("P9") {
        step("P9: the member's browser (client crypto in headless Chromium, the form's weight)");
        let samples = if o.smoke { 3 } else { 25 };
        let p9 = browser::run(o.base, &o.database, &admin_id, &admin, samples)?;
        if let Err(why) = &p9.browser {
            eprintln!("    P9 in Chromium skipped: {why}");
        }
        Some(p9)
    } else {
        None
    };

    // ------------------------------------------------------------ the table
    let mut rows = vec![];
    let insert_rate = insert_floor.rate();
    let verify_rate = verify_floor.rate();
    rows.push(Row {
        id: "P1",
        what: "anonymous answers, 32 connections".into(),
        value: per_s(p1.rate()),
        target: ">= 0.7 of verify+insert, >= 0.5 of insert".into(),
        floor: format!(
            "verify+insert {}; insert {}",
            per_s(verify_rate),
            per_s(insert_rate)
        ),
        ratio: format!(
            "{:.2}; {:.2} (CPU {:.2} vs {:.2}; {:.2} ms/req)",
            p1.rate() / verify_rate,
            p1.rate() / insert_rate,
            p1_cpu,
            verify_cpu,
            floor_cpu
        ),
        met: verdict(p1.rate() >= 0.7 * verify_rate && p1.rate() >= 0.5 * insert_rate),
    });
    rows.push(Row {
        id: "P1",
        what: "latency p50 / p99".into(),
        value: format!("{} / {}", ms(p1.pct(50.0)), ms(p1.pct(99.0))),
        target: "p99 <= 20 ms".into(),
        floor: format!(
            "{} / {}",
            ms(insert_floor.pct(50.0)),
            ms(insert_floor.pct(99.0))
        ),
        ratio: format!("{:.1}x", p1.pct(99.0) / insert_floor.pct(99.0)),
        met: verdict(p1.pct(99.0) <= 20.0),
    });
    rows.push(Row {
        id: "P2",
        what: format!(
            "token issuance (blind signing), {} tokens",
            count(p2.ok as u64)
        ),
        value: per_s(p2.rate()),
        target: ">= 700/s".into(),
        floor: format!("in-process signing {}", per_s(sign_floor)),
        ratio: format!("{:.2}", p2.rate() / sign_floor),
        met: verdict(p2.rate() >= 700.0),
    });
    rows.push(Row {
        id: "P3",
        what: "member journeys (GET+POST /p, form, token, answer)".into(),
        value: per_s(p3.rate()),
        target: ">= 500/s".into(),
        floor: format!("in-process signing {}", per_s(sign_floor)),
        ratio: format!("{:.2}", p3.rate() / sign_floor),
        met: verdict(p3.rate() >= 500.0),
    });
    let page_p50 = page_lat.pct(50.0);
    let p4_row = |what: &str, s: Option<f64>, l: Option<f64>| match (s, l) {
        (Some(s), Some(l)) => Row {
            id: "P4",
            what: format!(
                "{what} p50: {} / {} answers",
                count(small_answers),
                count(hist.answers)
            ),
            value: format!("{} / {}", ms(s), ms(l)),
            target: "<= 5 ms, large <= 1.5x small".into(),
            floor: format!("static page {}", ms(page_p50)),
            ratio: format!("{:.1}x floor; large/small {:.2}", l / page_p50, l / s),
            met: verdict(l <= 5.0 && l <= 1.5 * s),
        },
        _ => Row {
            id: "P4",
            what: format!("{what} p50"),
            value: "n/a (not built yet)".into(),
            target: "<= 5 ms, large <= 1.5x small".into(),
            floor: format!("static page {}", ms(page_p50)),
            ratio: "-".into(),
            met: "-".into(),
        },
    };
    rows.push(p4_row(
        "team results",
        Some(small.results),
        Some(large.results),
    ));
    rows.push(p4_row("team trend", Some(small.trend), Some(large.trend)));
    rows.push(p4_row("team trend CSV", Some(small.csv), Some(large.csv)));
    rows.push(p4_row(
        &format!("heat map, {} teams", hist.teams.len()),
        small.heatmap,
        large.heatmap,
    ));
    rows.push(p4_row("metrics CSV export", small.export, large.export));
    rows.push(Row {
        id: "P5",
        what: format!(
            "close a round of {} members (median of {})",
            count(sc.p5_members as u64),
            closes.len()
        ),
        value: format!("{} (max {})", ms(close_ms), ms(close_max)),
        target: "<= 1 s".into(),
        floor: format!(
            "{} inserts in 1 tx {}",
            count(1000),
            ms(batch_floor.pct(50.0))
        ),
        ratio: format!("{:.1}x", close_ms / batch_floor.pct(50.0)),
        met: verdict(close_max <= 1000.0),
    });
    rows.push(Row {
        id: "P6",
        what: "resident set under P1 (peak VmRSS)".into(),
        value: format!("{:.1} MB", rss as f64 / 1024.0),
        target: "<= 64 MB".into(),
        floor: format!(
            "floor under its insert load {:.1} MB",
            floor_rss as f64 / 1024.0
        ),
        ratio: format!("{:.1}x", rss as f64 / floor_rss.max(1) as f64),
        met: verdict(rss as f64 / 1024.0 <= 64.0),
    });
    let drop_pct = 100.0 * (1.0 - p7_flood.rate() / p7_base.rate());
    let flood_n: usize = flood_statuses.values().sum();
    rows.push(Row {
        id: "P7",
        what: format!(
            "answers/s with {}/s wrong-password logins ({} sent)",
            sc.flood_per_sec, flood_n
        ),
        value: format!(
            "{} vs {} without",
            per_s(p7_flood.rate()),
            per_s(p7_base.rate())
        ),
        target: "falls <= 20%".into(),
        floor: format!("one-row insert {}", per_s(insert_rate)),
        ratio: format!(
            "{:.2} (falls {:.0}%)",
            p7_flood.rate() / p7_base.rate(),
            drop_pct
        ),
        met: verdict(drop_pct <= 20.0),
    });

    if let Some(p9) = &p9 {
        rows.extend(browser::rows(p9));
    }

    let hwm_end = proc_kb(o.server_pid, "VmHWM:").unwrap_or(0);
    println!();
    println!(
        "Candor benchmark: {backend}, {} build, {} cores{}; run took {:.0} s; server VmHWM {:.1} MB after P1, {:.1} MB at the end",
        o.profile,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        if o.smoke { " (--smoke: tiny sizes, figures are not meaningful)" } else { "" },
        run_started.elapsed().as_secs_f64(),
        hwm as f64 / 1024.0,
        hwm_end as f64 / 1024.0
    );
    println!();
    rows.retain(|r| o.want(r.id));
    print_table(&rows);
    println!();
    println!(
        "Floors measured in this run by candor-floor ({} page floor at 32 connections: {}, p50 {}). Seeding: {} more answers in {:.1} s.",
        backend,
        per_s(page_floor.rate()),
        ms(page_floor.pct(50.0)),
        count(hist.answers - small_answers),
        grow_secs
    );
    let failures = failures.into_inner();
    if !failures.is_empty() {
        return Err(format!("requests failed:\n  {}", failures.join("\n  ")));
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let head = [
        "#",
        "what",
        "measured",
        "target",
        "floor (same run)",
        "ratio",
        "met",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.what.clone(),
                r.value.clone(),
                r.target.clone(),
                r.floor.clone(),
                r.ratio.clone(),
                r.met.clone(),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for c in &cells {
        for (i, x) in c.iter().enumerate() {
            w[i] = w[i].max(x.chars().count());
        }
    }
    let line = |c: &[String]| {
        let parts: Vec<String> = c
            .iter()
            .enumerate()
            .map(|(i, x)| format!("{x:<width$}", width = w[i]))
            .collect();
        println!("| {} |", parts.join(" | "));
    };
    line(&head.map(String::from));
    println!(
        "|{}|",
        w.iter()
            .map(|n| "-".repeat(n + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for c in &cells {
        line(c);
    }
}

/// In-process blind signing on every core for `secs`: the ceiling for P2 and P3.
fn sign_rate(secs: f64) -> Res<f64> {
    let key = crypto::generate().map_err(|e| e.to_string())?;
    let sk = crypto::parse_secret(&key.secret_der).map_err(|e| e.to_string())?;
    let req = ClientRequest::new(&key.public, &key.public.fingerprint)?;
    let blinded = unb64(&req.blinded_message).ok_or("blinded")?;
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let done = AtomicUsize::new(0);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                while t0.elapsed().as_secs_f64() < secs {
                    if crypto::sign_blinded(&sk, &blinded).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Ok(done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64())
}

/// P3: each unit is one member's whole visit, as the browser makes it.
fn journeys(
    addr: SocketAddr,
    conns: usize,
    rounds: &[OpenRound],
    members: &[Member],
    max_time: Duration,
    step_us: &[AtomicUsize],
) -> Outcome {
    drive(addr, conns, members.len(), max_time, &|c, i| {
        let m = &members[i];
        let r = &rounds[m.round];
        let steps = [
            http::get("/p", None),
            http::post_form("/p", &[("invite", &m.invite)]),
            http::post_form(&format!("/p/rounds/{}", r.id), &[("invite", &m.invite)]),
            token_request(rounds, m),
        ];
        let mut last = None;
        for (k, s) in steps.iter().enumerate() {
            let t = Instant::now();
            let res = c.send(s).map_err(|e| e.to_string())?;
            step_us[k].fetch_add(t.elapsed().as_micros() as usize, Ordering::Relaxed);
            if res.status != 200 {
                return Ok((res.status, Some(res.text())));
            }
            last = Some(res);
        }
        let sig = last.ok_or("no token response")?.json()?["blind_signature"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let token = m.req.finalize(&sig)?;
        let t = Instant::now();
        let res = c
            .send(&http::post_json(
                &format!("/api/v1/rounds/{}/answers", r.id),
                None,
                &json!({ "token": token, "answers": answers_json(&r.questions) }),
            ))
            .map_err(|e| e.to_string())?;
        step_us[4].fetch_add(t.elapsed().as_micros() as usize, Ordering::Relaxed);
        let note = (res.status != 201).then(|| res.text());
        Ok((res.status, note))
    })
}

/// How long the member's side takes here (blind, finalize), and the server's signing.
fn client_cost() -> Res<()> {
    let key = crypto::generate().map_err(|e| e.to_string())?;
    let sk = crypto::parse_secret(&key.secret_der).map_err(|e| e.to_string())?;
    let n = 200;
    let t = Instant::now();
    let reqs: Vec<ClientRequest> = (0..n)
        .map(|_| ClientRequest::new(&key.public, &key.public.fingerprint))
        .collect::<Res<_>>()?;
    let blind = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = Instant::now();
    let sigs: Vec<String> = reqs
        .iter()
        .map(|r| {
            let b = unb64(&r.blinded_message).unwrap_or_default();
            crypto::sign_blinded(&sk, &b).map(|s| b64(&s))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let sign = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = Instant::now();
    for (r, s) in reqs.iter().zip(&sigs) {
        r.finalize(s)?;
    }
    let fin = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let pk = crypto::parse_public(&key.public_der).map_err(|e| e.to_string())?;
    let tokens: Vec<crypto::Token> = reqs
        .iter()
        .zip(&sigs)
        .map(|(r, s)| crypto::Token::decode(&r.finalize(s)?).map_err(|e| e.to_string()))
        .collect::<Res<_>>()?;
    let t = Instant::now();
    let valid = tokens.iter().filter(|t| t.verifies(&pk)).count();
    let verify = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    println!("per token, one core: blind {blind:.2} ms, sign {sign:.2} ms, finalize {fin:.2} ms, server verify {verify:.3} ms ({valid} valid)");
    let pk = std::sync::Arc::new(public_key(&key.public)?);
    let t = Instant::now();
    for _ in 0..n {
        Blinded::new(&pk)?;
    }
    let fast = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    println!("the driver's own blinding (exponent at its own width): {fast:.2} ms");
    Ok(())
}

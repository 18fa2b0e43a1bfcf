//! P8: Candor as several processes on one PostgreSQL behind nginx (`bench/run --replicas N`).
//!
//! `bench/run` starts the replicas and one nginx with two front doors: one proxies to the
//! first replica only, the other spreads requests over every replica. The same work goes
//! through each door in the same run (P1's answers, then P3's whole journeys), so the ratio
//! of the two is the cost or gain of more replicas, with nginx's own hop in both. On a
//! two-core machine more processes cannot add cores: this row shows correctness and overhead,
//! not scaling (`docs/operations.md` says what to expect with more cores).
//!
//! Correctness is checked from the database, never from the driver's own counts alone:
//! every answer the driver saw acknowledged is stored exactly once (responses and spent
//! tokens both equal the acknowledgements, in rounds only this phase writes), replaying
//! acknowledged answers through the other replicas stores nothing, and a round closed by one
//! replica refuses an answer sent straight to another that still caches it.

use super::*;

use candor::db::schema::{responses, spent_tokens};
use candor::pulse::model::RoundId;
use diesel::prelude::*;

/// The addresses and processes `bench/run` started for P8.
pub struct Setup {
    /// nginx in front of the first replica alone.
    pub one: SocketAddr,
    /// nginx in front of every replica.
    pub all: SocketAddr,
    /// Each replica's own address, the first being `--base`.
    pub replicas: Vec<SocketAddr>,
    pub pids: Vec<u32>,
    pub nginx_pid: Option<u32>,
}

impl Setup {
    /// From `--proxy-one`, `--proxy-all`, `--replicas ADDR,ADDR` and `--replica-pids`
    /// (`--nginx-pid` optional); `None` when P8 was not asked for.
    pub fn parse(m: &BTreeMap<&str, &str>) -> Res<Option<Self>> {
        let (Some(one), Some(all), Some(addrs), Some(pids)) = (
            m.get("--proxy-one"),
            m.get("--proxy-all"),
            m.get("--replicas"),
            m.get("--replica-pids"),
        ) else {
            return Ok(None);
        };
        fn list(s: &str) -> Vec<String> {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        }
        Ok(Some(Self {
            one: http::parse_base(one)?,
            all: http::parse_base(all)?,
            replicas: list(addrs)
                .iter()
                .map(|a| http::parse_base(a))
                .collect::<Res<_>>()?,
            pids: list(pids)
                .iter()
                .map(|p| p.parse().map_err(|_| format!("{p}: not a pid")))
                .collect::<Res<_>>()?,
            nginx_pid: m.get("--nginx-pid").and_then(|p| p.parse().ok()),
        }))
    }

    /// CPU seconds used so far by every replica, and by nginx (its master and workers).
    fn cpu(&self) -> (f64, f64) {
        let replicas = self.pids.iter().map(|p| cpu_secs(*p)).sum();
        let nginx = self.nginx_pid.map_or(0.0, |m| {
            cpu_secs(m) + children(m).into_iter().map(cpu_secs).sum::<f64>()
        });
        (replicas, nginx)
    }
}

/// The processes whose parent is `pid` (nginx's workers).
fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            rest.split_whitespace().nth(1) == Some(&pid.to_string())
        })
        .collect()
}

/// One front door's run: its rounds, what was acknowledged, what it cost.
struct Door {
    label: String,
    rounds: Vec<OpenRound>,
    p1: Outcome,
    p3: Outcome,
    /// Replica and nginx CPU milliseconds per acknowledged answer during P1.
    p1_cpu: (f64, f64),
    p3_cpu: (f64, f64),
    /// Acknowledged answers, replayed after the run (each must be refused).
    sent: Vec<Vec<u8>>,
    /// One signed, unsent answer per round, for the closed-elsewhere check.
    spare: Vec<Vec<u8>>,
}

/// One door's rounds (the journeys' round last), its P1 submissions, one spare submission per
/// P1 round, and the journeys' members.
type Prepared = (Vec<OpenRound>, Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Member>);

/// Rounds of their own for one door: `teams` teams sharing `members` for P1 (plus one spare
/// each), one team for the journeys. Tokens are minted straight from the first replica,
/// untimed: P2 is not what this row measures.
fn prepare(
    o: &Opts,
    sc: &Scale,
    ctx: &seed::Ctx,
    (admin_id, admin): (&str, &str),
    label: &str,
    members: usize,
) -> Res<Prepared> {
    let teams = 4;
    let per_team = members.div_ceil(teams) + 1;
    let mut rounds = vec![];
    let mut lists = vec![];
    for t in 0..teams {
        let (team, invites) =
            seed::team(ctx, &format!("Replicas {label} {t}"), admin_id, per_team, 5)?;
        rounds.push(open_round(o.base, admin, &team)?);
        lists.push(invites);
    }
    // Interleaved by round, as P1's are, so the first `teams` are one of each round: those
    // are kept aside as the rounds' spares.
    let who: Vec<(usize, String)> = (0..per_team)
        .flat_map(|i| {
            lists
                .iter()
                .enumerate()
                .map(move |(t, l)| (t, l[i].clone()))
        })
        .collect();
    let blinded = blind_all(&rounds, &who)?;
    let (m, sigs) = mint(o.base, sc.conns, &rounds, &blinded);
    if m.failed > 0 {
        return Err(format!(
            "P8 {label}: minting failed: {}",
            m.first_error.unwrap_or_default()
        ));
    }
    let mut load = submissions(&rounds, &blinded, &sigs)?;
    let spare: Vec<Vec<u8>> = load.drain(..teams).collect();
    let journeys_n = (sc.journeys / 2).max(8);
    let (team, invites) = seed::team(ctx, &format!("Journeys {label}"), admin_id, journeys_n, 5)?;
    let jr = rounds.len();
    rounds.push(open_round(o.base, admin, &team)?);
    let jwho: Vec<(usize, String)> = invites.into_iter().map(|i| (jr, i)).collect();
    let journeys = blind_all(&rounds, &jwho)?;
    Ok((rounds, load, spare, journeys))
}

/// Stored responses and spent tokens in these rounds, read from the database.
fn stored(ctx: &seed::Ctx, rounds: &[OpenRound]) -> Res<(i64, i64)> {
    let mut conn = ctx.db.get_write().map_err(|e| e.to_string())?;
    let ids: Vec<String> = rounds.iter().map(|r| r.id.clone()).collect();
    let scopes: Vec<String> = ids
        .iter()
        .map(|id| RoundId::from(id.as_str()).scope().as_str().to_owned())
        .collect();
    let answers: i64 = responses::table
        .filter(responses::round_id.eq_any(&ids))
        .count()
        .get_result(&mut *conn)
        .map_err(|e| e.to_string())?;
    let spent: i64 = spent_tokens::table
        .filter(spent_tokens::scope_id.eq_any(&scopes))
        .count()
        .get_result(&mut *conn)
        .map_err(|e| e.to_string())?;
    Ok((answers, spent))
}

/// Runs P8 and returns its rows. `p1_direct` is P1 straight to the first replica in this run.
/// Problems (an answer lost or stored twice, a replay or a late answer taken) are returned
/// beside the rows: the run then fails, like a failed request does.
pub fn run(
    o: &Opts,
    sc: &Scale,
    setup: &Setup,
    staff: (&str, &str),
    p1_direct: f64,
    check: &dyn Fn(&str, &Outcome),
) -> Res<(Vec<Row>, Vec<String>)> {
    let n = setup.replicas.len();
    let ctx = seed::connect(&o.database)?;
    let members = (sc.tokens * 4 / 10).clamp(200, 10_000);
    let mut doors = vec![];
    for (label, addr) in [
        ("via nginx, 1 replica".to_owned(), setup.one),
        (format!("via nginx, {n} replicas"), setup.all),
    ] {
        step(&format!("P8: {label}: teams, rounds and tokens (untimed)"));
        let (rounds, load, spare, journeys_m) =
            prepare(o, sc, &ctx, staff, &label.replace(',', ""), members)?;
        step(&format!("P8: P1 answers {label}"));
        let before = setup.cpu();
        let p1 = drive_requests(
            addr,
            sc.conns,
            &load,
            false,
            Duration::from_secs_f64(sc.p1_secs),
        );
        let after = setup.cpu();
        check(&format!("P8 P1 {label}"), &p1);
        let per = |a: f64, b: f64, ok: usize| (a - b) * 1000.0 / ok.max(1) as f64;
        let p1_cpu = (per(after.0, before.0, p1.ok), per(after.1, before.1, p1.ok));
        step(&format!("P8: P3 journeys {label}"));
        let step_us: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
        let before = setup.cpu();
        let p3 = journeys(
            addr,
            sc.conns,
            &rounds,
            &journeys_m,
            Duration::from_secs_f64(sc.p3_secs),
            &step_us,
        );
        let after = setup.cpu();
        check(&format!("P8 P3 {label}"), &p3);
        let p3_cpu = (per(after.0, before.0, p3.ok), per(after.1, before.1, p3.ok));
        // Only what was acknowledged is replayed: a request the time limit never sent
        // would be stored by its replay.
        let sent = load[..p1.ok.min(load.len()).min(200)].to_vec();
        doors.push(Door {
            label,
            rounds,
            p1,
            p3,
            p1_cpu,
            p3_cpu,
            sent,
            spare,
        });
    }

    step("P8: every acknowledged answer stored exactly once");
    let mut problems: Vec<String> = vec![];
    let mut replayed = 0;
    for d in &doors {
        // Replays through every replica in turn: each must be refused as already spent.
        let replays = drive_requests(setup.all, 4, &d.sent, false, Duration::from_secs(60));
        replayed += replays.statuses.values().sum::<usize>();
        if replays.ok > 0 || replays.statuses.keys().any(|s| *s != 409) {
            problems.push(format!(
                "{}: replays answered {:?}",
                d.label, replays.statuses
            ));
        }
        let acked = (d.p1.ok + d.p3.ok) as i64;
        let (answers, spent) = stored(&ctx, &d.rounds)?;
        eprintln!(
            "    {}: {acked} acknowledged, {answers} responses and {spent} spent tokens stored",
            d.label
        );
        if answers != acked || spent != acked || d.p1.failed + d.p3.failed > 0 {
            problems.push(format!(
                "{}: {acked} acknowledged ({} failed) but {answers} responses and {spent} spent tokens",
                d.label,
                d.p1.failed + d.p3.failed
            ));
        }
    }

    // A round closed through the first replica, answered straight at the last one, which
    // served answers to it and so holds it in its cache.
    step("P8: a round closed by one replica refuses answers at another");
    let d = doors.last().ok_or("no door")?;
    let (r, spare) = (&d.rounds[0], &d.spare[0]);
    let before = stored(&ctx, std::slice::from_ref(r))?;
    expect(
        o.base,
        &http::post_json(
            &format!("/api/v1/rounds/{}/close", r.id),
            Some(staff.1),
            &json!({}),
        ),
        200,
    )?;
    let other = *setup.replicas.last().ok_or("no replica")?;
    let late = call(other, spare)?;
    let after = stored(&ctx, std::slice::from_ref(r))?;
    eprintln!(
        "    answer after the close at {other}: {} (stored {before:?} -> {after:?})",
        late.status
    );
    if late.status != 410 || after != before {
        problems.push(format!(
            "closed elsewhere: answered {} and stored {before:?} -> {after:?}",
            late.status
        ));
    }

    let ok = problems.is_empty();
    let (one, all) = (&doors[0], &doors[1]);
    let cpu = |c: (f64, f64)| format!("{:.2}+{:.2}", c.0, c.1);
    let acked: usize = doors.iter().map(|d| d.p1.ok + d.p3.ok).sum();
    let rows = vec![
        Row {
            id: "P8",
            what: format!("answers via nginx: 1 / {n} replicas, 32 connections"),
            value: format!("{} / {}", per_s(one.p1.rate()), per_s(all.p1.rate())),
            target: "correct; overhead shown".into(),
            floor: format!("P1 direct {}", per_s(p1_direct)),
            ratio: format!(
                "{n}/1 {:.2}; 1 via nginx/direct {:.2} (CPU ms/answer replicas+nginx {} vs {})",
                all.p1.rate() / one.p1.rate(),
                one.p1.rate() / p1_direct,
                cpu(one.p1_cpu),
                cpu(all.p1_cpu)
            ),
            met: verdict(ok),
        },
        Row {
            id: "P8",
            what: format!("journeys via nginx: 1 / {n} replicas"),
            value: format!("{} / {}", per_s(one.p3.rate()), per_s(all.p3.rate())),
            target: "correct; overhead shown".into(),
            floor: "the same through 1 replica".into(),
            ratio: format!(
                "{n}/1 {:.2} (CPU ms/journey {} vs {}; p99 {} vs {})",
                all.p3.rate() / one.p3.rate(),
                cpu(one.p3_cpu),
                cpu(all.p3_cpu),
                ms(one.p3.pct(99.0)),
                ms(all.p3.pct(99.0))
            ),
            met: verdict(ok),
        },
        Row {
            id: "P8",
            what: "acknowledged answers stored exactly once".into(),
            value: if ok {
                format!("{acked} acknowledged = stored; {replayed} replays refused; closed elsewhere 410")
            } else {
                format!("{} problems (see the log)", problems.len())
            },
            target: "every one, once".into(),
            floor: "-".into(),
            ratio: "-".into(),
            met: verdict(ok),
        },
    ];
    Ok((rows, problems))
}

//! Seeding through Candor's own store layer, straight into the database (never over HTTP):
//! staff and API tokens, teams with rosters, and the closed rounds that the results pages
//! read. Only the bulk of anonymous responses goes in as multi-row INSERTs written here,
//! because the store inserts one row at a time (right for requests, too slow for millions).

use candor::auth::model::Role;
use candor::db::schema::{responses, rounds};
use candor::db::{Db, DbConnection, DbUrl};
use candor::error::AppError;
use candor::pulse::model::{self, Answer, Kind, Question};
use candor::pulse::store as pulse;
use candor::secret::Keys;
use candor::teams::store as teams;
use candor::tokens::crypto::NewKey;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::{Rng, RngExt};

pub struct Ctx {
    pub db: Db,
    pub keys: Keys,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Opens the database the server runs on (after the server migrated it) and loads the
/// instance secret the server created, so invite links computed here are the server's.
pub fn connect(url: &str) -> Result<Ctx, String> {
    let url = DbUrl::parse(url)?;
    let db = Db::connect(&url, 2)?;
    let keys = {
        let mut conn = db.get_write().map_err(err)?;
        if let DbConnection::Sqlite(c) = &mut *conn {
            // This connection only seeds: a 1 GiB page cache keeps random-key inserts off the disk.
            c.batch_execute("PRAGMA cache_size = -1048576")
                .map_err(err)?;
        }
        candor::secret::load_or_create(&mut conn, None).map_err(err)?
    };
    Ok(Ctx { db, keys })
}

/// A staff user and an API token for them.
pub fn staff(ctx: &Ctx, email: &str, role: Role) -> Result<(String, String), String> {
    let mut conn = ctx.db.get_write().map_err(err)?;
    let id = candor::auth::store::insert_staff(&mut conn, email, None, role).map_err(err)?;
    let user = candor::auth::model::StaffUser {
        id: id.clone(),
        email: email.to_owned(),
        role,
    };
    let token = candor::auth::routes::create_token(&mut conn, &ctx.keys, &user, "benchmark")
        .map_err(err)?;
    Ok((id.into_string(), token))
}

/// A team of `size` people led by `leader`; returns its id and each member's invite secret.
pub fn team(
    ctx: &Ctx,
    name: &str,
    leader: &str,
    size: usize,
    threshold: u16,
) -> Result<(String, Vec<String>), String> {
    let mut conn = ctx.db.get_write().map_err(err)?;
    let keys = &ctx.keys;
    conn.transaction::<_, AppError, _>(|c| {
        let threshold = candor::teams::model::Threshold::stored(i32::from(threshold));
        let leader = candor::auth::model::StaffId::from(leader);
        let id = teams::insert_team(c, name, &name.to_lowercase(), threshold, &leader)?;
        let labels: Vec<String> = (0..size)
            .map(|i| format!("person{i}@example.com"))
            .collect();
        teams::add_members(c, keys, &id, &labels)?;
        let invites = teams::list_members(c, &id)?
            .iter()
            .map(|m| teams::invite_secret(keys, &m.id, &m.invite_nonce))
            .collect();
        Ok((id.into_string(), invites))
    })
    .map_err(err)
}

/// One member's answers to a round's questions, with a comment one time in ten.
pub fn answers_for(questions: &[Question], rng: &mut impl Rng) -> (Vec<Answer>, Option<String>) {
    let answers = questions
        .iter()
        .filter(|q| q.kind != Kind::Text)
        .map(|q| Answer {
            question_id: q.id.clone(),
            value: serde_json::Value::from(rng.random_range(q.min..=q.max)),
        })
        .collect();
    let comment = (rng.random_range(0..10) == 0).then(|| "More time for reviews, please.".into());
    (answers, comment)
}

/// One response as the bulk paths write it: `COPY ... FROM STDIN` (binary) on PostgreSQL, a
/// prepared multi-row INSERT on SQLite. `treat_none_as_default_value = false`: a missing
/// comment is NULL, so every row has the same shape (what `copy_from` and a cached
/// multi-row statement both need).
#[derive(Insertable)]
#[diesel(table_name = responses)]
#[diesel(treat_none_as_default_value = false)]
pub struct ResponseRow {
    id: String,
    /// Owned: a cached statement's query id is a `TypeId`, which needs `'static` rows.
    round_id: String,
    answers: String,
    comment: Option<String>,
}

/// Keys for bench rows in the order a B-tree likes: a counter in fixed-width hex, then random
/// characters up to the 22 of a real id (`secret::new_id`), so rows keep their real size.
/// Inserts then append to the index instead of landing on a random page each (which made
/// seeding fall from 60,000 to 12,000 rows/s once the table outgrew the page cache).
///
/// Real responses get random keys (G1: nothing may order them) and are rewritten in random
/// order with fresh random keys at close. These rows are the benchmark's own, written straight
/// into rounds that are already closed and never answered by anyone, so their order says
/// nothing about any person; the pages P4 measures read stored aggregates, never these keys.
pub struct SeqIds {
    next: u64,
}

impl SeqIds {
    pub fn new() -> Self {
        Self { next: 0 }
    }

    pub fn next(&mut self, rng: &mut impl Rng) -> String {
        const CHARS: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut id = format!("{:012x}", self.next);
        self.next += 1;
        let bits: u64 = rng.random();
        for k in 0..10 {
            id.push(char::from(CHARS[((bits >> (6 * k)) & 63) as usize]));
        }
        id
    }
}

/// Rows a SQLite INSERT statement carries: a fixed-size array gives diesel a static query id,
/// so the statement is prepared once per connection and reused (a `Vec` is prepared anew on
/// every call). 128 rows = 512 bound values, far under SQLite's limit.
const ROWS_PER_INSERT: usize = 128;

/// Writes `rows` on the bulk path of the connection's backend.
pub fn insert_rows(conn: &mut DbConnection, rows: &[ResponseRow]) -> Result<usize, String> {
    match conn {
        DbConnection::Sqlite(c) => {
            let mut done = 0;
            let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
            for chunk in &mut chunks {
                let chunk: &[ResponseRow; ROWS_PER_INSERT] = chunk.try_into().map_err(err)?;
                done += diesel::insert_into(responses::table)
                    .values(chunk)
                    .execute(c)
                    .map_err(err)?;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                done += diesel::insert_into(responses::table)
                    .values(rest)
                    .execute(c)
                    .map_err(err)?;
            }
            Ok(done)
        }
        DbConnection::Pg(c) => diesel::copy_from(responses::table)
            .from_insertable(rows)
            .execute(c)
            .map_err(err),
    }
}

/// Responses to one round, as rows for `insert_rows`.
pub fn rows_of(
    round_id: &str,
    answers: &[(Vec<Answer>, Option<String>)],
    ids: &mut SeqIds,
    rng: &mut impl Rng,
) -> Result<Vec<ResponseRow>, String> {
    answers
        .iter()
        .map(|(a, c)| {
            Ok(ResponseRow {
                id: ids.next(rng),
                round_id: round_id.to_owned(),
                answers: serde_json::to_string(a).map_err(err)?,
                comment: c.clone(),
            })
        })
        .collect()
}

/// Inserts responses to one round (the small seed, before its round closes and rewrites them).
pub fn insert_responses(
    conn: &mut DbConnection,
    round_id: &str,
    rows: &[(Vec<Answer>, Option<String>)],
) -> Result<usize, String> {
    let mut rng = rand::rng();
    let rows = rows_of(round_id, rows, &mut SeqIds::new(), &mut rng)?;
    insert_rows(conn, &rows)
}

/// The teams and closed rounds the results pages, trends, heat map and exports read.
#[derive(Default)]
pub struct History {
    pub teams: Vec<String>,
    pub rounds: Vec<String>,
    pub answers: u64,
}

/// `teams` teams of ten led by `leader`, each with `per_team` rounds opened and closed
/// through the store (`open_round`, `close_round`: questions frozen, aggregates stored,
/// responses rewritten, keys destroyed), holding `answers` responses in all.
pub fn history(
    ctx: &Ctx,
    leader: &str,
    n_teams: usize,
    per_team: usize,
    answers: u64,
    key: &NewKey,
) -> Result<History, String> {
    let mut rng = rand::rng();
    let n_rounds = (n_teams * per_team) as u64;
    let mut out = History {
        teams: vec![],
        rounds: vec![],
        answers: 0,
    };
    for t in 0..n_teams {
        let (team_id, _) = team(ctx, &format!("History {t:03}"), leader, 10, 5)?;
        let mut conn = ctx.db.get_write().map_err(err)?;
        conn.transaction::<_, AppError, _>(|c| {
            for r in 0..per_team {
                let now = candor::clock::Clock::system().now();
                let i = (t * per_team + r) as u64;
                // Spread the answers evenly: round i gets its share of the total.
                let k = (answers * (i + 1) / n_rounds - answers * i / n_rounds) as usize;
                let new = pulse::NewRound {
                    team_id: team_id.as_str().into(),
                    title: format!("Pulse {}", r + 1),
                    opens_at: now,
                    closes_at: None,
                    created_by: leader.into(),
                };
                let id = pulse::insert_round(c, &new, 5)?;
                candor::pulse::actions::open_round_in(c, &id, key, now)?;
                let qs = pulse::round_questions(c, &id)?;
                let rows: Vec<_> = (0..k).map(|_| answers_for(&qs, &mut rng)).collect();
                insert_responses(c, id.as_str(), &rows).map_err(AppError::internal)?;
                candor::pulse::actions::close_round_in(c, &id, now.date())?;
                // A monthly rhythm, oldest first, so trends read like a year of pulses.
                let day = now.date() - time::Duration::days(30 * (per_team - r) as i64);
                diesel::update(rounds::table.find(id.as_str()))
                    .set((
                        rounds::opens_at.eq(day.midnight()),
                        rounds::closed_on.eq(Some(day + time::Duration::days(7))),
                    ))
                    .execute(c)?;
                out.rounds.push(id.into_string());
                out.answers += k as u64;
            }
            Ok(())
        })
        .map_err(err)?;
        out.teams.push(team_id);
    }
    Ok(out)
}

/// One round's share of the growth, made off the writing thread.
struct Grown<'a> {
    round: &'a str,
    rows: Vec<ResponseRow>,
    aggregate: model::Aggregate,
    count: i64,
}

/// Grows the same closed rounds to `target` answers in all: more responses on the bulk path
/// (`insert_rows`), then each round's aggregate recomputed over all of them and stored as
/// `close_round` would have. Teams and rounds shown stay the same; only answers grow.
///
/// Two threads, one per core: one makes the rows and aggregates, the other writes them, in one
/// transaction (a SQLite WAL then checkpointed whole, counted in the time), so the database
/// never waits for JSON and the JSON never waits for the database.
pub fn grow(ctx: &Ctx, h: &mut History, target: u64, progress: bool) -> Result<(), String> {
    let n = h.rounds.len() as u64;
    let extra_total = target.saturating_sub(h.answers);
    if extra_total == 0 || n == 0 {
        return Ok(());
    }
    let mut conn = ctx.db.get_write().map_err(err)?;
    let started = std::time::Instant::now();
    // What the generator needs, read before the writing starts: questions and stored answers.
    let mut inputs = Vec::with_capacity(h.rounds.len());
    for id in &h.rounds {
        let qs = pulse::round_questions(&mut conn, &id.as_str().into()).map_err(err)?;
        let existing: Vec<(String, Option<String>)> = responses::table
            .filter(responses::round_id.eq(id))
            .select((responses::answers, responses::comment))
            .load(&mut *conn)
            .map_err(err)?;
        let existing: Vec<(Vec<Answer>, Option<String>)> = existing
            .into_iter()
            .map(|(a, c)| (serde_json::from_str(&a).unwrap_or_default(), c))
            .collect();
        inputs.push((id.as_str(), qs, existing));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Grown<'_>, String>>(4);
    let done = std::thread::scope(|s| -> Result<u64, String> {
        s.spawn(move || {
            let mut rng = rand::rng();
            let mut ids = SeqIds::new();
            for (i, (round, qs, mut all)) in inputs.into_iter().enumerate() {
                let i = i as u64;
                let k = (extra_total * (i + 1) / n - extra_total * i / n) as usize;
                let new: Vec<_> = (0..k).map(|_| answers_for(&qs, &mut rng)).collect();
                let rows = match rows_of(round, &new, &mut ids, &mut rng) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                all.extend(new);
                let count = all.len() as i64;
                let aggregate = model::aggregate(&qs, count, &all);
                let grown = Grown {
                    round,
                    rows,
                    aggregate,
                    count,
                };
                if tx.send(Ok(grown)).is_err() {
                    return;
                }
            }
        });
        conn.batch_execute("BEGIN").map_err(err)?;
        let mut done = 0u64;
        let mut shown = 0u64;
        for grown in rx {
            let g = grown?;
            done += insert_rows(&mut conn, &g.rows)? as u64;
            let round: candor::pulse::model::RoundId = g.round.into();
            candor::pulse::store::put_aggregate(&mut conn, &round, g.aggregate).map_err(err)?;
            diesel::update(rounds::table.find(g.round))
                .set((
                    rounds::invited.eq(g.count as i32),
                    rounds::answered.eq(Some(g.count as i32)),
                    rounds::issued.eq(Some(g.count as i32)),
                ))
                .execute(&mut *conn)
                .map_err(err)?;
            if progress && done - shown >= 100_000 {
                shown = done;
                let secs = started.elapsed().as_secs_f64();
                eprint!(
                    "\r  seeding: {done} of {extra_total} answers ({:.0}/s)   ",
                    done as f64 / secs
                );
            }
        }
        conn.batch_execute("COMMIT").map_err(err)?;
        Ok(done)
    })?;
    if progress {
        eprintln!();
    }
    match &mut *conn {
        // The whole growth went through the WAL: fold it into the database now, so the pages
        // measured next read the database file as a long-running instance's would.
        DbConnection::Sqlite(c) => c
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(err)?,
        // What autovacuum and the checkpointer would have done to a database that grew
        // slowly: fresh statistics, the visibility map set (so index-only scans stay
        // index-only) and the COPY's gigabyte of dirty pages written out, rather than
        // flushed by a checkpoint in the middle of the pages measured next.
        // Two calls: statements sent together run as one implicit transaction, which
        // VACUUM refuses.
        DbConnection::Pg(c) => {
            c.batch_execute("VACUUM (ANALYZE)").map_err(err)?;
            c.batch_execute("CHECKPOINT").map_err(err)?
        }
    }
    h.answers += done;
    Ok(())
}

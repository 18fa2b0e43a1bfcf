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
use candor::secret::{new_id, Keys};
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

/// Multi-row INSERTs of responses, 1,000 rows a statement (4,000 bound parameters, under
/// both backends' limits). diesel's batch insert needs the concrete connection.
pub fn insert_responses(
    conn: &mut DbConnection,
    round_id: &str,
    rows: &[(Vec<Answer>, Option<String>)],
) -> Result<usize, String> {
    let mut done = 0;
    for chunk in rows.chunks(1000) {
        let values = chunk
            .iter()
            .map(|(a, c)| {
                Ok((
                    responses::id.eq(new_id()),
                    responses::round_id.eq(round_id),
                    responses::answers.eq(serde_json::to_string(a).map_err(err)?),
                    responses::comment.eq(c.as_deref()),
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        done += match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(responses::table)
                .values(&values)
                .execute(c),
            DbConnection::Pg(c) => diesel::insert_into(responses::table)
                .values(&values)
                .execute(c),
        }
        .map_err(err)?;
    }
    Ok(done)
}

/// The teams and closed rounds the results pages, trends, heat map and exports read.
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

/// Grows the same closed rounds to `target` answers in all: more responses in multi-row
/// INSERTs, then each round's aggregate recomputed over all of them and stored as
/// `close_round` would have. Teams and rounds shown stay the same; only answers grow.
pub fn grow(ctx: &Ctx, h: &mut History, target: u64, progress: bool) -> Result<(), String> {
    let mut rng = rand::rng();
    let n = h.rounds.len() as u64;
    let extra_total = target.saturating_sub(h.answers);
    let mut conn = ctx.db.get_write().map_err(err)?;
    let started = std::time::Instant::now();
    let mut batch_rows = 0u64;
    let mut done = 0u64;
    conn.batch_execute("BEGIN").map_err(err)?;
    for (i, id) in h.rounds.iter().enumerate() {
        let i = i as u64;
        let k = (extra_total * (i + 1) / n - extra_total * i / n) as usize;
        let qs = pulse::round_questions(&mut conn, &id.as_str().into()).map_err(err)?;
        let existing: Vec<(String, Option<String>)> = responses::table
            .filter(responses::round_id.eq(id))
            .select((responses::answers, responses::comment))
            .load(&mut *conn)
            .map_err(err)?;
        let new_rows: Vec<_> = (0..k).map(|_| answers_for(&qs, &mut rng)).collect();
        insert_responses(&mut conn, id, &new_rows)?;
        let mut all: Vec<(Vec<Answer>, Option<String>)> = existing
            .into_iter()
            .map(|(a, c)| (serde_json::from_str(&a).unwrap_or_default(), c))
            .collect();
        all.extend(new_rows);
        let count = all.len() as i64;
        let agg = model::aggregate(&qs, count, &all);
        candor::pulse::store::put_aggregate(&mut conn, &id.as_str().into(), agg).map_err(err)?;
        diesel::update(rounds::table.find(id))
            .set((
                rounds::invited.eq(count as i32),
                rounds::answered.eq(Some(count as i32)),
                rounds::issued.eq(Some(count as i32)),
            ))
            .execute(&mut *conn)
            .map_err(err)?;
        batch_rows += k as u64;
        done += k as u64;
        if batch_rows >= 100_000 {
            conn.batch_execute("COMMIT").map_err(err)?;
            conn.batch_execute("BEGIN").map_err(err)?;
            batch_rows = 0;
            if progress {
                let s = started.elapsed().as_secs_f64();
                eprint!(
                    "\r  seeding: {done} of {extra_total} answers ({:.0}/s)   ",
                    done as f64 / s
                );
            }
        }
    }
    conn.batch_execute("COMMIT").map_err(err)?;
    if progress && extra_total > 0 {
        eprintln!();
    }
    if let DbConnection::Pg(c) = &mut *conn {
        // Fresh statistics, as autovacuum would have gathered on a database that grew slowly.
        c.batch_execute("ANALYZE").map_err(err)?;
    }
    h.answers += done;
    Ok(())
}

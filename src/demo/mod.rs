//! `candor demo`: fills a fresh instance with teams, a group and a year of monthly pulse
//! rounds, so a new user sees real charts in a minute. The answers are made up here and
//! stored the way the confidential route stores them; every round then closes normally
//! (aggregates, shuffle, key destroyed) and is dated back to its month. Teams are big enough
//! and answer often enough that most heat-map cells show, except one small team that never
//! reaches its threshold and is shown as hidden, honestly; comments reach the threshold that
//! shows them; two reviews carry accounts, follow-ups and replies (`reviews`).

mod follow;
mod reviews;
mod threads;

use diesel::prelude::*;
use rand::RngExt;

use crate::db::schema::{group_teams, rounds};
use crate::error::AppError;
use crate::pulse::model::{Answer, Kind};
use crate::pulse::store::{self as pulse, NewRound};
use crate::state::AppState;

const TEAMS: [(&str, usize, f64, f64); 5] = [
    // name, people, starting score, change per month
    ("Platform", 11, 4.6, 0.08),
    ("Payments", 9, 5.4, -0.05),
    ("Mobile", 10, 4.1, 0.12),
    ("Data", 13, 5.0, 0.0),
    // Fewer people than the threshold of 5: its figures are never shown, and the pages say why.
    ("Support", 4, 3.8, 0.06),
];

/// Every team's threshold: the default a new team gets.
const THRESHOLD: u16 = 5;

const COMMENTS: [&str; 16] = [
    "Retros feel safer since we stopped naming people in incident notes.",
    "Too many priorities at once; hard to say no.",
    "On-call handovers are rushed.",
    "I'd like more time for code review.",
    "Good team, but decisions happen in private channels.",
    "The new deploy checklist helps a lot.",
    "Meetings run over and nobody stops them.",
    "People ask for help more than they used to.",
    "I can disagree with the lead in planning and nothing bad happens.",
    "Incidents still end with someone being blamed in the hallway.",
    "Pairing on the hard tickets made onboarding much easier.",
    "We say yes to every request from sales.",
    "Standups are useful again since they got shorter.",
    "I don't know who decides what goes into the next release.",
    "Mistakes get talked about openly in retros now.",
    "Too much work lands on the two most senior people.",
];

/// What the demo made, for the command to print.
pub struct Made {
    pub teams: usize,
    pub rounds: usize,
    pub answers: usize,
    pub reviews: usize,
    pub accounts: usize,
    pub followups: usize,
    pub login: Login,
}

/// Who to sign in as: an admin made now (with the only copy of its password), or the
/// existing admin, whose password the demo never learns.
pub enum Login {
    Created { email: String, password: String },
    Existing { email: String },
}

/// The admin the demo creates on an instance that has none yet.
pub const DEMO_ADMIN: &str = "admin@demo.example";

/// The first active admin, or a new one with a random password: a demo is for looking
/// around at once, and setting up by hand first would be a step between the user and it.
fn admin(
    c: &mut crate::db::DbConnection,
) -> Result<(crate::auth::model::StaffId, Login), AppError> {
    use crate::auth::store;
    if let Some(a) = store::list_staff(c)?
        .into_iter()
        .find(|s| s.role == "admin" && s.active)
    {
        let email = a.email.clone();
        return Ok((a.id, Login::Existing { email }));
    }
    let password = crate::secret::new_id();
    let hash = crate::auth::password::hash_now(&password)?;
    let id = c.transaction(|c| -> Result<crate::auth::model::StaffId, AppError> {
        let id = store::insert_staff(c, DEMO_ADMIN, Some(&hash), crate::auth::model::Role::Admin)?;
        store::audit(c, None, "staff.admin_created_cli", DEMO_ADMIN)?;
        store::delete_setting(c, "setup_code")?;
        Ok(id)
    })?;
    Ok((
        id,
        Login::Created {
            email: DEMO_ADMIN.into(),
            password,
        },
    ))
}

fn clamp(v: f64, lo: i64, hi: i64) -> i64 {
    (v.round() as i64).clamp(lo, hi)
}

/// Creates the demo data. `months` rounds per team, one a month, ending last month.
pub fn fill(state: &AppState, months: u32) -> Result<Made, AppError> {
    let mut conn = state.db.get_write()?;
    let c = &mut *conn;
    let (owner, login) = admin(c)?;
    let threshold = crate::teams::model::Threshold::stored(i32::from(THRESHOLD));
    let mut rng = rand::rng();
    let (mut n_rounds, mut n_answers) = (0, 0);
    let mut team_ids = vec![];
    for (name, people, start, drift) in TEAMS {
        let key = name.to_lowercase();
        let roster: Vec<String> = (1..=people).map(|i| format!("{name} member {i}")).collect();
        let team_id = c.transaction(|c| -> Result<crate::teams::model::TeamId, AppError> {
            let id = crate::teams::store::insert_team(
                c,
                &format!("{name} (demo)"),
                &format!("{key} (demo)"),
                threshold,
                &owner,
            )?;
            crate::teams::store::add_members(c, &state.keys, &id, &roster)?;
            Ok(id)
        })?;
        team_ids.push(team_id.clone());
        for m in 0..months {
            let back = i64::from(months - m);
            let now = state.clock.now();
            let when = now - time::Duration::days(30 * back);
            let key_pair = crate::tokens::crypto::generate()?;
            let keeps_threads = (when + time::Duration::days(7)).date()
                >= now.date().saturating_sub(time::Duration::days(
                    crate::threads::model::THREAD_RETENTION_DAYS,
                ));
            let answered = c.transaction(|c| -> Result<usize, AppError> {
                let new = NewRound {
                    team_id: team_id.clone(),
                    title: format!("Pulse {}", when.date()),
                    opens_at: now,
                    closes_at: None,
                    created_by: owner.clone(),
                };
                let rid = pulse::insert_round(c, &new, threshold)?;
                crate::pulse::actions::open_round_in(c, &rid, &key_pair, now)?;
                let questions = pulse::round_questions(c, &rid)?;
                let members = crate::tokens::store::eligible_members(c, &rid.scope())?;
                // Everyone answers but up to two people a month, so every team of nine or
                // more clears the threshold of five every month, and so do its comments.
                let skipped: Vec<usize> = (0..rng.random_range(0..=2))
                    .map(|_| rng.random_range(0..members.len().max(1)))
                    .collect();
                let mut answered = 0;
                for (i, member) in members.iter().enumerate() {
                    if skipped.contains(&i) {
                        continue;
                    }
                    let target = start + drift * m as f64 + rng.random_range(-1.2..1.2);
                    let answers: Vec<Answer> = questions
                        .iter()
                        .filter_map(|q| {
                            let v = match q.kind {
                                Kind::Scale => {
                                    let scored = clamp(target + rng.random_range(-0.9..0.9), 1, 7);
                                    q.scored(scored)
                                }
                                Kind::Enps => {
                                    clamp((target - 1.0) * 1.8 + rng.random_range(-2.0..2.0), 0, 10)
                                }
                                _ => return None,
                            };
                            Some(Answer {
                                question_id: q.id.clone(),
                                value: v.into(),
                            })
                        })
                        .collect();
                    // Two people in three comment: with seven or more answers that is at
                    // least five comments, enough to be shown.
                    let comment =
                        (answered % 3 != 2).then(|| COMMENTS[rng.random_range(0..COMMENTS.len())]);
                    crate::tokens::store::record_issuance(c, &rid.scope(), member)?;
                    pulse::insert_response(c, &rid, &answers, comment)?;
                    // Only rounds still inside the conversations' retention keep threads: the
                    // scheduler would delete older ones on its next tick, so a demo that made
                    // them would change under the first tick (and under a backup's restore).
                    if keeps_threads {
                        threads::attach(c, &state.keys, &rid, comment)?;
                    }
                    answered += 1;
                }
                crate::pulse::actions::close_round_in(c, &rid, now.date())?;
                if m + 1 == months {
                    threads::converse(c, &rid, (when + time::Duration::days(9)).date())?;
                }
                diesel::update(rounds::table.find(rid.as_str()))
                    .set((
                        rounds::opens_at.eq(when),
                        rounds::closed_on.eq(Some((when + time::Duration::days(7)).date())),
                        rounds::created_at.eq(when),
                    ))
                    .execute(c)?;
                Ok(answered)
            })?;
            n_rounds += 1;
            n_answers += answered;
        }
    }
    // Actions after the rounds ("you said, we did"), recorded by the admin.
    c.transaction(|c| -> Result<(), AppError> {
        for t in &team_ids {
            follow::round_actions(c, t, &owner)?;
        }
        Ok(())
    })?;
    c.transaction(|c| -> Result<(), AppError> {
        let gid =
            crate::metrics::store::create_group(c, "Engineering (demo)", "engineering (demo)")?;
        for t in &team_ids[..4] {
            crate::metrics::store::add_team(c, &gid, t, state.clock.now())?;
        }
        let long_ago = state.clock.now() - time::Duration::days(400);
        diesel::update(group_teams::table.filter(group_teams::group_id.eq(gid.as_str())))
            .set(group_teams::added_at.eq(long_ago))
            .execute(c)?;
        crate::metrics::store::bump_version(c)?;
        Ok(())
    })?;
    let made_reviews = reviews::fill(c, &state.keys, &owner, &team_ids, state.clock.now())?;
    // The closes above owe a scrub (G15); the demo runs it now (on the one writer, so this
    // connection goes back first), and the server retries it on its timer if it cannot finish.
    drop(conn);
    let scrub = crate::db::scrub::run(&state.db)?;
    if scrub.pending {
        tracing::warn!(target: "candor", "the demo's close-time scrub is still pending; the server retries it");
    }
    Ok(Made {
        teams: TEAMS.len(),
        rounds: n_rounds,
        answers: n_answers,
        reviews: made_reviews.reviews,
        accounts: made_reviews.accounts,
        followups: made_reviews.followups,
        login,
    })
}

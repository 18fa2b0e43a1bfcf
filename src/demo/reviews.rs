//! The demo's two reviews, with accounts released, follow-ups asked and some answered, both
//! closed: "bad news shared" counts them, and the demo, like its pulse rounds, leaves nothing
//! open, so no record of who took part outlives it (G3) and a backup of a demo instance has
//! no open scope to warn about. The accounts are stored
//! as the confidential route stores them (an issuance and an account that nothing joins);
//! no receipt is printed or kept, so nobody can later add to a made-up account.

use time::{Duration, PrimitiveDateTime};

use crate::error::AppError;
use crate::reviews::model::{Account, NewReview, ReviewId, TimelineEntry};
use crate::reviews::store::{self, Lock};
use crate::secret::{new_id, Keys};
use crate::tokens::store as tokens;

/// One made-up review: its title, summary, how long ago, the team invited,
/// its accounts and the follow-ups `(account, question, reply)`.
struct Script {
    title: &'static str,
    summary: &'static str,
    days_ago: i64,
    team: usize,
    accounts: &'static [Written],
    followups: &'static [(usize, &'static str, Option<&'static str>)],
}

/// An account as its writer might put it: a few moments, then the free-text fields.
struct Written {
    timeline: &'static [(&'static str, &'static str)],
    expected: &'static str,
    surprised: &'static str,
    hard: &'static str,
    helped: &'static str,
}

const SCRIPTS: [Script; 2] = [
    Script {
        title: "Checkout outage after the card-provider switch",
        summary: "Card payments failed for 47 minutes after the switch to the new provider.",
        days_ago: 40,
        team: 1,
        accounts: &[
            Written {
                timeline: &[("09:10", "Switch rolled out behind the flag"), ("09:25", "First alert on failed payments")],
                expected: "The flag would let us switch back in a minute.",
                surprised: "The flag also cached the provider's keys, so switching back did nothing.",
                hard: "Nobody knew who could approve a rollback of the provider contract settings.",
                helped: "A dry run of the rollback before the switch.",
            },
            Written {
                timeline: &[("09:30", "Support saw the first complaints"), ("09:55", "Status page updated")],
                expected: "Engineering would tell support what to say.",
                surprised: "We heard about the outage from customers before the channel did.",
                hard: "Three people asked me for the same numbers at once.",
                helped: "One person answering support's questions during an incident.",
            },
            Written {
                timeline: &[("09:40", "Tried the rollback"), ("09:57", "Restarted the checkout service")],
                expected: "A restart would clear the cached keys.",
                surprised: "How calm the call stayed once someone took notes.",
                hard: "I had raised the caching risk in review and did not push when it was waved through.",
                helped: "Permission to block a release when a risk is unanswered.",
            },
            Written {
                timeline: &[("10:05", "Payments recovered")],
                expected: "We would write it up the same week.",
                surprised: "That the switch was scheduled on a Monday morning.",
                hard: "Pressure from the deadline with the provider.",
                helped: "Choosing the switch date ourselves.",
            },
        ],
        followups: &[
            (0, "Where is the flag's caching documented, if anywhere?", Some("Only in the provider client's code; I can add a note to the runbook.")),
            (2, "What would have made pushing on the review comment feel possible?", Some("Hearing from the lead that blocking is welcome, before the day, not after.")),
            (1, "Which numbers were asked for most?", None),
        ],
    },
    Script {
        title: "Database migration rolled back on release day",
        summary: "A schema migration locked the orders table for 12 minutes and was rolled back.",
        days_ago: 6,
        team: 0,
        accounts: &[
            Written {
                timeline: &[("14:00", "Migration started"), ("14:03", "Latency alarms")],
                expected: "The migration would run online like the last ones.",
                surprised: "The staging data was too small to show the lock.",
                hard: "Deciding alone whether to kill the migration halfway.",
                helped: "A second person on every migration to production.",
            },
            Written {
                timeline: &[("14:05", "Asked in the channel whether to roll back")],
                expected: "Someone senior would make the call.",
                surprised: "Everyone waited for everyone else.",
                hard: "Saying 'stop' felt like blaming the author.",
                helped: "A rule that anyone may stop a migration, no questions asked.",
            },
            Written {
                timeline: &[("14:12", "Migration killed, rollback started")],
                expected: "Rollback scripts are tested.",
                surprised: "The rollback script had never been run.",
                hard: "Writing the fix under time pressure.",
                helped: "Rollback scripts run in CI.",
            },
        ],
        followups: &[
            (1, "What would make saying 'stop' easier next time?", Some("If the author said first that stopping is fine.")),
            (0, "How big would staging data need to be to show this?", None),
        ],
    },
];

/// What the reviews part made, for the summary line.
pub struct Made {
    pub reviews: usize,
    pub accounts: usize,
    pub followups: usize,
}

/// Opens, fills and closes the two reviews, each in its own transaction.
pub fn fill(
    conn: &mut crate::db::DbConnection,
    keys: &Keys,
    owner: &crate::auth::model::StaffId,
    team_ids: &[crate::teams::model::TeamId],
    now: PrimitiveDateTime,
) -> Result<Made, AppError> {
    let mut made = Made {
        reviews: 0,
        accounts: 0,
        followups: 0,
    };
    for s in &SCRIPTS {
        let Some(team) = team_ids.get(s.team) else {
            continue;
        };
        let key = crate::tokens::crypto::generate()?;
        let (accounts, followups) =
            conn.transaction(|c| one(c, keys, owner, team, s, &key, now))?;
        made.reviews += 1;
        made.accounts += accounts;
        made.followups += followups;
    }
    Ok(made)
}

use diesel::Connection;

fn one(
    c: &mut crate::db::DbConnection,
    keys: &Keys,
    owner: &crate::auth::model::StaffId,
    team: &crate::teams::model::TeamId,
    s: &Script,
    key: &crate::tokens::crypto::NewKey,
    now: PrimitiveDateTime,
) -> Result<(usize, usize), AppError> {
    let id = ReviewId::from(new_id());
    // Every invitee gets a member row of the review's own (G12), as opening a review does.
    let mut member_ids = vec![];
    for m in crate::teams::store::list_members(c, team)? {
        member_ids.push(crate::teams::store::insert_member(
            c,
            keys,
            None,
            &m.label,
            &m.label_key,
        )?);
    }
    let review = NewReview {
        title: s.title.into(),
        incident_date: (now - Duration::days(s.days_ago)).date(),
        summary: s.summary.into(),
        team_ids: vec![team.clone()],
        invitees: vec![],
        deadline: None,
        threshold: crate::teams::model::Threshold::stored(3),
        retention_days: 180,
    };
    store::insert_review(c, &id, &review, member_ids.len(), owner)?;
    store::add_facilitator(c, &id, owner)?;
    tokens::insert_key(c, &id.scope(), key)?;
    tokens::freeze_roster(c, &id.scope(), &member_ids)?;
    for (w, member) in s.accounts.iter().zip(&member_ids) {
        tokens::record_issuance(c, &id.scope(), member)?;
        // A receipt nobody holds: the hash of a fresh random value.
        let receipt_hash = keys.keyed_hash("receipt", new_id().as_bytes());
        store::insert_account(c, &id, &account(w), &receipt_hash)?;
    }
    let row = store::find_review(c, &id)?;
    store::release_if_due(c, &row, now)?;
    let released = store::released_accounts(c, &id)?;
    let mut asked = 0;
    for (n, question, reply) in s.followups {
        let Some((a, _)) = released.get(*n) else {
            continue;
        };
        let f = store::insert_question(c, &a.id, question)?;
        if let Some(r) = reply {
            store::set_reply(c, &f.id, r)?;
        }
        asked += 1;
    }
    // Action items recorded while reading, linked to released accounts (`followthrough`).
    if released.len() >= 2 {
        super::follow::review_items(c, &id, owner, now.date())?;
    }
    store::lock_review(c, &id, Lock::Update)?;
    let issued = tokens::close_scope(c, &id.scope())?;
    store::close_review(c, &id, now.date(), issued)?;
    Ok((s.accounts.len(), asked))
}

fn account(w: &Written) -> Account {
    Account {
        timeline: w
            .timeline
            .iter()
            .map(|(time, text)| TimelineEntry {
                time: Some((*time).into()),
                text: (*text).into(),
            })
            .collect(),
        expected: Some(w.expected.into()),
        surprised: Some(w.surprised.into()),
        hard: Some(w.hard.into()),
        helped: Some(w.helped.into()),
        other: None,
        additions: vec![],
    }
}

//! The demo's closing of the loop (issue 16): actions after each team's closed rounds, most
//! done by the next round, the latest ones in progress or planned; and action items on the
//! demo reviews, linked to the released accounts that raised them.

use time::{Date, Duration};

use crate::auth::model::StaffId;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::followthrough::model::{Link, NewAction, NewItem, Status};
use crate::followthrough::store;
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::teams::model::TeamId;

/// What leads commit to after a round, answering an item or a comment theme.
const ACTIONS: [(&str, Option<usize>, Option<&str>); 4] = [
    (
        "Hand over on-call in a 15-minute call, not a chat message.",
        None,
        Some("on-call handovers"),
    ),
    (
        "Say in planning what we will not do this month, and who decided.",
        Some(1),
        None,
    ),
    (
        "Rotate the hard tickets so they do not all land on the two most senior people.",
        None,
        Some("workload"),
    ),
    (
        "End every retro with one thing we stop doing.",
        Some(0),
        None,
    ),
];

fn record(
    c: &mut DbConnection,
    round: &RoundId,
    team: &TeamId,
    owner: &StaffId,
    n: usize,
    (due, status, done_on): (Date, Status, Option<Date>),
) -> Result<(), AppError> {
    let (text, question, theme) = ACTIONS[n % ACTIONS.len()];
    let questions = crate::pulse::store::round_questions(c, round)?;
    let a = NewAction {
        text: text.into(),
        question_id: question
            .and_then(|i| questions.get(i))
            .map(|q| q.id.clone()),
        theme: theme.map(str::to_owned),
        owner: None,
        due_on: Some(due),
    };
    let id = store::insert_action(c, round, team, &a, Some(owner), owner)?;
    let mut row = store::find_action(c, &id)?;
    row.status = status.as_str().into();
    row.done_on = done_on;
    store::put_action(c, &row)?;
    Ok(())
}

/// Two actions on each of a team's last three closed rounds: on the older ones one done
/// before the next round closed and one still in progress; on the latest, one in progress and
/// one planned.
pub fn round_actions(
    c: &mut DbConnection,
    team_id: &TeamId,
    owner: &StaffId,
) -> Result<usize, AppError> {
    let rounds: Vec<_> = crate::pulse::store::list_rounds(c, team_id)?
        .into_iter()
        .filter(|r| r.is_closed())
        .collect();
    let start = rounds.len().saturating_sub(3);
    let mut made = 0;
    for (i, r) in rounds.iter().enumerate().skip(start) {
        let Some(closed) = r.closed_on else { continue };
        let latest = i + 1 == rounds.len();
        let due = closed + Duration::days(21);
        if latest {
            record(c, &r.id, team_id, owner, i, (due, Status::Doing, None))?;
            record(
                c,
                &r.id,
                team_id,
                owner,
                i + 1,
                (due, Status::Planned, None),
            )?;
        } else {
            let done = closed + Duration::days(12);
            record(c, &r.id, team_id, owner, i, (due, Status::Done, Some(done)))?;
            record(c, &r.id, team_id, owner, i + 1, (due, Status::Doing, None))?;
        }
        made += 2;
    }
    Ok(made)
}

/// Two action items on a review whose accounts are released, linked to accounts 1 and 2.
pub fn review_items(
    c: &mut DbConnection,
    review_id: &ReviewId,
    owner: &StaffId,
    today: Date,
) -> Result<(), AppError> {
    let items = [
        (
            "Write down who may stop a release when a risk is unanswered.",
            vec![Link {
                account: 1,
                entry: Some(1),
            }],
            Status::Doing,
        ),
        (
            "Rehearse the rollback before every provider switch.",
            vec![Link {
                account: 2,
                entry: None,
            }],
            Status::Planned,
        ),
    ];
    for (text, links, status) in items {
        let item = NewItem {
            text: text.into(),
            owner: None,
            due_on: Some(today + Duration::days(30)),
            links,
        };
        let id = store::insert_item(c, review_id, &item, Some(owner), owner)?;
        let mut row = store::find_item(c, &id)?;
        row.status = status.as_str().into();
        store::put_item(c, &row)?;
    }
    Ok(())
}

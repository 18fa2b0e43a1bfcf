//! The checklist: each step, whether it is done, and where to do it.

use crate::teams::model::TeamId;

/// What the checklist is computed from: counts over what the viewer can see.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// The viewer's first team, for the steps that happen on a team's pages.
    pub first_team: Option<TeamId>,
    pub teams: i64,
    /// Members of the viewer's teams whose link staff have shown, copied or downloaded.
    pub links_handed_out: i64,
    pub rounds: i64,
    pub closed_rounds: i64,
    /// `None` when the viewer cannot run reviews: the step is not theirs.
    pub reviews: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub text: &'static str,
    pub hint: &'static str,
    pub href: String,
    pub done: bool,
}

/// The steps in order. Steps on a team link to the first team once there is one.
pub fn steps(p: &Progress) -> Vec<Step> {
    let team = |rest: &str| match &p.first_team {
        Some(id) => format!("/teams/{id}{rest}"),
        None => "/teams#new".to_owned(),
    };
    let mut out = vec![
        Step {
            text: "Create a team",
            hint: "Paste the roster, one name or email a line, and set how many answers a result needs.",
            href: "/teams#new".to_owned(),
            done: p.teams > 0,
        },
        Step {
            text: "Give each person their own invite link",
            hint: "From the team page. A link works for every round; it never ties answers to the person.",
            href: team(""),
            done: p.links_handed_out > 0,
        },
        Step {
            text: "Open the first pulse round",
            hint: "Seven questions on psychological safety and eNPS, about two minutes to answer.",
            href: team("/rounds"),
            done: p.rounds > 0,
        },
        Step {
            text: "Close the round and read the results",
            hint: "Results appear only after close, and only if enough people answered.",
            href: "/rounds".to_owned(),
            done: p.closed_rounds > 0,
        },
    ];
    if let Some(reviews) = p.reviews {
        out.push(Step {
            text: "Open an incident review",
            hint: "The people involved write anonymous accounts before the meeting.",
            href: "/reviews/new".to_owned(),
            done: reviews > 0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_tick_off_from_what_exists_and_reviews_only_for_facilitators() {
        let fresh = steps(&Progress::default());
        assert_eq!(fresh.len(), 4);
        assert!(fresh.iter().all(|s| !s.done));
        assert_eq!(fresh[2].href, "/teams#new", "no team yet: start there");
        let p = Progress {
            first_team: Some(TeamId::from("t1")),
            teams: 1,
            links_handed_out: 3,
            rounds: 1,
            closed_rounds: 0,
            reviews: Some(0),
        };
        let s = steps(&p);
        assert_eq!(
            s.iter().map(|s| s.done).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert_eq!(s[2].href, "/teams/t1/rounds");
    }
}

//! The question picker on the open-round form (issue 15: the scale and eNPS were silently in
//! every round and a custom question needed a page of its own). The picker edits the team's
//! questionnaire in the same transaction that opens the round, so what a round asks is still
//! frozen at opening (G9) from one list, and what a leader sees on the questions page is
//! exactly what the next round asks.

use super::model::{self, NewQuestion, QuestionId};
use super::store::{self, TeamQuestionRow};
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::teams::store::TeamRow;

/// What the leader chose: the ids of the questions to keep (the seven scale items always
/// stay: the score needs all of them) and, optionally, a question of their own to add.
#[derive(Debug, Default)]
pub struct Pick {
    pub keep: Vec<QuestionId>,
    pub add: Option<NewQuestion>,
}

/// Whether a question is one of the seven validated scale items.
pub fn is_scale_item(q: &TeamQuestionRow) -> bool {
    q.builtin.as_deref().is_some_and(|b| b.starts_with("ps"))
}

/// Applies a pick in the caller's transaction: unticked questions leave the questionnaire,
/// the new one joins it. Refuses (and so rolls the opening back) a round left with more
/// than the most a round may ask.
pub fn apply(
    c: &mut DbConnection,
    email: &str,
    team: &TeamRow,
    pick: &Pick,
) -> Result<(), AppError> {
    for q in store::list_questions(c, &team.id)? {
        if !is_scale_item(&q) && !pick.keep.contains(&q.id) {
            store::remove_question(c, &team.id, &q.id)?;
            audit(
                c,
                Some(email),
                "questions.removed",
                &format!("{}: {}", team.name, q.text),
            )?;
        }
    }
    if let Some(q) = &pick.add {
        if store::list_questions(c, &team.id)?.len() >= model::MAX_QUESTIONS {
            return Err(AppError::Invalid(vec![FieldError::new(
                "new_text",
                format!(
                    "A round asks at most {} questions: untick one to add yours.",
                    model::MAX_QUESTIONS
                ),
            )]));
        }
        store::add_question(c, &team.id, q)?;
        audit(
            c,
            Some(email),
            "questions.added",
            &format!("{}: {}", team.name, q.text),
        )?;
    }
    Ok(())
}

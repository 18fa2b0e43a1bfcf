//! A team's questionnaire: the built-in items given the first time, the questions leaders
//! add, reword and remove, and each as a round freezes it.

use diesel::prelude::*;

use super::super::model::{self, Kind, NewQuestion, Question, QuestionId};
use crate::db::schema::team_questions;
use crate::db::DbConnection;
use crate::secret::new_id;
use crate::teams::model::TeamId;

#[derive(Queryable, Clone, Debug)]
pub struct TeamQuestionRow {
    #[diesel(deserialize_as = String)]
    pub id: QuestionId,
    #[diesel(deserialize_as = String)]
    pub team_id: TeamId,
    pub position: i32,
    pub kind: String,
    pub text: String,
    pub scale_points: i32,
    pub options: String,
    pub reverse: bool,
    pub required: bool,
    pub builtin: Option<String>,
    pub active: bool,
}

fn insert_team_question(
    conn: &mut DbConnection,
    team_id: &TeamId,
    position: i32,
    q: &NewQuestion,
    reverse: bool,
    builtin: Option<&str>,
) -> QueryResult<usize> {
    diesel::insert_into(team_questions::table)
        .values((
            team_questions::id.eq(new_id()),
            team_questions::team_id.eq(team_id.as_str()),
            team_questions::position.eq(position),
            team_questions::kind.eq(q.kind.as_str()),
            team_questions::text.eq(&q.text),
            team_questions::scale_points.eq(q.scale_points),
            team_questions::options.eq(q.options.join("\n")),
            team_questions::reverse.eq(reverse),
            team_questions::required.eq(q.required),
            team_questions::builtin.eq(builtin),
            team_questions::active.eq(true),
        ))
        .execute(conn)
}

/// Gives a team the built-in questionnaire (the seven psychological-safety items and eNPS)
/// the first time it is needed.
pub fn ensure_questions(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<()> {
    let any: i64 = team_questions::table
        .filter(team_questions::team_id.eq(team_id.as_str()))
        .count()
        .get_result(conn)?;
    if any > 0 {
        return Ok(());
    }
    for (i, (key, text, reverse)) in model::PSYCHOLOGICAL_SAFETY.iter().enumerate() {
        let q = NewQuestion {
            kind: Kind::Scale,
            text: (*text).into(),
            scale_points: 7,
            options: vec![],
            required: true,
        };
        insert_team_question(conn, team_id, i as i32, &q, *reverse, Some(key))?;
    }
    let e = NewQuestion {
        kind: Kind::Enps,
        text: model::ENPS_TEXT.into(),
        scale_points: 11,
        options: vec![],
        required: false,
    };
    insert_team_question(conn, team_id, 7, &e, false, Some("enps"))?;
    Ok(())
}

pub fn list_questions(
    conn: &mut DbConnection,
    team_id: &TeamId,
) -> QueryResult<Vec<TeamQuestionRow>> {
    team_questions::table
        .filter(team_questions::team_id.eq(team_id.as_str()))
        .filter(team_questions::active.eq(true))
        .order(team_questions::position)
        .load(conn)
}

pub fn add_question(
    conn: &mut DbConnection,
    team_id: &TeamId,
    q: &NewQuestion,
) -> QueryResult<usize> {
    let max: Option<i32> = team_questions::table
        .filter(team_questions::team_id.eq(team_id.as_str()))
        .select(diesel::dsl::max(team_questions::position))
        .first(conn)?;
    insert_team_question(conn, team_id, max.unwrap_or(0) + 1, q, false, None)
}

/// New wording applies to later rounds; open and closed rounds keep the text they froze.
pub fn set_question_text(
    conn: &mut DbConnection,
    team_id: &TeamId,
    id: &QuestionId,
    text: &str,
) -> QueryResult<usize> {
    diesel::update(
        team_questions::table
            .find(id.as_str())
            .filter(team_questions::team_id.eq(team_id.as_str())),
    )
    .set(team_questions::text.eq(text))
    .execute(conn)
}

pub fn remove_question(
    conn: &mut DbConnection,
    team_id: &TeamId,
    id: &QuestionId,
) -> QueryResult<usize> {
    diesel::update(
        team_questions::table
            .find(id.as_str())
            .filter(team_questions::team_id.eq(team_id.as_str())),
    )
    .set(team_questions::active.eq(false))
    .execute(conn)
}

/// A questionnaire's question as a round freezes it.
pub(super) fn frozen(q: &TeamQuestionRow) -> Question {
    let kind = Kind::parse(&q.kind).unwrap_or(Kind::Text);
    let (min, max) = match kind {
        Kind::Scale => (1, q.scale_points),
        Kind::Enps => (0, 10),
        Kind::Choice => (
            0,
            (model::split_options(&q.options).len() as i32 - 1).max(0),
        ),
        Kind::Text => (0, 0),
    };
    Question {
        id: q.id.clone(),
        kind,
        text: q.text.clone(),
        min,
        max,
        options: model::split_options(&q.options),
        reverse: q.reverse,
        required: q.required,
        builtin: q.builtin.clone(),
    }
}

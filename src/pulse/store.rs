//! Queries for questionnaires, rounds, anonymous responses and stored aggregates. Queries
//! only: what a use case does with them, and with other features' data, is in `actions`.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

pub use super::model::NewQuestion;
use super::model::{self, Aggregate, Answer, Kind, Question, QuestionId, RoundId, RoundStatus};
use crate::auth::model::StaffId;
use crate::clock::recorded_at;
use crate::db::schema::{members, round_questions, round_results, rounds};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::secret::new_id;
use crate::teams::model::{MemberId, TeamId, Threshold};
use crate::tokens::model::ScopeId;

/// The pulse index's queries (a page of rounds and their count).
mod index;
pub use index::{
    closed_rounds_of_teams, count_rounds_of_teams, page_rounds_of_teams, ClosedRoundRef,
};
/// The rounds' row locks, taken by closes and by the answers' group commit.
mod locks;
pub use locks::{lock_open_rounds, lock_round};
/// A team's questionnaire: the questions its next round freezes.
mod questions;
use questions::frozen;
pub use questions::{
    add_question, ensure_questions, list_questions, remove_question, set_question_text,
    TeamQuestionRow,
};

#[derive(Queryable, Clone, Debug)]
pub struct RoundRow {
    #[diesel(deserialize_as = String)]
    pub id: RoundId,
    #[diesel(deserialize_as = String)]
    pub team_id: TeamId,
    pub title: String,
    pub status: String,
    pub opens_at: PrimitiveDateTime,
    pub closes_at: Option<PrimitiveDateTime>,
    pub closed_on: Option<Date>,
    #[diesel(deserialize_as = i32)]
    pub threshold: Threshold,
    pub invited: i32,
    pub answered: Option<i32>,
    pub issued: Option<i32>,
    #[diesel(deserialize_as = String)]
    pub created_by: StaffId,
    pub created_at: PrimitiveDateTime,
}

impl RoundRow {
    pub fn status(&self) -> RoundStatus {
        RoundStatus::parse(&self.status)
    }
    pub fn is_open(&self) -> bool {
        self.status() == RoundStatus::Open
    }
    pub fn is_closed(&self) -> bool {
        self.status() == RoundStatus::Closed
    }
}

pub struct NewRound {
    pub team_id: TeamId,
    pub title: String,
    pub opens_at: PrimitiveDateTime,
    pub closes_at: Option<PrimitiveDateTime>,
    pub created_by: StaffId,
}

/// Creates a round as scheduled; `actions::open_round_in` opens it (now, or when its time
/// comes).
/// The threshold is the team's (`TeamRow::threshold`), already a `Threshold`; `Into` also
/// takes a stored integer (through `Threshold::stored`, never under the absolute floor), which
/// the benchmark's seeding passes.
pub fn insert_round(
    conn: &mut DbConnection,
    r: &NewRound,
    threshold: impl Into<Threshold>,
) -> QueryResult<RoundId> {
    let threshold: Threshold = threshold.into();
    let id = RoundId::from(new_id());
    diesel::insert_into(rounds::table)
        .values((
            rounds::id.eq(id.as_str()),
            rounds::team_id.eq(r.team_id.as_str()),
            rounds::title.eq(&r.title),
            rounds::status.eq(RoundStatus::Scheduled.as_str()),
            rounds::opens_at.eq(r.opens_at),
            rounds::closes_at.eq(r.closes_at),
            rounds::threshold.eq(threshold.column()),
            rounds::invited.eq(0),
            rounds::created_by.eq(r.created_by.as_str()),
            rounds::created_at.eq(recorded_at()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Freezes the team's questions onto the round: later edits never reach an open round.
pub fn freeze_questions(
    conn: &mut DbConnection,
    round_id: &RoundId,
    questions: &[TeamQuestionRow],
) -> QueryResult<()> {
    for (i, q) in questions.iter().enumerate() {
        let f = frozen(q);
        diesel::insert_into(round_questions::table)
            .values((
                round_questions::round_id.eq(round_id.as_str()),
                round_questions::id.eq(f.id.as_str()),
                round_questions::position.eq(i as i32),
                round_questions::kind.eq(f.kind.as_str()),
                round_questions::text.eq(&f.text),
                round_questions::min_value.eq(f.min),
                round_questions::max_value.eq(f.max),
                round_questions::options.eq(f.options.join("\n")),
                round_questions::reverse.eq(f.reverse),
                round_questions::required.eq(f.required),
                round_questions::builtin.eq(&f.builtin),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of the team's active members: the roster a round freezes when it opens.
pub fn roster_ids(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<Vec<MemberId>> {
    let ids: Vec<String> = members::table
        .filter(members::team_id.eq(team_id.as_str()))
        .filter(members::active.eq(true))
        .select(members::id)
        .load(conn)?;
    Ok(ids.into_iter().map(MemberId::from).collect())
}

/// Marks a round open now, with the size of its frozen roster and the threshold it keeps.
pub fn mark_open(
    conn: &mut DbConnection,
    round_id: &RoundId,
    invited: i32,
    threshold: Threshold,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(rounds::table.find(round_id.as_str()))
        .set((
            rounds::status.eq(RoundStatus::Open.as_str()),
            rounds::invited.eq(invited),
            rounds::threshold.eq(threshold.column()),
            rounds::opens_at.eq(now),
        ))
        .execute(conn)
}

pub fn find_round(conn: &mut DbConnection, id: &RoundId) -> QueryResult<RoundRow> {
    rounds::table.find(id.as_str()).first(conn)
}

pub fn list_rounds(conn: &mut DbConnection, team_id: &TeamId) -> QueryResult<Vec<RoundRow>> {
    rounds::table
        .filter(rounds::team_id.eq(team_id.as_str()))
        .order((rounds::opens_at.asc(), rounds::id))
        .load(conn)
}

pub fn round_questions(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<Vec<Question>> {
    type Row = (
        String,
        i32,
        String,
        String,
        i32,
        i32,
        String,
        bool,
        bool,
        Option<String>,
    );
    let rows: Vec<Row> = round_questions::table
        .filter(round_questions::round_id.eq(round_id.as_str()))
        .order(round_questions::position)
        .select((
            round_questions::id,
            round_questions::position,
            round_questions::kind,
            round_questions::text,
            round_questions::min_value,
            round_questions::max_value,
            round_questions::options,
            round_questions::reverse,
            round_questions::required,
            round_questions::builtin,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, _, kind, text, min, max, options, reverse, required, builtin)| Question {
                id: QuestionId::from(id),
                kind: Kind::parse(&kind).unwrap_or(Kind::Text),
                text,
                min,
                max,
                options: model::split_options(&options),
                reverse,
                required,
                builtin,
            },
        )
        .collect())
}

/// Open rounds a member is on the frozen roster of.
pub fn open_rounds_for(
    conn: &mut DbConnection,
    scope_ids: &[ScopeId],
) -> QueryResult<Vec<RoundRow>> {
    rounds::table
        .filter(rounds::id.eq_any(scope_ids.iter().map(ScopeId::as_str)))
        .filter(rounds::status.eq(RoundStatus::Open.as_str()))
        .order(rounds::opens_at)
        .load(conn)
}

/// Open rounds closing at or before `before` (delivery's reminders and closing notices).
pub fn open_rounds_closing_before(
    conn: &mut DbConnection,
    before: PrimitiveDateTime,
) -> QueryResult<Vec<RoundRow>> {
    rounds::table
        .filter(rounds::status.eq(RoundStatus::Open.as_str()))
        .filter(rounds::closes_at.le(before))
        .order(rounds::closes_at)
        .load(conn)
}

/// Which of `ids` are open rounds (the sweep of cached frozen rounds).
pub fn open_among(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    rounds::table
        .filter(rounds::id.eq_any(ids))
        .filter(rounds::status.eq(RoundStatus::Open.as_str()))
        .select(rounds::id)
        .load(conn)
}

pub fn insert_response(
    conn: &mut DbConnection,
    round_id: &RoundId,
    answers: &[Answer],
    comment: Option<&str>,
) -> Result<(), AppError> {
    insert_response_at(conn, &new_id(), round_id, answers, comment)
}

/// Stores a response under a given id: a token's answer locator while the round is open
/// (`tokens::store::answer_locator`), so the same token can replace it (G17).
pub fn insert_response_at(
    conn: &mut DbConnection,
    id: &str,
    round_id: &RoundId,
    answers: &[Answer],
    comment: Option<&str>,
) -> Result<(), AppError> {
    use crate::db::schema::responses;
    let json =
        serde_json::to_string(answers).map_err(|e| AppError::caused("encoding answers", e))?;
    diesel::insert_into(responses::table)
        .values((
            responses::id.eq(id),
            responses::round_id.eq(round_id.as_str()),
            responses::answers.eq(json),
            responses::comment.eq(comment),
        ))
        .execute(conn)?;
    Ok(())
}

/// Overwrites the response stored under `id` in an open round; returns whether there was
/// one. The old row image is left to the close-time rewrite and scrub (G15, G17).
pub fn replace_response(
    conn: &mut DbConnection,
    id: &str,
    round_id: &RoundId,
    answers: &[Answer],
    comment: Option<&str>,
) -> Result<bool, AppError> {
    use crate::db::schema::responses;
    let json = serde_json::to_string(answers).map_err(|e| AppError::internal(e.to_string()))?;
    let n = diesel::update(
        responses::table
            .filter(responses::id.eq(id))
            .filter(responses::round_id.eq(round_id.as_str())),
    )
    .set((responses::answers.eq(json), responses::comment.eq(comment)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn count_responses(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<i64> {
    use crate::db::schema::responses;
    responses::table
        .filter(responses::round_id.eq(round_id.as_str()))
        .count()
        .get_result(conn)
}

/// A round's responses as stored. A response that no longer parses is an error, never an
/// empty answer: closing must not silently drop what someone said.
pub fn load_responses(
    conn: &mut DbConnection,
    round_id: &RoundId,
) -> Result<Vec<model::Response>, AppError> {
    use crate::db::schema::responses;
    let rows: Vec<(String, Option<String>)> = responses::table
        .filter(responses::round_id.eq(round_id.as_str()))
        .select((responses::answers, responses::comment))
        .load(conn)?;
    rows.into_iter()
        .map(|(a, c)| {
            serde_json::from_str(&a)
                .map(|a| (a, c))
                .map_err(|e| AppError::caused("stored response", e))
        })
        .collect()
}

pub fn delete_responses(conn: &mut DbConnection, round_id: &RoundId) -> QueryResult<usize> {
    use crate::db::schema::responses;
    diesel::delete(responses::table.filter(responses::round_id.eq(round_id.as_str()))).execute(conn)
}

/// Marks a round closed today with the counts it keeps: answers stored and tokens issued.
pub fn mark_closed(
    conn: &mut DbConnection,
    round_id: &RoundId,
    answered: i32,
    issued: i32,
    today: Date,
) -> QueryResult<usize> {
    diesel::update(rounds::table.find(round_id.as_str()))
        .set((
            rounds::status.eq(RoundStatus::Closed.as_str()),
            rounds::closed_on.eq(Some(today)),
            rounds::answered.eq(Some(answered)),
            rounds::issued.eq(Some(issued)),
        ))
        .execute(conn)
}

/// Stores (or replaces) a closed round's aggregate: the figures in one column, the words in
/// another, so that views needing only figures never read the words.
pub fn put_aggregate(
    conn: &mut DbConnection,
    round_id: &RoundId,
    agg: Aggregate,
) -> Result<(), AppError> {
    let (figures, texts) = agg.split_texts();
    let bad = |e: serde_json::Error| AppError::caused("aggregate", e);
    let (figures, texts) = (
        serde_json::to_string(&figures).map_err(bad)?,
        serde_json::to_string(&texts).map_err(bad)?,
    );
    let updated = diesel::update(round_results::table.find(round_id.as_str()))
        .set((
            round_results::aggregate.eq(&figures),
            round_results::texts.eq(&texts),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(round_results::table)
            .values((
                round_results::round_id.eq(round_id.as_str()),
                round_results::aggregate.eq(&figures),
                round_results::texts.eq(&texts),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One closed round's aggregate with its words, for its results page and API.
pub fn find_aggregate(
    conn: &mut DbConnection,
    round_id: &RoundId,
) -> Result<Option<Aggregate>, AppError> {
    let row: Option<(String, String)> = round_results::table
        .find(round_id.as_str())
        .select((round_results::aggregate, round_results::texts))
        .first(conn)
        .optional()?;
    let Some((figures, texts)) = row else {
        return Ok(None);
    };
    let agg: Aggregate =
        serde_json::from_str(&figures).map_err(|e| AppError::caused("stored aggregate", e))?;
    let texts: model::Texts = if texts.is_empty() {
        model::Texts::default()
    } else {
        serde_json::from_str(&texts).map_err(|e| AppError::caused("stored texts", e))?
    };
    Ok(Some(agg.with_texts(texts)))
}

/// The figures of several closed rounds in one query (trends, heat maps): comments and
/// free-text answers are not loaded, only their counts.
pub fn find_aggregates(
    conn: &mut DbConnection,
    round_ids: &[RoundId],
) -> Result<Vec<(RoundId, Aggregate)>, AppError> {
    // Figures only: the words stay in their own column.
    let rows: Vec<(String, String)> = round_results::table
        .filter(round_results::round_id.eq_any(round_ids.iter().map(RoundId::as_str)))
        .select((round_results::round_id, round_results::aggregate))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, j)| {
            serde_json::from_str(&j)
                .map(|a| (RoundId::from(id), a))
                .map_err(|e| AppError::caused("stored aggregate", e))
        })
        .collect()
}

/// Rounds closed on or before `day`.
pub fn closed_by(conn: &mut DbConnection, day: Date) -> QueryResult<Vec<RoundId>> {
    let ids: Vec<String> = rounds::table
        .filter(rounds::closed_on.le(day))
        .select(rounds::id)
        .load(conn)?;
    Ok(ids.into_iter().map(RoundId::from).collect())
}

/// Rounds whose scheduled time has come, and open rounds past their closing time.
pub fn due_rounds(
    conn: &mut DbConnection,
    t: PrimitiveDateTime,
) -> QueryResult<(Vec<String>, Vec<String>)> {
    let to_open = rounds::table
        .filter(rounds::status.eq(RoundStatus::Scheduled.as_str()))
        .filter(rounds::opens_at.le(t))
        .select(rounds::id)
        .load(conn)?;
    let to_close = rounds::table
        .filter(rounds::status.eq(RoundStatus::Open.as_str()))
        .filter(rounds::closes_at.le(t))
        .select(rounds::id)
        .load(conn)?;
    Ok((to_open, to_close))
}

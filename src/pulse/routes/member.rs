//! The member's routes (anonymous: mounted in the member scope, `web::member`): the answer form at
//! `/p/rounds/{id}`, its no-JavaScript fallback, and `POST /api/v1/rounds/{id}/answers` for
//! the blinded route. No cookie is read, no log line written.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::super::actions::member as actions;
use super::super::model::{self, Answer, Kind, Question, QuestionId, RoundId};
use super::super::pages::{self, MemberRound};
use crate::error::{ApiResult, PageResult, Problem};
use crate::members::model::identifying_details;
use crate::state::AppState;
use crate::tokens::crypto::TokenJson;
use crate::web::html_response;

/// A member's answers with the unblinded token that lets them in.
#[derive(Deserialize, ToSchema)]
pub struct AnswersBody {
    token: TokenJson,
    #[serde(default)]
    answers: Vec<Answer>,
    #[serde(default)]
    comment: Option<String>,
    /// Replace the answer this token stored earlier in the open round (G17).
    #[serde(default)]
    replace: bool,
}

/// Exactly what was stored, so the member can check it.
#[derive(Serialize, ToSchema)]
pub struct AnswersStored {
    stored: StoredResponse,
    /// With a comment: its receipt, shown this once and stored only as a keyed hash. With it
    /// the writer reads leaders' replies to the comment and answers them
    /// (`POST /api/v1/comments/thread`, `/api/v1/comments/reply`). A replaced answer gets a
    /// new one; the old receipt then opens nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_receipt: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StoredResponse {
    answers: Vec<StoredAnswer>,
    comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StoredAnswer {
    #[schema(value_type = String)]
    question_id: QuestionId,
    question: String,
    value: serde_json::Value,
    /// The value as the member's page shows it, e.g. "4 (from 1 to 7)".
    shown: String,
}

fn stored_view(
    questions: &[Question],
    answers: &[Answer],
    comment: Option<&str>,
) -> StoredResponse {
    let answers: Vec<StoredAnswer> = answers
        .iter()
        .map(|a| StoredAnswer {
            question_id: a.question_id.clone(),
            question: questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| q.text.clone())
                .unwrap_or_default(),
            shown: questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| pages::describe_value(q, &a.value))
                .unwrap_or_default(),
            value: a.value.clone(),
        })
        .collect();
    StoredResponse {
        answers,
        comment: comment.map(str::to_owned),
    }
}

/// Stores a member's answers to a round, let in by an unblinded token.
///
/// Anonymous: no cookie is read or set, nothing is logged. The answers are checked first
/// (422 leaves the token unspent), then the token, then one transaction spends it and
/// stores the answer.
#[utoipa::path(post, path = "/rounds/{round_id}/answers", tag = "members", security(()),
    params(("round_id" = String, Path, description = "The round's id")),
    request_body = AnswersBody,
    responses((status = 201, description = "Stored", body = AnswersStored),
        (status = 200, description = "Replaced: with `replace: true`, the answer this token stored earlier is now this one (G17)", body = AnswersStored),
        (status = 403, description = "The token does not verify under this round's key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This token was used already (send `replace: true` to change its answer)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The round is closed", body = Problem, content_type = "application/problem+json")))]
pub async fn api_answers(
    state: web::Data<AppState>,
    id: web::Path<RoundId>,
    body: web::Json<AnswersBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let stored = actions::submit_answers(
        &state,
        id.into_inner(),
        b.answers,
        b.comment,
        b.token,
        b.replace,
    )
    .await?;
    let status = if stored.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let view = stored_view(
        &stored.questions,
        &stored.answers,
        stored.comment.as_deref(),
    );
    Ok(HttpResponse::build(status).json(AnswersStored {
        stored: view,
        comment_receipt: stored.comment_receipt,
    }))
}

/// The member's pulse operation, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(api_answers))]
pub struct PulseMemberApi;

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    invite: String,
}

/// Loads what the member's form needs, after opening and closing whatever rounds are due,
/// so no member waits on the timer.
async fn context(
    state: &AppState,
    invite: String,
    round_id: RoundId,
) -> Result<actions::MemberContext, crate::error::AppError> {
    crate::schedule::catch_up_rounds(state).await;
    actions::member_context(state, invite, round_id).await
}

/// "You said, we did": the team's actions after earlier rounds, at the top of the form
/// (`followthrough`). The same for every member of the team; reading it writes nothing.
async fn before(
    state: &AppState,
    round: &super::super::store::RoundRow,
) -> Result<maud::Markup, crate::error::AppError> {
    let acts = crate::followthrough::actions::for_round_form(state, round.team_id.clone()).await?;
    Ok(crate::followthrough::pages::member_actions(&acts, 2))
}

pub async fn member_form(
    state: web::Data<AppState>,
    id: web::Path<RoundId>,
    form: web::Form<InviteForm>,
) -> PageResult<HttpResponse> {
    let ctx = context(&state, form.invite.clone(), id.into_inner()).await?;
    // A member who took part sees that, and the form only if their browser kept the token
    // that can replace the answer (G17).
    let m = MemberRound {
        round: &ctx.round,
        questions: &ctx.questions,
        key: &ctx.key,
        names: &ctx.names,
        already: ctx.already,
        before: before(&state, &ctx.round).await?,
    };
    Ok(html_response(
        StatusCode::OK,
        pages::member_form(&m, &form.invite, &[], &[], None),
    ))
}

/// The form's answers as the API would send them. A form sends every value as text, so the
/// numbers of scale and eNPS questions are parsed here, explicitly, rather than by leniency
/// in the shared validation; what does not parse stays text and is refused there.
fn form_answers(questions: &[Question], fields: &[(String, String)]) -> Vec<Answer> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("q_")?;
            let numeric = questions
                .iter()
                .any(|q| q.id.as_str() == id && matches!(q.kind, Kind::Scale | Kind::Enps));
            let value = match v.trim().parse::<i64>() {
                Ok(n) if numeric => serde_json::Value::from(n),
                _ => serde_json::Value::from(v.clone()),
            };
            Some(Answer {
                question_id: QuestionId::from(id),
                value,
            })
        })
        .collect()
}

/// The no-JavaScript route: the server consumes the member's eligibility, then stores the
/// answer in a second transaction. Confidential, not unlinkable; the form said so beforehand.
pub async fn member_fallback(
    state: web::Data<AppState>,
    id: web::Path<RoundId>,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult<HttpResponse> {
    let fields = form.into_inner();
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let invite = get("invite").unwrap_or_default();
    let ctx = context(&state, invite.clone(), id.into_inner()).await?;
    if ctx.already {
        return Ok(html_response(
            StatusCode::CONFLICT,
            pages::already_page(&ctx.round.title),
        ));
    }
    let answers = form_answers(&ctx.questions, &fields);
    let comment = get("comment");
    let m = MemberRound {
        round: &ctx.round,
        questions: &ctx.questions,
        key: &ctx.key,
        names: &ctx.names,
        already: false,
        before: before(&state, &ctx.round).await?,
    };
    let (answers, comment) = match model::validate(&ctx.questions, &answers, comment.as_deref()) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::member_form(&m, &invite, &fields, &errors, None),
            ))
        }
    };
    let free_text: String = answers
        .iter()
        .filter(|a| {
            ctx.questions
                .iter()
                .any(|q| q.id == a.question_id && q.kind == Kind::Text)
        })
        .filter_map(|a| a.value.as_str().map(str::to_owned))
        .chain(comment.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let found = identifying_details(&free_text, &ctx.names);
    if !found.is_empty() && get("confirm_identifying").is_none() {
        return Ok(html_response(
            StatusCode::OK,
            pages::member_form(&m, &invite, &fields, &[], Some(&found)),
        ));
    }
    let receipt = actions::store_fallback_answer(
        &state,
        ctx.round.id.clone(),
        ctx.member_id.clone(),
        answers.clone(),
        comment.clone(),
    )
    .await?;
    let stored: Vec<(String, String)> = answers
        .iter()
        .filter_map(|a| {
            ctx.questions
                .iter()
                .find(|q| q.id == a.question_id)
                .map(|q| (q.text.clone(), pages::describe_value(q, &a.value)))
        })
        .collect();
    Ok(html_response(
        StatusCode::CREATED,
        pages::member_stored(
            &ctx.round.title,
            &stored,
            comment.as_deref(),
            "the confidential way (this browser could not run the privacy step)",
            receipt.as_deref(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_form_parses_numbers_for_scale_questions_only() {
        let q = |id: &str, kind| Question {
            id: id.into(),
            kind,
            text: id.into(),
            min: 1,
            max: 7,
            options: vec!["1".into(), "2".into()],
            reverse: false,
            required: false,
            builtin: None,
        };
        let qs = [
            q("s", Kind::Scale),
            q("c", Kind::Choice),
            q("t", Kind::Text),
        ];
        let f = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let got = form_answers(
            &qs,
            &[
                f("invite", "x"),
                f("q_s", " 4 "),
                f("q_c", "2"),
                f("q_t", "7"),
                f("q_x", "5"),
            ],
        );
        let values: Vec<_> = got.iter().map(|a| a.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                serde_json::json!(4),
                serde_json::json!("2"),
                serde_json::json!("7"),
                serde_json::json!("5")
            ]
        );
        assert!(model::validate(&qs[..1], &got[..1], None).is_ok());
    }
}

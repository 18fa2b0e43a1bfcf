//! The JSON API for comment conversations: a leader's reply (bearer token or session with
//! CSRF) and the writer's receipt-gated thread and answer (anonymous). Each handler's
//! `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi.rs).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiResult, AppError, FieldError, Problem};
use crate::pulse::model::RoundId;
use crate::state::AppState;
use crate::threads::actions::{self, Answered, WriterView};
use crate::threads::model::{CommentId, Thread};
use crate::web::session::ApiStaff;

#[derive(Deserialize, ToSchema)]
pub struct ReplyBody {
    text: String,
}

/// A leader replies to a shown comment of a round of their team.
///
/// Possible only once the round is closed and its comments are shown (at least the
/// threshold commented); before that the comments, and so their ids, are not shown at all.
#[utoipa::path(post, path = "/rounds/{round_id}/comments/{comment_id}/replies", tag = "pulse",
    params(("round_id" = String, Path, description = "The round's id"),
        ("comment_id" = String, Path, description = "A comment's id, from `comment_threads` in the round's results")),
    request_body = ReplyBody,
    responses((status = 201, description = "The comment with its conversation as it now stands", body = Thread),
        (status = 403, description = "Not a leader of the round's team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The round's comments are not shown (open, or fewer than the threshold commented), or the conversation is full", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn staff_reply(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(RoundId, CommentId)>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    staff.require_leader()?;
    let (round_id, comment_id) = path.into_inner();
    let thread =
        actions::staff_reply(&state, &staff.user, round_id, comment_id, &body.text).await?;
    Ok(HttpResponse::Created().json(thread))
}

#[derive(Deserialize, ToSchema)]
pub struct ReceiptBody {
    receipt: String,
}

/// What the writer sees of their comment.
#[derive(Serialize, ToSchema)]
pub struct MyThread {
    /// The round's title.
    round: String,
    comment: Thread,
    /// Whether the writer may answer now: the round is closed and its comments are shown.
    can_reply: bool,
    /// `YYYY-MM-DD`: the conversation and its receipt are deleted on this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_on: Option<String>,
}

fn my_thread(v: WriterView) -> MyThread {
    MyThread {
        round: v.round_title,
        comment: v.thread,
        can_reply: v.can_reply,
        deleted_on: v.purge_on.map(|d| d.to_string()),
    }
}

/// The writer reads their comment and its replies, by receipt.
///
/// Wrong receipts all get the same answer and are rate-limited across the instance, with
/// review receipts.
#[utoipa::path(post, path = "/comments/thread", tag = "members", security(()), request_body = ReceiptBody,
    responses((status = 200, description = "The comment and its conversation", body = MyThread),
        (status = 403, description = "No comment has this receipt", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong receipts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn thread(
    state: web::Data<AppState>,
    body: web::Json<ReceiptBody>,
) -> ApiResult<HttpResponse> {
    let v = actions::my_thread(&state, &body.receipt).await?;
    Ok(HttpResponse::Ok().json(my_thread(v)))
}

#[derive(Deserialize, ToSchema)]
pub struct WriterReplyBody {
    receipt: String,
    text: String,
    /// Send the text even though it may identify someone (names from the roster, emails,
    /// phone numbers, handles): without it such a text is refused with 422 saying what was
    /// found.
    #[serde(default)]
    confirm_identifying: bool,
}

/// The writer answers in their comment's conversation, by receipt. The answer carries no
/// day and no name.
#[utoipa::path(post, path = "/comments/reply", tag = "members", security(()), request_body = WriterReplyBody,
    responses((status = 201, description = "Stored: the comment and its conversation", body = MyThread),
        (status = 403, description = "No comment has this receipt", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The round's comments are not shown yet, or the conversation is full", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong receipts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn writer_reply(
    state: web::Data<AppState>,
    body: web::Json<WriterReplyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (v, answered) =
        actions::writer_reply(&state, &b.receipt, b.text, b.confirm_identifying).await?;
    match answered {
        Answered::Stored => Ok(HttpResponse::Created().json(my_thread(v))),
        Answered::Invalid(errors) => Err(AppError::Invalid(errors).into()),
        Answered::Identifying(found) => Err(AppError::Invalid(vec![FieldError::new(
            "text",
            format!(
                "This may identify someone: {}. Edit it, or send it again with \"confirm_identifying\": true.",
                found.join(", ")
            ),
        )])
        .into()),
    }
}

/// The conversation operations (staff and member), merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(staff_reply, thread, writer_reply))]
pub struct ThreadsApi;

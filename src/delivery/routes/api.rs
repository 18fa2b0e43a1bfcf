//! Delivery's JSON API: invites mailed, reminders, and the admins' outbox status. Each
//! handler's `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi/).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::routes::ApiStaff;
use crate::delivery::{actions, pages, reviews};
use crate::error::{ApiResult, AppError, Problem};
use crate::pulse::model::RoundId;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::model::{MemberId, TeamId};

/// Whom to mail: the members named, or (no body, or no `member_ids`) everyone on the roster.
#[derive(Deserialize, Default, ToSchema)]
pub struct SendInvites {
    #[schema(value_type = Option<Vec<String>>)]
    member_ids: Option<Vec<MemberId>>,
}

/// How many messages were queued in the outbox (sent by the background worker).
#[derive(Serialize, ToSchema)]
pub struct Queued {
    queued: usize,
    /// Members chosen who have no email address on the roster: they got nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<usize>,
}

/// Mails each member whose roster label holds an address their own link (custody `member`:
/// never shown to staff afterwards); a link staff had seen is replaced first.
#[utoipa::path(post, path = "/teams/{team_id}/invites/send", tag = "teams",
    params(("team_id" = String, Path, description = "The team's id")),
    request_body = Option<SendInvites>,
    responses((status = 202, description = "Queued", body = Queued),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email delivery is off (CANDOR_SMTP_URL unset)", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_send_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    // An empty body means everyone; a body that is not the documented JSON is refused, never
    // read as "everyone" (that would mail people the caller did not mean).
    let member_ids = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<SendInvites>(&body)
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "the body must be {{\"member_ids\": [ids]}} or empty: {e}"
                ))
            })?
            .member_ids
    };
    let (queued, skipped) =
        actions::send_invites(&state, &staff.user, id.into_inner(), member_ids).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: Some(skipped),
    }))
}

/// Mails each invitee of an open review whose label holds an address the review's own link.
#[utoipa::path(post, path = "/reviews/{review_id}/invites/send", tag = "reviews",
    params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 202, description = "Queued", body = Queued),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email delivery is off, or the review is closed", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_send_review_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let (queued, skipped) =
        actions::send_review_invites(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: Some(skipped),
    }))
}

/// Mails the same reminder, with their own link, to everyone on an open round's roster,
/// answered or not: a list of only those who have not answered would be a participation
/// record (G3).
#[utoipa::path(post, path = "/rounds/{round_id}/remind", tag = "pulse",
    params(("round_id" = String, Path, description = "The round's id")),
    responses((status = 202, description = "Queued", body = Queued),
        (status = 403, description = "Not a leader of this round's team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email delivery is off, or the round is not open", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_remind(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<RoundId>,
) -> ApiResult<HttpResponse> {
    let queued = actions::remind_round(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: None,
    }))
}

/// Mails the same reminder, with their own link, to everyone invited to an open review,
/// whether or not they wrote: Candor does not know who wrote, and a list of those who had
/// not would be a record of who did.
#[utoipa::path(post, path = "/reviews/{review_id}/remind", tag = "reviews",
    params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 202, description = "Queued", body = Queued),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email delivery is off, or the review is closed", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_remind_review(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let queued = reviews::remind_review(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: None,
    }))
}

/// A message that failed for good: never its body (which may hold a link's secret).
#[derive(Serialize, ToSchema)]
pub struct FailureJson {
    id: String,
    channel: String,
    purpose: String,
    recipient: String,
    subject: String,
    attempts: i32,
    last_error: String,
    failed_at: String,
}

/// The outbox as admins see it: whether email is on, how many wait, and what failed.
#[derive(Serialize, ToSchema)]
pub struct OutboxJson {
    mail: bool,
    waiting: i64,
    failed: Vec<FailureJson>,
}

/// The outbox's state (admins).
#[utoipa::path(get, path = "/delivery", tag = "instance",
    responses((status = 200, description = "The outbox", body = OutboxJson),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_status(
    state: web::Data<AppState>,
    staff: ApiStaff,
) -> ApiResult<HttpResponse> {
    let s = actions::status(&state, &staff.user).await?;
    let failed: Vec<FailureJson> = s
        .failed
        .into_iter()
        .map(|f| FailureJson {
            recipient: pages::shown_recipient(&f.channel, &f.recipient),
            id: f.id,
            channel: f.channel,
            purpose: f.purpose,
            subject: f.subject,
            attempts: f.attempts,
            last_error: f.last_error,
            failed_at: f
                .failed_at
                .assume_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(OutboxJson {
        mail: s.mail_on,
        waiting: s.waiting,
        failed,
    }))
}

/// The instance's default chat webhook; `""` or `null` clears it.
#[derive(Deserialize, ToSchema)]
pub struct WebhookBody {
    url: Option<String>,
}

/// Sets the chat webhook used by teams without their own (admins). Slack-compatible
/// `{"text"}` posts, counts only.
#[utoipa::path(put, path = "/delivery/webhook", tag = "instance", request_body = WebhookBody,
    responses((status = 204, description = "Saved"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_default_webhook(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<WebhookBody>,
) -> ApiResult<HttpResponse> {
    let url = body.into_inner().url.unwrap_or_default();
    actions::set_default_webhook(&state, &staff.user, url).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delivery's operations, merged into the document by src/openapi/.
#[derive(OpenApi)]
#[openapi(paths(
    api_send_invites,
    api_send_review_invites,
    api_remind,
    api_remind_review,
    api_status,
    api_default_webhook
))]
pub struct DeliveryApi;

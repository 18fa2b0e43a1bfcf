//! Delivery's JSON API: invites mailed, reminders, and the admins' outbox status.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::routes::ApiStaff;
use crate::delivery::{actions, pages};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct SendInvites {
    member_ids: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Queued {
    queued: usize,
    /// Members chosen who have no email address on the roster: they got nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<usize>,
}

pub(super) async fn api_send_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
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

pub(super) async fn api_send_review_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (queued, skipped) =
        actions::send_review_invites(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: Some(skipped),
    }))
}

pub(super) async fn api_remind(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let queued = actions::remind_round(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued,
        skipped: None,
    }))
}

#[derive(Serialize)]
struct FailureJson {
    id: String,
    channel: String,
    purpose: String,
    recipient: String,
    subject: String,
    attempts: i32,
    last_error: String,
    failed_at: String,
}

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
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "mail": s.mail_on,
        "waiting": s.waiting,
        "failed": failed,
    })))
}

#[derive(Deserialize)]
pub struct WebhookBody {
    url: Option<String>,
}

pub(super) async fn api_default_webhook(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<WebhookBody>,
) -> ApiResult<HttpResponse> {
    let url = body.into_inner().url.unwrap_or_default();
    actions::set_default_webhook(&state, &staff.user, url).await?;
    Ok(HttpResponse::NoContent().finish())
}

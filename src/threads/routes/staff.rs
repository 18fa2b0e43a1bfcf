//! The leader's reply form under a round's results (`pulse`'s round page renders it with
//! `threads::pages::staff_threads`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, PageResult};
use crate::pulse::model::RoundId;
use crate::state::AppState;
use crate::threads::actions;
use crate::threads::model::CommentId;
use crate::threads::pages;
use crate::web::form::Csrf;
use crate::web::session::Staff;
use crate::web::{html_response, see_other};

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
}

/// Stores a leader's reply and goes back to the round's results, at the conversation; a
/// refused reply gets a page that says why, with the words kept.
pub(super) async fn reply_page(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(RoundId, CommentId)>,
    form: Csrf<web::Form<ReplyForm>>,
) -> PageResult<HttpResponse> {
    let (round_id, comment_id) = path.into_inner();
    let text = form.0.into_inner().text;
    let outcome = actions::staff_reply(
        &state,
        &staff.user,
        round_id.clone(),
        comment_id.clone(),
        &text,
    )
    .await;
    let refused = |status, errors: &[_], message: Option<&str>| {
        html_response(
            status,
            pages::staff_reply_refused(
                &staff.viewer(),
                &round_id,
                &comment_id,
                &text,
                errors,
                message,
            ),
        )
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/rounds/{round_id}#c-{comment_id}"))),
        Err(AppError::Invalid(errors)) => {
            Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, &errors, None))
        }
        Err(AppError::Conflict(m)) => Ok(refused(StatusCode::CONFLICT, &[], Some(&m))),
        Err(e) => Err(e),
    }
}

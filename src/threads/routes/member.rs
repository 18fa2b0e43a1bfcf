//! The writer's anonymous pages under `/p/comments`: the receipt form, their comment's
//! conversation, and their answer. The receipt arrives in the form body, never the URL; the
//! privacy middleware strips cookies and logs nothing here.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, FieldError, PageResult};
use crate::state::AppState;
use crate::threads::actions::{self, Answered, WriterView};
use crate::threads::pages::{self, WriterPage};
use crate::web::html_response;

/// Wrong and throttled receipts: the receipt form again, never echoing what was typed, so the
/// answer is byte for byte the same whatever it was.
fn receipt_error_page(e: AppError) -> PageResult<HttpResponse> {
    match e {
        AppError::Forbidden(m) => Ok(html_response(
            StatusCode::FORBIDDEN,
            pages::receipt_form(Some(&m)),
        )),
        AppError::TooManyAttempts { retry_after } => Ok(HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", retry_after.to_string()))
            .content_type("text/html; charset=utf-8")
            .body(
                pages::receipt_form(Some(&format!(
                    "Too many wrong receipts were tried on this server in the last minute. Try again in {retry_after} seconds."
                )))
                .into_string(),
            )),
        other => Err(other),
    }
}

struct Shown<'a> {
    status: StatusCode,
    draft: &'a str,
    warning: Option<&'a [String]>,
    message: Option<&'a str>,
    errors: &'a [FieldError],
}

fn thread_response(receipt: &str, v: &WriterView, s: Shown<'_>) -> HttpResponse {
    html_response(
        s.status,
        pages::thread_page(
            &WriterPage {
                receipt,
                round_title: &v.round_title,
                thread: &v.thread,
                can_reply: v.can_reply,
                purge_on: v.purge_on,
                draft: s.draft,
                warning: s.warning,
                message: s.message,
            },
            s.errors,
        ),
    )
}

pub(super) async fn receipt_page() -> HttpResponse {
    html_response(StatusCode::OK, pages::receipt_form(None))
}

#[derive(Deserialize)]
pub struct ReceiptForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    confirm_identifying: Option<String>,
}

pub(super) async fn open_page(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    match actions::my_thread(&state, &form.receipt).await {
        Ok(v) => Ok(thread_response(
            &form.receipt,
            &v,
            Shown {
                status: StatusCode::OK,
                draft: "",
                warning: None,
                message: None,
                errors: &[],
            },
        )),
        Err(e) => receipt_error_page(e),
    }
}

pub(super) async fn reply_page(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let form = form.into_inner();
    let confirmed = form.confirm_identifying.is_some();
    let outcome = actions::writer_reply(&state, &form.receipt, form.text.clone(), confirmed).await;
    let (v, answered) = match outcome {
        Ok(x) => x,
        Err(e @ (AppError::Forbidden(_) | AppError::TooManyAttempts { .. })) => {
            return receipt_error_page(e)
        }
        Err(e) => return Err(e),
    };
    let r = &form.receipt;
    Ok(match answered {
        Answered::Stored => thread_response(
            r,
            &v,
            Shown {
                status: StatusCode::CREATED,
                draft: "",
                warning: None,
                message: Some("Your answer is stored, with no name and no date."),
                errors: &[],
            },
        ),
        Answered::Invalid(errors) => thread_response(
            r,
            &v,
            Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                draft: &form.text,
                warning: None,
                message: None,
                errors: &errors,
            },
        ),
        Answered::Identifying(found) => thread_response(
            r,
            &v,
            Shown {
                status: StatusCode::OK,
                draft: &form.text,
                warning: Some(&found),
                message: None,
                errors: &[],
            },
        ),
    })
}

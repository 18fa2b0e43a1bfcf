//! The writer's anonymous pages under `/p`: the account form and its no-JavaScript fallback,
//! and the receipt pages. The privacy middleware strips cookies and logs nothing here.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::{AppError, FieldError, PageResult};
use crate::reviews::actions::{self, Mine};
use crate::reviews::model::{check_account, AccountInput, FollowupId, ReviewId, TimelineEntry};
use crate::reviews::pages::{self, AccountDraft, AccountFormView};
use crate::state::AppState;
use crate::web::form::HtmlForm;
use crate::web::html_response;

/// The fallback form as sent: each timeline row sends a `timeline_time` and a
/// `timeline_text`, so those keys repeat and arrive in document order.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AccountFields {
    invite: String,
    timeline_time: Vec<String>,
    timeline_text: Vec<String>,
    expected: String,
    surprised: String,
    hard: String,
    helped: String,
    other: String,
}

/// A form's account fields as typed; timeline rows come in document order.
fn draft_from(f: &AccountFields) -> AccountDraft {
    let (times, texts) = (&f.timeline_time, &f.timeline_text);
    let n = times.len().max(texts.len());
    AccountDraft {
        timeline: (0..n)
            .map(|i| {
                (
                    times.get(i).cloned().unwrap_or_default(),
                    texts.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        expected: f.expected.clone(),
        surprised: f.surprised.clone(),
        hard: f.hard.clone(),
        helped: f.helped.clone(),
        other: f.other.clone(),
    }
}

/// The account a form describes; rows left wholly blank are the form's spare rows.
fn input_from(d: &AccountDraft) -> AccountInput {
    let some = |s: &str| Some(s.to_owned());
    AccountInput {
        timeline: d
            .timeline
            .iter()
            .filter(|(t, x)| !(t.trim().is_empty() && x.trim().is_empty()))
            .map(|(t, x)| TimelineEntry {
                time: (!t.trim().is_empty()).then(|| t.clone()),
                text: x.clone(),
            })
            .collect(),
        expected: some(&d.expected),
        surprised: some(&d.surprised),
        hard: some(&d.hard),
        helped: some(&d.helped),
        other: some(&d.other),
    }
}

/// The account form for this invite, with what was typed and what was wrong with it.
async fn account_form(
    state: &AppState,
    review_id: ReviewId,
    invite: &str,
    status: StatusCode,
    draft: &AccountDraft,
    errors: &[FieldError],
) -> PageResult<HttpResponse> {
    let ctx = actions::member_context(state, review_id, invite.to_owned()).await?;
    Ok(html_response(
        status,
        pages::account_form(
            &AccountFormView {
                review: &ctx.review,
                key: &ctx.key,
                invite,
                issued: ctx.issued,
                draft,
                names: &ctx.names,
            },
            errors,
        ),
    ))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    invite: String,
}

/// `POST /p/reviews/{id}`: the account form. The invite arrives in the body, never the URL.
pub(super) async fn account_page(
    state: web::Data<AppState>,
    id: web::Path<ReviewId>,
    form: web::Form<InviteForm>,
) -> PageResult<HttpResponse> {
    let invite = form.invite.trim().to_owned();
    let draft = AccountDraft::default();
    account_form(
        &state,
        id.into_inner(),
        &invite,
        StatusCode::OK,
        &draft,
        &[],
    )
    .await
}

/// `POST /p/reviews/{id}/fallback`: the confidential path for browsers that cannot blind.
/// A refused account comes back on the form as typed; see `actions::submit_fallback` for why
/// this path is confidential rather than unlinkable.
pub(super) async fn fallback(
    state: web::Data<AppState>,
    id: web::Path<ReviewId>,
    HtmlForm(form): HtmlForm<AccountFields>,
) -> PageResult<HttpResponse> {
    let review_id = id.into_inner();
    let invite = form.invite.trim().to_owned();
    let draft = draft_from(&form);
    let account = match check_account(&input_from(&draft)) {
        Ok(a) => a,
        Err(errors) => {
            return account_form(
                &state,
                review_id,
                &invite,
                StatusCode::UNPROCESSABLE_ENTITY,
                &draft,
                &errors,
            )
            .await;
        }
    };
    let stored =
        actions::submit_fallback(&state, review_id.clone(), invite, account.clone()).await?;
    Ok(html_response(
        StatusCode::CREATED,
        pages::receipt_page(&review_id, &stored.title, &stored.receipt, &account),
    ))
}

/// Wrong and throttled receipts on the member pages: the receipt form again, never echoing
/// what was typed, so the answer is byte for byte the same whatever it was.
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

fn followups_response(
    status: StatusCode,
    receipt: &str,
    m: &Mine,
    message: Option<&str>,
    errors: &[FieldError],
) -> HttpResponse {
    html_response(
        status,
        pages::followups_page(
            &pages::FollowupPage {
                receipt,
                title: &m.review.title,
                open: m.review.is_open(),
                account: &m.account,
                thread: &m.thread,
                message,
                items: crate::followthrough::pages::member_items(&m.items),
            },
            errors,
        ),
    )
}

/// The writer's page after a reply or an addition: the message, or the field errors and 422.
fn after_write(
    outcome: Result<(Mine, Result<(), Vec<FieldError>>), AppError>,
    receipt: &str,
    message: &str,
) -> PageResult<HttpResponse> {
    match outcome {
        Ok((m, Ok(()))) => Ok(followups_response(
            StatusCode::OK,
            receipt,
            &m,
            Some(message),
            &[],
        )),
        Ok((m, Err(errors))) => Ok(followups_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            receipt,
            &m,
            None,
            &errors,
        )),
        Err(e) => receipt_error_page(e),
    }
}

pub(super) async fn followups_form() -> HttpResponse {
    html_response(StatusCode::OK, pages::receipt_form(None))
}

#[derive(Deserialize)]
pub struct ReceiptForm {
    #[serde(default)]
    receipt: String,
    /// The follow-up answered; absent on the forms that open or add to an account (a reply
    /// without one names no follow-up, and is refused as such).
    #[serde(default)]
    followup_id: Option<FollowupId>,
    #[serde(default)]
    text: String,
}

pub(super) async fn followups_open(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let receipt = form.receipt.clone();
    match actions::my_account(&state, &receipt).await {
        Ok(m) => Ok(followups_response(StatusCode::OK, &receipt, &m, None, &[])),
        Err(e) => receipt_error_page(e),
    }
}

pub(super) async fn followups_reply(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let form = form.into_inner();
    let outcome = actions::reply(
        &state,
        &form.receipt,
        form.followup_id.unwrap_or_else(|| FollowupId::from("")),
        form.text,
    )
    .await
    .map(|(m, stored)| (m, stored.map(|_| ())));
    after_write(outcome, &form.receipt, "Your reply is stored.")
}

pub(super) async fn followups_add(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let form = form.into_inner();
    let outcome = actions::add_to_account(&state, &form.receipt, form.text).await;
    after_write(
        outcome,
        &form.receipt,
        "Added to your account, as a separate note after what you first wrote.",
    )
}

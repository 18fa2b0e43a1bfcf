//! The JSON API for reviews: staff endpoints (bearer token or session with CSRF) and the
//! anonymous member endpoints (account submission by blind token, receipt-gated follow-ups).
//! The request and response shapes (DTOs) live here, beside the handlers that use them.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::error::{ApiResult, AppError};
use crate::reviews::actions::{self, Mine};
use crate::reviews::model::{
    check_account, check_review, needed_for_release, Account, AccountId, AccountInput, FollowupId,
    FollowupRow, ReviewId, ReviewRequest, ReviewRow,
};
use crate::reviews::pages;
use crate::secret::now;
use crate::state::AppState;
use crate::teams::model::parse_roster_list;
use crate::tokens::crypto::{KeyJson, TokenJson};
use crate::web::session::ApiStaff;

fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&Rfc3339).unwrap_or_default()
}

#[derive(Serialize)]
pub struct ReviewJson {
    id: String,
    title: String,
    incident_date: String,
    summary: String,
    status: String,
    threshold: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    retention_days: i32,
    invited: i32,
    key: KeyJson,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

fn review_json(r: ReviewRow, key: KeyJson, warnings: Vec<String>) -> ReviewJson {
    ReviewJson {
        incident_date: pages::fmt_date(r.incident_date),
        deadline: r.deadline.map(rfc3339),
        id: r.id,
        title: r.title,
        summary: r.summary,
        status: r.status,
        threshold: r.threshold,
        retention_days: r.retention_days,
        invited: r.invited,
        key,
        warnings,
    }
}

#[derive(Deserialize)]
pub struct ReviewCreate {
    title: String,
    incident_date: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    team_ids: Vec<String>,
    #[serde(default)]
    invitees: Vec<String>,
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    threshold: Option<i64>,
    #[serde(default)]
    retention_days: Option<i64>,
}

pub(super) async fn create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<ReviewCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_facilitator()?;
    let b = body.into_inner();
    let request = ReviewRequest {
        title: b.title,
        incident_date: b.incident_date,
        summary: b.summary,
        team_ids: b.team_ids,
        invitees: if b.invitees.is_empty() {
            Ok(vec![])
        } else {
            parse_roster_list(&b.invitees)
        },
        deadline: b.deadline.unwrap_or_default(),
        threshold: Ok(b.threshold),
        retention_days: Ok(b.retention_days),
    };
    let new =
        check_review(request, state.settings.threshold_floor, now()).map_err(AppError::Invalid)?;
    let opened = actions::open_review(&state, staff.user.clone(), new).await?;
    Ok(HttpResponse::Created().json(review_json(opened.review, opened.key, opened.warnings)))
}

pub(super) async fn list(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_facilitator()?;
    let out: Vec<ReviewJson> = actions::list_with_keys(&state, &staff.user)
        .await?
        .into_iter()
        .map(|(r, key)| review_json(r, key, vec![]))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

pub(super) async fn get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let (review, key) = actions::review_with_key(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

#[derive(Serialize)]
struct InviteJson {
    member_id: String,
    label: String,
    /// Absent for a link Candor mailed to its invitee: only they have it (G13).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    custody: &'static str,
}

pub(super) async fn invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let rows = actions::invites_of(&state, staff.user.clone(), id.into_inner()).await?;
    let out: Vec<InviteJson> = rows
        .into_iter()
        .map(|(member_id, label, url)| InviteJson {
            custody: if url.is_some() { "staff" } else { "member" },
            member_id,
            label,
            url,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct AccountSubmit {
    token: TokenJson,
    account: AccountInput,
}

/// `POST /api/v1/reviews/{id}/accounts`: anonymous. The account is checked first (422
/// leaves the token unspent), then the token (403 forged or another review's, 410 closed),
/// then one transaction spends it (409 on reuse) and stores the account.
pub(super) async fn submit(
    state: web::Data<AppState>,
    id: web::Path<ReviewId>,
    body: web::Json<AccountSubmit>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let account = check_account(&body.account).map_err(AppError::Invalid)?;
    let receipt =
        actions::submit_account(&state, id.into_inner(), &body.token, account.clone()).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "receipt": receipt, "stored": account })))
}

#[derive(Serialize)]
struct FollowupJson {
    id: String,
    question: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

impl From<FollowupRow> for FollowupJson {
    fn from(f: FollowupRow) -> Self {
        Self {
            id: f.id,
            question: f.question,
            reply: f.reply,
        }
    }
}

#[derive(Serialize)]
struct AccountJson {
    id: String,
    account: Account,
    followups: Vec<FollowupJson>,
}

pub(super) async fn accounts(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let v = actions::load_view(&state, &staff.user, id.into_inner()).await?;
    let threshold = i64::from(v.review.threshold);
    let pending = v.received - v.released;
    let mut body = serde_json::json!({
        "status": if v.released > 0 { "released" } else { "held" },
        "received": v.received,
        "released": v.released,
        "pending": pending,
        "threshold": threshold,
    });
    if v.review.is_open() && pending < threshold {
        body["needed"] = serde_json::json!(needed_for_release(pending, threshold));
    }
    if v.released > 0 {
        let accounts: Vec<AccountJson> = v
            .accounts
            .into_iter()
            .map(|a| AccountJson {
                id: a.id,
                account: a.account,
                followups: a.thread.into_iter().map(FollowupJson::from).collect(),
            })
            .collect();
        body["accounts"] =
            serde_json::to_value(accounts).map_err(|e| AppError::internal(e.to_string()))?;
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct QuestionBody {
    text: String,
}

pub(super) async fn ask(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(ReviewId, AccountId)>,
    body: web::Json<QuestionBody>,
) -> ApiResult<HttpResponse> {
    let (review_id, account_id) = path.into_inner();
    let row = actions::ask(
        &state,
        staff.user.clone(),
        review_id,
        account_id,
        &body.text,
    )
    .await?;
    Ok(HttpResponse::Created().json(FollowupJson::from(row)))
}

pub(super) async fn close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let (review, key) =
        actions::close_with_key(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

pub(super) async fn preread(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let v = actions::preread(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(pages::preread_markdown(&v.review, &v.accounts, v.received)))
}

#[derive(Deserialize)]
pub struct FacilitatorBody {
    email: String,
}

pub(super) async fn add_facilitator(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
    body: web::Json<FacilitatorBody>,
) -> ApiResult<HttpResponse> {
    actions::add_facilitator(
        &state,
        staff.user.clone(),
        id.into_inner(),
        body.into_inner().email,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct ReceiptBody {
    receipt: String,
}

fn mine_json(m: Mine) -> serde_json::Value {
    serde_json::json!({
        "review": { "id": m.review.id, "title": m.review.title, "status": m.review.status },
        "account": m.account,
        "followups": m.thread.into_iter().map(FollowupJson::from).collect::<Vec<_>>(),
    })
}

pub(super) async fn followups(
    state: web::Data<AppState>,
    body: web::Json<ReceiptBody>,
) -> ApiResult<HttpResponse> {
    let m = actions::my_account(&state, &body.receipt).await?;
    Ok(HttpResponse::Ok().json(mine_json(m)))
}

#[derive(Deserialize)]
pub struct ReplyBody {
    receipt: String,
    followup_id: FollowupId,
    text: String,
}

pub(super) async fn reply(
    state: web::Data<AppState>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (_, stored) = actions::reply(&state, &b.receipt, b.followup_id, b.text).await?;
    let stored = stored.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "stored": FollowupJson::from(stored) })))
}

#[derive(Deserialize)]
pub struct AddBody {
    receipt: String,
    text: String,
}

pub(super) async fn add(
    state: web::Data<AppState>,
    body: web::Json<AddBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (m, done) = actions::add_to_account(&state, &b.receipt, b.text).await?;
    done.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "stored": m.account })))
}

//! The JSON API for reviews: staff endpoints (bearer token or session with CSRF) and the
//! anonymous member endpoints (account submission by blind token, receipt-gated follow-ups).
//! The request and response shapes (DTOs) live here, beside the handlers that use them; each
//! handler's `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi.rs).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiResult, AppError, Problem};
use crate::reviews::actions::{self, Mine};
use crate::reviews::model::{
    check_account, check_review, needed_for_release, Account, AccountId, AccountInput, FollowupId,
    FollowupRow, ReviewId, ReviewRequest, ReviewRow,
};
use crate::reviews::pages;
use crate::state::AppState;
use crate::teams::model::{parse_roster_list, MemberId, TeamId};
use crate::tokens::crypto::{KeyJson, TokenJson};
use crate::web::session::ApiStaff;

fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&Rfc3339).unwrap_or_default()
}

/// An incident review (API.md `Review`).
#[derive(Serialize, ToSchema)]
#[schema(as = Review)]
pub struct ReviewJson {
    #[schema(value_type = String)]
    id: ReviewId,
    title: String,
    /// `YYYY-MM-DD`.
    incident_date: String,
    summary: String,
    /// `open` or `closed`.
    status: String,
    threshold: i32,
    /// RFC 3339 UTC: when held accounts are released even under the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    retention_days: i32,
    invited: i32,
    key: KeyJson,
    /// What the facilitator should know about the invitation (only when opening).
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
        threshold: r.threshold.column(),
        retention_days: r.retention_days,
        invited: r.invited,
        key,
        warnings,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewCreate {
    title: String,
    /// `YYYY-MM-DD`.
    incident_date: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    team_ids: Vec<TeamId>,
    #[serde(default)]
    invitees: Vec<String>,
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    threshold: Option<i64>,
    #[serde(default)]
    retention_days: Option<i64>,
}

/// Opens a review: its own key and its own invite links for the invited teams and people.
#[utoipa::path(post, path = "/reviews", tag = "reviews", request_body = ReviewCreate,
    responses((status = 201, description = "The open review", body = ReviewJson),
        (status = 403, description = "Not a facilitator or admin, or a team that does not allow reviews", body = Problem, content_type = "application/problem+json")))]
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
    let new = check_review(request, state.settings.threshold_floor, state.clock.now())
        .map_err(AppError::Invalid)?;
    let opened = actions::open_review(&state, staff.user.clone(), new).await?;
    Ok(HttpResponse::Created().json(review_json(opened.review, opened.key, opened.warnings)))
}

/// Reviews you facilitate (all of them, for admins).
#[utoipa::path(get, path = "/reviews", tag = "reviews",
    responses((status = 200, description = "The reviews", body = Vec<ReviewJson>),
        (status = 403, description = "Not a facilitator or admin", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_facilitator()?;
    let out: Vec<ReviewJson> = actions::list_with_keys(&state, &staff.user)
        .await?
        .into_iter()
        .map(|(r, key)| review_json(r, key, vec![]))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// A review and its key.
#[utoipa::path(get, path = "/reviews/{review_id}", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "The review", body = ReviewJson),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let (review, key) = actions::review_with_key(&state, &staff.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

/// A personal invite link of this review's own.
#[derive(Serialize, ToSchema)]
#[schema(as = ReviewInvite)]
pub struct InviteJson {
    #[schema(value_type = String)]
    member_id: MemberId,
    label: String,
    /// Absent for a link Candor mailed to its invitee: only they have it (G13).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    custody: &'static str,
}

/// Each invited person's link of this review's own (never a team link, G12); listing them
/// marks them seen by staff (G13).
#[utoipa::path(get, path = "/reviews/{review_id}/invites", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "One link per invited person", body = Vec<InviteJson>),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The review is closed and its links are gone", body = Problem, content_type = "application/problem+json")))]
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

/// An account with the unblinded token that lets it in.
#[derive(Deserialize, ToSchema)]
pub struct AccountSubmit {
    token: TokenJson,
    account: AccountInput,
}

/// Stores a writer's pre-review account, let in by an unblinded token.
///
/// Anonymous: no cookie is read or set, nothing is logged. The account is checked first
/// (422 leaves the token unspent), then the token (403 forged or another review's, 410
/// closed), then one transaction spends it (409 on reuse) and stores the account.
#[utoipa::path(post, path = "/reviews/{review_id}/accounts", tag = "members", security(()),
    params(("review_id" = String, Path, description = "The review's id")), request_body = AccountSubmit,
    responses((status = 201, description = "Stored; keep the receipt to read follow-ups", body = AccountStored),
        (status = 403, description = "The token does not verify under this review's key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This token was used already", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The review is closed", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn submit(
    state: web::Data<AppState>,
    id: web::Path<ReviewId>,
    body: web::Json<AccountSubmit>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let account = check_account(&body.account).map_err(AppError::Invalid)?;
    let receipt =
        actions::submit_account(&state, id.into_inner(), &body.token, account.clone()).await?;
    Ok(HttpResponse::Created().json(AccountStored {
        receipt,
        stored: account,
    }))
}

/// The receipt (the writer's only way back to their account) and exactly what was stored.
#[derive(Serialize, ToSchema)]
pub struct AccountStored {
    receipt: String,
    stored: Account,
}

/// A facilitator's follow-up question and the writer's reply.
#[derive(Serialize, ToSchema)]
#[schema(as = Followup)]
pub struct FollowupJson {
    #[schema(value_type = String)]
    id: FollowupId,
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

/// A released account and its follow-ups.
#[derive(Serialize, ToSchema)]
#[schema(as = ReleasedAccount)]
pub struct AccountJson {
    #[schema(value_type = String)]
    id: AccountId,
    account: Account,
    followups: Vec<FollowupJson>,
}

/// The accounts received, held until the threshold is met (or the deadline passes), then
/// released in the random order drawn once at release (so "Account 2" stays the same account).
#[utoipa::path(get, path = "/reviews/{review_id}/accounts", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "Held or released accounts", body = AccountsJson),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn accounts(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let v = actions::load_view(&state, &staff.user, id.into_inner()).await?;
    let threshold = v.review.threshold;
    let pending = v.received - v.released;
    let needed = (v.review.is_open() && pending < threshold.count())
        .then(|| needed_for_release(pending, threshold));
    let accounts = (v.released > 0).then(|| {
        v.accounts
            .into_iter()
            .map(|a| AccountJson {
                id: a.id,
                account: a.account,
                followups: a.thread.into_iter().map(FollowupJson::from).collect(),
            })
            .collect()
    });
    Ok(HttpResponse::Ok().json(AccountsJson {
        status: if v.released > 0 { "released" } else { "held" },
        received: v.received,
        released: v.released,
        pending,
        threshold: threshold.count(),
        needed,
        accounts,
    }))
}

/// A review's accounts as its facilitators may see them.
#[derive(Serialize, ToSchema)]
#[schema(as = Accounts)]
pub struct AccountsJson {
    /// `held` (none released yet) or `released`.
    #[schema(value_type = String)]
    status: &'static str,
    received: i64,
    released: i64,
    /// Received but not yet released.
    pending: i64,
    threshold: i64,
    /// How many more accounts release the held ones, while the review is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    needed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<AccountJson>>,
}

#[derive(Deserialize, ToSchema)]
pub struct QuestionBody {
    text: String,
}

/// Asks the writer of a released account a follow-up question.
#[utoipa::path(post, path = "/reviews/{review_id}/accounts/{account_id}/questions", tag = "reviews",
    params(("review_id" = String, Path, description = "The review's id"), ("account_id" = String, Path, description = "The released account's id")), request_body = QuestionBody,
    responses((status = 201, description = "The question", body = FollowupJson),
        (status = 403, description = "Not a facilitator of this review, or the account is not released", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The review is closed", body = Problem, content_type = "application/problem+json")))]
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

/// Closes a review: the key is destroyed, who took part and the review's own invite links are
/// forgotten; accounts under the threshold stay held until the deadline the writers were shown.
#[utoipa::path(post, path = "/reviews/{review_id}/close", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "The closed review", body = ReviewJson),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Closed already", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let (review, key) =
        actions::close_with_key(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

/// The pre-read for the review meeting, as Markdown.
#[utoipa::path(get, path = "/reviews/{review_id}/preread", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "The pre-read", body = String, content_type = "text/markdown"),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn preread(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let v = actions::preread(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(preread_with_items(&v)))
}

#[derive(Deserialize, ToSchema)]
pub struct FacilitatorBody {
    email: String,
}

/// Lets another facilitator read this review.
#[utoipa::path(post, path = "/reviews/{review_id}/facilitators", tag = "reviews", params(("review_id" = String, Path, description = "The review's id")),
    request_body = FacilitatorBody,
    responses((status = 204, description = "Added"),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
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

#[derive(Deserialize, ToSchema)]
pub struct ReceiptBody {
    receipt: String,
}

/// The writer's own account, read back with its receipt.
#[derive(Serialize, ToSchema)]
pub struct MineJson {
    review: ReviewBrief,
    account: Account,
    followups: Vec<FollowupJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewBrief {
    #[schema(value_type = String)]
    id: ReviewId,
    title: String,
    status: String,
}

fn mine_json(m: Mine) -> MineJson {
    MineJson {
        review: ReviewBrief {
            id: m.review.id,
            title: m.review.title,
            status: m.review.status,
        },
        account: m.account,
        followups: m.thread.into_iter().map(FollowupJson::from).collect(),
    }
}

/// The writer's account and its follow-ups, by receipt.
///
/// Wrong receipts all get the same answer and are rate-limited.
#[utoipa::path(post, path = "/followups", tag = "members", security(()), request_body = ReceiptBody,
    responses((status = 200, description = "The account and its thread", body = MineJson),
        (status = 403, description = "No account has this receipt", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong receipts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn followups(
    state: web::Data<AppState>,
    body: web::Json<ReceiptBody>,
) -> ApiResult<HttpResponse> {
    let m = actions::my_account(&state, &body.receipt).await?;
    Ok(HttpResponse::Ok().json(mine_json(m)))
}

#[derive(Deserialize, ToSchema)]
pub struct ReplyBody {
    receipt: String,
    #[schema(value_type = String)]
    followup_id: FollowupId,
    text: String,
}

/// The writer answers a follow-up question, by receipt.
#[utoipa::path(post, path = "/followups/reply", tag = "members", security(()), request_body = ReplyBody,
    responses((status = 201, description = "Stored", body = ReplyStored),
        (status = 403, description = "No account has this receipt", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question on this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This question has a reply already", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The review is closed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong receipts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn reply(
    state: web::Data<AppState>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (_, stored) = actions::reply(&state, &b.receipt, b.followup_id, b.text).await?;
    let stored = stored.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(ReplyStored {
        stored: FollowupJson::from(stored),
    }))
}

/// The follow-up with the reply as stored.
#[derive(Serialize, ToSchema)]
pub struct ReplyStored {
    stored: FollowupJson,
}

#[derive(Deserialize, ToSchema)]
pub struct AddBody {
    receipt: String,
    text: String,
}

/// The writer adds a note under their account, by receipt.
#[utoipa::path(post, path = "/followups/add", tag = "members", security(()), request_body = AddBody,
    responses((status = 201, description = "The account with the note", body = AddStored),
        (status = 403, description = "No account has this receipt", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The review is closed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong receipts; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn add(
    state: web::Data<AppState>,
    body: web::Json<AddBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (m, done) = actions::add_to_account(&state, &b.receipt, b.text).await?;
    done.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(AddStored { stored: m.account }))
}

/// The account as stored, with the note added.
#[derive(Serialize, ToSchema)]
pub struct AddStored {
    stored: Account,
}

/// The review operations (staff and member), merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(
    create,
    list,
    get,
    invites,
    submit,
    accounts,
    ask,
    close,
    preread,
    add_facilitator,
    followups,
    reply,
    add
))]
pub struct ReviewsApi;

/// The pre-read, ending with the review's action items as a checklist (`followthrough`).
fn preread_with_items(v: &crate::reviews::model::ReviewView) -> String {
    let mut md = pages::preread_markdown(&v.review, &v.accounts, v.received);
    md.push_str(&crate::followthrough::pages::preread_section(&v.items));
    md
}

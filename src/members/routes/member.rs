//! Anonymous member routes: what an invite opens, the key directory, transparency.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiResult, PageResult, Problem};
use crate::followthrough::routes::{MemberActionJson, MemberItemJson};
use crate::members::model::{Bulletin, OpenItem, ScopeKind};
use crate::members::pages;
use crate::members::{actions, bulletin};
use crate::pulse::routes::QuestionJson;
use crate::state::AppState;
use crate::teams::model::{CUSTODY_MEMBER, CUSTODY_STAFF};
use crate::tokens::crypto::{KeyJson, ListedKey};
use crate::web::html_response;

/// The secret from a member's invite link.
#[derive(Deserialize, ToSchema)]
pub struct InviteBody {
    #[serde(default)]
    invite: String,
}

pub(super) async fn landing() -> HttpResponse {
    html_response(StatusCode::OK, pages::landing())
}

pub(super) async fn reopen() -> HttpResponse {
    html_response(StatusCode::OK, pages::reopen())
}

pub(super) async fn open_page(
    state: web::Data<AppState>,
    form: web::Form<InviteBody>,
) -> PageResult<HttpResponse> {
    crate::schedule::catch_up_rounds(&state).await;
    let l = actions::open_for_invite(&state, form.invite.clone()).await?;
    let items: Vec<OpenItem> = l.open.into_iter().map(|(i, _, _)| i).collect();
    let follow = maud::html! {
        (crate::followthrough::pages::member_actions(&l.follow.actions, 2))
        (crate::followthrough::pages::member_items(&l.follow.items))
    };
    Ok(html_response(
        StatusCode::OK,
        pages::open_list(&items, form.invite.trim(), l.staff_seen, follow),
    ))
}

/// What an invite opens.
#[derive(Serialize, ToSchema)]
pub struct Participation {
    open: Vec<OpenJson>,
    /// `member` while no staff member has seen this link, `staff` once one has (G13).
    #[schema(value_type = String)]
    custody: &'static str,
    /// "You said, we did": what the member's team leads committed to after earlier rounds,
    /// with each one's status. Days only, never times.
    actions: Vec<MemberActionJson>,
    /// The action items of the reviews this invite is for (not which accounts raised them).
    review_items: Vec<MemberItemJson>,
}

/// An open round or review the member may answer.
#[derive(Serialize, ToSchema)]
pub struct OpenJson {
    /// `round` or `review`.
    #[schema(value_type = String)]
    kind: &'static str,
    id: String,
    title: String,
    key: KeyJson,
    /// A round's frozen questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    questions: Option<Vec<QuestionJson>>,
}

/// What the member's invite opens, with each key and a round's questions.
#[utoipa::path(post, path = "/participate", tag = "members", security(()), request_body = InviteBody,
    responses((status = 200, description = "What is open for this member", body = Participation),
        (status = 403, description = "The invite is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong invites; see `Retry-After`", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_participate(
    state: web::Data<AppState>,
    body: web::Json<InviteBody>,
) -> ApiResult<HttpResponse> {
    crate::schedule::catch_up_rounds(&state).await;
    let l = actions::open_for_invite(&state, body.invite.clone()).await?;
    let staff_seen = l.staff_seen;
    let open = l
        .open
        .into_iter()
        .map(|(i, key, questions)| OpenJson {
            kind: i.kind,
            id: i.id,
            title: i.title,
            key,
            questions: questions.map(|q| q.iter().map(QuestionJson::from).collect()),
        })
        .collect();
    let custody = if staff_seen {
        CUSTODY_STAFF
    } else {
        CUSTODY_MEMBER
    };
    Ok(HttpResponse::Ok().json(Participation {
        open,
        custody,
        actions: l
            .follow
            .actions
            .iter()
            .map(MemberActionJson::from)
            .collect(),
        review_items: l.follow.items.iter().map(MemberItemJson::from).collect(),
    }))
}

/// The key directory published for everyone.
#[derive(Serialize, ToSchema)]
pub struct KeyDirectory {
    keys: Vec<ListedKey>,
}

/// The public key directory: every round and review key a member may be asked to trust.
///
/// Anonymous and cookieless. The member's browser re-reads it on a request of its own before
/// it blinds, and refuses a key not listed here.
#[utoipa::path(get, path = "/keys", tag = "members", security(()),
    responses((status = 200, description = "Every open round and review, and those closed in the last 30 days; no titles", body = KeyDirectory)))]
pub(super) async fn api_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let keys = actions::key_directory(&state).await?;
    Ok(HttpResponse::Ok().json(KeyDirectory { keys }))
}

/// A closed round's counted-token bulletin (G16): the sorted SHA-256 of every counted token.
///
/// Anonymous and cookieless; 409 until the round closes. Nothing about answers or order.
#[utoipa::path(get, path = "/rounds/{round_id}/bulletin", tag = "members", security(()),
    params(("round_id" = String, Path, description = "The round's id")),
    responses(
        (status = 200, description = "The bulletin", body = Bulletin),
        (status = 404, description = "No such round, or closed before bulletins existed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The round is still open", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_round_bulletin(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = bulletin::bulletin(&state, ScopeKind::Round, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(b))
}

/// A closed review's counted-token bulletin (G16), as for rounds.
#[utoipa::path(get, path = "/reviews/{review_id}/bulletin", tag = "members", security(()),
    params(("review_id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, description = "The bulletin", body = Bulletin),
        (status = 404, description = "No such review, or closed before bulletins existed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The review is still open", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_review_bulletin(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = bulletin::bulletin(&state, ScopeKind::Review, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(b))
}

pub(super) async fn transparency(state: web::Data<AppState>) -> PageResult<HttpResponse> {
    let t = actions::transparency(&state).await?;
    Ok(html_response(StatusCode::OK, pages::transparency(&t)))
}

/// What anyone may know: counts and fingerprints of what is open, never titles.
#[derive(Serialize, ToSchema)]
pub struct TransparencyJson {
    threshold_floor: u16,
    open_rounds: usize,
    open_reviews: usize,
    keys: Vec<PublishedKeyJson>,
    /// Every closed round and review whose bulletin is published (G16), without titles.
    closed: Vec<ClosedJson>,
}

/// A closed round or review: its counts and where its counted-token bulletin is.
#[derive(Serialize, ToSchema)]
pub struct ClosedJson {
    /// `round` or `review`.
    #[schema(value_type = String)]
    kind: &'static str,
    id: String,
    issued: i64,
    counted: i64,
    answered: i64,
    /// Tokens issued but not used: `issued - answered`.
    unused: i64,
    /// The path of its bulletin.
    bulletin: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublishedKeyJson {
    id: String,
    /// `round` or `review`.
    #[schema(value_type = String)]
    kind: &'static str,
    fingerprint: String,
}

/// The public transparency figures: counts and fingerprints, never titles.
#[utoipa::path(get, path = "/transparency", tag = "members", security(()),
    responses((status = 200, description = "Counts and fingerprints of everything open", body = TransparencyJson)))]
pub(super) async fn api_transparency(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let t = actions::transparency(&state).await?;
    Ok(HttpResponse::Ok().json(TransparencyJson {
        threshold_floor: t.floor,
        open_rounds: t.open_rounds,
        open_reviews: t.open_reviews,
        closed: t
            .closed
            .iter()
            .map(|e| ClosedJson {
                kind: e.kind.as_str(),
                id: e.id.clone(),
                issued: e.issued,
                counted: e.counted,
                answered: e.answered,
                unused: e.unused(),
                bulletin: e.url(),
            })
            .collect(),
        keys: t
            .keys
            .into_iter()
            .map(|k| PublishedKeyJson {
                id: k.id,
                kind: k.kind,
                fingerprint: k.fingerprint,
            })
            .collect(),
    }))
}

/// The member entry operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(
    api_participate,
    api_transparency,
    api_keys,
    api_round_bulletin,
    api_review_bulletin
))]
pub struct MembersApi;

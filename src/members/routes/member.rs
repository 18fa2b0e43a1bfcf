//! Anonymous member routes: what an invite opens, the key directory, transparency.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiResult, PageResult};
use crate::members::model::{OpenItem, ScopeKind};
use crate::members::pages;
use crate::members::{actions, bulletin};
use crate::state::AppState;
use crate::teams::model::{CUSTODY_MEMBER, CUSTODY_STAFF};
use crate::web::html_response;

#[derive(Deserialize)]
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
    let (items, staff_seen) = actions::open_for_invite(&state, form.invite.clone()).await?;
    let items: Vec<OpenItem> = items.into_iter().map(|(i, _, _)| i).collect();
    Ok(html_response(
        StatusCode::OK,
        pages::open_list(&items, form.invite.trim(), staff_seen),
    ))
}

pub(super) async fn api_participate(
    state: web::Data<AppState>,
    body: web::Json<InviteBody>,
) -> ApiResult<HttpResponse> {
    crate::schedule::catch_up_rounds(&state).await;
    let (items, staff_seen) = actions::open_for_invite(&state, body.invite.clone()).await?;
    let open: Vec<serde_json::Value> = items
        .into_iter()
        .map(|(i, key, questions)| {
            let mut v = json!({ "kind": i.kind, "id": i.id, "title": i.title, "key": key });
            if let Some(q) = questions {
                v["questions"] = json!(q
                    .iter()
                    .map(crate::pulse::routes::QuestionJson::from)
                    .collect::<Vec<_>>());
            }
            v
        })
        .collect();
    let custody = if staff_seen {
        CUSTODY_STAFF
    } else {
        CUSTODY_MEMBER
    };
    Ok(HttpResponse::Ok().json(json!({ "open": open, "custody": custody })))
}

/// `GET /api/v1/keys`: anonymous and cookieless. The member's browser re-reads it on a
/// request of its own before it blinds, and refuses a key not listed here.
pub(super) async fn api_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let keys = actions::key_directory(&state).await?;
    Ok(HttpResponse::Ok().json(json!({ "keys": keys })))
}

/// `GET /api/v1/rounds/{id}/bulletin`: anonymous and cookieless; 409 until the round closes.
pub(super) async fn api_round_bulletin(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = bulletin::bulletin(&state, ScopeKind::Round, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(b))
}

/// `GET /api/v1/reviews/{id}/bulletin`: the same for a review.
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

pub(super) async fn api_transparency(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let t = actions::transparency(&state).await?;
    let keys: Vec<serde_json::Value> = t
        .keys
        .iter()
        .map(|k| json!({ "id": k.id, "kind": k.kind, "fingerprint": k.fingerprint }))
        .collect();
    let closed: Vec<serde_json::Value> = t
        .closed
        .iter()
        .map(|e| {
            json!({
                "kind": e.kind.as_str(), "id": e.id, "issued": e.issued, "counted": e.counted,
                "answered": e.answered, "unused": e.unused(), "bulletin": e.url(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "threshold_floor": t.floor,
        "open_rounds": t.open_rounds,
        "open_reviews": t.open_reviews,
        "keys": keys,
        "closed": closed,
    })))
}

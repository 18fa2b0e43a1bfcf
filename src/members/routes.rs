//! The member's entry: `/p` (the invite link lands here), `POST /api/v1/participate`, and
//! the public transparency page. All anonymous: no cookie, no log line (G4, G5).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::pages::{self, OpenItem};
use crate::app::{html_response, AppState};
use crate::db::DbConnection;
use crate::error::{ApiResult, AppError, PageResult};
use crate::pulse::store as pulse;
use crate::teams::store::member_by_invite;
use crate::tokens::crypto;
use crate::tokens::routes::bad_invite;
use crate::tokens::store as tokens;

#[derive(Deserialize)]
pub struct InviteBody {
    #[serde(default)]
    invite: String,
}

/// An open round or review, its key as API.md publishes it, and a round's questions.
type OpenEntry = (
    OpenItem,
    crypto::KeyJson,
    Option<Vec<crate::pulse::model::Question>>,
);

/// What is open to the member holding this invite, and whether staff have seen the invite.
fn open_for(
    c: &mut DbConnection,
    keys: &crate::secret::Keys,
    invite: &str,
) -> Result<(Vec<OpenEntry>, bool), AppError> {
    let member = member_by_invite(c, keys, invite.trim())?.ok_or_else(bad_invite)?;
    let scopes = tokens::scopes_of_member(c, &member.id)?;
    let key_rows = tokens::find_keys(c, &scopes)?;
    let mut out = Vec::new();
    for r in pulse::open_rounds_for(c, &scopes)? {
        let Some(k) = key_rows.iter().find(|k| k.scope_id == r.id) else {
            continue;
        };
        let key = crypto::key_json(&crypto::parse_public(&k.public_der)?);
        let questions = pulse::round_questions(c, &r.id)?;
        out.push((
            OpenItem {
                kind: "round",
                id: r.id,
                title: r.title,
                fingerprint: key.fingerprint.clone(),
            },
            key,
            Some(questions),
        ));
    }
    for (id, title) in crate::reviews::store::open_for_member(c, &member.id)? {
        let Some(k) = key_rows.iter().find(|k| k.scope_id == id) else {
            continue;
        };
        let key = crypto::key_json(&crypto::parse_public(&k.public_der)?);
        let fingerprint = key.fingerprint.clone();
        out.push((
            OpenItem {
                kind: "review",
                id,
                title,
                fingerprint,
            },
            key,
            None,
        ));
    }
    Ok((out, member.staff_seen))
}

async fn landing() -> HttpResponse {
    html_response(StatusCode::OK, pages::landing())
}

async fn open_page(
    state: web::Data<AppState>,
    form: web::Form<InviteBody>,
) -> PageResult<HttpResponse> {
    let _ = crate::pulse::routes::tick(&state).await;
    let (keys, invite) = (state.keys.clone(), form.invite.clone());
    let (items, staff_seen) = state.db.read(move |c| open_for(c, &keys, &invite)).await?;
    let items: Vec<OpenItem> = items.into_iter().map(|(i, _, _)| i).collect();
    Ok(html_response(
        StatusCode::OK,
        pages::open_list(&items, form.invite.trim(), staff_seen),
    ))
}

async fn api_participate(
    state: web::Data<AppState>,
    body: web::Json<InviteBody>,
) -> ApiResult<HttpResponse> {
    let _ = crate::pulse::routes::tick(&state).await;
    let (keys, invite) = (state.keys.clone(), body.invite.clone());
    let (items, staff_seen) = state.db.read(move |c| open_for(c, &keys, &invite)).await?;
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
        crate::teams::routes::CUSTODY_STAFF
    } else {
        crate::teams::routes::CUSTODY_MEMBER
    };
    Ok(HttpResponse::Ok().json(json!({ "open": open, "custody": custody })))
}

fn transparency_data(c: &mut DbConnection, floor: u16) -> Result<pages::Transparency, AppError> {
    use crate::db::schema::{reviews, rounds, signing_keys};
    use diesel::prelude::*;
    let open: Vec<(String, String, String)> = rounds::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(rounds::id)))
        .filter(rounds::status.eq("open"))
        .select((rounds::id, rounds::title, signing_keys::fingerprint))
        .load(c)?;
    let mut keys: Vec<pages::PublishedKey> = open
        .into_iter()
        .map(|(id, title, fingerprint)| pages::PublishedKey {
            id,
            title,
            fingerprint,
            kind: "pulse round",
        })
        .collect();
    let reviews_open: Vec<(String, String, String)> = reviews::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(reviews::id)))
        .filter(reviews::status.eq(crate::reviews::store::OPEN))
        .select((reviews::id, reviews::title, signing_keys::fingerprint))
        .load(c)?;
    keys.extend(
        reviews_open
            .into_iter()
            .map(|(id, title, fingerprint)| pages::PublishedKey {
                id,
                title,
                fingerprint,
                kind: "review",
            }),
    );
    Ok(pages::Transparency { floor, keys })
}

async fn transparency(state: web::Data<AppState>) -> PageResult<HttpResponse> {
    let floor = state.settings.threshold_floor;
    let t = state.db.read(move |c| transparency_data(c, floor)).await?;
    Ok(html_response(StatusCode::OK, pages::transparency(&t)))
}

async fn api_transparency(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let floor = state.settings.threshold_floor;
    let t = state.db.read(move |c| transparency_data(c, floor)).await?;
    let keys: Vec<serde_json::Value> = t
        .keys
        .iter()
        .map(|k| json!({ "id": k.id, "title": k.title, "kind": k.kind, "fingerprint": k.fingerprint }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "threshold_floor": t.floor, "keys": keys })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/p", web::get().to(landing))
        .route("/p", web::post().to(open_page))
        .route("/transparency", web::get().to(transparency));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/participate", web::post().to(api_participate))
        .route("/transparency", web::get().to(api_transparency));
}

//! The member's entry: `/p` (the invite link lands here), `POST /api/v1/participate`, and
//! the public transparency page. All anonymous: no cookie, no log line (G4, G5).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::pages::{self, OpenItem};
use crate::db::DbConnection;
use crate::error::{ApiResult, AppError, PageResult};
use crate::pulse::store as pulse;
use crate::state::AppState;
use crate::teams::store::member_by_invite;
use crate::tokens::crypto;
use crate::tokens::routes::bad_invite;
use crate::tokens::store as tokens;
use crate::web::html_response;

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
    crate::schedule::catch_up_rounds(&state).await;
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
    crate::schedule::catch_up_rounds(&state).await;
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

/// How long a closed round's or review's public key stays in the directory: long enough for
/// members to check, late, the key they used.
pub const CLOSED_KEYS_LISTED_DAYS: i64 = 30;

/// The key directory (G11): every open round and review key, and those closed within
/// [`CLOSED_KEYS_LISTED_DAYS`], by kind and id. No titles, no teams: only what a client
/// needs to check the key it was served. Sorted by kind and (random) id.
fn directory(
    c: &mut DbConnection,
    cache: &crate::tokens::KeyCache,
) -> Result<Vec<crypto::ListedKey>, AppError> {
    use crate::db::schema::{reviews, rounds, signing_keys};
    use diesel::prelude::*;
    let cutoff = crate::secret::now().date() - time::Duration::days(CLOSED_KEYS_LISTED_DAYS);
    let round_rows: Vec<(String, String, String)> = rounds::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(rounds::id)))
        .filter(
            rounds::status.eq("open").or(rounds::status
                .eq("closed")
                .and(rounds::closed_on.ge(cutoff))),
        )
        .select((rounds::id, rounds::status, signing_keys::public_der))
        .load(c)?;
    let review_rows: Vec<(String, String, String)> = reviews::table
        .inner_join(signing_keys::table.on(signing_keys::scope_id.eq(reviews::id)))
        .filter(
            reviews::status
                .eq(crate::reviews::store::OPEN)
                .or(reviews::status
                    .eq(crate::reviews::store::CLOSED)
                    .and(reviews::closed_on.ge(cutoff))),
        )
        .select((reviews::id, reviews::status, signing_keys::public_der))
        .load(c)?;
    let mut out = Vec::with_capacity(round_rows.len() + review_rows.len());
    for (kind, rows) in [("round", round_rows), ("review", review_rows)] {
        for (id, status, public_der) in rows {
            let pk = cache.public(&id, &public_der)?;
            let key = crypto::key_json(&pk);
            out.push(crypto::ListedKey {
                kind: kind.to_owned(),
                status: if status == "open" { "open" } else { "closed" }.to_owned(),
                id,
                fingerprint: key.fingerprint,
                n: key.n,
                e: crypto::PUBLIC_EXPONENT_B64.to_owned(),
                n_bits: crypto::MODULUS_BITS as u32,
            });
        }
    }
    out.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    Ok(out)
}

/// `GET /api/v1/keys`: anonymous and cookieless. The member's browser re-reads it on a
/// request of its own before it blinds, and refuses a key not listed here.
async fn api_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let cache = state.key_cache.clone();
    let keys = state.db.read(move |c| directory(c, &cache)).await?;
    Ok(HttpResponse::Ok().json(json!({ "keys": keys })))
}

/// What the transparency page publishes: counts and fingerprints of what is open. No titles:
/// the title of an open review names an incident to anyone who looks (hole 10).
fn transparency_data(
    c: &mut DbConnection,
    cache: &crate::tokens::KeyCache,
    floor: u16,
) -> Result<pages::Transparency, AppError> {
    let keys: Vec<pages::PublishedKey> = directory(c, cache)?
        .into_iter()
        .filter(|k| k.status == "open")
        .map(|k| pages::PublishedKey {
            kind: if k.kind == "round" {
                "pulse round"
            } else {
                "review"
            },
            id: k.id,
            fingerprint: k.fingerprint,
        })
        .collect();
    Ok(pages::Transparency {
        floor,
        open_rounds: keys.iter().filter(|k| k.kind == "pulse round").count(),
        open_reviews: keys.iter().filter(|k| k.kind == "review").count(),
        keys,
    })
}

async fn transparency(state: web::Data<AppState>) -> PageResult<HttpResponse> {
    let (floor, cache) = (state.settings.threshold_floor, state.key_cache.clone());
    let t = state
        .db
        .read(move |c| transparency_data(c, &cache, floor))
        .await?;
    Ok(html_response(StatusCode::OK, pages::transparency(&t)))
}

async fn api_transparency(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let (floor, cache) = (state.settings.threshold_floor, state.key_cache.clone());
    let t = state
        .db
        .read(move |c| transparency_data(c, &cache, floor))
        .await?;
    let keys: Vec<serde_json::Value> = t
        .keys
        .iter()
        .map(|k| json!({ "id": k.id, "kind": k.kind, "fingerprint": k.fingerprint }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "threshold_floor": t.floor,
        "open_rounds": t.open_rounds,
        "open_reviews": t.open_reviews,
        "keys": keys,
    })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/p", web::get().to(landing))
        .route("/p", web::post().to(open_page))
        .route("/transparency", web::get().to(transparency));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/participate", web::post().to(api_participate))
        .route("/transparency", web::get().to(api_transparency))
        .route("/keys", web::get().to(api_keys));
}

//! The OpenAPI document served at `/api/v1/openapi.json`: every path of API.md and the
//! extensions. A test checks that each documented path answers something other than 404.

use actix_web::HttpResponse;
use serde_json::{json, Value};

fn op(summary: &str, anonymous: bool) -> Value {
    let mut v = json!({ "summary": summary, "responses": { "default": { "description": "problem+json on error", "content": { "application/problem+json": {} } } } });
    if anonymous {
        v["security"] = json!([]);
    }
    v
}

/// Incident reviews and pre-review accounts (API.md "Reviews", plus extensions).
fn review_paths() -> Value {
    json!({
        "/reviews": { "get": op("Reviews you facilitate (all, for admins)", false),
                      "post": op("Open a review: {title, incident_date, summary, team_ids?, invitees?, deadline?, threshold?, retention_days?} -> 201 Review {id, status, key, warnings?}", false) },
        "/reviews/{review_id}": { "get": op("A review and its key", false) },
        "/reviews/{review_id}/invites": { "get": op("Each invited person's personal link: [{member_id, label, url}]", false) },
        "/reviews/{review_id}/tokens": { "post": op("Member: {invite, blinded_message} -> {blind_signature}, once per person", true) },
        "/reviews/{review_id}/accounts": {
            "post": op("Member: {token, account: {timeline: [{time?, text}], expected?, surprised?, hard?, helped?, other?}} -> 201 {receipt, stored}; 409 reused token, 403 forged or another review's, 410 closed, 422 empty or too long", true),
            "get": op("Staff: {status: held|released, received, released, pending, needed?, accounts?: [{id, account, followups: [{id, question, reply?}]}]}, shuffled on every read", false) },
        "/reviews/{review_id}/accounts/{account_id}/questions": { "post": op("Ask the writer of a released account a follow-up: {text} -> 201", false) },
        "/reviews/{review_id}/facilitators": { "post": op("Let another facilitator read this review: {email} -> 204", false) },
        "/reviews/{review_id}/close": { "post": op("Close: release everything, destroy the key, forget who took part", false) },
        "/reviews/{review_id}/preread": { "get": op("The Markdown pre-read (text/markdown)", false) },
        "/followups": { "post": op("Member: {receipt} -> {review, account, followups}; wrong receipts all get one answer and are rate-limited (429)", true) },
        "/followups/reply": { "post": op("Member: {receipt, followup_id, text} -> 201; 410 once the review is closed", true) },
        "/followups/add": { "post": op("Member: {receipt, text} -> 201 {stored}: a note added under the account", true) },
    })
}

pub fn spec() -> Value {
    let mut paths = json!({
        "/login": { "post": op("Sign in; returns a session cookie and the CSRF token for cookie-authenticated writes", true) },
        "/me": { "get": op("The signed-in staff member", false) },
        "/me/tokens": { "post": op("Create an API token for yourself", false) },
        "/staff": { "get": op("List staff (admin)", false), "post": op("Invite a staff member; returns a one-time set-password URL (admin)", false) },
        "/staff/{id}": { "patch": op("Change a staff member's role or deactivate them (admin)", false) },
        "/teams": { "get": op("Teams you lead (all, for admins)", false), "post": op("Create a team with a roster", false) },
        "/teams/{team_id}": { "get": op("A team and its roster", false), "patch": op("Rename a team or change its threshold for future rounds", false) },
        "/teams/{team_id}/members": { "post": op("Add people to a roster", false) },
        "/teams/{team_id}/members/{member_id}": { "delete": op("Remove someone from the roster", false) },
        "/teams/{team_id}/members/{member_id}/invite": { "post": op("Give a member a new invite link; the old one stops working", false) },
        "/teams/{team_id}/invites": { "get": op("Each member's personal invite link", false) },
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), review_paths()) {
        all.extend(more);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Candor API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Staff endpoints take `Authorization: Bearer <token>` or a session cookie with `X-CSRF-Token`. Member endpoints are anonymous: they set and read no cookie. Binary values are base64url without padding." },
        "servers": [{ "url": "/api/v1" }],
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } },
        "security": [{ "bearer": [] }],
        "paths": paths,
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec().to_string())
}

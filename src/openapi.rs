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

pub fn spec() -> Value {
    let paths = json!({
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

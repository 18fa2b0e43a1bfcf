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
        "/reviews/{review_id}/invites": { "get": op("Each invited person's link of this review's own (never a team link, G12): [{member_id, label, url}]; listing marks them seen by staff (G13)", false) },
        "/reviews/{review_id}/tokens": { "post": op("Member: {invite, blinded_message} -> {blind_signature}, once per person", true) },
        "/reviews/{review_id}/accounts": {
            "post": op("Member: {token, account: {timeline: [{time?, text}], expected?, surprised?, hard?, helped?, other?}} -> 201 {receipt, stored}; 409 reused token, 403 forged or another review's, 410 closed, 422 empty or too long", true),
            "get": op("Staff: {status: held|released, received, released, pending, needed?, accounts?: [{id, account, followups: [{id, question, reply?}]}]}, shuffled on every read", false) },
        "/reviews/{review_id}/accounts/{account_id}/questions": { "post": op("Ask the writer of a released account a follow-up: {text} -> 201", false) },
        "/reviews/{review_id}/facilitators": { "post": op("Let another facilitator read this review: {email} -> 204", false) },
        "/reviews/{review_id}/close": { "post": op("Close: destroy the key, forget who took part and the review's own invite links; accounts under the threshold stay held until the deadline the writers were shown", false) },
        "/instance": { "get": op("Admin: {backend, threshold_floor, scrub: {pending, pending_since?, failed_attempts, last_error?}}: whether the close-time scrub (G15) is owed", false) },
        "/instance/scrub": { "post": op("Admin: retry an owed close-time scrub now -> {scrub}", false) },
        "/reviews/{review_id}/preread": { "get": op("The Markdown pre-read (text/markdown)", false) },
        "/followups": { "post": op("Member: {receipt} -> {review, account, followups}; wrong receipts all get one answer and are rate-limited (429)", true) },
        "/followups/reply": { "post": op("Member: {receipt, followup_id, text} -> 201; 410 once the review is closed", true) },
        "/followups/add": { "post": op("Member: {receipt, text} -> 201 {stored}: a note added under the account", true) },
    })
}

/// Pulse rounds, the member's entry and culture metrics (API.md, plus extensions).
fn pulse_and_metrics_paths() -> Value {
    json!({
        "/teams/{team_id}/rounds": {
            "post": op("Open a round now or at opens_at: {template: \"psychological-safety\", title?, opens_at?, closes_at?} -> 201 Round {id, team_id, status, questions: [{id, kind, text, min, max, reverse, required, options?}], key?}", false),
            "get": op("A team's rounds, oldest first", false) },
        "/teams/{team_id}/trend": { "get": op("[{round_id, closed_on, status: shown|suppressed, answered, score?}] over closed rounds", false) },
        "/rounds/{round_id}": { "get": op("A round, its frozen questions and its key", false) },
        "/rounds/{round_id}/close": { "post": op("Close: aggregates stored once, answers shuffled, key destroyed, who took part forgotten -> Round", false) },
        "/rounds/{round_id}/results": { "get": op("{status: open|suppressed|shown, invited, answered, needed?, score?, spread?, agreement?, items?: [{question_id, text, kind, n, mean?, scored_mean?, distribution?, texts?, suppressed}], enps?, comments?, comment_count?}", false) },
        "/rounds/{round_id}/tokens": { "post": op("Member: {invite, blinded_message} -> {blind_signature}; 409 the second time, 403 not on the frozen roster, 410 closed", true) },
        "/rounds/{round_id}/answers": { "post": op("Member: {token: {message, randomizer, signature}, answers: [{question_id, value}], comment?} -> 201 {stored}; 409 token reused, 403 token invalid, 410 closed, 422 invalid answer (the token is not spent)", true) },
        "/participate": { "post": op("Member: {invite} -> {open: [{kind: round|review, id, title, key: {n, e, fingerprint}, questions?}], custody: member|staff} (custody: whether staff have ever seen this link, G13)", true) },
        "/transparency": { "get": op("Public: {threshold_floor, open_rounds, open_reviews, keys: [{id, kind, fingerprint}]} for everything open; no titles", true) },
        "/keys": { "get": op("Public key directory, no cookie: {keys: [{kind: round|review, id, status: open|closed, fingerprint, n, e: AQAB (65537 in base64url), n_bits: 2048}]} for every open round and review and those closed in the last 30 days; no titles. Clients re-read it on a separate request and refuse a key not listed with the same fingerprint", true) },
        "/metrics/heatmap": { "get": op("?period=latest|YYYY-Qn -> {period, teams: [{team_id, name, round_id?, status: shown|suppressed|none, answered?, invited?, score?, spread?, agreement?, items?: [{question_id, key, mean}], enps?, comment_rate?}], groups: [...]}", false) },
        "/metrics/export.csv": { "get": op("?period= -> text/csv: exactly the heat map's aggregates", false) },
        "/metrics/trends": { "get": op("{trends: [{name, kind, points: [{period, status, score?, answered?}], change?: {delta, standard_error, within_noise}}], bad_news}", false) },
        "/metrics/groups": { "get": op("Groups of teams with dated memberships (admin)", false), "post": op("{name, team_ids?} -> 201 {id} (admin)", false) },
        "/metrics/groups/{group_id}/teams": { "post": op("{team_id}: the team counts for the group from now on (admin)", false) },
        "/metrics/groups/{group_id}/teams/{team_id}": { "delete": op("The team stops counting for the group from now on (admin)", false) },
    })
}

pub fn spec() -> Value {
    let mut paths = json!({
        "/login": { "post": op("Sign in; returns a session cookie and the CSRF token for cookie-authenticated writes", true) },
        "/me": { "get": op("The signed-in staff member", false) },
        "/me/tokens": { "post": op("Create an API token for yourself", false) },
        "/staff": { "get": op("List staff (admin)", false), "post": op("Invite a staff member {email, role, send_email?}; returns a one-time set-password URL (admin), or with send_email: true mails it to them and returns none (needs email delivery, else 409)", false) },
        "/staff/{id}": { "patch": op("Change a staff member's role or deactivate them (admin)", false) },
        "/teams": { "get": op("Teams you lead (all, for admins)", false), "post": op("Create a team with a roster", false) },
        "/teams/{team_id}": { "get": op("A team and its roster", false), "patch": op("Rename a team, change its threshold for future rounds, or allow facilitators to invite it to reviews, or set its chat webhook (Slack-compatible, counts only; \"\" clears it): {name?, threshold?, reviews_allowed?, webhook_url?}", false) },
        "/teams/{team_id}/members": { "post": op("Add people to a roster", false) },
        "/teams/{team_id}/members/{member_id}": { "delete": op("Remove someone from the roster", false) },
        "/teams/{team_id}/members/{member_id}/invite": { "post": op("Give a member a new invite link; the old one stops working", false) },
        "/teams/{team_id}/invites": { "get": op("Each member's personal invite link: [{member_id, label, url?, custody: staff | member}]; listing shows them to staff, so they are marked seen (G13), audited; a link Candor mailed to its member is listed without url, custody member", false) },
        "/teams/{team_id}/invites/send": { "post": op("Email each member whose label holds an address (all, or {member_ids?}) their own link; a link staff had seen is replaced first; those links get custody member and are never shown to staff -> 202 {queued, skipped}; 409 when email is off", false) },
        "/reviews/{review_id}/invites/send": { "post": op("Email each invitee of an open review whose label holds an address the review's own link (custody member, never shown to staff again) -> 202 {queued, skipped}; 409 when email is off", false) },
        "/rounds/{round_id}/remind": { "post": op("Email the same reminder, with their own link, to every member of an open round's roster, answered or not (no participation record, G3) -> 202 {queued}; 409 when email is off", false) },
        "/delivery": { "get": op("Admin: {mail, waiting, failed: [{id, channel, purpose, recipient, subject, attempts, last_error, failed_at}]}: the outbox, never a message body", false) },
        "/delivery/webhook": { "put": op("Admin: the instance's default chat webhook {url} for teams without one (\"\" or null clears it)", false) },
    });
    for more in [review_paths(), pulse_and_metrics_paths()] {
        if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), more) {
            all.extend(more);
        }
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

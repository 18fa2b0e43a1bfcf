//! The OpenAPI document served at `/api/v1/openapi.json`, and the page at `/api/docs` that
//! shows it to people (`page.rs`).
//!
//! The document is generated, never written by hand: each feature's `routes` module exposes
//! `openapi()`, built by utoipa from the `#[utoipa::path]` attribute on every API handler and
//! the `ToSchema` derive on every DTO those handlers send or read. A DTO that changes changes
//! the document with it, so clients (API.md) and schema-driven fuzzers (`.ci/fuzz`) always
//! see what the server really sends. This file adds what holds for every operation alike:
//! the security schemes, the anonymous marker and the problem+json answers that the shared
//! plumbing (`app.rs`'s extractor error handlers, `error.rs`) gives every route.

mod page;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
};
use utoipa::OpenApi;

use crate::error::{problem_response, AppError, Problem};

/// Where the document and the docs page are served (both public: the API's shape is no secret).
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
pub const PAGE_PATH: &str = "/api/docs";

/// What the whole API shares: its description, the security schemes and the problem schema.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Candor API",
        description = "Staff endpoints take `Authorization: Bearer <token>` (an API token: \
            `candor token create`, or the API tokens page), or the session cookie of a browser \
            sign-in with its `X-CSRF-Token` on every write. Member endpoints are anonymous: \
            they set and read no cookie and write no log line. Binary values are base64url \
            without padding; times are RFC 3339 UTC; dates `YYYY-MM-DD`. Errors are \
            `application/problem+json` (RFC 9457).",
        license(name = "AGPL-3.0-or-later")
    ),
    servers((url = "/api/v1")),
    components(schemas(Problem)),
    tags(
        (name = "teams", description = "Teams, rosters and personal invite links (staff)"),
        (name = "pulse", description = "Pulse rounds and their results (staff)"),
        (name = "reviews", description = "Incident reviews and pre-review accounts (staff)"),
        (name = "members", description = "The member's anonymous endpoints: no cookie, no log line"),
        (name = "metrics", description = "Culture metrics across teams (staff)"),
        (name = "staff accounts", description = "Sign-in, API tokens and staff administration"),
        (name = "instance", description = "The instance's own state (admins)")
    )
)]
struct Base;

/// The complete document: the shared part, every feature's operations, then the answers
/// every operation can give.
pub fn spec() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    for part in [
        crate::auth::routes::openapi(),
        crate::teams::routes::openapi(),
        crate::pulse::routes::openapi(),
        crate::tokens::routes::openapi(),
        crate::members::routes::openapi(),
        crate::reviews::routes::openapi(),
        crate::threads::routes::openapi(),
        crate::metrics::routes::openapi(),
        crate::instance::routes::openapi(),
        crate::delivery::routes::openapi(),
        crate::followthrough::routes::openapi(),
    ] {
        doc.merge(part);
    }
    add_security(&mut doc);
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            add_shared_answers(op);
            tidy(op);
        }
    }
    add_links(&mut doc);
    doc
}

/// Where the id a creating operation answers with leads: (the creating operation, its
/// status, the path parameter that takes the new `id`, the operations that take it).
/// OpenAPI links let clients and schema-driven fuzzers follow a new team to its rounds, a
/// new round to its answers, and so on, instead of guessing ids.
const LINKS: [(&str, &str, &str, &[&str]); 4] = [
    (
        "/teams",
        "201",
        "team_id",
        &[
            "teams.get",
            "teams.update",
            "teams.add_members",
            "teams.invites",
            "pulse.open",
            "pulse.team_rounds",
            "pulse.trend",
        ],
    ),
    (
        "/teams/{team_id}/rounds",
        "201",
        "round_id",
        &[
            "pulse.round",
            "pulse.results",
            "pulse.close",
            "members.issue_round",
            "members.answers",
        ],
    ),
    (
        "/reviews",
        "201",
        "review_id",
        &[
            "reviews.get",
            "reviews.invites",
            "reviews.accounts",
            "reviews.preread",
            "reviews.add_facilitator",
            "reviews.close",
            "members.issue_review",
            "members.submit",
        ],
    ),
    ("/metrics/groups", "201", "group_id", &["metrics.add_team"]),
];

fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::extensions::Extensions;
    use utoipa::openapi::link::LinkBuilder;
    for (path, status, parameter, targets) in LINKS {
        let Some(RefOr::T(response)) = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.responses.responses.get_mut(status))
        else {
            continue;
        };
        for target in targets {
            // utoipa 5.5 writes `Link::operation_id` as `operation_id`, which OpenAPI does not
            // know (the validator refuses it); as an extension entry it is written as named.
            let operation_id = Extensions::from_iter([("operationId", *target)]);
            response.links.insert(
                target.replace('.', "_"),
                RefOr::T(
                    LinkBuilder::new()
                        .parameter(parameter, "$response.body#/id")
                        .extensions(Some(operation_id))
                        .build(),
                ),
            );
        }
    }
}

/// Operation ids unique across features (`pulse.close`, `reviews.close`), and doc comments'
/// line breaks undone so a summary reads as one line.
fn tidy(op: &mut Operation) {
    let tag = op.tags.iter().flatten().next().cloned().unwrap_or_default();
    if let Some(id) = &op.operation_id {
        let name = id.strip_prefix("api_").unwrap_or(id);
        op.operation_id = Some(format!("{}.{name}", tag.replace(' ', "_")));
    }
    for text in [&mut op.summary, &mut op.description].into_iter().flatten() {
        *text = text
            .split("\n\n")
            .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
}

/// The session cookie's name, as `web::session` sets it.
use crate::web::session::SESSION_COOKIE;

/// Staff may use a bearer token, or a session cookie with the CSRF header (reads need only
/// the cookie; the server refuses a cookie write without the header). Operations that say
/// `security(())` in their attribute are anonymous: the document says `security: []`.
fn add_security(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token of a staff member: `candor token create --email E`",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The session cookie of `POST /login`",
        ))),
    );
    components.add_security_scheme(
        "csrf",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The `csrf_token` of `POST /login`; required with the session cookie on writes",
        ))),
    );
    use utoipa::openapi::security::SecurityRequirement;
    doc.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()).add("csrf", Vec::<String>::new()),
    ]);
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            if is_anonymous(op) {
                op.security = Some(vec![]);
            }
        }
    }
}

/// Whether an operation takes no credentials: its attribute said `security(())`, which utoipa
/// writes as one empty requirement, or the document already says `security: []`.
pub fn is_anonymous(op: &Operation) -> bool {
    match &op.security {
        Some(list) => list.iter().all(|r| {
            serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
        }),
        None => false,
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.patch.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The problem+json answers the shared plumbing gives, added where an operation's own
/// attribute did not name them: 400/413/422 wherever a JSON body or a query string is read
/// (`app.rs`'s error handlers), 401 on every staff operation, 404 wherever a path names a
/// resource, and 503 everywhere (the database out of reach: nothing was saved).
fn add_shared_answers(op: &mut Operation) {
    let reads_input = op.request_body.is_some()
        || op
            .parameters
            .iter()
            .flatten()
            .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
    let names_resource = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path));
    let mut shared = vec![(
        StatusCode::SERVICE_UNAVAILABLE,
        "The database is out of reach; nothing was saved. See `Retry-After`",
    )];
    if reads_input {
        shared.push((
            StatusCode::BAD_REQUEST,
            "The body is not JSON, or the query string cannot be read",
        ));
        shared.push((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid input: `errors` names each field",
        ));
    }
    if op.request_body.is_some() {
        shared.push((
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is over the size limit",
        ));
    }
    if !is_anonymous(op) {
        shared.push((StatusCode::UNAUTHORIZED, "No valid API token or session"));
    }
    if names_resource {
        shared.push((
            StatusCode::NOT_FOUND,
            "No such resource, or not yours to see",
        ));
        // `web::input` refuses a path holding a control character before any handler runs.
        shared.push((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid input: a path segment or a field holds a control character, or a field is invalid",
        ));
    }
    for (status, description) in shared {
        let key = status.as_u16().to_string();
        op.responses
            .responses
            .entry(key)
            .or_insert_with(|| RefOr::T(problem(status, description)));
    }
}

/// A problem+json response, with `Retry-After` where the status promises one.
fn problem(status: StatusCode, description: &str) -> Response {
    let mut r = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
    ) {
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    r.build()
}

/// Each documented path as its segments, with the methods documented for it. Computed once
/// per process: the document is a pure function of the code, so this is a constant that
/// cannot be written down by hand, not state (nothing configurable or mutable lives here).
type Routes = Vec<(Vec<String>, Vec<&'static str>)>;

fn routes() -> &'static Routes {
    static ROUTES: std::sync::OnceLock<Routes> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        spec()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("PUT", item.put.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, there)| there.then_some(m))
                .collect();
                (path.split('/').map(str::to_owned).collect(), methods)
            })
            .collect()
    })
}

/// The methods the document lists for a concrete API path (`/teams/abc`, relative to
/// `/api/v1`), if a documented path matches it. The router answers a request to a
/// documented path with another method by 405 and these methods in `Allow`, not by 404.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    let segments: Vec<&str> = path.split('/').collect();
    routes()
        .iter()
        .find(|(template, _)| {
            template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .map(|(_, methods)| methods.as_slice())
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    match spec().to_json() {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        Err(e) => problem_response(&AppError::internal(format!("openapi document: {e}"))),
    }
}

/// `GET /api/docs`: the document as a page people can read, without JavaScript.
pub async fn docs_page() -> HttpResponse {
    match serde_json::to_value(spec()) {
        Ok(doc) => crate::web::html_response(StatusCode::OK, page::render(&page::view(&doc))),
        Err(e) => actix_web::ResponseError::error_response(&AppError::internal(format!(
            "openapi document: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `allowed_methods` takes the first template that matches; a literal path listed after a
    /// templated sibling of the same length would get the sibling's methods, and the input
    /// guard would then let a routed request through unchecked. Every documented operation,
    /// its parameters filled in, must find its own methods.
    #[test]
    fn every_documented_operation_finds_its_own_methods() {
        let doc = spec();
        let mut checked = 0;
        for (path, item) in &doc.paths.paths {
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let allowed = allowed_methods(&concrete).unwrap_or_default();
            for (m, there) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PATCH", item.patch.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                assert_eq!(allowed.contains(&m), there, "{m} {path} as {concrete}");
                checked += usize::from(there);
            }
        }
        assert!(checked > 50, "only {checked} operations");
    }
}

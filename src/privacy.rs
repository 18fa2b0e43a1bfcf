//! What every response carries and what the log may hold (THREAT-MODEL G4, G5).
//!
//! Anonymous routes get no log line at all, never see a cookie (the header is removed before
//! any handler runs) and never set one. Staff routes log the method, the route pattern (not
//! the path, so no ids or secrets), the status and the duration; never an address, a user
//! agent, a referrer or a query string.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::web::member::{Anonymous, MemberClaim, MemberPaths};

/// The policy every page and response follows; no third-party source anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether the member route table (`app::member_routes`, kept in the app data) claims this
/// request. Without the table every request counts as anonymous: a misconfigured app logs
/// nothing and shows staff no session, which fails loudly rather than leaking. Decided once
/// per request (`MemberClaim`): the path and method do not change on the way in.
pub fn is_anonymous(req: &ServiceRequest) -> bool {
    if let Some(MemberClaim(claimed)) = req.extensions().get::<MemberClaim>().copied() {
        return claimed;
    }
    let claimed = req
        .app_data::<MemberPaths>()
        .is_none_or(|paths| paths.is_anonymous(req.method(), req.path()));
    req.extensions_mut().insert(MemberClaim(claimed));
    claimed
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Decided before routing, from the routing's own table: the input guard may refuse a
    // member's request before it reaches the member scope, and that refusal is not logged.
    let anonymous = is_anonymous(&req);
    if anonymous {
        req.headers_mut().remove(header::COOKIE);
    }
    let method = req.method().clone();
    let started = Instant::now();
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if anonymous {
        headers.remove(header::SET_COOKIE);
    }
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let anonymous = anonymous || res.response().extensions().contains::<Anonymous>();
    if !anonymous {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".into());
        tracing::info!(
            target: "candor::http",
            method = %method,
            route = %route,
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    }
    Ok(res)
}

/// The log subscriber: our own format, and other crates capped at `warn` whatever the
/// operator asks for, so no library can write a peer address at a verbose level.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let base = std::env::var("CANDOR_LOG").unwrap_or_else(|_| "info".into());
    let mut filter = EnvFilter::try_new(format!("warn,candor={base}"))
        .unwrap_or_else(|_| EnvFilter::new("warn,candor=info"));
    for quiet in [
        "actix_http=warn",
        "actix_server=warn",
        "actix_web=warn",
        "h2=warn",
        "mio=warn",
        "diesel=warn",
        "r2d2=warn",
        // A request the HTTP parser refuses (a malformed header) is the client's error and is
        // already answered with 400; actix logs each at ERROR, which would page an operator
        // for every scanner. Nothing else is logged under this target.
        "actix_http::h1::dispatcher=off",
    ] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        // A log line that cannot be written (a full disk, `2>/dev/full`, a closed pipe) is
        // dropped: by default the subscriber reports its own write errors with `eprintln!`,
        // which panics when standard error itself is what failed, and took the server down.
        .log_internal_errors(false)
        .try_init();
}

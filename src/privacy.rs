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
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

/// The policy every page and response follows; no third-party source anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Routes a member uses without an account. They must not be logged, see cookies or set them.
pub fn is_anonymous(method: &Method, path: &str) -> bool {
    if path == "/p"
        || path.starts_with("/p/")
        || path.starts_with("/static/")
        || path == "/transparency"
    {
        return true;
    }
    let Some(api) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    let parts: Vec<&str> = api.split('/').collect();
    match parts.as_slice() {
        ["participate"] | ["followups"] | ["followups", "reply"] | ["followups", "add"] => true,
        // The key directory: a member's browser re-reads it on its own cookieless request.
        ["transparency"] | ["keys"] => true,
        ["rounds", _, "tokens"] | ["rounds", _, "answers"] | ["reviews", _, "tokens"] => true,
        ["reviews", _, "accounts"] => method == Method::POST,
        // The counted-token bulletin (G16): a member's browser reads it to find its own token,
        // so the read must not be logged or tied to a cookie any more than the answer was.
        ["rounds", _, "bulletin"] | ["reviews", _, "bulletin"] => true,
        _ => false,
    }
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let anonymous = is_anonymous(req.method(), req.path());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_routes_are_anonymous_and_staff_routes_are_not() {
        assert!(is_anonymous(&Method::GET, "/p"));
        assert!(is_anonymous(&Method::POST, "/api/v1/rounds/abc/answers"));
        assert!(is_anonymous(&Method::POST, "/api/v1/reviews/abc/accounts"));
        assert!(is_anonymous(&Method::POST, "/api/v1/followups/add"));
        assert!(is_anonymous(&Method::GET, "/api/v1/keys"));
        assert!(is_anonymous(&Method::GET, "/api/v1/transparency"));
        assert!(is_anonymous(&Method::GET, "/api/v1/rounds/abc/bulletin"));
        assert!(is_anonymous(&Method::GET, "/api/v1/reviews/abc/bulletin"));
        assert!(!is_anonymous(&Method::GET, "/api/v1/reviews/abc/accounts"));
        assert!(!is_anonymous(&Method::GET, "/teams"));
        assert!(!is_anonymous(&Method::GET, "/participate-not"));
    }
}

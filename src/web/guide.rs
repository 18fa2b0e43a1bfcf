//! Staff pages that guide instead of stranding (issue 15): a sign-in redirect remembers the
//! page that asked for it, and an error page keeps the signed-in member's navigation. One
//! middleware, so no handler has to remember either.
//!
//! Anonymous routes (`privacy::is_anonymous`) and the JSON API are passed through untouched:
//! member pages never learn who is signed in, and the API answers problem+json.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

use crate::error::AppError;
use crate::web::session::authenticate;

/// Longest return path worth keeping; every page path Candor has is far shorter.
const MAX_RETURN: usize = 200;

/// A path to return to after signing in, if it is one of ours: absolute, on this site (not
/// `//host` or `/\host`), made of the characters our routes use, and not a sign-in page
/// itself. Anything else returns to the start page.
pub fn safe_return_path(raw: &str) -> Option<&str> {
    let ok = raw.len() <= MAX_RETURN
        && raw.starts_with('/')
        && !raw.starts_with("//")
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
        && !raw.contains("..")
        && !["/login", "/logout", "/setup"].contains(&raw)
        && !raw.starts_with("/welcome/");
    ok.then_some(raw)
}

fn is_staff_page(req: &ServiceRequest) -> bool {
    let path = req.path();
    !crate::privacy::is_anonymous(req)
        && !path.starts_with("/api/")
        && !path.starts_with("/static/")
        && path != "/healthz"
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let method = req.method().clone();
    let path = req.path().to_owned();
    let staff_page = is_staff_page(&req);
    let res = next.call(req).await?.map_into_boxed_body();
    if !staff_page {
        return Ok(res);
    }
    // Signed out on a page: go to sign-in, and come back here afterwards.
    let to_login = res.status() == StatusCode::SEE_OTHER
        && res
            .headers()
            .get(header::LOCATION)
            .is_some_and(|l| l.as_bytes() == b"/login");
    if to_login && method == Method::GET {
        if let Some(back) = safe_return_path(&path).filter(|p| *p != "/") {
            let mut res = res;
            if let Ok(v) = HeaderValue::from_str(&format!("/login?next={back}")) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            return Ok(res);
        }
        return Ok(res);
    }
    // An error page for someone signed in keeps their navigation.
    let Some((status, detail)) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|e| (e.status(), e.detail()))
    else {
        return Ok(res);
    };
    if status == StatusCode::UNAUTHORIZED {
        return Ok(res);
    }
    let Ok(staff) = authenticate(res.request().clone()).await else {
        return Ok(res);
    };
    let page = crate::html::error_page_for(status, &detail, Some(&staff.viewer()));
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string());
    if let Some(retry) = old.headers().get(header::RETRY_AFTER) {
        new.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    Ok(ServiceResponse::new(req, new))
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn only_our_own_page_paths_are_returned_to() {
        for ok in ["/teams", "/teams/Ab3_-x", "/reviews/new", "/metrics"] {
            assert_eq!(safe_return_path(ok), Some(ok));
        }
        for bad in [
            "",
            "teams",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/teams?x=1",
            "/teams#x",
            "/a/../login",
            "/login",
            "/welcome/abc",
            "/teams%2f..",
            "/tëams",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad}");
        }
        assert_eq!(safe_return_path(&format!("/{}", "a".repeat(300))), None);
    }
}

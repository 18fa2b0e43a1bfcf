//! The static assets (CSS and the JavaScript that blinds tokens), served from the binary.
//!
//! **Versioned URLs, cached for good.** Pages link `/static/<VERSION>/<path>` (`url`), where
//! `VERSION` is a hash of every asset's bytes computed at build time (`build.rs`). Such a
//! response is `immutable` for a year: a new build changes the URL, so no browser ever runs a
//! stale script, and a member's second visit fetches none of them again (fewer requests is
//! also less for anyone watching the network to see). One version for the whole set keeps
//! the modules' relative imports (`./token.js`) inside it. A URL with another version (a
//! page from a replica still on the previous build, during a rolling upgrade) gets today's
//! bytes with `no-cache`, so nothing stale is kept under either name. The unversioned
//! paths (`/static/js/pulse.js`) still answer, cached five minutes, for links made by hand.
//!
//! **Compressed, but only these.** Each asset is gzipped once at build time at the best
//! level and sent compressed to a browser that accepts gzip. That is safe here and nowhere
//! else in Candor: an asset is the same public bytes for everyone, with no secret in it and
//! nothing a request can put into it. HTML is never compressed: a member's pages carry
//! secrets (the invite link in the form, a comment's receipt, staff pages a CSRF token) next
//! to text others write (question titles, names, replies), which is exactly what BREACH
//! needs: an attacker who can put a guess into the page and watch the compressed length on
//! the wire learns the secret a character at a time, even over TLS. The assets are what
//! weighs: of the pulse form's 54 KB, 41 KB are CSS and scripts, 15 KB once gzipped
//! (`bench/run`, P9), and a second visit fetches none of them.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

/// One file under `static/`, embedded twice: as written and gzipped.
pub struct Asset {
    /// Its path under `static/`, e.g. `js/pulse.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub plain: &'static [u8],
    pub gzip: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// How long a versioned asset may be kept: a year, the longest HTTP caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// An unversioned path: its bytes change with the next build under the same name.
const SHORT: &str = "public, max-age=300";
/// A version that is not this build's: serve today's bytes, but keep none of them.
const NO_CACHE: &str = "no-cache";

/// The URL a page links for `path` (e.g. `js/pulse.js`): versioned, so it may be cached for good.
pub fn url(path: &str) -> String {
    format!("/static/{VERSION}/{path}")
}

pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Whether the client takes gzip: `gzip` (or `*`) listed in `Accept-Encoding` without `q=0`.
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// A version segment: 16 lowercase hex digits, as `build.rs` writes `VERSION`.
fn is_version(segment: &str) -> bool {
    segment.len() == 16
        && segment
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `GET /static/{tail}`: a versioned or an unversioned asset, or 404.
pub async fn serve(req: HttpRequest, tail: web::Path<String>) -> HttpResponse {
    let tail = tail.into_inner();
    let (path, cache) = match tail.split_once('/') {
        Some((v, rest)) if v == VERSION => (rest, IMMUTABLE),
        Some((v, rest)) if is_version(v) => (rest, NO_CACHE),
        _ => (tail.as_str(), SHORT),
    };
    let Some(asset) = find(path) else {
        // Plain text, not the error page: that page is laid out by `html`, which links the
        // assets, and an asset path that does not exist is asked for by no page.
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Not found");
    };
    let mut res = HttpResponse::Ok();
    res.content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .insert_header((header::VARY, HeaderValue::from_static("accept-encoding")));
    if accepts_gzip(&req) {
        res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
            .body(asset.gzip)
    } else {
        res.body(asset.plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_type_and_both_bodies() {
        assert!(find("js/blindrsa.js").is_some() && find("style.css").is_some());
        for a in ASSETS {
            assert!(!a.plain.is_empty() && a.gzip.len() > 18, "{}", a.path);
            assert_eq!(&a.gzip[..2], &[0x1f, 0x8b], "{} is gzip", a.path);
        }
        assert!(is_version(VERSION));
        assert_eq!(url("style.css"), format!("/static/{VERSION}/style.css"));
    }
}

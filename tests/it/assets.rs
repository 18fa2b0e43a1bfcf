//! The static assets (issue 13, P9): linked by a URL that names this build's bytes, so a
//! browser keeps them for good; gzipped for whoever accepts it; and no page (each of which
//! may carry a secret next to text others wrote: BREACH) ever compressed.

use std::io::Read;

use reqwest::blocking::{Client, Response};

use crate::support::*;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn get(url: &str, accept_encoding: Option<&str>) -> Response {
    let mut req = Client::new().get(url);
    if let Some(a) = accept_encoding {
        req = req.header("accept-encoding", a);
    }
    req.send().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn on_disk(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/static/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn every_asset_is_served_gzipped_to_whoever_accepts_it_plain_otherwise_and_cached_for_good() {
    let app = TestApp::spawn();
    assert!(
        candor::assets::ASSETS.len() >= 9,
        "style.css and the scripts"
    );
    for asset in candor::assets::ASSETS {
        let url = format!("{}{}", app.base, candor::assets::url(asset.path));
        let gz = get(&url, Some("gzip, deflate, br"));
        assert_eq!(gz.status(), 200, "{url}");
        let h = gz.headers().clone();
        assert_eq!(h["content-encoding"], "gzip", "{url}");
        assert_eq!(h["cache-control"], IMMUTABLE, "{url}");
        assert_eq!(h["vary"], "accept-encoding", "{url}");
        assert_eq!(h["content-type"], asset.content_type, "{url}");
        assert!(h.get("set-cookie").is_none());
        let body = gz.bytes().unwrap();
        assert!(
            body.len() < on_disk(asset.path).len(),
            "{url} is smaller gzipped"
        );
        assert_eq!(
            gunzip(&body),
            on_disk(asset.path),
            "{url} unzips to the file"
        );

        for accept in [
            None,
            Some("identity"),
            Some("gzip;q=0, identity"),
            Some("br"),
        ] {
            let plain = get(&url, accept);
            assert_eq!(plain.status(), 200);
            assert!(
                plain.headers().get("content-encoding").is_none(),
                "{url} with {accept:?}"
            );
            assert_eq!(plain.headers()["cache-control"], IMMUTABLE);
            assert_eq!(plain.bytes().unwrap().to_vec(), on_disk(asset.path));
        }
    }
}

#[test]
fn pages_link_this_builds_assets_and_other_asset_urls_are_never_kept() {
    let app = TestApp::spawn();
    let landing = app.browser().get("/p").text().unwrap();
    for path in ["style.css", "js/participate.js"] {
        let url = candor::assets::url(path);
        assert!(landing.contains(&format!("\"{url}\"")), "/p links {url}");
    }
    assert!(
        !landing.contains("\"/static/style.css\""),
        "no unversioned link"
    );
    // Another build's version (a page from a replica not yet upgraded): today's bytes, not kept.
    let stale = get(
        &format!("{}/static/0123456789abcdef/js/pulse.js", app.base),
        None,
    );
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.headers()["cache-control"], "no-cache");
    assert_eq!(stale.bytes().unwrap().to_vec(), on_disk("js/pulse.js"));
    // The unversioned path still answers, kept five minutes only.
    let bare = get(&format!("{}/static/js/pulse.js", app.base), None);
    assert_eq!(bare.status(), 200);
    assert_eq!(bare.headers()["cache-control"], "public, max-age=300");
    // Nothing else is served from /static, whatever the path says.
    let v = candor::assets::VERSION;
    for path in [
        format!("/static/{v}/js/nope.js"),
        format!("/static/{v}/../Cargo.toml"),
        format!("/static/{v}/%2e%2e/Cargo.toml"),
        "/static/js/".to_owned(),
        format!("/static/{v}"),
        format!("/static/{v}/"),
    ] {
        let res = get(&format!("{}{path}", app.base), Some("gzip"));
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers().get("set-cookie").is_none());
    }
}

/// BREACH: a compressed response's length leaks how well an attacker's text compresses
/// against a secret beside it. The member's form holds the invite secret next to question
/// titles a leader wrote; a staff page holds its CSRF token next to names others typed.
#[test]
fn no_page_and_no_api_answer_is_compressed_even_when_the_browser_asks() {
    let app = TestApp::spawn();
    let admin = app.admin();
    let api = app.api(&app.token_for(ADMIN_EMAIL));
    let (team, people) = team_with(&api, "Gzip", 3, &["a", "b", "c"]);
    let r = open_round(&api, &team);
    let invite = &people[0].1;
    let form = Client::new()
        .post(format!("{}/p/rounds/{}", app.base, r.id))
        .header("accept-encoding", "gzip, deflate, br")
        .form(&[("invite", invite.as_str())])
        .send()
        .unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.headers().get("content-encoding").is_none());
    let html = form.text().unwrap();
    assert!(
        html.contains(invite.as_str()),
        "the form carries the secret"
    );
    for dep in ["js/pulse.js", "js/token.js", "js/kept.js", "js/blindrsa.js"] {
        assert!(
            html.contains(&candor::assets::url(dep)),
            "the form loads {dep}"
        );
    }
    let session = admin
        .cookies
        .borrow()
        .get("candor_session")
        .cloned()
        .unwrap();
    for path in [
        "/account",
        "/p",
        "/api/v1/keys",
        "/transparency",
        "/api/v1/openapi.json",
    ] {
        let res = Client::new()
            .get(format!("{}{path}", app.base))
            .header("cookie", format!("candor_session={session}"))
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers().get("content-encoding").is_none(),
            "{path} is not compressed"
        );
    }
}

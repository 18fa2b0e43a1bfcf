//! Text the database cannot hold the same way on both backends is refused at the door.
//!
//! PostgreSQL refuses a NUL character in any text value (a 500 from deep inside a write, on
//! anonymous routes too) while SQLite stores it as-is; other control characters are invisible
//! on a page and can hide what a name or answer really says, and bidirectional overrides can
//! make a name read as another. So before any handler runs: a path, JSON string or form value
//! holding a control character (other than tab, line feed and carriage return) is refused with
//! the same 422 on both backends, and names (team, group, title, label, roster, email) holding
//! a bidirectional override or isolate are refused too. Free text may still hold bidi marks:
//! people write right-to-left languages.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::Error;

use crate::error::{problem_response, AppError, FieldError};

/// Largest body this guard reads; larger ones are left to the extractors, which refuse them.
const MAX_INSPECTED: usize = super::MAX_BODY;

/// Field names that hold a name someone reads as a name.
const NAME_FIELDS: [&str; 8] = [
    "name",
    "title",
    "label",
    "roster",
    "invitees",
    "email",
    "team_name",
    "group",
];

fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{feff}'
}

fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The first problem with one text value, if any.
fn check_text(field: &str, text: &str) -> Option<FieldError> {
    if let Some(c) = text.chars().find(|c| is_forbidden_control(*c)) {
        return Some(FieldError::new(
            field,
            format!(
                "this text holds an invisible control character (U+{:04X}); remove it and try again",
                c as u32
            ),
        ));
    }
    let base = field.rsplit(['.', '[']).next().unwrap_or(field);
    let base = base.trim_end_matches(']');
    if NAME_FIELDS.contains(&base) && text.chars().any(is_bidi_override) {
        return Some(FieldError::new(
            field,
            "a name may not hold a right-to-left override; type it without one",
        ));
    }
    None
}

fn check_json(path: &str, v: &serde_json::Value, out: &mut Vec<FieldError>) {
    match v {
        serde_json::Value::String(s) => out.extend(check_text(path, s)),
        serde_json::Value::Array(items) => {
            for item in items {
                check_json(path, item, out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                out.extend(check_text("key", k));
                check_json(k, item, out);
            }
        }
        _ => {}
    }
}

/// Whether a byte could start or be part of something the guard refuses once decoded: a raw
/// ASCII control other than tab, line feed and carriage return, DEL, an escape (`\` in JSON,
/// `%` in a form or path: it can spell any character), or the lead byte of a UTF-8 sequence
/// that can encode a refused character (0xC2: U+0080-U+009F, the C1 controls; 0xE2: the bidi
/// overrides U+202A-U+202E and isolates U+2066-U+2069; 0xEF: U+FEFF). Conservative on purpose:
/// a byte that merely might matter sends the text to the full check.
fn suspicious(b: u8, escape: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        || matches!(b, 0x7f | 0xc2 | 0xe2 | 0xef)
        || b == escape
}

/// True when a body of this type cannot hold anything `check_body` refuses, decided in one
/// pass over its bytes without decoding it. Almost every body (an answer: base64url, ids and
/// numbers) takes this path, so the guard no longer builds a JSON tree that the handler's
/// extractor then builds again (issue 13: the second parse of every answer).
fn plainly_clean(content_type: &str, body: &[u8]) -> bool {
    if content_type.starts_with("application/json") {
        // Still a JSON object: an array (or anything else) gets the full check's refusal.
        body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
            && !body.iter().any(|&b| suspicious(b, b'\\'))
    } else {
        !body.iter().any(|&b| suspicious(b, b'%') || b >= 0x80)
    }
}

/// Every problem in a body, by its content type. Bodies that do not parse are left to the
/// extractors, which say what is wrong with them.
fn check_body(content_type: &str, body: &[u8]) -> Vec<FieldError> {
    let mut out = Vec::new();
    if plainly_clean(content_type, body) {
        return out;
    }
    if content_type.starts_with("application/json") {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            // Every JSON body Candor reads is an object. serde would also read a struct from
            // an array of its fields in order (`[null, null]` opened a round), which no client
            // means and no document describes.
            if !v.is_object() {
                out.push(FieldError::new("body", "send a JSON object"));
            }
            check_json("body", &v, &mut out);
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in form_urlencoded::parse(body) {
            out.extend(check_text("field", &k));
            out.extend(check_text(&k, &v));
        }
    }
    out.truncate(1);
    out
}

fn refuse(req: ServiceRequest, errors: Vec<FieldError>) -> ServiceResponse<BoxBody> {
    let err = AppError::Invalid(errors);
    let res = if req.path().starts_with("/api/") {
        problem_response(&err)
    } else {
        actix_web::ResponseError::error_response(&err)
    };
    req.into_response(res)
}

/// The methods some route answers; see `app::ROUTED_METHODS`.
const ROUTED: [actix_web::http::Method; 6] = [
    actix_web::http::Method::GET,
    actix_web::http::Method::HEAD,
    actix_web::http::Method::POST,
    actix_web::http::Method::PATCH,
    actix_web::http::Method::PUT,
    actix_web::http::Method::DELETE,
];

/// The API's documented methods per path (`openapi::allowed_methods`), put in the app data by
/// `app.rs` so this module need not import the document (which imports every feature).
#[derive(Clone, Copy)]
pub struct ApiMethods(pub fn(&str) -> Option<&'static [&'static str]>);

/// False for a documented API path asked with a method it does not have: routing answers that
/// 405 with `Allow`, and the guard must not answer first with a 422 about its body (the same
/// reason as for unrouted methods; schemathesis ST204 found a `PUT` with `null`).
fn documented_method(req: &ServiceRequest) -> bool {
    let Some(ApiMethods(allowed)) = req.app_data::<ApiMethods>().copied() else {
        return true;
    };
    let Some(methods) = req.path().strip_prefix("/api/v1").and_then(allowed) else {
        return true;
    };
    let m = req.method().as_str();
    methods
        .iter()
        .any(|a| *a == m || (m == "HEAD" && *a == "GET"))
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A method Candor routes nowhere (TRACE, CONNECT, made-up ones) reaches no handler and
    // no query: routing answers it 405 whatever its path or body, so the guard leaves it be
    // (else a TRACE with a JSON body got this guard's 422 instead of the 405 it is owed).
    if !ROUTED.contains(req.method()) || !documented_method(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // The path as routed (percent-decoded): `/rounds/a%00b/answers` must not reach a query.
    // A path of plain printable ASCII (no `%`) is what it says: nothing to decode or refuse.
    let plain_path = req
        .path()
        .bytes()
        .all(|b| (0x21..0x7f).contains(&b) && b != b'%');
    if !plain_path {
        let decoded = percent_decode(req.path());
        if let Some(e) = check_text("path", &decoded) {
            return Ok(refuse(req, vec![e]));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let inspect = content_type.starts_with("application/json")
        || content_type.starts_with("application/x-www-form-urlencoded");
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_none_or(|n| n <= MAX_INSPECTED);
    if inspect && small {
        let body = req.extract::<Bytes>().await?;
        let errors = check_body(&content_type, &body);
        if !errors.is_empty() {
            return Ok(refuse(req, errors));
        }
        req.set_payload(bytes_payload(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Puts a body read by the guard back for the handler's extractor.
fn bytes_payload(body: Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    actix_web::dev::Payload::from(payload)
}

fn percent_decode(path: &str) -> String {
    // Decoded as one form value: `+` and `&` are escaped first so they stay themselves and a
    // `&` cannot end the value early (hiding what follows from the check).
    let escaped = path.replace('+', "%2B").replace('&', "%26");
    form_urlencoded::parse(format!("p={escaped}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_controls_are_refused_tabs_and_newlines_are_not() {
        assert!(check_text("comment", "hi\u{0}there").is_some());
        assert!(check_text("comment", "bell\u{7}").is_some());
        assert!(check_text("comment", "line one\nline two\tand\r\n").is_none());
        assert!(check_text("path", &percent_decode("/rounds/a%00b/answers")).is_some());
        assert!(check_text("path", &percent_decode("/rounds/a+b")).is_none());
        assert!(check_text("path", &percent_decode("/rounds/a&b%00c")).is_some());
        assert_eq!(percent_decode("/a+b&c=d"), "/a+b&c=d");
    }

    #[test]
    fn bidi_overrides_are_refused_in_names_only() {
        assert!(check_text("name", "Ops\u{202e}spO").is_some());
        assert!(check_text("roster", "ann\u{2066}").is_some());
        assert!(check_text("comment", "שלום \u{202b}עולם").is_none());
        let errors = check_body("application/json", br#"{"roster": ["ok", "bad\u202e"]}"#);
        assert_eq!(errors.len(), 1);
        let errors = check_body("application/x-www-form-urlencoded", b"comment=a%00b");
        assert_eq!(errors.len(), 1);
    }

    /// The one-pass screen lets nothing through that the full check refuses: every refused
    /// character, raw or escaped, in a JSON string, a key or a form value, sends the body to
    /// the full check, which refuses it.
    #[test]
    fn the_byte_screen_never_passes_what_the_full_check_refuses() {
        let refused = [
            '\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{feff}',
        ];
        for c in refused {
            let raw = format!(r#"{{"comment": "a{c}b"}}"#);
            let escaped = format!(r#"{{"comment": "a\u{:04x}b"}}"#, c as u32);
            let key = format!(r#"{{"a{c}": 1}}"#);
            for body in [raw, escaped, key] {
                assert!(
                    !plainly_clean("application/json", body.as_bytes()),
                    "{body:?}"
                );
                // A raw ASCII control is not JSON at all: the extractor refuses it instead.
                let parses = serde_json::from_str::<serde_json::Value>(&body).is_ok();
                let expected = usize::from(parses);
                assert_eq!(
                    check_body("application/json", body.as_bytes()).len(),
                    expected,
                    "{body:?}"
                );
            }
            let form: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("comment", &format!("a{c}b"))
                .finish();
            assert!(!plainly_clean(
                "application/x-www-form-urlencoded",
                form.as_bytes()
            ));
            assert_eq!(
                check_body("application/x-www-form-urlencoded", form.as_bytes()).len(),
                1
            );
        }
        for c in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            let body = format!(r#"{{"name": "Ops{c}"}}"#);
            assert!(!plainly_clean("application/json", body.as_bytes()));
            assert_eq!(check_body("application/json", body.as_bytes()).len(), 1);
        }
        // What an answer looks like passes on the screen alone; an array never does.
        let answer = br#"{"token": {"message": "AbC-_9", "signature": "xyz"}, "answers": [{"question_id": "q1", "value": 4}]}"#;
        assert!(plainly_clean("application/json", answer));
        assert!(!plainly_clean("application/json", b"[null, null]"));
        assert_eq!(check_body("application/json", b" [null, null]").len(), 1);
        // Tabs and new lines are fine, raw or not.
        assert!(plainly_clean(
            "application/json",
            b"{\"comment\":\n\t\"ok\"}"
        ));
    }
}

//! Accessibility checks in the browser tests (issue 15): axe-core, from its npm package
//! (`tests/axe`, installed by `.ci/browser-deps` with `npm ci`; never a CDN, never served by
//! the app), injected through WebDriver into every page state the tests check, at the width
//! they check it. Every violation of any impact is a problem.
//!
//! Injected scripts run through the DevTools protocol, not as page scripts, so the app's
//! Content-Security-Policy (`script-src 'self'`) is neither weakened nor in the way, and pages
//! with JavaScript switched off are checked as they are.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::{loud, required, Chrome};

fn axe_path() -> PathBuf {
    std::env::var_os("CANDOR_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/axe/node_modules/axe-core/axe.min.js")
        })
}

/// axe-core's source, read once; `None` (after a loud line) when it is not installed and
/// the browser tests are not required.
fn axe_source() -> Option<&'static str> {
    static SOURCE: OnceLock<Option<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = axe_path();
            match std::fs::read_to_string(&path) {
                Ok(s) => Some(s),
                Err(e) if required() => panic!(
                    "CANDOR_REQUIRE_BROWSER=1 but axe-core is missing at {} ({e}): run .ci/browser-deps",
                    path.display()
                ),
                Err(e) => {
                    loud(&format!(
                        "\n********\nSKIPPED: accessibility checks: axe-core not found at {} ({e}). Run .ci/browser-deps.\n********",
                        path.display()
                    ));
                    None
                }
            }
        })
        .as_deref()
}

/// Runs axe over the page now shown. Returns one line per violation: rule, impact, and the
/// first few elements with what is wrong with them.
pub(super) fn violations(c: &Chrome) -> Vec<String> {
    let Some(src) = axe_source() else {
        return vec![];
    };
    if !timers_run(c) {
        // With JavaScript switched off, injected scripts run but their timers and promises
        // never fire, so axe cannot finish. The same markup is checked with JavaScript on
        // (the member pages render the same on the server either way).
        loud(&format!(
            "accessibility: {} not checked by axe here (page JavaScript is off)",
            c.url()
        ));
        return vec![];
    }
    let loaded = c.js(
        &format!("if (!window.axe) {{ {src}\n}} return typeof window.axe;"),
        &[],
    );
    assert_eq!(
        loaded,
        json!("object"),
        "axe-core did not load into the page"
    );
    let result = c.post("/execute/async", json!({ "script": RUN, "args": [] }));
    match result {
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => panic!("axe-core failed: {other}"),
    }
}

/// Whether a timer set by an injected script fires: not when page JavaScript is off.
fn timers_run(c: &Chrome) -> bool {
    c.post("/timeouts", json!({ "script": 2000 }));
    let fired = c
        .cmd(
            reqwest::Method::POST,
            &c.s("/execute/async"),
            Some(json!({ "script": "const done = arguments[0]; setTimeout(() => done(true), 0);", "args": [] })),
        )
        .is_ok();
    c.post("/timeouts", json!({ "script": 60000 }));
    fired
}

/// Every rule axe has that applies to WCAG 2.x A and AA and best practice, reported as
/// "rule (impact): help -- element: what to fix".
const RUN: &str = "const done = arguments[arguments.length - 1];
  axe.run(document, { resultTypes: ['violations'] })
    .then((r) => done(r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -- ` +
      v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${(n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 220)}`).join(' | '))))
    .catch((e) => done(`axe error: ${e}`));";

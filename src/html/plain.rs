//! What members read about how they are protected, in plain words first and the technical
//! detail one click away (issue 15: "key af535...", "Unlinkable route" and "blind token" read
//! as jargon). The detail stays on the page, never dropped: comparing the key fingerprint with
//! a colleague's is the one check that does not rely on the server.

use maud::{html, Markup};

/// The key fingerprint behind a "how to check" disclosure.
pub fn key_details(fingerprint: &str) -> Markup {
    html! {
        details.key {
            summary { "How to check everyone gets the same survey" }
            p.hint { "Everyone invited sees the same code, also listed on the "
                a href="/transparency" { "transparency page" } ". If a colleague's differs, do not answer and tell someone." }
            p { "Key fingerprint: " code.secret { (fingerprint) } }
        }
    }
}

/// The protection notice's heading, by route: what it means for the member, in one line.
pub const UNTRACEABLE_HEADING: &str = "Your answers cannot be traced to you.";
pub const CONFIDENTIAL_HEADING: &str = "Your answers are kept confidential, with one limit.";
/// The summary of the disclosure that explains the route.
pub const HOW_SUMMARY: &str = "How this works";

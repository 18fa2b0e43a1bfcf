//! Delivery's rules: what the settings must hold, who can be mailed, what each message says,
//! and how long a failing message waits. Nothing here touches the network or the database.

use std::fmt;

use crate::error::FieldError;
use crate::teams::model::Threshold;

/// Attempts before a message is given up and shown to admins as failed (its body emptied).
/// With `backoff` this spans about six hours, long enough to ride out a mail server's outage.
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a worker may hold a claimed message before another worker may take it: longer
/// than the SMTP and webhook timeouts, so a live worker never loses its claim, short enough
/// that a crashed worker's messages go out again within minutes.
pub const LEASE_SECONDS: i64 = 120;
/// Messages one worker claims at once; also how many it sends concurrently.
pub const BATCH: i64 = 32;
/// A reminder goes out this long before a round closes, to everyone on its roster.
pub const REMINDER_LEAD_HOURS: i64 = 48;
/// The closing announcement goes to chat this long before a round closes.
pub const CLOSING_NOTICE_HOURS: i64 = 24;
/// The longest webhook URL accepted (Slack's are about 80 characters).
pub const MAX_WEBHOOK_URL: usize = 500;
/// A review's invitees are reminded this long before its accounts deadline, all alike.
pub const REVIEW_REMINDER_LEAD_HOURS: i64 = 48;
/// A follow-up notice waits this long after the first question, so a facilitator who asks
/// several in one sitting sends each invitee one message, not one per question.
pub const FOLLOWUP_NOTICE_MINUTES: i64 = 30;

/// Seconds to wait before attempt `attempts + 1`: 10 s, 20 s, 40 s ... capped at an hour.
pub fn backoff_seconds(attempts: i32) -> i64 {
    let exp = attempts.clamp(1, 12) - 1;
    (10_i64 << exp).min(3_600)
}

/// Which way a message leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Mail,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "mail" => Some(Channel::Mail),
            "webhook" => Some(Channel::Webhook),
            _ => None,
        }
    }
}

/// One message to queue. `body` may hold a member's link: it lives in the outbox only until
/// the server accepted it.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub channel: Channel,
    pub purpose: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// A claimed message, as the worker sends it.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// What happened to one send.
#[derive(Clone, Debug)]
pub enum Sent {
    Accepted,
    /// Worth trying again later (connection refused, a 4xx answer, a timeout).
    Retry(String),
    /// Will never work (a 5xx answer, an address the server refuses): fail it now.
    Permanent(String),
}

/// A message that failed for good, as admins see it: never its body.
#[derive(Clone, Debug)]
pub struct Failure {
    pub id: String,
    pub channel: String,
    pub purpose: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: String,
    pub failed_at: time::PrimitiveDateTime,
}

/// What admins see of the outbox.
#[derive(Clone, Debug, Default)]
pub struct OutboxStatus {
    pub mail_on: bool,
    pub waiting: i64,
    pub failed: Vec<Failure>,
}

/// `CANDOR_SMTP_URL` and `CANDOR_MAIL_FROM`, checked. The URL may hold a password, so Debug
/// never prints it.
#[derive(Clone)]
pub struct MailSettings {
    /// The URL as lettre reads it (TLS parameter made explicit, see `from_parts`).
    pub url: String,
    pub from: String,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("url", &"<hidden>")
            .field("from", &self.from)
            .finish()
    }
}

impl MailSettings {
    /// Both or neither. `smtps://` is implicit TLS; `smtp://` requires STARTTLS unless it
    /// says `?tls=opportunistic` or `?tls=none` or names this machine (a local relay), so a
    /// password is never sent in the clear by accident.
    pub fn from_parts(url: Option<&str>, from: Option<&str>) -> Result<Option<Self>, String> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let from = from.map(str::trim).filter(|f| !f.is_empty());
        let (url, from) =
            match (url, from) {
                (None, None) => return Ok(None),
                (Some(_), None) => return Err(
                    "CANDOR_SMTP_URL is set but CANDOR_MAIL_FROM is not: set the From address too"
                        .into(),
                ),
                (None, Some(_)) => {
                    return Err("CANDOR_MAIL_FROM is set but CANDOR_SMTP_URL is not".into())
                }
                (Some(u), Some(f)) => (u, f),
            };
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "CANDOR_MAIL_FROM {from:?} is not an email address (like Candor <candor@example.org>)"
            ));
        }
        let url = normalise_smtp_url(url)?;
        Ok(Some(Self {
            url,
            from: from.to_owned(),
        }))
    }
}

fn normalise_smtp_url(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("CANDOR_SMTP_URL must look like smtp://user:pass@host:587 or smtps://...")?;
    match scheme {
        "smtps" => Ok(url.to_owned()),
        "smtp" => {
            let (authority_path, query) = match rest.split_once('?') {
                Some((a, q)) => (a, Some(q)),
                None => (rest, None),
            };
            let host = authority_path
                .rsplit_once('@')
                .map_or(authority_path, |(_, h)| h);
            let host = host.split('/').next().unwrap_or_default();
            let host = match host.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default(),
                None => host.split(':').next().unwrap_or_default(),
            };
            if host.is_empty() {
                return Err("CANDOR_SMTP_URL names no host".into());
            }
            let tls = query.and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("tls="))
                    .map(str::to_owned)
            });
            let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
            match tls.as_deref() {
                Some("required") | Some("opportunistic") => Ok(url.to_owned()),
                // lettre's plain SMTP is the URL without a tls parameter.
                Some("none") => Ok(format!("smtp://{authority_path}")),
                Some(other) => Err(format!(
                    "CANDOR_SMTP_URL: tls={other} is not one of required, opportunistic, none"
                )),
                None if local => Ok(url.to_owned()),
                None => Ok(format!("smtp://{authority_path}?tls=required")),
            }
        }
        other => Err(format!(
            "CANDOR_SMTP_URL scheme {other:?}: use smtp:// (STARTTLS) or smtps:// (TLS)"
        )),
    }
}

/// The email address a roster label holds, if any: `ann@example.org`, or
/// `Ann Lee <ann@example.org>`. Labels that are plain names get no mail.
pub fn email_in_label(label: &str) -> Option<String> {
    let candidate = match (label.find('<'), label.rfind('>')) {
        (Some(a), Some(b)) if a < b => &label[a + 1..b],
        _ => label
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or_default(),
    };
    let candidate = candidate.trim().trim_matches(|c| c == ',' || c == ';');
    if candidate.is_empty() {
        return None;
    }
    candidate
        .parse::<lettre::Address>()
        .ok()
        .map(|a| a.to_string())
}

/// A team's webhook URL: https (or http to this machine, for a local relay and the tests),
/// no credentials in the authority, bounded length. `None` clears it.
pub fn parse_webhook_url(raw: &str) -> Result<Option<String>, FieldError> {
    let url = raw.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let bad = |m: &str| FieldError::new("webhook_url", m);
    if url.chars().count() > MAX_WEBHOOK_URL {
        return Err(bad("The webhook URL is too long."));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("Enter the full webhook URL."))?;
    let host = parsed.host_str().unwrap_or_default();
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match parsed.scheme() {
        "https" => {}
        "http" if local => {}
        _ => return Err(bad("Use an https:// webhook URL.")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("Put no user name or password in the webhook URL."));
    }
    Ok(Some(url.to_owned()))
}

/// One item open for a member, as an invite names it: kind, title and key fingerprint (G11).
#[derive(Clone, Debug)]
pub struct OpenKey {
    pub kind: &'static str,
    pub title: String,
    pub fingerprint: String,
}

/// The sentence every message to a member carries about what Candor stores.
pub const WHAT_CANDOR_STORES: &str = "What Candor stores: your answers without your name, your \
address or the time you answered. Whether you answered is forgotten when the round closes; \
only counts remain. Figures are shown only when enough people answered. This address is used \
only to send you your link and reminders, the same ones everyone on the team gets.";

/// A member's invite: their own link, what is open with each key's fingerprint, and what
/// Candor stores. Never the member's label or anyone else's.
pub fn invite_message(team: &str, url: &str, open: &[OpenKey]) -> (String, String) {
    invite_text(&format!("the team \"{team}\""), team, url, open)
}

/// A review invitee's invite: the review's own link (G12), nothing about the other invitees.
pub fn review_invite_message(review: &str, url: &str, open: &[OpenKey]) -> (String, String) {
    invite_text(
        &format!(
            "the incident review \"{review}\" (you can write an account of what you saw and did)"
        ),
        review,
        url,
        open,
    )
}

fn invite_text(what: &str, name: &str, url: &str, open: &[OpenKey]) -> (String, String) {
    let subject = format!("Your personal Candor link for {name}");
    let mut body = format!(
        "Hello,\n\nThis is your personal link to Candor for {what}:\n\n    {url}\n\n\
Candor sent it to you directly: no staff member has seen it. Do not forward it; whoever holds \
it can answer in your place. If you think someone else has it, ask for a new one.\n\n"
    );
    if open.is_empty() {
        body.push_str(
            "Nothing is open for you right now; the same link works for later rounds.\n\n",
        );
    } else {
        body.push_str("Open for you now, with the fingerprint of each round key (your page shows the same; compare it with a colleague's):\n");
        for k in open {
            body.push_str(&format!(
                "  - {} \"{}\": key {}\n",
                k.kind, k.title, k.fingerprint
            ));
        }
        body.push('\n');
    }
    body.push_str(WHAT_CANDOR_STORES);
    body.push('\n');
    (subject, body)
}

/// A reminder. Everyone on the round's roster gets exactly this text (with their own link),
/// answered or not: a log that named only those who had not answered would outlive the close
/// as a record of who took part (G3).
pub fn reminder_message(
    team: &str,
    round: &str,
    closes: Option<&str>,
    url: &str,
) -> (String, String) {
    let subject = format!("Reminder: {round} ({team})");
    let when = closes.map_or(String::new(), |c| format!(" It closes on {c}."));
    let body = format!(
        "Hello,\n\nThe round \"{round}\" for the team \"{team}\" is open.{when}\n\n\
If you have not answered yet, your personal link is:\n\n    {url}\n\n\
If you have already answered, there is nothing to do. Everyone on the team gets this same \
reminder, whether or not they answered: Candor does not know who has answered, and keeps no \
list that could tell.\n\n{WHAT_CANDOR_STORES}\n"
    );
    (subject, body)
}

/// A review reminder. Every invitee gets exactly this text (with their own link), whether or
/// not they wrote: Candor does not know who wrote, and a list of those who had not would be
/// a record of who did.
pub fn review_reminder_message(
    review: &str,
    deadline: Option<&str>,
    url: &str,
) -> (String, String) {
    let subject = format!("Reminder: incident review \"{review}\"");
    let when = deadline.map_or(String::new(), |d| format!(" Accounts are due by {d}."));
    let body = format!(
        "Hello,\n\nThe incident review \"{review}\" is open for accounts.{when}\n\n\
If you have not written one yet and want to, your personal link is:\n\n    {url}\n\n\
If you have already written one, there is nothing to do. Everyone invited to the review gets \
this same reminder, whether or not they wrote: Candor does not know who wrote, and keeps no \
list that could tell.\n"
    );
    (subject, body)
}

/// The notice that follow-up questions were asked. Every invitee gets exactly this text,
/// writer or not, with no link of their own: it names no account and no writer, and the
/// receipt is the only way to a question (G1).
pub fn followup_notice_message(review: &str, followups_page: &str) -> (String, String) {
    let subject = format!("Follow-up questions in the incident review \"{review}\"");
    let body = format!(
        "Hello,\n\nThe facilitators of the incident review \"{review}\" asked follow-up \
questions about some of the accounts.\n\nIf you wrote an account, check it with your receipt \
at:\n\n    {followups_page}\n\nIf you did not write one, there is nothing to do. Everyone \
invited to the review gets this same message, whether or not they wrote: Candor does not know \
who wrote, and this message was not addressed to anyone in particular.\n"
    );
    (subject, body)
}

/// A webhook URL as pages show it once saved: its host and an ellipsis. The path of a chat
/// webhook is its secret (anyone holding it can post), so it is never shown back.
pub fn webhook_shown(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{h}/…")))
        .unwrap_or_else(|| "…".into())
}

/// The text of a webhook's test post: no count, no name, no link.
pub fn test_post_text(whose: &str) -> String {
    format!("Candor test post: announcements for {whose} will appear here (round opened, closing soon, results ready; counts only).")
}

/// A renewed set-password link, mailed to the staff member it is for.
pub fn staff_link_renewed_message(url: &str) -> (String, String) {
    (
        "A new link for your Candor staff account".into(),
        format!(
            "Hello,\n\nAn administrator made you a new link to choose your Candor password. It \
works once and expires; any earlier link no longer works:\n\n    {url}\n\nIf you did not \
expect this message, ignore it.\n"
        ),
    )
}

/// A staff member's set-password link, mailed to them so the admin never holds it.
pub fn staff_link_message(url: &str, role: &str) -> (String, String) {
    (
        "Your Candor staff account".into(),
        format!(
            "Hello,\n\nAn administrator gave you a Candor staff account ({role}). Choose your \
password with this link; it works once and expires:\n\n    {url}\n\nIf you did not expect \
this message, ignore it.\n"
        ),
    )
}

/// A team chat announcement: counts only, never a label, a link or an answer.
pub fn announcement(text: String) -> (String, String) {
    ("Candor announcement".into(), text)
}

/// The chat text for the closing notice: the counts only when they reach the threshold.
pub fn closing_text(
    team: &str,
    round: &str,
    answered: i64,
    invited: i64,
    threshold: Threshold,
    closes: &str,
) -> String {
    if answered >= threshold.count() {
        format!("{team}: \"{round}\" closes {closes}. {answered} of {invited} have answered. Your link is in your email.")
    } else {
        format!("{team}: \"{round}\" closes {closes}. Your link is in your email.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hold_an_email_or_none() {
        assert_eq!(
            email_in_label("ann@example.org").as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(
            email_in_label("Ann Lee <ann@example.org>").as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(email_in_label("Ann Lee"), None);
        assert_eq!(email_in_label("ann@"), None);
    }

    #[test]
    fn smtp_urls_never_send_a_password_in_the_clear_by_accident() {
        let u = |s| normalise_smtp_url(s);
        assert_eq!(
            u("smtp://a:b@mail.example.org:587").as_deref(),
            Ok("smtp://a:b@mail.example.org:587?tls=required")
        );
        assert_eq!(
            u("smtp://127.0.0.1:2525").as_deref(),
            Ok("smtp://127.0.0.1:2525")
        );
        assert_eq!(
            u("smtp://relay:25?tls=none").as_deref(),
            Ok("smtp://relay:25")
        );
        assert_eq!(
            u("smtps://a:b@mail.example.org").as_deref(),
            Ok("smtps://a:b@mail.example.org")
        );
        assert!(u("http://x").is_err());
        assert!(u("smtp://x?tls=maybe").is_err());
        assert!(MailSettings::from_parts(Some("smtp://localhost"), None).is_err());
        assert!(MailSettings::from_parts(None, None).expect("ok").is_none());
    }

    #[test]
    fn webhook_urls_are_https_without_credentials() {
        assert!(parse_webhook_url("https://hooks.example.org/T/B/x")
            .expect("ok")
            .is_some());
        assert!(parse_webhook_url("http://127.0.0.1:9/hook")
            .expect("ok")
            .is_some());
        assert!(parse_webhook_url("http://hooks.example.org/x").is_err());
        assert!(parse_webhook_url("https://u:p@hooks.example.org/x").is_err());
        assert!(parse_webhook_url(" ").expect("ok").is_none());
    }

    #[test]
    fn a_saved_webhook_shows_its_host_only() {
        assert_eq!(
            webhook_shown("https://hooks.slack.com/services/T0/B0/secret"),
            "hooks.slack.com/…"
        );
        assert_eq!(webhook_shown("not a url"), "…");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_seconds(1), 10);
        assert_eq!(backoff_seconds(2), 20);
        assert_eq!(backoff_seconds(20), 3_600);
    }

    #[test]
    fn closing_counts_only_at_or_above_the_threshold() {
        let five = Threshold::stored(5);
        assert!(closing_text("T", "R", 4, 12, five, "Friday").contains("closes Friday. Your link"));
        assert!(closing_text("T", "R", 7, 12, five, "Friday").contains("7 of 12"));
    }
}

//! The two ways out: SMTP through lettre's pooled async transport, and webhook posts through
//! reqwest. Both are built inside the runtime that uses them (lettre's pool spawns its idle
//! sweeper on the current tokio runtime), which is the delivery worker's, never a handler's.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use super::model::{Channel, Claimed, MailSettings, Sent};

/// How long one SMTP conversation or webhook post may take; below `LEASE_SECONDS`.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// A mail transport and its From address.
pub struct Mailer {
    /// Always `Some` until dropped (see `Drop`).
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

/// lettre's pool spawns a task when dropped, which panics once the runtime is gone (the
/// delivery loop is dropped as the server shuts down). Then the transport is left to the
/// process's exit instead; inside a runtime it closes its connections as usual.
impl Drop for Mailer {
    fn drop(&mut self) {
        if let Some(t) = self.transport.take() {
            if tokio::runtime::Handle::try_current().is_err() {
                std::mem::forget(t);
            }
        }
    }
}

impl Mailer {
    /// Must run inside a tokio runtime (lettre's pool starts a task on it).
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| format!("CANDOR_SMTP_URL: {e}"))?
            .timeout(Some(NETWORK_TIMEOUT))
            .build();
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("CANDOR_MAIL_FROM: {e}"))?;
        Ok(Self {
            transport: Some(transport),
            from,
        })
    }

    /// Sends one plain-text message and returns the server's answer (code and text).
    pub async fn send_text(
        &self,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, (bool, String)> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| (true, format!("not an email address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| (true, format!("cannot build the message: {e}")))?;
        let Some(transport) = &self.transport else {
            return Err((false, "the mail transport was closed".into()));
        };
        match transport.send(message).await {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) => Err((e.is_permanent(), e.to_string())),
        }
    }
}

/// Everything the worker sends with.
pub struct Senders {
    pub mail: Option<Mailer>,
    pub http: reqwest::Client,
}

impl Senders {
    pub fn new(mail: Option<&MailSettings>) -> Result<Self, String> {
        let mail = mail.map(Mailer::new).transpose()?;
        let http = reqwest::Client::builder()
            // A webhook that redirects is misconfigured; following it could post elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(NETWORK_TIMEOUT)
            .user_agent("Candor")
            .build()
            .map_err(|e| format!("cannot start the webhook client: {e}"))?;
        Ok(Self { mail, http })
    }

    /// Sends one claimed message.
    pub async fn send(&self, m: &Claimed) -> Sent {
        match m.channel {
            Channel::Mail => {
                let Some(mailer) = &self.mail else {
                    return Sent::Retry("email delivery is off (CANDOR_SMTP_URL unset)".into());
                };
                match mailer.send_text(&m.recipient, &m.subject, &m.body).await {
                    Ok(_) => Sent::Accepted,
                    Err((true, e)) => Sent::Permanent(e),
                    Err((false, e)) => Sent::Retry(e),
                }
            }
            Channel::Webhook => {
                let body = serde_json::json!({ "text": m.body });
                match self.http.post(&m.recipient).json(&body).send().await {
                    Ok(r) if r.status().is_success() => Sent::Accepted,
                    Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                        Sent::Permanent(format!("the webhook answered {}", r.status()))
                    }
                    Ok(r) => Sent::Retry(format!("the webhook answered {}", r.status())),
                    // Without the URL: it is a credential of its own (Slack's hook token).
                    Err(e) => Sent::Retry(format!(
                        "the webhook could not be reached: {}",
                        e.without_url()
                    )),
                }
            }
        }
    }
}

//! Delivery use cases, each in one transaction with the action that causes it: invites mailed
//! to members, reminders to a whole roster, chat announcements, and what admins see of the
//! outbox. Everything here only queues; `worker.rs` sends.
//!
//! Other features' stores are used where no action of theirs fits a call made inside this
//! transaction (each such call is commented), as ARCHITECTURE.md allows.

use super::model::{self, Channel, OpenKey, OutboxStatus, Outgoing};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::settings::{get_setting, put_setting};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::pulse::model::RoundId;
use crate::pulse::store::RoundRow;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::actions::{self as teams, Links, MailLink};
use crate::teams::model::{MemberId, TeamId};

/// The instance-wide webhook, used by teams that have none of their own.
pub(super) const DEFAULT_WEBHOOK: &str = "delivery.webhook_url";

pub(super) fn mail_off() -> AppError {
    AppError::Conflict(
        "Email delivery is off: set CANDOR_SMTP_URL and CANDOR_MAIL_FROM and restart Candor \
(docs/operations.md, \"Email and chat\")."
            .into(),
    )
}

/// What is open for the holder of `secret`, as an invite names it (G11: the fingerprints).
fn open_keys(
    c: &mut DbConnection,
    state_keys: &crate::secret::Keys,
    secret: &str,
) -> Result<Vec<OpenKey>, AppError> {
    let (items, _) = crate::members::actions::open_for(c, state_keys, secret)?;
    Ok(items
        .into_iter()
        .map(|(item, _, _)| OpenKey {
            kind: if item.kind == "round" {
                "Pulse round"
            } else {
                "Incident review"
            },
            title: item.title,
            fingerprint: item.fingerprint,
        })
        .collect())
}

/// Mails each chosen member of a team (all, when `member_ids` is None) whose label holds an
/// email address their own link. Returns (queued, skipped for want of an address).
pub async fn send_invites(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    member_ids: Option<Vec<MemberId>>,
) -> Result<(usize, usize), AppError> {
    let mail_on = state.settings.mail.is_some();
    let (links, keys, user) = (Links::new(state), state.keys.clone(), user.clone());
    let queued = state
        .db
        .write(move |c| {
            // Access first: a team the caller may not lead is forbidden whatever the setting.
            let (team, roster) = teams::roster_for_mail(c, &user, &team_id)?;
            if !mail_on {
                return Err(mail_off());
            }
            let chosen: Vec<(MemberId, String)> = match &member_ids {
                None => roster,
                Some(ids) => {
                    if let Some(bad) = ids.iter().find(|id| !roster.iter().any(|(m, _)| m == *id)) {
                        return Err(AppError::invalid(
                            "member_ids",
                            format!("{bad} is not on this team's roster."),
                        ));
                    }
                    roster
                        .into_iter()
                        .filter(|(id, _)| ids.contains(id))
                        .collect()
                }
            };
            let total = chosen.len();
            let with_email: Vec<(MemberId, String)> = chosen
                .into_iter()
                .filter_map(|(id, label)| model::email_in_label(&label).map(|e| (id, e)))
                .collect();
            let ids: Vec<MemberId> = with_email.iter().map(|(id, _)| id.clone()).collect();
            let mailed = teams::links_for_mail(c, &links, &ids)?;
            for MailLink {
                member_id,
                secret,
                url,
                ..
            } in &mailed
            {
                let Some((_, to)) = with_email.iter().find(|(id, _)| id == member_id) else {
                    continue;
                };
                let open = open_keys(c, &keys, secret)?;
                let (subject, body) = model::invite_message(&team.name, url, &open);
                store::enqueue(
                    c,
                    &Outgoing {
                        channel: Channel::Mail,
                        purpose: "invite",
                        recipient: to.clone(),
                        subject,
                        body,
                    },
                )?;
            }
            audit(
                c,
                Some(&user.email),
                "invite.mailed",
                &format!("{} link(s) of {}", mailed.len(), team.name),
            )?;
            Ok((mailed.len(), total - mailed.len()))
        })
        .await?;
    state.delivery.wake();
    Ok(queued)
}

/// Those of these members whose label holds an email address: only their links are mailed,
/// and so only theirs leave staff custody.
pub(super) fn with_address(
    c: &mut DbConnection,
    ids: &[MemberId],
) -> Result<Vec<MemberId>, AppError> {
    // teams::store: the members' labels, read in the caller's transaction.
    Ok(crate::teams::store::find_active_members(c, ids)?
        .into_iter()
        .filter(|m| model::email_in_label(&m.label).is_some())
        .map(|m| m.id)
        .collect())
}

/// Mails each invitee of an open review whose label holds an address the review's own link.
/// Returns (queued, skipped for want of an address).
pub async fn send_review_invites(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
) -> Result<(usize, usize), AppError> {
    let mail_on = state.settings.mail.is_some();
    let (links, keys, user) = (Links::new(state), state.keys.clone(), user.clone());
    let queued = state
        .db
        .write(move |c| {
            let review = crate::reviews::actions::review_for(c, &user, &review_id)?;
            if !mail_on {
                return Err(mail_off());
            }
            if !review.is_open() {
                return Err(AppError::Conflict(
                    "Only an open review's invitees can be mailed.".into(),
                ));
            }
            // tokens::store: the review's invitees, frozen when it opened.
            let invited = crate::tokens::store::eligible_members(c, &review_id.scope())?;
            let ids = with_address(c, &invited)?;
            let mailed = teams::links_for_mail(c, &links, &ids)?;
            let mut n = 0;
            for l in &mailed {
                let Some(to) = model::email_in_label(&l.label) else {
                    continue;
                };
                let open = open_keys(c, &keys, &l.secret)?
                    .into_iter()
                    .filter(|k| k.title == review.title)
                    .collect::<Vec<_>>();
                let (subject, body) = model::review_invite_message(&review.title, &l.url, &open);
                store::enqueue(
                    c,
                    &Outgoing {
                        channel: Channel::Mail,
                        purpose: "review_invite",
                        recipient: to,
                        subject,
                        body,
                    },
                )?;
                n += 1;
            }
            audit(
                c,
                Some(&user.email),
                "review.invites_mailed",
                &format!("{n} link(s) of {}", review.title),
            )?;
            Ok((n, invited.len() - n))
        })
        .await?;
    state.delivery.wake();
    Ok(queued)
}

/// Queues the same reminder to every member of a round's frozen roster who has an address,
/// answered or not (G3: no list of non-responders is ever made).
fn queue_reminders(
    c: &mut DbConnection,
    links: &Links,
    round: &RoundRow,
    team_name: &str,
) -> Result<usize, AppError> {
    // tokens::store: the round's frozen roster (G9); no action of tokens returns it.
    let roster = crate::tokens::store::eligible_members(c, &round.id.scope())?;
    let ids = with_address(c, &roster)?;
    let current = teams::current_links_for_mail(c, links, &ids)?;
    let closes = round.closes_at.map(|t| t.date().to_string());
    let mut n = 0;
    for l in current {
        let Some(to) = model::email_in_label(&l.label) else {
            continue;
        };
        let (subject, body) =
            model::reminder_message(team_name, &round.title, closes.as_deref(), &l.url);
        store::enqueue(
            c,
            &Outgoing {
                channel: Channel::Mail,
                purpose: "reminder",
                recipient: to,
                subject,
                body,
            },
        )?;
        n += 1;
    }
    Ok(n)
}

/// A leader's reminder for an open round: to everyone on its roster alike.
pub async fn remind_round(
    state: &AppState,
    user: &StaffUser,
    round_id: RoundId,
) -> Result<usize, AppError> {
    let mail_on = state.settings.mail.is_some();
    let (links, user) = (Links::new(state), user.clone());
    let n = state
        .db
        .write(move |c| {
            // pulse::store and teams::store: the round and the caller's right to its team,
            // read in this transaction.
            let round = crate::pulse::store::find_round(c, &round_id)?;
            let team = crate::teams::store::team_for(c, &user, &round.team_id)?;
            if !mail_on {
                return Err(mail_off());
            }
            if !round.is_open() {
                return Err(AppError::Conflict(
                    "Only an open round can be reminded of.".into(),
                ));
            }
            let n = queue_reminders(c, &links, &round, &team.name)?;
            audit(
                c,
                Some(&user.email),
                "round.reminded",
                &format!("{n} member(s) of {} for {}", team.name, round.title),
            )?;
            Ok(n)
        })
        .await?;
    state.delivery.wake();
    Ok(n)
}

/// The webhook a team's announcements go to: its own, else the instance's.
pub(super) fn webhook_for(
    c: &mut DbConnection,
    team_id: &TeamId,
) -> Result<Option<String>, AppError> {
    if let Some(url) = store::team_webhook(c, team_id)? {
        return Ok(Some(url));
    }
    Ok(get_setting(c, DEFAULT_WEBHOOK)?)
}

/// Queues a chat post for a team, if it has a webhook. Counts only: never a label, a link
/// or an answer (the texts are built in `model`).
fn announce(c: &mut DbConnection, team_id: &TeamId, text: String) -> Result<(), AppError> {
    let Some(url) = webhook_for(c, team_id)? else {
        return Ok(());
    };
    let (subject, body) = model::announcement(text);
    store::enqueue(
        c,
        &Outgoing {
            channel: Channel::Webhook,
            purpose: "announcement",
            recipient: url,
            subject,
            body,
        },
    )?;
    Ok(())
}

fn team_name(c: &mut DbConnection, team_id: &TeamId) -> Result<String, AppError> {
    // teams::store: the name, read in the caller's transaction.
    Ok(crate::teams::store::find_team(c, team_id)?.name)
}

/// Called by pulse in the transaction that opens a round.
pub fn round_opened(c: &mut DbConnection, round: &RoundRow) -> Result<(), AppError> {
    if !store::claim_round_event(c, &round.id, "opened")? {
        return Ok(());
    }
    let team = team_name(c, &round.team_id)?;
    let closes = round
        .closes_at
        .map_or(String::new(), |t| format!(" until {}", t.date()));
    announce(
        c,
        &round.team_id,
        format!("{team}: the pulse round \"{}\" is open{closes}. Your personal link comes by email from Candor.", round.title),
    )
}

/// Called by pulse in the transaction that closes a round: counts only at or above the
/// round's threshold.
pub fn round_closed(c: &mut DbConnection, round: &RoundRow) -> Result<(), AppError> {
    if round.invited == 0 || !store::claim_round_event(c, &round.id, "results")? {
        return Ok(());
    }
    let team = team_name(c, &round.team_id)?;
    let answered = round.answered.unwrap_or(0);
    let text = if i64::from(answered) >= round.threshold.count() {
        format!(
            "{team}: \"{}\" has closed and its results are ready: {answered} of {} answered.",
            round.title, round.invited
        )
    } else {
        format!("{team}: \"{}\" has closed.", round.title)
    };
    announce(c, &round.team_id, text)
}

/// The scheduled events of open rounds: the reminder `REMINDER_LEAD_HOURS` before close (when
/// email is on) and the chat notice `CLOSING_NOTICE_HOURS` before close. Each is claimed in
/// `round_events` in the transaction that queues it, so replicas queue it once.
pub async fn due_round_events(state: &AppState) -> Result<usize, AppError> {
    let (links, mail_on) = (Links::new(state), state.settings.mail.is_some());
    let now = state.clock.now();
    let n = state
        .db
        .write(move |c| {
            let mut n = 0;
            // pulse::store: open rounds with a closing time; pulse has no action for this.
            for round in crate::pulse::store::open_rounds_closing_before(
                c,
                now + time::Duration::hours(model::REMINDER_LEAD_HOURS),
            )? {
                let Some(closes) = round.closes_at else {
                    continue;
                };
                if mail_on && store::claim_round_event(c, &round.id, "reminder")? {
                    let team = team_name(c, &round.team_id)?;
                    n += queue_reminders(c, &links, &round, &team)?;
                }
                if closes <= now + time::Duration::hours(model::CLOSING_NOTICE_HOURS)
                    && store::claim_round_event(c, &round.id, "closing")?
                {
                    // tokens::store and pulse::store: the live counts, told only at or
                    // above the threshold.
                    let invited = crate::tokens::store::count_eligible(c, &round.id.scope())?;
                    let answered = crate::pulse::store::count_responses(c, &round.id)?;
                    let team = team_name(c, &round.team_id)?;
                    let text = model::closing_text(
                        &team,
                        &round.title,
                        answered,
                        invited,
                        round.threshold,
                        &closes.date().to_string(),
                    );
                    announce(c, &round.team_id, text)?;
                    n += 1;
                }
            }
            Ok(n)
        })
        .await?;
    if n > 0 {
        state.delivery.wake();
    }
    Ok(n)
}

/// Sets or clears the instance's default webhook (admins).
pub async fn set_default_webhook(
    state: &AppState,
    user: &StaffUser,
    raw: String,
) -> Result<(), AppError> {
    if !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let url = model::parse_webhook_url(&raw).map_err(|e| AppError::Invalid(vec![e]))?;
    let user = user.clone();
    state
        .db
        .write(move |c| {
            match &url {
                Some(u) => put_setting(c, DEFAULT_WEBHOOK, u)?,
                None => crate::db::settings::delete_setting(c, DEFAULT_WEBHOOK)?,
            };
            audit(
                c,
                Some(&user.email),
                "delivery.webhook_set",
                if url.is_some() { "set" } else { "cleared" },
            )?;
            Ok(())
        })
        .await
}

/// What admins see: whether mail is on, how many messages wait, and the failures (never a
/// body: a failed message's body was emptied when it failed).
pub async fn status(state: &AppState, user: &StaffUser) -> Result<OutboxStatus, AppError> {
    if !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let mail_on = state.settings.mail.is_some();
    state
        .db
        .read(move |c| {
            Ok(OutboxStatus {
                mail_on,
                waiting: store::count_waiting(c)?,
                failed: store::list_failed(c)?,
            })
        })
        .await
}

/// An admin dismisses a failure.
pub async fn dismiss(state: &AppState, user: &StaffUser, id: String) -> Result<(), AppError> {
    if !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let user = user.clone();
    state
        .db
        .write(move |c| {
            if store::delete_failed(c, &id)? == 0 {
                return Err(AppError::NotFound);
            }
            audit(c, Some(&user.email), "delivery.failure_dismissed", &id)?;
            Ok(())
        })
        .await
}

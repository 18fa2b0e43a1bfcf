//! Delivery for incident reviews, beyond the invitations in `actions`: reminders to every
//! invitee alike (by hand and before the accounts deadline), and the notice, to every invitee
//! alike, that follow-up questions were asked. Nothing here knows who wrote: a writer is
//! reachable only through their receipt, so every message goes to everyone invited, the same.

use std::collections::BTreeSet;

use super::actions::{mail_off, with_address};
use super::model::{self, Channel, Outgoing};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::actions::{self as teams, Links};

/// Queues the same reminder, each with their own link, to every invitee of a review who has
/// an address. A link Candor mailed stays the member's (custody "member"); a link staff have
/// seen is not replaced by a reminder.
fn queue_reminders(
    c: &mut DbConnection,
    links: &Links,
    review_id: &ReviewId,
    title: &str,
    deadline: Option<time::PrimitiveDateTime>,
) -> Result<usize, AppError> {
    // tokens::store: the review's invitees, frozen when it opened; no action of tokens
    // returns them.
    let invited = crate::tokens::store::eligible_members(c, &review_id.scope())?;
    let ids = with_address(c, &invited)?;
    let deadline = deadline.map(|d| d.date().to_string());
    let mut n = 0;
    for l in teams::current_links_for_mail(c, links, &ids)? {
        let Some(to) = model::email_in_label(&l.label) else {
            continue;
        };
        let (subject, body) = model::review_reminder_message(title, deadline.as_deref(), &l.url);
        store::enqueue(
            c,
            &Outgoing {
                channel: Channel::Mail,
                purpose: "review_reminder",
                recipient: to,
                subject,
                body,
            },
        )?;
        n += 1;
    }
    Ok(n)
}

/// Queues the follow-up notice, one identical message, to each address among a review's
/// invitees (an address on two entries gets it once).
fn queue_followup_notices(
    c: &mut DbConnection,
    review_id: &ReviewId,
    title: &str,
    followups_page: &str,
) -> Result<usize, AppError> {
    // tokens::store: the frozen invitees, as above.
    let invited = crate::tokens::store::eligible_members(c, &review_id.scope())?;
    let ids = with_address(c, &invited)?;
    // teams::store: their labels, read in this transaction.
    let to: BTreeSet<String> = crate::teams::store::find_active_members(c, &ids)?
        .iter()
        .filter_map(|m| model::email_in_label(&m.label))
        .collect();
    let (subject, body) = model::followup_notice_message(title, followups_page);
    for recipient in &to {
        store::enqueue(
            c,
            &Outgoing {
                channel: Channel::Mail,
                purpose: "followup_notice",
                recipient: recipient.clone(),
                subject: subject.clone(),
                body: body.clone(),
            },
        )?;
    }
    Ok(to.len())
}

/// A facilitator's reminder for an open review: to every invitee alike, wrote or not.
pub async fn remind_review(
    state: &AppState,
    user: &StaffUser,
    review_id: ReviewId,
) -> Result<usize, AppError> {
    let mail_on = state.settings.mail.is_some();
    let (links, user) = (Links::new(state), user.clone());
    let n = state
        .db
        .write(move |c| {
            // Access first: a review the caller may not see is forbidden whatever the setting.
            let review = crate::reviews::actions::review_for(c, &user, &review_id)?;
            if !mail_on {
                return Err(mail_off());
            }
            if !review.is_open() {
                return Err(AppError::Conflict(
                    "Only an open review's invitees can be reminded.".into(),
                ));
            }
            let n = queue_reminders(c, &links, &review.id, &review.title, review.deadline)?;
            audit(
                c,
                Some(&user.email),
                "review.reminded",
                &format!("{n} invitee(s) of {}", review.title),
            )?;
            Ok(n)
        })
        .await?;
    state.delivery.wake();
    Ok(n)
}

/// Called by reviews in the transaction that asks a follow-up question: a notice to every
/// invitee becomes due `FOLLOWUP_NOTICE_MINUTES` later, unless one is pending already.
/// Only the review is recorded, never the account asked about.
pub fn followup_asked(
    c: &mut DbConnection,
    review_id: &ReviewId,
    now: time::PrimitiveDateTime,
) -> Result<(), AppError> {
    let due = now + time::Duration::minutes(model::FOLLOWUP_NOTICE_MINUTES);
    store::pend_review_notice(c, review_id, due)?;
    Ok(())
}

/// The reviews' scheduled messages: the reminder `REVIEW_REMINDER_LEAD_HOURS` before an open
/// review's deadline, and follow-up notices whose batching window has passed. Each is claimed
/// in the transaction that queues it (`review_events`, or deleting the pending notice), so
/// replicas queue it once. Without email, due notices are dropped unsent.
pub async fn due_review_events(state: &AppState) -> Result<usize, AppError> {
    let (links, mail_on) = (Links::new(state), state.settings.mail.is_some());
    let followups_page = format!("{}/p/followups", state.settings.base_url);
    let now = state.clock.now();
    let n = state
        .db
        .write(move |c| {
            let mut n = 0;
            if mail_on {
                let lead = now + time::Duration::hours(model::REVIEW_REMINDER_LEAD_HOURS);
                for (id, title, deadline) in store::open_reviews_due_between(c, now, lead)? {
                    if store::claim_review_event(c, &id, "reminder")? {
                        n += queue_reminders(c, &links, &id, &title, deadline)?;
                    }
                }
            }
            for id in store::due_review_notices(c, now)? {
                if !store::take_review_notice(c, &id, now)? || !mail_on {
                    continue;
                }
                // reviews::store: the title and whether it is still open, in this transaction.
                let review = crate::reviews::store::find_review(c, &id)?;
                if review.is_open() {
                    n += queue_followup_notices(c, &id, &review.title, &followups_page)?;
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

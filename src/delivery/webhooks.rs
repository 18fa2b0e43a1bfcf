//! The chat webhook forms' use cases: a team's webhook set or cleared by its leaders, the
//! instance default read for admins, and a test post. Announcements themselves are queued in
//! `actions` by the round events; this only manages where they go.

use super::actions::{webhook_for, DEFAULT_WEBHOOK};
use super::model::{self, Channel, Outgoing};
use super::store;
use crate::auth::model::StaffUser;
use crate::auth::store::audit;
use crate::db::settings::get_setting;
use crate::error::AppError;
use crate::state::AppState;
use crate::teams::model::TeamId;

/// Whose webhook a form is about.
#[derive(Clone, Debug)]
pub enum Scope {
    Team(TeamId),
    Default,
}

/// Sets or clears a team's webhook from its page (leaders of the team and admins). A bad URL
/// is `AppError::Invalid`, for the form to show again with what was typed.
pub async fn set_team_webhook(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    raw: String,
) -> Result<(), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            // Access first: another team's webhook is forbidden whatever was typed.
            // teams::store: the caller's right to the team, read in this transaction.
            let team = crate::teams::store::team_for(c, &user, &team_id)?;
            let url = model::parse_webhook_url(&raw).map_err(|e| AppError::Invalid(vec![e]))?;
            store::set_team_webhook(c, &team_id, url.as_deref())?;
            audit(
                c,
                Some(&user.email),
                "team.webhook_set",
                &format!(
                    "{} {}",
                    team.name,
                    if url.is_some() { "set" } else { "cleared" }
                ),
            )?;
            Ok(())
        })
        .await
}

/// What a webhook form shows of the saved URL: its host only (`model::webhook_shown`).
pub async fn shown(
    state: &AppState,
    user: &StaffUser,
    scope: Scope,
) -> Result<Option<String>, AppError> {
    if matches!(scope, Scope::Default) && !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let url = match &scope {
                Scope::Team(id) => {
                    // teams::store: the caller's right to the team.
                    crate::teams::store::team_for(c, &user, id)?;
                    store::team_webhook(c, id)?
                }
                Scope::Default => get_setting(c, DEFAULT_WEBHOOK)?,
            };
            Ok(url.as_deref().map(model::webhook_shown))
        })
        .await
}

/// Queues a test post to a team's webhook (its own, else the instance default) or to the
/// default: a fixed sentence, no count, no name, no link. Returns where it goes (host only).
pub async fn test_post(
    state: &AppState,
    user: &StaffUser,
    scope: Scope,
) -> Result<String, AppError> {
    if matches!(scope, Scope::Default) && !user.is_admin() {
        return Err(AppError::forbidden());
    }
    let user = user.clone();
    let shown = state
        .db
        .write(move |c| {
            let (url, whose) = match &scope {
                Scope::Team(id) => {
                    // teams::store: the caller's right to the team and its name.
                    let team = crate::teams::store::team_for(c, &user, id)?;
                    (webhook_for(c, id)?, format!("the team \"{}\"", team.name))
                }
                Scope::Default => (
                    get_setting(c, DEFAULT_WEBHOOK)?,
                    "teams without a webhook of their own".to_owned(),
                ),
            };
            let url = url.ok_or_else(|| {
                AppError::Conflict("No chat webhook is set: save one first.".into())
            })?;
            let (subject, body) = model::announcement(model::test_post_text(&whose));
            store::enqueue(
                c,
                &Outgoing {
                    channel: Channel::Webhook,
                    purpose: "test_post",
                    recipient: url.clone(),
                    subject,
                    body,
                },
            )?;
            audit(c, Some(&user.email), "delivery.webhook_tested", &whose)?;
            Ok(model::webhook_shown(&url))
        })
        .await?;
    state.delivery.wake();
    Ok(shown)
}

/// The instance default as the admins' instance page shows it (host only); the caller has
/// checked the viewer is an admin.
pub async fn default_shown(state: &AppState) -> Result<Option<String>, AppError> {
    state
        .db
        .read(|c| {
            Ok(get_setting(c, DEFAULT_WEBHOOK)?
                .as_deref()
                .map(model::webhook_shown))
        })
        .await
}

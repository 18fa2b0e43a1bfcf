//! Team use cases, one transaction each: create, roster changes, invite links (shown only on
//! request and recorded as seen, G13), settings and leaders.

use super::model::{
    InviteLink, MemberId, MemberView, NewTeam, Reveal, TeamChanges, TeamId, TeamSummary, TeamView,
    TeamWithRoster, Threshold,
};
use super::store::{self, invite_secret, invite_url};
use crate::auth::model::StaffUser;
use crate::auth::store::{audit, find_staff_by_email};
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::secret::Keys;
use crate::state::AppState;

/// What rendering invite links needs from the state, owned so it can cross threads.
#[derive(Clone)]
pub struct Links {
    keys: Keys,
    base: String,
    mail_on: bool,
}

impl Links {
    pub fn new(state: &AppState) -> Self {
        Self {
            keys: state.keys.clone(),
            base: state.settings.base_url.clone(),
            mail_on: state.settings.mail.is_some(),
        }
    }

    fn url(&self, member: &store::MemberRow) -> String {
        invite_url(
            &self.base,
            &invite_secret(&self.keys, &member.id, &member.invite_nonce),
        )
    }
}

fn team_view(
    conn: &mut DbConnection,
    links: &Links,
    team: store::TeamRow,
    reveal: &Reveal,
) -> Result<TeamView, AppError> {
    let rows = store::list_members(conn, &team.id)?;
    let mailed = store::mailed_ids(conn, &rows)?;
    let members = rows
        .into_iter()
        .map(|m| {
            let mailed = mailed.contains(&m.id);
            // A mailed link is never shown, whatever was asked (G13).
            let shown = reveal.shows(&m.id) && !mailed;
            MemberView {
                url: shown.then(|| links.url(&m)),
                staff_seen: m.staff_seen || shown,
                mailed,
                id: m.id,
                label: m.label,
            }
        })
        .collect();
    let leaders = store::list_leaders(conn, &team.id)?;
    let (rounds, _) = crate::guide::store::round_counts(conn, std::slice::from_ref(&team.id))?;
    Ok(TeamView {
        team: team.summary(),
        members,
        leaders,
        rounds,
        mail_on: links.mail_on,
        // delivery's store and model: the team's webhook, shown as its host only.
        webhook: crate::delivery::store::team_webhook(conn, &team.id)?
            .as_deref()
            .map(crate::delivery::model::webhook_shown),
    })
}

/// Marks the links a page or export is about to show as seen by staff, and audits it, in the
/// caller's transaction (G13).
fn record_shown(
    conn: &mut DbConnection,
    user: &StaffUser,
    team: &store::TeamRow,
    reveal: &Reveal,
) -> Result<(), AppError> {
    let rows = match reveal {
        Reveal::None => return Ok(()),
        Reveal::All => store::list_members(conn, &team.id)?,
        Reveal::One(id) => vec![store::find_member(conn, &team.id, id)?],
    };
    // Mailed links are not shown, so they are not marked either.
    let mailed = store::mailed_ids(conn, &rows)?;
    let ids: Vec<MemberId> = rows
        .into_iter()
        .map(|m| m.id)
        .filter(|id| !mailed.contains(id))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    store::mark_staff_seen(conn, &ids)?;
    audit(
        conn,
        Some(&user.email),
        "invite.shown",
        &format!("{} link(s) of {}", ids.len(), team.name),
    )?;
    Ok(())
}

fn with_roster(conn: &mut DbConnection, team: store::TeamRow) -> Result<TeamWithRoster, AppError> {
    let members = store::list_members(conn, &team.id)?
        .into_iter()
        .map(|m| (m.id, m.label))
        .collect();
    Ok(TeamWithRoster {
        team: team.summary(),
        members,
    })
}

/// The teams a user may see, with how many people each has.
pub async fn list_with_counts(
    state: &AppState,
    user: &StaffUser,
) -> Result<Vec<(TeamSummary, i64)>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |conn| {
            let teams = store::list_teams_for(conn, &user)?;
            let mut out = Vec::with_capacity(teams.len());
            for t in teams {
                let n = store::count_members(conn, &t.id)?;
                out.push((t.summary(), n));
            }
            Ok(out)
        })
        .await
}

/// The teams a user may see, with their rosters (the API's list).
pub async fn list_with_rosters(
    state: &AppState,
    user: &StaffUser,
) -> Result<Vec<TeamWithRoster>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for t in store::list_teams_for(c, &user)? {
                out.push(with_roster(c, t)?);
            }
            Ok(out)
        })
        .await
}

/// One team with its roster, if the user may see it.
pub async fn get_with_roster(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<TeamWithRoster, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            with_roster(c, team)
        })
        .await
}

/// Creates a team with its roster; returns it with the roster.
pub async fn create(
    state: &AppState,
    user: &StaffUser,
    t: NewTeam,
) -> Result<TeamWithRoster, AppError> {
    let (keys, user) = (state.keys.clone(), user.clone());
    state
        .db
        .write(move |conn| {
            let threshold = t.threshold;
            let id = store::insert_team(conn, &t.name, &t.key, threshold, &user.id)?;
            store::add_members(conn, &keys, &id, &t.roster)?;
            audit(
                conn,
                Some(&user.email),
                "team.created",
                &format!(
                    "{} ({} people, threshold {})",
                    t.name,
                    t.roster.len(),
                    threshold
                ),
            )?;
            let team = store::find_team(conn, &id)?;
            with_roster(conn, team)
        })
        .await
}

/// A team's page. Showing links (anything but `Reveal::None`) marks them seen by staff and
/// audits it in the same transaction (G13); otherwise it only reads.
pub async fn view(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    reveal: Reveal,
) -> Result<TeamView, AppError> {
    let (links, user) = (Links::new(state), user.clone());
    match reveal {
        Reveal::None => {
            state
                .db
                .read(move |c| {
                    let team = store::team_for(c, &user, &team_id)?;
                    team_view(c, &links, team, &Reveal::None)
                })
                .await
        }
        reveal => {
            state
                .db
                .write(move |c| {
                    let team = store::team_for(c, &user, &team_id)?;
                    record_shown(c, &user, &team, &reveal)?;
                    team_view(c, &links, team, &reveal)
                })
                .await
        }
    }
}

/// Adds people to a roster; returns how many were added and the team with its roster.
pub async fn add_members(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    labels: Vec<String>,
) -> Result<(usize, TeamWithRoster), AppError> {
    let (keys, user) = (state.keys.clone(), user.clone());
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            let n = store::add_members(c, &keys, &team_id, &labels)?;
            audit(
                c,
                Some(&user.email),
                "roster.added",
                &format!("{n} people to {}", team.name),
            )?;
            Ok((n, with_roster(c, team)?))
        })
        .await
}

/// Removes a member from the roster; returns their label.
pub async fn remove_member(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    member_id: MemberId,
) -> Result<String, AppError> {
    let (keys, user) = (state.keys.clone(), user.clone());
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            let member = store::find_member(c, &team_id, &member_id)?;
            store::remove_member(c, &keys, &member_id)?;
            audit(
                c,
                Some(&user.email),
                "roster.removed",
                &format!("{} from {}", member.label, team.name),
            )?;
            Ok(member.label)
        })
        .await
}

fn regenerate_in(
    c: &mut DbConnection,
    keys: &Keys,
    user: &StaffUser,
    team: &store::TeamRow,
    member_id: &MemberId,
) -> Result<store::MemberRow, AppError> {
    let member = store::find_member(c, &team.id, member_id)?;
    store::regenerate_invite(c, keys, member_id)?;
    audit(
        c,
        Some(&user.email),
        "invite.regenerated",
        &format!("{} in {}", member.label, team.name),
    )?;
    Ok(member)
}

/// Gives a member a new link, so the old one stops working; returns their label. The new
/// link is not shown: it stays with the member until staff ask to see it.
pub async fn regenerate(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    member_id: MemberId,
) -> Result<String, AppError> {
    let (keys, user) = (state.keys.clone(), user.clone());
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            Ok(regenerate_in(c, &keys, &user, &team, &member_id)?.label)
        })
        .await
}

/// Gives a member a new link and hands it to the caller (the API), so it is in staff
/// custody: only this one is marked seen.
pub async fn regenerate_shown(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    member_id: MemberId,
) -> Result<InviteLink, AppError> {
    let (links, user) = (Links::new(state), user.clone());
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            regenerate_in(c, &links.keys, &user, &team, &member_id)?;
            record_shown(c, &user, &team, &Reveal::One(member_id.clone()))?;
            let m = store::find_member(c, &team_id, &member_id)?;
            Ok(InviteLink {
                url: Some(links.url(&m)),
                custody: super::model::CUSTODY_STAFF,
                member_id: m.id,
                label: m.label,
            })
        })
        .await
}

fn audit_update(
    c: &mut DbConnection,
    user: &StaffUser,
    name: &str,
    threshold: u16,
    reviews_allowed: bool,
) -> Result<(), AppError> {
    audit(
        c,
        Some(&user.email),
        "team.updated",
        &format!(
            "{name}, threshold {threshold}, review invitations {}",
            if reviews_allowed {
                "allowed"
            } else {
                "not allowed"
            }
        ),
    )?;
    Ok(())
}

/// Saves a team's settings from the page, where every field is sent.
pub async fn save_settings(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    (name, key): (String, String),
    threshold: Threshold,
    reviews_allowed: bool,
) -> Result<(), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            store::team_for(c, &user, &team_id)?;
            store::update_team(c, &team_id, &name, &key, threshold, reviews_allowed)?;
            audit_update(c, &user, &name, threshold.get(), reviews_allowed)
        })
        .await
}

/// Changes the settings sent, keeping the others (the API's PATCH). The team is looked up
/// first, so a team the user may not see is not found before any field is judged.
pub async fn change(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    changes: TeamChanges,
) -> Result<TeamWithRoster, AppError> {
    let (user, floor) = (user.clone(), state.settings.threshold_floor);
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            let invalid = |e: FieldError| AppError::Invalid(vec![e]);
            let (name, key) = match &changes.name {
                Some(n) => super::model::parse_team_name(n).map_err(invalid)?,
                None => (team.name.clone(), team.name_key.clone()),
            };
            let threshold = match changes.threshold {
                Some(t) => Threshold::parse(Some(t), floor).map_err(invalid)?,
                None => team.threshold,
            };
            let reviews_allowed = changes.reviews_allowed.unwrap_or(team.reviews_allowed);
            store::update_team(c, &team_id, &name, &key, threshold, reviews_allowed)?;
            audit_update(c, &user, &name, threshold.get(), reviews_allowed)?;
            if let Some(url) = &changes.webhook_url {
                // delivery's model checks the URL and its store keeps it (delivery's actions
                // call back into teams, so not through them: no import cycle).
                let url = crate::delivery::model::parse_webhook_url(url).map_err(invalid)?;
                crate::delivery::store::set_team_webhook(c, &team_id, url.as_deref())?;
            }
            let team = store::find_team(c, &team_id)?;
            with_roster(c, team)
        })
        .await
}

/// Makes an active leader or admin, found by email, a leader of the team.
pub async fn add_leader(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
    email: String,
) -> Result<(), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let team = store::team_for(c, &user, &team_id)?;
            let target = find_staff_by_email(c, &email)?
                .filter(|s| s.active && s.user().can_lead())
                .ok_or_else(|| {
                    AppError::invalid("email", "No active leader or admin has this email.")
                })?;
            store::add_leader(c, &team_id, &target.id)?;
            audit(
                c,
                Some(&user.email),
                "team.leader_added",
                &format!("{} to {}", target.email, team.name),
            )?;
            Ok(())
        })
        .await
}

/// Every member's link, for an export or the API. Listing a link shows it to staff, so this
/// runs in a write transaction that records it (G13); a link Candor mailed to its member is
/// listed without its URL and stays in the member's custody.
pub async fn show_all_links(
    state: &AppState,
    user: &StaffUser,
    team_id: TeamId,
) -> Result<Vec<InviteLink>, AppError> {
    let (links, user) = (Links::new(state), user.clone());
    state
        .db
        .write(move |conn| {
            let team = store::team_for(conn, &user, &team_id)?;
            record_shown(conn, &user, &team, &Reveal::All)?;
            let rows = store::list_members(conn, &team_id)?;
            let mailed = store::mailed_ids(conn, &rows)?;
            Ok(rows
                .into_iter()
                .map(|m| {
                    let mailed = mailed.contains(&m.id);
                    InviteLink {
                        url: (!mailed).then(|| links.url(&m)),
                        custody: if mailed {
                            super::model::CUSTODY_MEMBER
                        } else {
                            super::model::CUSTODY_STAFF
                        },
                        member_id: m.id,
                        label: m.label,
                    }
                })
                .collect())
        })
        .await
}

/// A member's link as delivery mails it, with the nonce it was made from.
pub struct MailLink {
    pub member_id: MemberId,
    pub label: String,
    pub secret: String,
    pub url: String,
    pub nonce: String,
}

/// The active members of a team the user may lead, for delivery to pick whom to mail.
pub fn roster_for_mail(
    c: &mut DbConnection,
    user: &StaffUser,
    team_id: &TeamId,
) -> Result<(TeamSummary, Vec<(MemberId, String)>), AppError> {
    let team = store::team_for(c, user, team_id)?;
    let members = store::list_members(c, team_id)?
        .into_iter()
        .map(|m| (m.id, m.label))
        .collect();
    Ok((team.summary(), members))
}

/// Links to mail to these members, in the caller's transaction. A link staff have seen is
/// replaced first, so what Candor mails is a link only the member holds (custody "member",
/// G13); each is marked mailed, so no staff view shows it from here on.
pub fn links_for_mail(
    c: &mut DbConnection,
    links: &Links,
    member_ids: &[MemberId],
) -> Result<Vec<MailLink>, AppError> {
    let mut out = Vec::with_capacity(member_ids.len());
    for m in store::find_active_members(c, member_ids)? {
        let m = if m.staff_seen {
            store::regenerate_invite(c, &links.keys, &m.id)?;
            store::find_active_members(c, std::slice::from_ref(&m.id))?
                .pop()
                .ok_or(AppError::NotFound)?
        } else {
            m
        };
        store::mark_mailed(c, &m.id, &m.invite_nonce)?;
        out.push(mail_link(links, m));
    }
    Ok(out)
}

/// The current links of these members (a reminder's), marked mailed since Candor mails them.
/// Links staff have already seen keep that custody: a reminder does not replace them.
pub fn current_links_for_mail(
    c: &mut DbConnection,
    links: &Links,
    member_ids: &[MemberId],
) -> Result<Vec<MailLink>, AppError> {
    let rows = store::find_active_members(c, member_ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        if !m.staff_seen {
            store::mark_mailed(c, &m.id, &m.invite_nonce)?;
        }
        out.push(mail_link(links, m));
    }
    Ok(out)
}

fn mail_link(links: &Links, m: store::MemberRow) -> MailLink {
    let secret = invite_secret(&links.keys, &m.id, &m.invite_nonce);
    MailLink {
        url: invite_url(&links.base, &secret),
        secret,
        member_id: m.id,
        label: m.label,
        nonce: m.invite_nonce,
    }
}

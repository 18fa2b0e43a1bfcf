//! Set-password links mailed to the staff member they are for: on invitation and when an
//! admin renews one. When email is on, the admin never holds another person's credential;
//! the pages and the API show the link only when delivery is off.

use super::actions::mail_off;
use super::model::{self, Channel, Outgoing};
use super::store;
use crate::auth::actions::{invite_in, list_staff, new_password_link, LinkMaker};
use crate::auth::model::{Role, StaffEntry, StaffId, StaffUser};
use crate::auth::store::audit;
use crate::db::DbConnection;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

fn queue_link(
    c: &mut DbConnection,
    purpose: &'static str,
    to: &str,
    (subject, body): (String, String),
) -> Result<(), AppError> {
    store::enqueue(
        c,
        &Outgoing {
            channel: Channel::Mail,
            purpose,
            recipient: to.to_owned(),
            subject,
            body,
        },
    )?;
    Ok(())
}

/// Invites a staff member and mails them their set-password link instead of showing it, in
/// one transaction: the admin never holds another person's credential. Returns their id.
pub async fn invite_staff_by_mail(
    state: &AppState,
    actor: &StaffUser,
    email: String,
    role: Role,
) -> Result<StaffId, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden());
    }
    if state.settings.mail.is_none() {
        return Err(mail_off());
    }
    let (maker, actor) = (LinkMaker::new(state), actor.clone());
    let id = state
        .db
        .write(move |c| {
            let (id, link) = invite_in(c, &maker, &actor, &email, role)?;
            let message = model::staff_link_message(&link, role.as_str());
            queue_link(c, "staff_invite", &email, message)?;
            Ok(id)
        })
        .await?;
    state.delivery.wake();
    Ok(id)
}

/// What the staff page shows after a mailed invitation: the address it went to, or why
/// nothing was sent; and everyone, read after.
pub type MailedInvite = (Result<String, Vec<FieldError>>, Vec<StaffEntry>);

/// Invites from the admin page, whose input may already have failed its checks, mailing the
/// link (email on); the staff list is shown either way.
pub async fn invite_staff_listed_by_mail(
    state: &AppState,
    actor: &StaffUser,
    input: Result<(String, Role), Vec<FieldError>>,
) -> Result<MailedInvite, AppError> {
    let result = match input {
        Ok((email, role)) => match invite_staff_by_mail(state, actor, email.clone(), role).await {
            Ok(_) => Ok(email),
            Err(AppError::Invalid(e)) => Err(e),
            Err(e) => return Err(e),
        },
        Err(errors) => Err(errors),
    };
    Ok((result, list_staff(state).await?))
}

/// Renews an invited staff member's set-password link and mails it to them (admins, email
/// on): returns the address it went to. The link is never shown to the admin.
pub async fn renew_link_by_mail(
    state: &AppState,
    actor: &StaffUser,
    id: StaffId,
) -> Result<(String, Vec<StaffEntry>), AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden());
    }
    if state.settings.mail.is_none() {
        return Err(mail_off());
    }
    let (maker, actor) = (LinkMaker::new(state), actor.clone());
    let email = state
        .db
        .write(move |c| {
            // auth::store: the account whose link is renewed, in this transaction.
            let target = crate::auth::store::find_staff(c, &id)?;
            let link = new_password_link(c, &maker, &id)?;
            queue_link(
                c,
                "staff_link",
                &target.email,
                model::staff_link_renewed_message(&link),
            )?;
            audit(
                c,
                Some(&actor.email),
                "staff.link_renewed",
                &format!("{} (mailed)", target.email),
            )?;
            Ok(target.email)
        })
        .await?;
    state.delivery.wake();
    Ok((email, list_staff(state).await?))
}

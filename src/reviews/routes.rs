//! Review handlers: staff pages and API, the member's account form and its no-JavaScript
//! fallback, anonymous account submission, and the receipt pages and API.
//!
//! Nothing a member submits is logged or audited; staff actions are audited.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use super::model::{
    check_account, check_text, new_receipt, normalize_receipt, parse_deadline, parse_incident_date,
    parse_retention, parse_review_threshold, parse_summary, parse_title, Account, AccountInput,
    NewReview, TimelineEntry, MAX_ADDITIONS, MAX_QUESTION_CHARS, MAX_REPLY_CHARS,
};
use super::pages::{self, AccountDraft, AccountFormView, AccountView, NewReviewForm, ReviewView};
use super::store::{self, AccountRow, FollowupRow, Lock, ReviewRow};
use crate::auth::model::StaffUser;
use crate::auth::routes::{see_other, ApiStaff, Staff};
use crate::auth::store::{audit, find_staff_by_email};
use crate::db::{blocking, DbConnection};
use crate::error::{ApiResult, AppError, FieldError, PageResult};
use crate::secret::{new_id, now, Keys};
use crate::state::AppState;
use crate::teams::model::{csv_cell, parse_roster_list, parse_roster_text};
use crate::tokens::crypto::{self, KeyJson, TokenJson};
use crate::tokens::routes::{bad_invite, check_token};
use crate::tokens::store as tokens;
use crate::web::html_response;

/// Longest invite secret worth hashing; real ones are 22 characters.
const MAX_INVITE: usize = 200;

fn receipt_hash(keys: &Keys, receipt: &str) -> String {
    // Whatever was typed is hashed, even when it cannot be a receipt, so a malformed receipt
    // takes the same path as a wrong one. The empty string never matches a stored hash.
    let normalized = normalize_receipt(receipt).unwrap_or_default();
    keys.keyed_hash("receipt", normalized.as_bytes())
}

/// The one answer to a receipt that matches no account, whatever was typed (no "almost").
fn wrong_receipt() -> AppError {
    AppError::Forbidden(
        "This receipt does not match any account. Check it against what you wrote down and try again."
            .into(),
    )
}

fn not_invited() -> AppError {
    AppError::Forbidden("you are not invited to this review".into())
}

fn today() -> time::Date {
    now().date()
}

fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&Rfc3339).unwrap_or_default()
}

fn public_key(
    state: &AppState,
    review_id: &str,
    row: &tokens::KeyRow,
) -> Result<KeyJson, AppError> {
    let pk = state.key_cache.public(review_id, &row.public_der)?;
    Ok(crypto::key_json(&pk))
}

// ---------------------------------------------------------------- form helpers

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn parse_number(field: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| FieldError::new(field, "Enter a whole number."))
}

/// A form's account fields as typed; timeline rows come in document order.
fn draft_from(pairs: &[(String, String)]) -> AccountDraft {
    let times = all(pairs, "timeline_time");
    let texts = all(pairs, "timeline_text");
    let n = times.len().max(texts.len());
    AccountDraft {
        timeline: (0..n)
            .map(|i| {
                (
                    times.get(i).cloned().unwrap_or_default(),
                    texts.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        expected: first(pairs, "expected").to_owned(),
        surprised: first(pairs, "surprised").to_owned(),
        hard: first(pairs, "hard").to_owned(),
        helped: first(pairs, "helped").to_owned(),
        other: first(pairs, "other").to_owned(),
    }
}

/// The account a form describes; rows left wholly blank are the form's spare rows.
fn input_from(d: &AccountDraft) -> AccountInput {
    let some = |s: &str| Some(s.to_owned());
    AccountInput {
        timeline: d
            .timeline
            .iter()
            .filter(|(t, x)| !(t.trim().is_empty() && x.trim().is_empty()))
            .map(|(t, x)| TimelineEntry {
                time: (!t.trim().is_empty()).then(|| t.clone()),
                text: x.clone(),
            })
            .collect(),
        expected: some(&d.expected),
        surprised: some(&d.surprised),
        hard: some(&d.hard),
        helped: some(&d.helped),
        other: some(&d.other),
    }
}

// ---------------------------------------------------------------- opening a review

/// What a review form or request said, before checking.
struct ReviewRequest {
    title: String,
    incident_date: String,
    summary: String,
    team_ids: Vec<String>,
    invitees: Result<Vec<String>, FieldError>,
    deadline: String,
    threshold: Result<Option<i64>, FieldError>,
    retention_days: Result<Option<i64>, FieldError>,
}

fn check_review(r: ReviewRequest, floor: u16) -> Result<NewReview, Vec<FieldError>> {
    let mut errors = Vec::new();
    fn keep<T>(errors: &mut Vec<FieldError>, res: Result<T, FieldError>) -> Option<T> {
        res.map_err(|e| errors.push(e)).ok()
    }
    let title = keep(&mut errors, parse_title(&r.title));
    let incident_date = keep(&mut errors, parse_incident_date(&r.incident_date, today()));
    let summary = keep(&mut errors, parse_summary(&r.summary));
    let invitees = keep(
        &mut errors,
        r.invitees.map_err(|mut e| {
            e.field = "invitees".into();
            e
        }),
    );
    let deadline = keep(&mut errors, parse_deadline(&r.deadline, now()));
    let threshold = keep(
        &mut errors,
        r.threshold.and_then(|t| parse_review_threshold(t, floor)),
    );
    let retention_days = keep(&mut errors, r.retention_days.and_then(parse_retention));
    let mut team_ids: Vec<String> = Vec::new();
    for t in r.team_ids {
        let t = t.trim().to_owned();
        if !t.is_empty() && !team_ids.contains(&t) {
            team_ids.push(t);
        }
    }
    if team_ids.is_empty() && invitees.as_ref().is_some_and(|i| i.is_empty()) {
        errors.push(FieldError::new(
            "invitees",
            "Invite at least one person: choose a team or paste a list.",
        ));
    }
    match (
        title,
        incident_date,
        summary,
        invitees,
        deadline,
        threshold,
        retention_days,
    ) {
        (
            Some(title),
            Some(incident_date),
            Some(summary),
            Some(invitees),
            Some(deadline),
            Some(threshold),
            Some(retention_days),
        ) if errors.is_empty() => Ok(NewReview {
            title,
            incident_date,
            summary,
            team_ids,
            invitees,
            deadline,
            threshold,
            retention_days,
        }),
        _ => Err(errors),
    }
}

struct Opened {
    review: ReviewRow,
    key: KeyJson,
    warnings: Vec<String>,
}

/// Opens a review in one transaction: the review, its facilitator, the invitees' member rows
/// and frozen roster, the key (made beforehand, off the writer) and the audit record.
async fn open_review(state: &AppState, user: StaffUser, r: NewReview) -> Result<Opened, AppError> {
    let key = blocking(crypto::generate).await?;
    let keys = state.keys.clone();
    state
        .db
        .write(move |c| {
            let id = new_id();
            let (member_ids, mut warnings) =
                store::resolve_invitees(c, &keys, &user, &r.team_ids, &r.invitees)?;
            store::insert_review(c, &id, &r, member_ids.len(), &user.id)?;
            store::add_facilitator(c, &id, &user.id)?;
            tokens::insert_key(c, &id, &key)?;
            tokens::freeze_roster(c, &id, &member_ids)?;
            audit(
                c,
                Some(&user.email),
                "review.opened",
                &format!(
                    "{} ({} invited, threshold {})",
                    r.title,
                    member_ids.len(),
                    r.threshold
                ),
            )?;
            if member_ids.len() < usize::from(r.threshold) {
                warnings.insert(
                    0,
                    format!(
                        "Only {} people are invited, fewer than the release threshold of {}: accounts stay hidden until the deadline or until you close the review.",
                        member_ids.len(),
                        r.threshold
                    ),
                );
            }
            Ok(Opened {
                review: store::find_review(c, &id)?,
                key: key.public.clone(),
                warnings,
            })
        })
        .await
}

// ---------------------------------------------------------------- reading a review

/// A review's accounts state, released accounts shuffled afresh. Runs in a write
/// transaction: reading is what releases a batch that has come due.
fn review_view(
    c: &mut DbConnection,
    keys: &Keys,
    base: &str,
    user: &StaffUser,
    review_id: &str,
) -> Result<ReviewView, AppError> {
    let review = store::review_for(c, user, review_id)?;
    let (received, released) = if review.purged_on.is_some() {
        let n = i64::from(review.accounts_total.unwrap_or(0));
        (n, n)
    } else {
        store::release_if_due(c, &review, now())?
    };
    let accounts = if released > 0 {
        store::released_accounts(c, review_id)?
            .into_iter()
            .map(|(a, thread)| {
                Ok(AccountView {
                    account: a.account()?,
                    id: a.id,
                    thread,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?
    } else {
        Vec::new()
    };
    let fingerprint = tokens::find_key(c, review_id)?
        .map(|k| k.fingerprint)
        .unwrap_or_default();
    Ok(ReviewView {
        invites: shown_invites(c, keys, base, review_id)?,
        facilitators: store::list_facilitators(c, review_id)?,
        // The release rule has just run: whatever is still pending was not due.
        held_at_close: if review.is_open() {
            received - released
        } else {
            0
        },
        review,
        fingerprint,
        received,
        released,
        accounts,
    })
}

/// A review's invite links as staff see them; showing them marks them as seen by staff, which
/// each invitee's page then says (G13).
fn shown_invites(
    c: &mut DbConnection,
    keys: &Keys,
    base: &str,
    review_id: &str,
) -> Result<Vec<(String, String, String)>, AppError> {
    let invites = store::list_invites(c, keys, base, review_id)?;
    let ids: Vec<String> = invites.iter().map(|(id, _, _)| id.clone()).collect();
    crate::teams::store::mark_staff_seen(c, &ids)?;
    Ok(invites)
}

async fn load_view(
    state: &AppState,
    user: &StaffUser,
    review_id: String,
) -> Result<ReviewView, AppError> {
    let (keys, base, user) = (
        state.keys.clone(),
        state.settings.base_url.clone(),
        user.clone(),
    );
    state
        .db
        .write(move |c| review_view(c, &keys, &base, &user, &review_id))
        .await
}

/// Asks a follow-up on a released account of an open review.
async fn ask(
    state: &AppState,
    user: StaffUser,
    review_id: String,
    account_id: String,
    text: &str,
) -> Result<FollowupRow, AppError> {
    let text =
        check_text("text", text, MAX_QUESTION_CHARS).map_err(|e| AppError::Invalid(vec![e]))?;
    state
        .db
        .write(move |c| {
            store::review_for(c, &user, &review_id)?;
            store::lock_review(c, &review_id, Lock::Share)?;
            let review = store::find_review(c, &review_id)?;
            if !review.is_open() {
                return Err(store::review_closed());
            }
            store::release_if_due(c, &review, now())?;
            diesel::OptionalExtension::optional(store::find_account(c, &review_id, &account_id))?
                .filter(|a| a.released)
                .ok_or(AppError::NotFound)?;
            let row = store::insert_question(c, &account_id, &text)?;
            audit(c, Some(&user.email), "review.followup_asked", &review.title)?;
            Ok(row)
        })
        .await
}

async fn close(
    state: &AppState,
    user: StaffUser,
    review_id: String,
) -> Result<ReviewRow, AppError> {
    let id = review_id.clone();
    let review = state
        .db
        .write(move |c| {
            store::review_for(c, &user, &id)?;
            let review = store::close_review(c, &id, today())?;
            audit(c, Some(&user.email), "review.closed", &review.title)?;
            Ok(review)
        })
        .await?;
    state.key_cache.forget(&review_id);
    crate::db::scrub::after_close(&state.db).await;
    Ok(review)
}

/// The pre-read as Markdown; exporting is audited.
async fn preread(
    state: &AppState,
    user: StaffUser,
    review_id: String,
) -> Result<(String, String), AppError> {
    let (keys, base) = (state.keys.clone(), state.settings.base_url.clone());
    state
        .db
        .write(move |c| {
            let v = review_view(c, &keys, &base, &user, &review_id)?;
            audit(
                c,
                Some(&user.email),
                "review.preread_exported",
                &v.review.title,
            )?;
            Ok((
                pages::preread_markdown(&v.review, &v.accounts, v.received),
                v.review.title.clone(),
            ))
        })
        .await
}

async fn add_facilitator(
    state: &AppState,
    user: StaffUser,
    review_id: String,
    email: String,
) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    state
        .db
        .write(move |c| {
            let review = store::review_for(c, &user, &review_id)?;
            let target = find_staff_by_email(c, &email)?
                .filter(|s| s.active && s.user().can_facilitate())
                .ok_or_else(|| {
                    AppError::invalid("email", "No active facilitator or admin has this email.")
                })?;
            store::add_facilitator(c, &review_id, &target.id)?;
            audit(
                c,
                Some(&user.email),
                "review.facilitator_added",
                &format!("{} to {}", target.email, review.title),
            )?;
            Ok(())
        })
        .await
}

// ---------------------------------------------------------------- staff pages

async fn list_page(state: web::Data<AppState>, staff: Staff) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let purged = state
        .db
        .write(move |c| Ok(store::apply_retention(c, today())?))
        .await?;
    if purged > 0 {
        crate::db::scrub::after_close(&state.db).await;
    }
    let user = staff.user.clone();
    let items = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for review in store::list_reviews_for(c, &user)? {
                let received = match review.accounts_total {
                    Some(n) => i64::from(n),
                    None => store::count_accounts(c, &review.id)?.0,
                };
                out.push(pages::ListItem { review, received });
            }
            Ok(out)
        })
        .await?;
    Ok(html_response(
        StatusCode::OK,
        pages::list(&staff.viewer(), &items),
    ))
}

/// The teams this user may invite (G12): every team for an admin, for a facilitator only
/// those whose leader or an admin allowed review invitations.
async fn team_choices(
    state: &AppState,
    user: &StaffUser,
) -> Result<Vec<pages::TeamChoice>, AppError> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            use crate::db::schema::teams;
            use diesel::prelude::*;
            let rows: Vec<crate::teams::store::TeamRow> =
                teams::table.order(teams::name_key).load(c)?;
            let mut out = Vec::with_capacity(rows.len());
            for team in rows {
                if !store::may_invite_team(&user, &team) {
                    continue;
                }
                let people = crate::teams::store::count_members(c, &team.id)?;
                out.push(pages::TeamChoice {
                    id: team.id,
                    name: team.name,
                    people,
                });
            }
            Ok(out)
        })
        .await
}

async fn new_page(state: web::Data<AppState>, staff: Staff) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let teams = team_choices(&state, &staff.user).await?;
    let form = NewReviewForm {
        threshold: super::model::DEFAULT_REVIEW_THRESHOLD
            .max(state.settings.threshold_floor)
            .to_string(),
        retention_days: super::model::DEFAULT_RETENTION_DAYS.to_string(),
        ..Default::default()
    };
    Ok(html_response(
        StatusCode::OK,
        pages::new_review(
            &staff.viewer(),
            &teams,
            &form,
            &[],
            state.settings.threshold_floor,
        ),
    ))
}

async fn create_page(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult<HttpResponse> {
    staff.require_facilitator()?;
    let pairs = form.into_inner();
    staff.check_csrf(first(&pairs, "_csrf"))?;
    let f = NewReviewForm {
        title: first(&pairs, "title").to_owned(),
        incident_date: first(&pairs, "incident_date").to_owned(),
        summary: first(&pairs, "summary").to_owned(),
        team_ids: all(&pairs, "team_ids"),
        invitees: first(&pairs, "invitees").to_owned(),
        deadline: first(&pairs, "deadline").to_owned(),
        threshold: first(&pairs, "threshold").to_owned(),
        retention_days: first(&pairs, "retention_days").to_owned(),
    };
    let floor = state.settings.threshold_floor;
    let request = ReviewRequest {
        title: f.title.clone(),
        incident_date: f.incident_date.clone(),
        summary: f.summary.clone(),
        team_ids: f.team_ids.clone(),
        invitees: if f.invitees.trim().is_empty() {
            Ok(vec![])
        } else {
            parse_roster_text(&f.invitees)
        },
        deadline: f.deadline.clone(),
        threshold: parse_number("threshold", &f.threshold),
        retention_days: parse_number("retention_days", &f.retention_days),
    };
    let errors = match check_review(request, floor) {
        Ok(new) => match open_review(&state, staff.user.clone(), new).await {
            Ok(opened) => return Ok(see_other(&format!("/reviews/{}", opened.review.id))),
            Err(AppError::Invalid(e)) => e,
            Err(e) => return Err(e),
        },
        Err(e) => e,
    };
    let teams = team_choices(&state, &staff.user).await?;
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::new_review(&staff.viewer(), &teams, &f, &errors, floor),
    ))
}

async fn render_detail(
    state: &AppState,
    staff: &Staff,
    review_id: String,
    status: StatusCode,
    errors: Vec<FieldError>,
    message: Option<&str>,
) -> PageResult<HttpResponse> {
    let v = load_view(state, &staff.user, review_id).await?;
    Ok(html_response(
        status,
        pages::detail(&staff.viewer(), &v, &errors, message),
    ))
}

async fn detail_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    render_detail(
        &state,
        &staff,
        id.into_inner(),
        StatusCode::OK,
        vec![],
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn ask_page(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<TextForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let (review_id, account_id) = path.into_inner();
    match ask(
        &state,
        staff.user.clone(),
        review_id.clone(),
        account_id,
        &form.text,
    )
    .await
    {
        Ok(_) => render_detail(
            &state,
            &staff,
            review_id,
            StatusCode::OK,
            vec![],
            Some("Question added. The writer sees it next time they come back with their receipt."),
        )
        .await,
        Err(AppError::Invalid(e)) => {
            render_detail(
                &state,
                &staff,
                review_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                e,
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// The confirmation checkbox: closing cannot be undone.
    #[serde(default)]
    confirm: Option<String>,
}

async fn close_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CloseForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    if form.confirm.as_deref() != Some("yes") {
        return render_detail(
            &state,
            &staff,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError::new(
                "confirm",
                "Tick the box to confirm: closing cannot be undone.",
            )],
            None,
        )
        .await;
    }
    close(&state, staff.user.clone(), id.clone()).await?;
    let message = "The review is closed: the key is destroyed and who took part is forgotten. Accounts fewer than the threshold stay held until the deadline the writers were shown.";
    render_detail(&state, &staff, id, StatusCode::OK, vec![], Some(message)).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn facilitator_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<EmailForm>,
) -> PageResult<HttpResponse> {
    staff.check_csrf(&form.csrf)?;
    let id = id.into_inner();
    match add_facilitator(&state, staff.user.clone(), id.clone(), form.email.clone()).await {
        Ok(()) => {
            render_detail(
                &state,
                &staff,
                id,
                StatusCode::OK,
                vec![],
                Some("Facilitator added."),
            )
            .await
        }
        Err(AppError::Invalid(e)) => {
            render_detail(
                &state,
                &staff,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                e,
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn preread_page(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    let (md, _) = preread(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"pre-read.md\"",
        ))
        .body(md))
}

async fn invites_of(
    state: &AppState,
    user: StaffUser,
    review_id: String,
) -> Result<Vec<(String, String, String)>, AppError> {
    let (keys, base) = (state.keys.clone(), state.settings.base_url.clone());
    state
        .db
        .write(move |c| {
            store::review_for(c, &user, &review_id)?;
            shown_invites(c, &keys, &base, &review_id)
        })
        .await
}

async fn invites_csv(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
) -> PageResult<HttpResponse> {
    let rows = invites_of(&state, staff.user.clone(), id.into_inner()).await?;
    let mut csv = String::from("label,url\n");
    for (_, label, url) in rows {
        csv.push_str(&format!("{},{}\n", csv_cell(&label), csv_cell(&url)));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"review-invites.csv\"",
        ))
        .body(csv))
}

// ---------------------------------------------------------------- member pages

/// What the account form needs, checked against the member's invite.
struct MemberContext {
    review: ReviewRow,
    key: KeyJson,
    issued: bool,
}

async fn member_context(
    state: &AppState,
    review_id: String,
    invite: String,
) -> Result<MemberContext, AppError> {
    if invite.is_empty() || invite.len() > MAX_INVITE {
        return Err(bad_invite());
    }
    let keys = state.keys.clone();
    let (review, key, issued) = state
        .db
        .read(move |c| {
            let member =
                crate::teams::store::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            let review = store::find_review(c, &review_id)?;
            if !tokens::is_eligible(c, &review_id, &member.id)? {
                return Err(not_invited());
            }
            if !review.is_open() {
                return Err(store::review_closed());
            }
            let key = tokens::find_key(c, &review_id)?.ok_or(AppError::NotFound)?;
            let issued = tokens::is_issued(c, &review_id, &member.id)?;
            Ok((review, key, issued))
        })
        .await?;
    let key = public_key(state, &review.id, &key)?;
    Ok(MemberContext {
        review,
        key,
        issued,
    })
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    invite: String,
}

/// `POST /p/reviews/{id}`: the account form. The invite arrives in the body, never the URL.
async fn account_page(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<InviteForm>,
) -> PageResult<HttpResponse> {
    let invite = form.invite.trim().to_owned();
    let ctx = member_context(&state, id.into_inner(), invite.clone()).await?;
    let draft = AccountDraft::default();
    Ok(html_response(
        StatusCode::OK,
        pages::account_form(
            &AccountFormView {
                review: &ctx.review,
                key: &ctx.key,
                invite: &invite,
                issued: ctx.issued,
                draft: &draft,
            },
            &[],
        ),
    ))
}

/// `POST /p/reviews/{id}/fallback`: the confidential path for browsers that cannot blind.
/// The server checks the invite, records the issuance and stores the account in one
/// transaction. Nothing stored joins the two rows; but the server did handle both at once,
/// which is why the page calls this confidential rather than unlinkable (on PostgreSQL the
/// two rows even share a transaction id until the review closes and rewrites them).
async fn fallback(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult<HttpResponse> {
    let review_id = id.into_inner();
    let pairs = form.into_inner();
    let invite = first(&pairs, "invite").trim().to_owned();
    let draft = draft_from(&pairs);
    let account = match check_account(&input_from(&draft)) {
        Ok(a) => a,
        Err(errors) => {
            let ctx = member_context(&state, review_id, invite.clone()).await?;
            return Ok(html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::account_form(
                    &AccountFormView {
                        review: &ctx.review,
                        key: &ctx.key,
                        invite: &invite,
                        issued: ctx.issued,
                        draft: &draft,
                    },
                    &errors,
                ),
            ));
        }
    };
    if invite.is_empty() || invite.len() > MAX_INVITE {
        return Err(bad_invite());
    }
    let receipt = new_receipt();
    let hash = receipt_hash(&state.keys, &receipt);
    let (keys, stored) = (state.keys.clone(), account.clone());
    let rid = review_id.clone();
    let title = state
        .db
        .write(move |c| {
            let member =
                crate::teams::store::member_by_invite(c, &keys, &invite)?.ok_or_else(bad_invite)?;
            store::lock_review(c, &review_id, Lock::Share)?;
            let review = store::find_review(c, &review_id)?;
            if !tokens::is_eligible(c, &review_id, &member.id)? {
                return Err(not_invited());
            }
            if !review.is_open() {
                return Err(store::review_closed());
            }
            tokens::record_issuance(c, &review_id, &member.id)?;
            store::insert_account(c, &review_id, &account, &hash)?;
            Ok(review.title)
        })
        .await?;
    Ok(html_response(
        StatusCode::CREATED,
        pages::receipt_page(&rid, &title, &receipt, &stored),
    ))
}

/// A writer's own account, its review and its thread.
struct Mine {
    review: ReviewRow,
    account: Account,
    thread: Vec<FollowupRow>,
}

fn mine(c: &mut DbConnection, account_id: &str) -> Result<Mine, AppError> {
    let review_id: String = {
        use crate::db::schema::accounts;
        use diesel::prelude::*;
        accounts::table
            .find(account_id)
            .select(accounts::review_id)
            .first(c)?
    };
    let row: AccountRow = store::find_account(c, &review_id, account_id)?;
    Ok(Mine {
        review: store::find_review(c, &review_id)?,
        account: row.account()?,
        thread: store::thread_of(c, account_id)?,
    })
}

enum ReceiptOutcome<T> {
    Found(T),
    Wrong,
}

/// Looks a receipt up and runs `f` on its account, in one write transaction. Every lookup
/// first checks the instance's budget of wrong receipts; a wrong one is counted and answered
/// the same whatever was typed. `f` may still refuse (closed review, bad text) with its own
/// error: the receipt was right, so saying so leaks nothing.
async fn with_receipt<T, F>(state: &AppState, receipt: &str, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection, AccountRow) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let keys = state.keys.clone();
    let hash = receipt_hash(&keys, receipt);
    let out = state
        .db
        .write(move |c| {
            store::check_receipt_budget(c, &keys)?;
            match store::account_by_receipt(c, &hash)? {
                Some(acc) => f(c, acc).map(ReceiptOutcome::Found),
                None => {
                    store::note_wrong_receipt(c, &keys)?;
                    Ok(ReceiptOutcome::Wrong)
                }
            }
        })
        .await?;
    match out {
        ReceiptOutcome::Found(t) => Ok(t),
        ReceiptOutcome::Wrong => Err(wrong_receipt()),
    }
}

/// Replies to a follow-up. The outer error is about the receipt or the review; field errors
/// come back beside the writer's own view so the page can show both.
async fn reply(
    state: &AppState,
    receipt: &str,
    followup_id: String,
    text: String,
) -> Result<(Mine, Result<FollowupRow, Vec<FieldError>>), AppError> {
    with_receipt(state, receipt, move |c, acc| {
        let text = match check_text("text", &text, MAX_REPLY_CHARS) {
            Ok(t) => t,
            Err(e) => return Ok((mine(c, &acc.id)?, Err(vec![e]))),
        };
        store::lock_review(c, &acc.review_id, Lock::Share)?;
        if !store::find_review(c, &acc.review_id)?.is_open() {
            return Err(store::review_closed());
        }
        let f = store::thread_of(c, &acc.id)?
            .into_iter()
            .find(|f| f.id == followup_id)
            .ok_or(AppError::NotFound)?;
        if f.reply.is_some() {
            return Err(AppError::Conflict(
                "this question already has your reply; add to your account instead".into(),
            ));
        }
        store::set_reply(c, &f.id, &text)?;
        let stored = FollowupRow {
            reply: Some(text),
            ..f
        };
        Ok((mine(c, &acc.id)?, Ok(stored)))
    })
    .await
}

/// Adds a note to the writer's own account (kept apart from what they first wrote).
async fn add_to_account(
    state: &AppState,
    receipt: &str,
    text: String,
) -> Result<(Mine, Result<(), Vec<FieldError>>), AppError> {
    with_receipt(state, receipt, move |c, acc| {
        let text = match check_text("text", &text, MAX_REPLY_CHARS) {
            Ok(t) => t,
            Err(e) => return Ok((mine(c, &acc.id)?, Err(vec![e]))),
        };
        store::lock_review(c, &acc.review_id, Lock::Share)?;
        if !store::find_review(c, &acc.review_id)?.is_open() {
            return Err(store::review_closed());
        }
        let mut account = acc.account()?;
        if account.additions.len() >= MAX_ADDITIONS {
            let e = FieldError::new(
                "text",
                format!("An account takes at most {MAX_ADDITIONS} additions."),
            );
            return Ok((mine(c, &acc.id)?, Err(vec![e])));
        }
        account.additions.push(text);
        store::set_account_body(c, &acc.id, &account)?;
        Ok((mine(c, &acc.id)?, Ok(())))
    })
    .await
}

/// Wrong and throttled receipts on the member pages: the receipt form again, never echoing
/// what was typed, so the answer is byte for byte the same whatever it was.
fn receipt_error_page(e: AppError) -> PageResult<HttpResponse> {
    match e {
        AppError::Forbidden(m) => Ok(html_response(
            StatusCode::FORBIDDEN,
            pages::receipt_form(Some(&m)),
        )),
        AppError::TooManyAttempts { retry_after } => Ok(HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", retry_after.to_string()))
            .content_type("text/html; charset=utf-8")
            .body(
                pages::receipt_form(Some(&format!(
                    "Too many wrong receipts were tried on this server in the last minute. Try again in {retry_after} seconds."
                )))
                .into_string(),
            )),
        other => Err(other),
    }
}

fn followups_response(
    status: StatusCode,
    receipt: &str,
    m: &Mine,
    message: Option<&str>,
    errors: &[FieldError],
) -> HttpResponse {
    html_response(
        status,
        pages::followups_page(
            &pages::FollowupPage {
                receipt,
                title: &m.review.title,
                open: m.review.is_open(),
                account: &m.account,
                thread: &m.thread,
                message,
            },
            errors,
        ),
    )
}

async fn followups_form() -> HttpResponse {
    html_response(StatusCode::OK, pages::receipt_form(None))
}

#[derive(Deserialize)]
pub struct ReceiptForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    followup_id: String,
    #[serde(default)]
    text: String,
}

async fn followups_open(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let receipt = form.receipt.clone();
    match with_receipt(&state, &receipt, |c, acc| mine(c, &acc.id)).await {
        Ok(m) => Ok(followups_response(StatusCode::OK, &receipt, &m, None, &[])),
        Err(e) => receipt_error_page(e),
    }
}

async fn followups_reply(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let form = form.into_inner();
    match reply(&state, &form.receipt, form.followup_id, form.text).await {
        Ok((m, Ok(_))) => Ok(followups_response(
            StatusCode::OK,
            &form.receipt,
            &m,
            Some("Your reply is stored."),
            &[],
        )),
        Ok((m, Err(errors))) => Ok(followups_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.receipt,
            &m,
            None,
            &errors,
        )),
        Err(e) => receipt_error_page(e),
    }
}

async fn followups_add(
    state: web::Data<AppState>,
    form: web::Form<ReceiptForm>,
) -> PageResult<HttpResponse> {
    let form = form.into_inner();
    match add_to_account(&state, &form.receipt, form.text).await {
        Ok((m, Ok(()))) => Ok(followups_response(
            StatusCode::OK,
            &form.receipt,
            &m,
            Some("Added to your account, as a separate note after what you first wrote."),
            &[],
        )),
        Ok((m, Err(errors))) => Ok(followups_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.receipt,
            &m,
            None,
            &errors,
        )),
        Err(e) => receipt_error_page(e),
    }
}

// ---------------------------------------------------------------- JSON API

#[derive(Serialize)]
pub struct ReviewJson {
    id: String,
    title: String,
    incident_date: String,
    summary: String,
    status: String,
    threshold: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    retention_days: i32,
    invited: i32,
    key: KeyJson,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

fn review_json(r: ReviewRow, key: KeyJson, warnings: Vec<String>) -> ReviewJson {
    ReviewJson {
        incident_date: pages::fmt_date(r.incident_date),
        deadline: r.deadline.map(rfc3339),
        id: r.id,
        title: r.title,
        summary: r.summary,
        status: r.status,
        threshold: r.threshold,
        retention_days: r.retention_days,
        invited: r.invited,
        key,
        warnings,
    }
}

#[derive(Deserialize)]
pub struct ReviewCreate {
    title: String,
    incident_date: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    team_ids: Vec<String>,
    #[serde(default)]
    invitees: Vec<String>,
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    threshold: Option<i64>,
    #[serde(default)]
    retention_days: Option<i64>,
}

async fn api_create(
    state: web::Data<AppState>,
    staff: ApiStaff,
    body: web::Json<ReviewCreate>,
) -> ApiResult<HttpResponse> {
    staff.require_facilitator()?;
    let b = body.into_inner();
    let request = ReviewRequest {
        title: b.title,
        incident_date: b.incident_date,
        summary: b.summary,
        team_ids: b.team_ids,
        invitees: if b.invitees.is_empty() {
            Ok(vec![])
        } else {
            parse_roster_list(&b.invitees)
        },
        deadline: b.deadline.unwrap_or_default(),
        threshold: Ok(b.threshold),
        retention_days: Ok(b.retention_days),
    };
    let new = check_review(request, state.settings.threshold_floor).map_err(AppError::Invalid)?;
    let opened = open_review(&state, staff.user.clone(), new).await?;
    Ok(HttpResponse::Created().json(review_json(opened.review, opened.key, opened.warnings)))
}

async fn api_list(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_facilitator()?;
    let user = staff.user.clone();
    let rows = state
        .db
        .read(move |c| {
            let reviews = store::list_reviews_for(c, &user)?;
            let ids: Vec<String> = reviews.iter().map(|r| r.id.clone()).collect();
            let keys = tokens::find_keys(c, &ids)?;
            Ok((reviews, keys))
        })
        .await?;
    let (reviews, keys) = rows;
    let mut out = Vec::with_capacity(reviews.len());
    for r in reviews {
        let key = keys
            .iter()
            .find(|k| k.scope_id == r.id)
            .ok_or_else(|| AppError::internal("review without a key"))?;
        let key = public_key(&state, &r.id, key)?;
        out.push(review_json(r, key, vec![]));
    }
    Ok(HttpResponse::Ok().json(out))
}

async fn api_get(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = staff.user.clone();
    let (review, key) = state
        .db
        .read(move |c| {
            let review = store::review_for(c, &user, &id)?;
            let key = tokens::find_key(c, &id)?.ok_or(AppError::NotFound)?;
            Ok((review, key))
        })
        .await?;
    let key = public_key(&state, &review.id, &key)?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

#[derive(Serialize)]
struct InviteJson {
    member_id: String,
    label: String,
    url: String,
}

async fn api_invites(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rows = invites_of(&state, staff.user.clone(), id.into_inner()).await?;
    let out: Vec<InviteJson> = rows
        .into_iter()
        .map(|(member_id, label, url)| InviteJson {
            member_id,
            label,
            url,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize)]
pub struct AccountSubmit {
    token: TokenJson,
    account: AccountInput,
}

/// `POST /api/v1/reviews/{id}/accounts`: anonymous. The account is checked first (422
/// leaves the token unspent), then the token (403 forged or another review's, 410 closed),
/// then one transaction spends it (409 on reuse) and stores the account.
async fn api_submit(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AccountSubmit>,
) -> ApiResult<HttpResponse> {
    let review_id = id.into_inner();
    let body = body.into_inner();
    let account = check_account(&body.account).map_err(AppError::Invalid)?;
    let token = check_token(&state, review_id.clone(), &body.token).await?;
    let receipt = new_receipt();
    let hash = receipt_hash(&state.keys, &receipt);
    let (keys, stored) = (state.keys.clone(), account.clone());
    state
        .db
        .write(move |c| {
            store::lock_review(c, &review_id, Lock::Share)?;
            if !store::find_review(c, &review_id)?.is_open() {
                return Err(store::review_closed());
            }
            tokens::spend(c, &keys, &review_id, &token.message)?;
            store::insert_account(c, &review_id, &account, &hash)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "receipt": receipt, "stored": stored })))
}

#[derive(Serialize)]
struct FollowupJson {
    id: String,
    question: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

impl From<FollowupRow> for FollowupJson {
    fn from(f: FollowupRow) -> Self {
        Self {
            id: f.id,
            question: f.question,
            reply: f.reply,
        }
    }
}

#[derive(Serialize)]
struct AccountJson {
    id: String,
    account: Account,
    followups: Vec<FollowupJson>,
}

async fn api_accounts(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let v = load_view(&state, &staff.user, id.into_inner()).await?;
    let threshold = i64::from(v.review.threshold);
    let pending = v.received - v.released;
    let mut body = serde_json::json!({
        "status": if v.released > 0 { "released" } else { "held" },
        "received": v.received,
        "released": v.released,
        "pending": pending,
        "threshold": threshold,
    });
    if v.review.is_open() && pending < threshold {
        body["needed"] = serde_json::json!(super::model::needed_for_release(pending, threshold));
    }
    if v.released > 0 {
        let accounts: Vec<AccountJson> = v
            .accounts
            .into_iter()
            .map(|a| AccountJson {
                id: a.id,
                account: a.account,
                followups: a.thread.into_iter().map(FollowupJson::from).collect(),
            })
            .collect();
        body["accounts"] =
            serde_json::to_value(accounts).map_err(|e| AppError::internal(e.to_string()))?;
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct QuestionBody {
    text: String,
}

async fn api_ask(
    state: web::Data<AppState>,
    staff: ApiStaff,
    path: web::Path<(String, String)>,
    body: web::Json<QuestionBody>,
) -> ApiResult<HttpResponse> {
    let (review_id, account_id) = path.into_inner();
    let row = ask(
        &state,
        staff.user.clone(),
        review_id,
        account_id,
        &body.text,
    )
    .await?;
    Ok(HttpResponse::Created().json(FollowupJson::from(row)))
}

async fn api_close(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let review = close(&state, staff.user.clone(), id.into_inner()).await?;
    let key = state
        .db
        .read({
            let id = review.id.clone();
            move |c| tokens::find_key(c, &id)?.ok_or(AppError::NotFound)
        })
        .await?;
    let key = public_key(&state, &review.id, &key)?;
    Ok(HttpResponse::Ok().json(review_json(review, key, vec![])))
}

async fn api_preread(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (md, _) = preread(&state, staff.user.clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(md))
}

#[derive(Deserialize)]
pub struct FacilitatorBody {
    email: String,
}

async fn api_add_facilitator(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<String>,
    body: web::Json<FacilitatorBody>,
) -> ApiResult<HttpResponse> {
    add_facilitator(
        &state,
        staff.user.clone(),
        id.into_inner(),
        body.into_inner().email,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct ReceiptBody {
    receipt: String,
}

fn mine_json(m: Mine) -> serde_json::Value {
    serde_json::json!({
        "review": { "id": m.review.id, "title": m.review.title, "status": m.review.status },
        "account": m.account,
        "followups": m.thread.into_iter().map(FollowupJson::from).collect::<Vec<_>>(),
    })
}

async fn api_followups(
    state: web::Data<AppState>,
    body: web::Json<ReceiptBody>,
) -> ApiResult<HttpResponse> {
    let m = with_receipt(&state, &body.receipt, |c, acc| mine(c, &acc.id)).await?;
    Ok(HttpResponse::Ok().json(mine_json(m)))
}

#[derive(Deserialize)]
pub struct ReplyBody {
    receipt: String,
    followup_id: String,
    text: String,
}

async fn api_reply(
    state: web::Data<AppState>,
    body: web::Json<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (_, stored) = reply(&state, &b.receipt, b.followup_id, b.text).await?;
    let stored = stored.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "stored": FollowupJson::from(stored) })))
}

#[derive(Deserialize)]
pub struct AddBody {
    receipt: String,
    text: String,
}

async fn api_add(state: web::Data<AppState>, body: web::Json<AddBody>) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (m, done) = add_to_account(&state, &b.receipt, b.text).await?;
    done.map_err(AppError::Invalid)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "stored": m.account })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(list_page))
        .route("/reviews", web::post().to(create_page))
        .route("/reviews/new", web::get().to(new_page))
        .route("/reviews/{id}", web::get().to(detail_page))
        .route(
            "/reviews/{id}/accounts/{account}/questions",
            web::post().to(ask_page),
        )
        .route("/reviews/{id}/close", web::post().to(close_page))
        .route(
            "/reviews/{id}/facilitators",
            web::post().to(facilitator_page),
        )
        .route("/reviews/{id}/preread.md", web::get().to(preread_page))
        .route("/reviews/{id}/invites.csv", web::get().to(invites_csv))
        .route("/p/reviews/{id}", web::post().to(account_page))
        .route("/p/reviews/{id}/fallback", web::post().to(fallback))
        .route("/p/followups", web::get().to(followups_form))
        .route("/p/followups", web::post().to(followups_open))
        .route("/p/followups/reply", web::post().to(followups_reply))
        .route("/p/followups/add", web::post().to(followups_add));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::post().to(api_create))
        .route("/reviews", web::get().to(api_list))
        .route("/reviews/{id}", web::get().to(api_get))
        .route("/reviews/{id}/invites", web::get().to(api_invites))
        .route("/reviews/{id}/accounts", web::post().to(api_submit))
        .route("/reviews/{id}/accounts", web::get().to(api_accounts))
        .route(
            "/reviews/{id}/accounts/{account}/questions",
            web::post().to(api_ask),
        )
        .route("/reviews/{id}/close", web::post().to(api_close))
        .route("/reviews/{id}/preread", web::get().to(api_preread))
        .route(
            "/reviews/{id}/facilitators",
            web::post().to(api_add_facilitator),
        )
        .route("/followups", web::post().to(api_followups))
        .route("/followups/reply", web::post().to(api_reply))
        .route("/followups/add", web::post().to(api_add));
}

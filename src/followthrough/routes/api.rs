//! The staff JSON API for actions after rounds and action items from reviews. Each handler's
//! `#[utoipa::path]` is its entry in the OpenAPI document (src/openapi/).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiResult, FieldError, Problem};
use crate::followthrough::actions;
use crate::followthrough::model::{
    self, ActionId, ActionRequest, ActionView, ChangeRequest, ItemId, ItemView, Link,
};
use crate::pulse::model::{QuestionId, RoundId};
use crate::reviews::model::ReviewId;
use crate::state::AppState;
use crate::teams::model::TeamId;
use crate::web::session::ApiStaff;

fn day(d: Option<time::Date>) -> Option<String> {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
}

/// Present in the body (even as `null`) is `Some`, absent is `None`: `null` clears a field.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// An action to record after a round's results.
#[derive(Deserialize, ToSchema)]
pub struct NewActionBody {
    /// What will be done (at most 500 characters).
    #[serde(default)]
    text: String,
    /// One of the round's questions (`questions[].id` of the round) the action answers.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    question_id: Option<QuestionId>,
    /// A comment theme it answers, in a few words.
    #[serde(default)]
    theme: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    due_on: Option<String>,
    /// An active staff member's email.
    #[serde(default)]
    owner: Option<String>,
}

/// An action as staff read it. Dates are days (`YYYY-MM-DD`), never times.
#[derive(Serialize, ToSchema)]
pub struct ActionJson {
    #[schema(value_type = String)]
    id: ActionId,
    #[schema(value_type = String)]
    round_id: RoundId,
    round_title: String,
    #[schema(value_type = String)]
    team_id: TeamId,
    text: String,
    /// `planned`, `doing`, `done` or `dropped`.
    #[schema(value_type = String)]
    status: &'static str,
    #[schema(value_type = Option<String>)]
    question_id: Option<QuestionId>,
    /// The question's wording.
    question: Option<String>,
    theme: Option<String>,
    /// The owner's email: always a staff member.
    owner: Option<String>,
    due_on: Option<String>,
    /// The day it was marked done.
    done_on: Option<String>,
}

impl From<ActionView> for ActionJson {
    fn from(a: ActionView) -> Self {
        Self {
            id: a.id,
            round_id: a.round_id,
            round_title: a.round_title,
            team_id: a.team_id,
            text: a.text,
            status: a.status.as_str(),
            question_id: a.question_id,
            question: a.question,
            theme: a.theme,
            owner: a.owner,
            due_on: day(a.due_on),
            done_on: day(a.done_on),
        }
    }
}

/// A change: each field sent is set; `null` clears `owner` or `due_on`.
#[derive(Deserialize, ToSchema)]
pub struct ChangeBody {
    #[serde(default)]
    text: Option<String>,
    /// `planned`, `doing`, `done` or `dropped`; `done` records today as `done_on`.
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    due_on: Option<Option<String>>,
}

impl ChangeBody {
    fn request(self) -> ChangeRequest {
        ChangeRequest {
            text: self.text,
            status: self.status,
            owner: self.owner.map(Option::unwrap_or_default),
            due_on: self.due_on.map(Option::unwrap_or_default),
        }
    }
}

/// Records an action on a closed round's results (a leader of its team, or an admin).
#[utoipa::path(post, path = "/rounds/{round_id}/actions", tag = "pulse",
    params(("round_id" = String, Path, description = "The round's id")),
    request_body = NewActionBody,
    responses((status = 201, description = "Recorded, as `planned`", body = ActionJson),
        (status = 403, description = "Not a leader of this round's team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The round has not closed yet", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_record_action(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<RoundId>,
    body: web::Json<NewActionBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let checked = model::check_action(&ActionRequest {
        text: b.text,
        question_id: b.question_id,
        theme: b.theme.unwrap_or_default(),
        owner: b.owner.unwrap_or_default(),
        due_on: b.due_on.unwrap_or_default(),
    });
    let a = actions::record_action(&state, &staff.user, id.into_inner(), checked).await?;
    Ok(HttpResponse::Created().json(ActionJson::from(a)))
}

/// Changes an action's status, text, owner or due date.
#[utoipa::path(patch, path = "/actions/{action_id}", tag = "pulse",
    params(("action_id" = String, Path, description = "The action's id")),
    request_body = ChangeBody,
    responses((status = 200, description = "Changed", body = ActionJson),
        (status = 403, description = "Not a leader of the action's team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_change_action(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ActionId>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let change = model::check_change(&body.into_inner().request());
    let a = actions::change_action(&state, &staff.user, id.into_inner(), change).await?;
    Ok(HttpResponse::Ok().json(ActionJson::from(a)))
}

/// Every action of a team's rounds, oldest round first.
#[utoipa::path(get, path = "/teams/{team_id}/actions", tag = "pulse",
    params(("team_id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team's actions", body = Vec<ActionJson>),
        (status = 403, description = "Not a leader of this team", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_team_actions(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let all = actions::team_actions(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<ActionJson> = all.into_iter().map(ActionJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// An account (by the number facilitators read it under) or one of its timeline entries.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct LinkJson {
    /// The account's number among those shown, from 1.
    account: i32,
    /// A timeline entry of that account, from 1; absent for the account as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entry: Option<i32>,
}

/// An action item to record from a review.
#[derive(Deserialize, ToSchema)]
pub struct NewItemBody {
    #[serde(default)]
    text: String,
    #[serde(default)]
    due_on: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    /// Released accounts or timeline entries that raised it; anything not shown is refused.
    #[serde(default)]
    links: Vec<LinkJson>,
}

/// An action item as its facilitators read it.
#[derive(Serialize, ToSchema)]
pub struct ItemJson {
    #[schema(value_type = String)]
    id: ItemId,
    #[schema(value_type = String)]
    review_id: ReviewId,
    text: String,
    /// `planned`, `doing`, `done` or `dropped`.
    #[schema(value_type = String)]
    status: &'static str,
    owner: Option<String>,
    due_on: Option<String>,
    links: Vec<LinkJson>,
}

impl From<ItemView> for ItemJson {
    fn from(i: ItemView) -> Self {
        Self {
            id: i.id,
            review_id: i.review_id,
            text: i.text,
            status: i.status.as_str(),
            owner: i.owner,
            due_on: day(i.due_on),
            links: i
                .links
                .into_iter()
                .map(|l| LinkJson {
                    account: l.account,
                    entry: l.entry,
                })
                .collect(),
        }
    }
}

/// Records an action item from a review (its facilitators, or an admin).
#[utoipa::path(post, path = "/reviews/{review_id}/items", tag = "reviews",
    params(("review_id" = String, Path, description = "The review's id")),
    request_body = NewItemBody,
    responses((status = 201, description = "Recorded, as `planned`", body = ItemJson),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_record_item(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
    body: web::Json<NewItemBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let links: Result<Vec<Link>, FieldError> = b
        .links
        .iter()
        .map(|l| Link::new(l.account, l.entry))
        .collect();
    let checked = model::check_item(
        &ActionRequest {
            text: b.text,
            owner: b.owner.unwrap_or_default(),
            due_on: b.due_on.unwrap_or_default(),
            ..Default::default()
        },
        links,
    );
    let i = actions::record_item(&state, &staff.user, id.into_inner(), checked).await?;
    Ok(HttpResponse::Created().json(ItemJson::from(i)))
}

/// A review's action items, in the order they were recorded.
#[utoipa::path(get, path = "/reviews/{review_id}/items", tag = "reviews",
    params(("review_id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "The action items", body = Vec<ItemJson>),
        (status = 403, description = "Not a facilitator of this review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_review_items(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ReviewId>,
) -> ApiResult<HttpResponse> {
    let r = actions::review_items(&state, &staff.user, id.into_inner()).await?;
    let out: Vec<ItemJson> = r.items.into_iter().map(ItemJson::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Changes an action item's status, text, owner or due date.
#[utoipa::path(patch, path = "/review-items/{item_id}", tag = "reviews",
    params(("item_id" = String, Path, description = "The action item's id")),
    request_body = ChangeBody,
    responses((status = 200, description = "Changed", body = ItemJson),
        (status = 403, description = "Not a facilitator of the item's review", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn api_change_item(
    state: web::Data<AppState>,
    staff: ApiStaff,
    id: web::Path<ItemId>,
    body: web::Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let change = model::check_change(&body.into_inner().request());
    let i = actions::change_item(&state, &staff.user, id.into_inner(), change).await?;
    Ok(HttpResponse::Ok().json(ItemJson::from(i)))
}

/// The operations of closing the loop, merged into the document by src/openapi/.
#[derive(OpenApi)]
#[openapi(paths(
    api_record_action,
    api_change_action,
    api_team_actions,
    api_record_item,
    api_review_items,
    api_change_item
))]
pub struct FollowThroughApi;

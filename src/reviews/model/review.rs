//! A review as stored, and the read models built from it for pages and the API: what a
//! review's accounts look like to its facilitators, the list, the teams one may invite. The
//! diesel derive only says how a row reads; no query lives here.

use diesel::Queryable;
use time::{Date, PrimitiveDateTime};

use super::{Account, ReviewStatus};
use crate::error::AppError;
use crate::teams::model::Threshold;

// ---------------------------------------------------------------- typed ids

crate::typed_id!(
    /// A review's id (see `crate::id`); also its scope in `tokens` (`ScopeId::from(&id)`).
    ReviewId
);
crate::typed_id!(
    /// An account's id (see `crate::id`): a random string, never in insertion order.
    AccountId
);
crate::typed_id!(
    /// A follow-up's id (see `crate::id`).
    FollowupId
);

impl From<&ReviewId> for crate::tokens::model::ScopeId {
    fn from(id: &ReviewId) -> Self {
        Self::from(id.as_str())
    }
}

impl ReviewId {
    /// The token scope this review is.
    pub fn scope(&self) -> crate::tokens::model::ScopeId {
        self.into()
    }
}

// ---------------------------------------------------------------- rows

/// A review as stored. The counts at the end are filled in at close, so they outlive the
/// text that retention deletes.
#[derive(Queryable, Clone, Debug)]
pub struct ReviewRow {
    #[diesel(deserialize_as = String)]
    pub id: ReviewId,
    pub title: String,
    pub incident_date: Date,
    pub summary: String,
    pub status: String,
    #[diesel(deserialize_as = i32)]
    pub threshold: Threshold,
    pub deadline: Option<PrimitiveDateTime>,
    pub retention_days: i32,
    pub invited: i32,
    pub created_by: String,
    pub created_at: PrimitiveDateTime,
    pub closed_on: Option<Date>,
    pub purged_on: Option<Date>,
    pub issued: Option<i32>,
    pub accounts_total: Option<i32>,
    pub followups_asked: Option<i32>,
    pub followups_answered: Option<i32>,
}

impl ReviewRow {
    pub fn status(&self) -> ReviewStatus {
        ReviewStatus::parse(&self.status)
    }

    pub fn is_open(&self) -> bool {
        self.status() == ReviewStatus::Open
    }

    pub fn deadline_passed(&self, at: PrimitiveDateTime) -> bool {
        self.deadline.is_some_and(|d| d <= at)
    }

    /// The day the free text is deleted, for a closed review.
    pub fn purge_day(&self) -> Option<Date> {
        self.closed_on
            .map(|d| d + time::Duration::days(i64::from(self.retention_days)))
    }
}

/// An account as stored: its body is the checked `Account` as JSON, its receipt only a
/// keyed hash, and `released` whether facilitators may read it yet.
#[derive(Queryable, Clone, Debug)]
pub struct AccountRow {
    #[diesel(deserialize_as = String)]
    pub id: AccountId,
    #[diesel(deserialize_as = String)]
    pub review_id: ReviewId,
    pub body: String,
    pub receipt_hash: String,
    pub released: bool,
    /// Where the account stands among the released ones, fixed when it is released (0
    /// while held): the order facilitators see never changes under them.
    pub position: i32,
}

impl AccountRow {
    pub fn account(&self) -> Result<Account, AppError> {
        serde_json::from_str(&self.body)
            .map_err(|e| AppError::caused("stored account is not valid", e))
    }
}

/// A facilitator's question on an account and the writer's reply, in thread order.
#[derive(Queryable, Clone, Debug)]
pub struct FollowupRow {
    #[diesel(deserialize_as = String)]
    pub id: FollowupId,
    #[diesel(deserialize_as = String)]
    pub account_id: AccountId,
    pub position: i32,
    pub question: String,
    pub reply: Option<String>,
}

// ---------------------------------------------------------------- read models

/// A review on the staff list, with the accounts received so far.
pub struct ListItem {
    pub review: ReviewRow,
    pub received: i64,
}

/// A released account with its follow-up thread.
pub struct AccountView {
    pub id: AccountId,
    pub account: Account,
    pub thread: Vec<FollowupRow>,
}

/// A review as its facilitators see it; released accounts in a fresh random order.
pub struct ReviewView {
    pub review: ReviewRow,
    pub fingerprint: String,
    pub received: i64,
    pub released: i64,
    pub accounts: Vec<AccountView>,
    /// (member id, label, link): no link for one Candor mailed to its invitee (G13).
    pub invites: Vec<(crate::teams::model::MemberId, String, Option<String>)>,
    pub facilitators: Vec<String>,
    /// Accounts a close now would leave held: fewer than the threshold arrived (since the
    /// last release) and the deadline the writers were shown has not passed.
    pub held_at_close: i64,
    /// The action items recorded from this review (`followthrough`), for the pre-read.
    pub items: Vec<crate::followthrough::model::ItemView>,
}

/// A team the new-review form offers, with how many people it would invite.
pub struct TeamChoice {
    pub id: crate::teams::model::TeamId,
    pub name: String,
    pub people: i64,
}
